"""Related passages for the reader, through ``briefreader.search.related`` when it exists.

The related-passages engine is developed separately; this adapter tolerates its absence and
small differences in the shape of its results (attribute names), so the reader never breaks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from briefreader.text.decode import strip_control


class RelatedUnavailable(Exception):
    """The related-passages engine is not installed or cannot answer."""


@dataclass(frozen=True)
class RelatedItem:
    """A related passage as the side panel shows it."""

    passage_id: str
    title: str
    excerpt: str
    why: str
    score: float = 0.0

    @property
    def article_id(self) -> str:
        return self.passage_id.rsplit(":p", 1)[0]


@dataclass(frozen=True)
class RelatedAnswer:
    """Related passages of one paragraph, and notes to show with them (figures, notices)."""

    items: list[RelatedItem]
    notes: tuple[str, ...] = ()


def find_related_items(library: Any, passage_id: str, limit: int = 8) -> RelatedAnswer:
    """Related passages of a passage, normalised for display.

    Raises:
        RelatedUnavailable: no engine (yet), or it failed.
    """
    try:
        from briefreader.search.related import find_related
    except ImportError as error:
        raise RelatedUnavailable("related passages are not available yet") from error
    try:
        found: Any = find_related(library, passage_id, limit=limit)
    except KeyError:
        return RelatedAnswer([])
    except Exception as error:
        raise RelatedUnavailable(f"related passages failed: {error}") from error
    raw_items = getattr(found, "items", found)
    items = [item for item in (_normalise(raw) for raw in raw_items) if item is not None]
    notes = [str(line) for line in getattr(found, "figures_lines", ()) or ()]
    if getattr(found, "loosely_related", False):
        notes.insert(0, "nothing closely related; loosely related:")
    if getattr(found, "notice", ""):
        notes.append(str(found.notice))
    return RelatedAnswer(items, tuple(strip_control(note) for note in notes))


def _normalise(raw: Any) -> RelatedItem | None:
    passage_id = _field(raw, "passage_id", "id")
    if not passage_id:
        return None
    excerpt = _field(raw, "excerpt", "snippet", "text")
    return RelatedItem(
        passage_id=passage_id,
        title=strip_control(_field(raw, "title") or passage_id),
        excerpt=strip_control(excerpt),
        why=strip_control(_field(raw, "why", "reason", "explanation")),
        score=float(getattr(raw, "score", 0.0) or 0.0),
    )


def _field(raw: Any, *names: str) -> str:
    for name in names:
        value = raw.get(name) if isinstance(raw, dict) else getattr(raw, name, None)
        if value is None:
            continue
        if hasattr(value, "text"):  # a Snippet
            value = value.text
        if isinstance(value, list | tuple):
            value = "; ".join(str(v) for v in value)
        return str(value)
    return ""
