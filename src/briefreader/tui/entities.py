"""Entities of an article for the reader, from the payload the indexer stores (may be empty)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from briefreader.models import Article

# Order and labels of the entity types in the legend and the Entities tab.
TYPE_LABELS = {
    "PERSON": "Person",
    "ORG": "Organisation",
    "PLACE": "Place",
    "GROUP": "Group",
    "DATE": "Date",
    "LAW": "Law",
    "EVENT": "Event",
}


@dataclass(frozen=True)
class Mention:
    """One entity mention: offsets into ``Article.text``, its type and canonical name."""

    start: int
    end: int
    type: str
    name: str


@dataclass(frozen=True)
class EntityCount:
    """An entity of an article and how often it is mentioned."""

    type: str
    name: str
    count: int


def article_mentions(article: Article, extra: dict[str, Any]) -> list[Mention]:
    """The mentions stored with an article, sorted by offset; [] when there are none."""
    from briefreader.text.entities.store import from_payload

    try:
        stored = from_payload(article, extra) or []
    except (KeyError, IndexError, TypeError, ValueError):  # rows of another shape (version)
        return []
    mentions = [
        Mention(m.start, m.end, m.type, m.name or m.text)
        for m in stored
        if 0 <= m.start < m.end <= len(article.text) and m.type in TYPE_LABELS
    ]
    return sorted(mentions, key=lambda m: (m.start, m.end))


def entity_counts(mentions: list[Mention]) -> dict[str, list[EntityCount]]:
    """Entities grouped by type (legend order), most mentioned first."""
    counts = Counter((m.type, m.name) for m in mentions)
    grouped: dict[str, list[EntityCount]] = {}
    for kind in TYPE_LABELS:
        items = [EntityCount(t, n, c) for (t, n), c in counts.items() if t == kind]
        if items:
            grouped[kind] = sorted(items, key=lambda e: (-e.count, e.name.lower()))
    return grouped


def entity_query(name: str) -> str:
    """The search for an entity's mentions (``entity:"…"``), quotes removed from the name."""
    return f'entity:"{name.replace(chr(34), " ").strip()}"'
