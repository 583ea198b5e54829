"""Entities of an article for the reader, from the payload the indexer stores (may be empty).

The Entities tab shows the same table as ``briefreader entities``: each mention counted under
its corpus entity (``merged_entity_counts``, computed off the UI thread).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from textual.message import Message

from briefreader.models import Article

if TYPE_CHECKING:
    from briefreader.text.entities import EntityTable

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
    return _grouped([EntityCount(t, n, c) for (t, n), c in counts.items()])


def merged_entity_counts(
    article: Article, extra: dict[str, Any], table: EntityTable
) -> dict[str, list[EntityCount]]:
    """The article's entities as ``briefreader entities ARTICLE --json`` lists them: each
    mention counted under its corpus entity (aliases joined, the user's corrections applied:
    a suppressed name is left out, a renamed or retyped one shown as corrected)."""
    try:
        from briefreader.text.entities.store import from_payload

        stored = from_payload(article, extra) or []
    except Exception:  # a payload from another version must never break reading
        return {}
    counts: Counter[str] = Counter()
    for mention in stored:
        entity = table.entity_of_form(mention.text, mention.name, mention.type, article.id)
        if entity is not None and entity.type in TYPE_LABELS:
            counts[entity.id] += 1
    items = []
    for entity_id, count in counts.items():
        entity = table.get(entity_id)
        if entity is not None:
            items.append(EntityCount(entity.type, entity.name, count))
    return _grouped(items)


def _grouped(items: list[EntityCount]) -> dict[str, list[EntityCount]]:
    """Entities grouped by type (legend order), most mentioned first."""
    grouped: dict[str, list[EntityCount]] = {}
    for kind in TYPE_LABELS:
        of_kind = [item for item in items if item.type == kind]
        if of_kind:
            grouped[kind] = sorted(of_kind, key=lambda e: (-e.count, e.name.lower()))
    return grouped


@dataclass
class ArticleEntities(Message):
    """The article's entities merged across the corpus (computed in the article worker)."""

    article_id: str
    grouped: dict[str, list[EntityCount]]


@dataclass
class ArticleMentions(Message):
    """The open article's mentions, recognised since it was opened (the entity phase)."""

    article_id: str
    mentions: list[Mention]


def entity_query(name: str) -> str:
    """The search for an entity's mentions (``entity:"…"``), quotes removed from the name."""
    return f'entity:"{name.replace(chr(34), " ").strip()}"'
