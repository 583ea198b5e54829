"""What the indexer adds beyond text: load options and the entity enricher, from the settings.

Entities are recognised once, at index time (cached per article by content hash in
``index/entities-cache.json``), stored with each article, indexed in the entity fields, and
collected into ``entities.json`` in the active index folder so readers can resolve the corpus's
entity table without loading spaCy or every article.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from briefreader.models import Article
from briefreader.search.indexer import Enrichment, ProgressFn
from briefreader.text.entities import (
    CACHE_FILE,
    MENTIONS_FILE,
    EntityMention,
    enrichment_for,
    from_payload,
    read_mentions_file,
    write_mentions_file,
)
from briefreader.text.load import LoadOptions, default_options
from briefreader.workspace import Workspace


def load_options_for(workspace: Workspace) -> LoadOptions:
    """Loading options from the workspace settings (extra boilerplate, size limit, symlinks)."""
    settings = workspace.settings()
    return default_options(settings.boilerplate, settings.max_file_mb, settings.follow_symlinks)


class NoEnrichment:
    """An enricher that adds nothing (entities switched off)."""

    recogniser = "none"

    def __call__(self, articles: Sequence[Article], progress: ProgressFn) -> dict[str, Enrichment]:
        return {}

    def finish(self, folder: Path, present: set[str]) -> list[str]:
        return []


class EntityEnricher:
    """Recognise entities for the articles being indexed; keep the corpus mentions file."""

    def __init__(self, workspace: Workspace) -> None:
        self.options = workspace.settings().section("entities")
        self.cache_path = workspace.index_dir / CACHE_FILE
        self.recogniser = ""
        self._mentions: dict[str, list[EntityMention]] = {}
        self._notices: list[str] = []

    def __call__(self, articles: Sequence[Article], progress: ProgressFn) -> dict[str, Enrichment]:
        """Entity fields and payload per article (spaCy, or the rules fallback with a notice)."""
        data, extraction = enrichment_for(
            articles,
            self.cache_path,
            self.options,
            lambda done, total: progress("entities", done, total),
        )
        self.recogniser = extraction.recogniser
        if extraction.notice:
            self._notices.append(extraction.notice)
        by_id = {article.id: article for article in articles}
        for article_id, item in data.items():
            self._mentions[article_id] = list(
                from_payload(by_id[article_id], item["payload"]) or ()
            )
        return {article_id: Enrichment(**item) for article_id, item in data.items()}

    def finish(self, folder: Path, present: set[str]) -> list[str]:
        """Update ``entities.json`` for the articles now in the index; return notices."""
        path = folder / MENTIONS_FILE
        mentions = read_mentions_file(path) or {}
        merged = {
            aid: rows
            for aid, rows in mentions.items()
            if aid in present and aid not in self._mentions
        }
        merged.update({aid: rows for aid, rows in self._mentions.items() if aid in present})
        write_mentions_file(path, merged)
        return self._notices


def default_enricher(workspace: Workspace) -> EntityEnricher | NoEnrichment:
    """The entity enricher, unless ``[entities] enabled = false`` in the settings."""
    if workspace.settings().section("entities").get("enabled", True) is False:
        return NoEnrichment()
    return EntityEnricher(workspace)
