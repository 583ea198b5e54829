"""Entity domain objects: the types shown to readers, raw spans, mentions and entities."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

PERSON, ORG, PLACE, GROUP, DATE, LAW, EVENT = (
    "PERSON",
    "ORG",
    "PLACE",
    "GROUP",
    "DATE",
    "LAW",
    "EVENT",
)
ENTITY_TYPES: tuple[str, ...] = (PERSON, ORG, PLACE, GROUP, DATE, LAW, EVENT)

# spaCy (OntoNotes) labels folded into the reader's types; other labels are dropped.
LABEL_TO_TYPE: dict[str, str] = {
    "PERSON": PERSON,
    "ORG": ORG,
    "GPE": PLACE,
    "LOC": PLACE,
    "FAC": PLACE,
    "NORP": GROUP,
    "DATE": DATE,
    "LAW": LAW,
    "EVENT": EVENT,
}


@dataclass(frozen=True)
class RawSpan:
    """A span proposed by a recogniser before clean-up: offsets into the text it was given."""

    start: int
    end: int
    type: str


@dataclass(frozen=True)
class EntityMention:
    """One mention of an entity in an article: ``article.text[start:end] == text``.

    ``name`` is the fullest form the article uses for the same entity ("Mohammed Shia
    al-Sudani" for a mention "Sudani", "Popular Mobilization Forces" for "PMF"); cross-article
    identity is resolved from it. ``shared``: the article uses the name for two entities (two
    clubs of one city in one table), so it is never joined across articles.
    """

    article_id: str
    start: int
    end: int
    text: str
    type: str
    name: str
    shared: bool = False

    def to_row(self) -> list[Any]:
        """Compact JSON row (article id left out: rows are stored per article)."""
        row: list[Any] = [self.start, self.end, self.type]
        if self.name != self.text or self.shared:
            row.append(self.name)
        if self.shared:
            row.append(1)
        return row

    @classmethod
    def from_row(cls, article_id: str, text: str, row: list[Any]) -> EntityMention:
        """Rebuild a mention from ``to_row`` output and the article's text."""
        start, end, kind = int(row[0]), int(row[1]), str(row[2])
        surface = text[start:end]
        name = str(row[3]) if len(row) > 3 else surface
        shared = len(row) > 4 and bool(row[4])
        return cls(article_id, start, end, surface, kind, name, shared)

    @staticmethod
    def readable_rows(rows: Any, text: str) -> bool:
        """Are ``rows`` what ``to_row`` writes for a text this long (a damaged or foreign
        cache entry is not: it is recognised again, not read)?"""
        if not isinstance(rows, list):
            return False
        for row in rows:
            if not isinstance(row, list) or not 3 <= len(row) <= 5:
                return False
            start, end, kind = row[:3]
            if type(start) is not int or type(end) is not int or kind not in ENTITY_TYPES:
                return False
            if not 0 <= start < end <= len(text) or (len(row) > 3 and type(row[3]) is not str):
                return False
        return True

    def to_dict(self) -> dict[str, Any]:
        """Plain dict for ``--json`` output (``shared`` only when true)."""
        result: dict[str, Any] = {
            "article_id": self.article_id,
            "start": self.start,
            "end": self.end,
            "text": self.text,
            "type": self.type,
            "name": self.name,
        }
        if self.shared:
            result["shared"] = True
        return result


@dataclass(frozen=True)
class Entity:
    """A canonical entity across the corpus, after alias resolution and user corrections."""

    id: str
    name: str
    type: str
    aliases: tuple[str, ...]
    mention_count: int
    article_ids: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """Plain dict for ``--json`` output."""
        return {
            "id": self.id,
            "name": self.name,
            "type": self.type,
            "aliases": list(self.aliases),
            "mention_count": self.mention_count,
            "articles": list(self.article_ids),
        }


@dataclass(frozen=True, slots=True)
class EntityForm:
    """A name as written (``text``) for an article-level ``name`` and type, with its mentions.

    Per article it is what the catalog stores; across the corpus (``article_ids`` filled in
    when asked) it is what entity resolution needs, without every mention's offsets. An index
    run holds one per name per article until it writes the catalog (about 20 an article):
    hence the slots, and the strings and tuples ``mention_forms`` shares.
    """

    text: str
    name: str
    type: str
    mentions: int
    article_ids: tuple[str, ...] = ()
    # the mentions in each of ``article_ids`` (same order), when known
    article_mentions: tuple[int, ...] = field(default=(), compare=False)
    # a name its articles use for two entities each (``EntityMention.shared``)
    shared: bool = False


def mention_forms(mentions: Sequence[EntityMention]) -> list[EntityForm]:
    """One form per distinct (text, name, type, shared) of the mentions, in first-use order."""
    per_article: dict[tuple[str, str, str, bool], dict[str, int]] = {}
    for m in mentions:
        used = per_article.setdefault((m.text, m.name, m.type, m.shared), {})
        used[m.article_id] = used.get(m.article_id, 0) + 1
    tuples: dict[tuple[Any, ...], tuple[Any, ...]] = {}  # equal tuples, one object

    def form(text: str, name: str, kind: str, shared: bool, used: dict[str, int]) -> EntityForm:
        ids, counts = tuple(used), tuple(used.values())
        return EntityForm(
            sys.intern(text),
            sys.intern(name),
            sys.intern(kind),
            sum(counts),
            tuples.setdefault(ids, ids),
            tuples.setdefault(counts, counts),
            shared,
        )

    # Names recur across a corpus: interned, each is one string however many articles use it.
    # 100,000 forms of 20 per article over 5,000 names: 152 bytes a form against 325.
    return [form(*key, used) for key, used in per_article.items()]
