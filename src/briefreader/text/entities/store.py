"""What the search index stores for entities: keyword terms per field and a compact payload.

The indexer writes ``index_fields`` into the entity fields and ``to_payload`` into the stored
article; the TUI and the CLI rebuild mentions with ``from_payload`` without loading spaCy.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from briefreader.models import Article
from briefreader.text.entities.extract import Extraction, extract_entities
from briefreader.text.entities.keys import name_key
from briefreader.text.entities.model import DATE, GROUP, ORG, PERSON, PLACE, EntityMention

# Index field for each type; LAW and EVENT are only in the general ``entity`` field.
TYPE_FIELDS = {PERSON: "person", ORG: "org", PLACE: "place", GROUP: "group", DATE: "when"}
PAYLOAD_KEY = "entities"


def mention_terms(mention: EntityMention) -> set[str]:
    """Index terms of a mention: the keys of its text and of the name it stands for."""
    return {key for key in (name_key(mention.text), name_key(mention.name)) if key}


def index_fields(mentions: Sequence[EntityMention]) -> dict[str, list[str]]:
    """Terms per entity field (``entity`` holds all types) for a KEYWORD(commas=True) field."""
    fields: dict[str, set[str]] = {"entity": set()}
    for mention in mentions:
        terms = mention_terms(mention)
        fields["entity"] |= terms
        type_field = TYPE_FIELDS.get(mention.type)
        if type_field:
            fields.setdefault(type_field, set()).update(terms)
    return {name: sorted(terms) for name, terms in fields.items() if terms}


def passage_index_fields(
    article: Article, mentions: Sequence[EntityMention]
) -> dict[str, dict[str, list[str]]]:
    """``index_fields`` for each passage of the article (mentions inside its span)."""
    result = {}
    for passage in article.passages:
        inside = [m for m in mentions if passage.start <= m.start and m.end <= passage.end]
        if inside:
            result[passage.id] = index_fields(inside)
    return result


def to_payload(mentions: Sequence[EntityMention], recogniser: str) -> dict[str, Any]:
    """Compact JSON-able payload for the stored article."""
    return {PAYLOAD_KEY: {"recogniser": recogniser, "mentions": [m.to_row() for m in mentions]}}


def from_payload(article: Article, payload: dict[str, Any]) -> list[EntityMention] | None:
    """Mentions stored with an article (None if the payload has none)."""
    data = payload.get(PAYLOAD_KEY)
    if not isinstance(data, dict):
        return None
    return [EntityMention.from_row(article.id, article.text, row) for row in data["mentions"]]


def payload_recogniser(payload: dict[str, Any]) -> str | None:
    """Which recogniser produced the stored mentions."""
    data = payload.get(PAYLOAD_KEY)
    return str(data.get("recogniser")) if isinstance(data, dict) else None


def write_mentions_file(path: Path, mentions: Mapping[str, Sequence[EntityMention]]) -> None:
    """Write every article's mentions to one JSON file (e.g. ``index/entities.json``).

    Readers (search, the TUI's entity list) resolve the corpus table from it without opening
    each stored article. Rows carry the surface text, so no article text is needed to read it.
    """
    data = {
        article_id: [[m.start, m.end, m.type, m.text, m.name] for m in rows]
        for article_id, rows in mentions.items()
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_suffix(".tmp")
    temp.write_text(json.dumps({"format": 1, "mentions": data}, ensure_ascii=False), "utf-8")
    os.replace(temp, path)


def read_mentions_file(path: Path) -> dict[str, list[EntityMention]] | None:
    """Mentions from ``write_mentions_file`` (None if the file is missing or unreadable)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return {
            article_id: [EntityMention(article_id, s, e, t, k, n) for s, e, k, t, n in rows]
            for article_id, rows in data["mentions"].items()
        }
    except (OSError, ValueError, KeyError, TypeError):
        return None


def enrichment_for(
    articles: Sequence[Article],
    cache_path: Path | None,
    options: Mapping[str, Any] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[dict[str, dict[str, Any]], Extraction]:
    """What the indexer stores per article: ``fields``, ``passage_fields`` and ``payload``.

    The keys match the indexer's ``Enrichment`` dataclass, so it can build one with
    ``Enrichment(**data)``; the ``Extraction`` tells which recogniser ran and any fallback notice.
    """
    extraction = extract_entities(articles, cache_path, progress, options)
    result = {}
    for article in articles:
        mentions = extraction.mentions[article.id]
        result[article.id] = {
            "fields": index_fields(mentions),
            "passage_fields": passage_index_fields(article, mentions),
            "payload": to_payload(mentions, extraction.recogniser),
        }
    return result, extraction
