"""What the indexer adds beyond text: load options and the entity enricher, from the settings.

Entities are recognised once, at index time (cached per article by content hash in
``index/entities-cache.db``), stored with each article, indexed in the entity fields, and
their name forms kept in the catalog so readers can resolve the corpus's entity table without
loading spaCy or every article.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import chain, islice
from pathlib import Path
from typing import Any, Protocol

from briefreader.models import Article, ProgressFn
from briefreader.search.index.recognising import PooledRecognition, pool_workers
from briefreader.search.index.workers import WorkerPool
from briefreader.text.entities import (
    CACHE_FILE,
    Choice,
    cached_enrichment_for,
    choose_recogniser,
)
from briefreader.text.entities.extract import (
    EntityCache,
    Extraction,
    cached_ids,
    extract_entities,
    max_chars,
)
from briefreader.text.entities.model import EntityForm
from briefreader.text.entities.store import stored_enrichments
from briefreader.text.load import LoadOptions, default_options
from briefreader.workspace import Settings, Workspace


@dataclass(frozen=True)
class Enrichment:
    """Extra index data for one article (entities…): field values and a stored payload."""

    fields: dict[str, list[str]] = field(default_factory=dict)
    passage_fields: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    payload: dict[str, Any] = field(default_factory=dict)
    forms: tuple[EntityForm, ...] = ()


class Enricher(Protocol):
    """Computes enrichments for a batch of articles (called during indexing).

    An enricher that also has a ``cached(articles)`` method (``EntityEnricher``) runs in two
    phases: the text phase writes what ``cached`` returns and leaves the other articles
    pending; the entity phase (``entity_phase.py``) calls it on them in batches. Without
    one, it is called in the text phase for every article.
    """

    def __call__(
        self, articles: Sequence[Article], progress: ProgressFn
    ) -> dict[str, Enrichment]: ...


def load_options_for(workspace: Workspace, settings: Settings | None = None) -> LoadOptions:
    """Loading options from the workspace settings (extra boilerplate, size limit, symlinks)."""
    settings = settings or workspace.settings()
    return default_options(settings.boilerplate, settings.max_file_mb, settings.follow_symlinks)


class NoEnrichment:
    """An enricher that adds nothing (entities switched off)."""

    recogniser = "none"

    def __call__(self, articles: Sequence[Article], progress: ProgressFn) -> dict[str, Enrichment]:
        return {}

    def finish(self) -> list[str]:
        return []


class EntityEnricher:
    """Recognise entities for the articles being indexed (cached by content)."""

    def __init__(self, workspace: Workspace, settings: Settings | None = None) -> None:
        self.options = (settings or workspace.settings()).section("entities")
        self.cache_path = workspace.index_dir / CACHE_FILE
        self.recogniser = ""
        self._notices: list[str] = []
        self._choice: Choice | None = None  # chosen once: the model loads once per run
        self._open_cache: EntityCache | None = None

    def __call__(self, articles: Sequence[Article], progress: ProgressFn) -> dict[str, Enrichment]:
        """Entity fields and payload per article (spaCy, or the rules fallback with a notice)."""
        extraction = extract_entities(
            articles,
            self.cache_path,
            lambda done, total: progress("entities", done, total),
            self.options,
            self._chosen(),
        )
        return self._enrichments(articles, extraction)

    def stream(
        self, batches: Iterable[list[Article]], progress: ProgressFn
    ) -> Iterator[tuple[list[Article], dict[str, Enrichment]]]:
        """Each batch with its enrichments, in order. With a spaCy model and more than a
        little text, worker processes recognise them, a batch ahead of the caller
        (``recognising.PooledRecognition``); else each is recognised here when its turn
        comes. Close the iterator to stop the workers."""
        choice = self._chosen()
        batches = iter(batches)
        first = list(islice(batches, 2))
        workers = pool_workers(choice, first, self.options)
        if not workers:
            for batch in chain(first, batches):
                yield batch, self(batch, progress)
            return
        pool = WorkerPool(workers, self._notices)
        finished = False
        try:
            limit = max_chars(self.options)
            recognition = PooledRecognition(choice, self.cache_path, limit, pool)

            def counted(done: int, total: int) -> None:
                progress("entities", done, total)

            for batch, extraction in recognition(chain(first, batches), counted):
                yield batch, self._enrichments(batch, extraction)
            finished = True
        finally:
            pool.close(wait=finished)  # stopped: no wait for the task in hand (a quit)

    def _enrichments(
        self, articles: Sequence[Article], extraction: Extraction
    ) -> dict[str, Enrichment]:
        """What the indexer writes for each article, and the recogniser and notice noted."""
        self.recogniser = extraction.recogniser
        if extraction.notice and extraction.notice not in self._notices:
            self._notices.append(extraction.notice)
        data = stored_enrichments(articles, extraction)
        return {article_id: Enrichment(**item) for article_id, item in data.items()}

    def cached(self, articles: Sequence[Article]) -> dict[str, Enrichment]:
        """The enrichments of the articles whose entities are cached (no model loads)."""
        with self.reading_cache() as cache:
            data, extraction = cached_enrichment_for(articles, cache, self._chosen())
        if data:
            self.recogniser = extraction.recogniser
        return {article_id: Enrichment(**item) for article_id, item in data.items()}

    def cached_ids(self, articles: Sequence[Article]) -> set[str]:
        """The ids of the articles whose entities are cached (nothing is read but the keys)."""
        with self.reading_cache() as cache:
            return cached_ids(articles, cache, self._chosen().recogniser.id)

    @contextmanager
    def reading_cache(self) -> Iterator[EntityCache]:
        """The entity cache, open until the outermost ``with`` ends: the ``cached`` and
        ``cached_ids`` calls made inside share it (the text phase asks once per file, and
        opening the cache costs 0.1 ms: 7 s of a rebuild at BBC ×32)."""
        if self._open_cache is not None:
            yield self._open_cache
            return
        self._open_cache = cache = EntityCache.open(self.cache_path)
        try:
            yield cache
        finally:
            self._open_cache = None
            cache.close()

    def _chosen(self) -> Choice:
        """The recogniser the settings name (chosen once a run, never loaded here)."""
        if self._choice is None:
            self._choice = choose_recogniser(self.options)
        return self._choice

    def finish(self) -> list[str]:
        """Notices for the user (a fallback recogniser…)."""
        return self._notices


def remove_legacy_cache(index_root: Path) -> None:
    """Delete the JSON entity cache earlier versions kept once its rows are in the SQLite
    cache (they are carried over on first use)."""
    if (index_root / CACHE_FILE).is_file():
        (index_root / "entities-cache.json").unlink(missing_ok=True)


def default_enricher(
    workspace: Workspace, settings: Settings | None = None
) -> EntityEnricher | NoEnrichment:
    """The entity enricher, unless ``[entities] enabled = false`` in the settings."""
    settings = settings or workspace.settings()
    if settings.section("entities").get("enabled", True) is False:
        return NoEnrichment()
    return EntityEnricher(workspace, settings)
