"""Related passages for the reader: the ranking's own typed result (``search.related``), made
ready for display (control characters out) in the worker that asked for it.

``search.related`` is imported when first asked for, so the reader paints before Whoosh loads.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from briefreader.text.decode import strip_control

if TYPE_CHECKING:
    from briefreader.search.backend import SearchBackend
    from briefreader.search.related import RelatedItem, RelatedResult


@dataclass(frozen=True)
class RelatedAnswer:
    """Related passages of one paragraph (the ranking's ``RelatedItem``s, cleaned for display)
    and the lines to show with them (figures side by side, a notice)."""

    items: list[RelatedItem]
    notes: tuple[str, ...] = ()


def find_related_items(library: SearchBackend, passage_id: str, limit: int = 8) -> RelatedAnswer:
    """Related passages of a passage, ready for the side panel (none for an unknown id).

    Raises:
        IndexUnavailable, OSError: the index was replaced or damaged under the reader.
    """
    from briefreader.search.related import UnknownPassage, find_related

    try:
        result = find_related(library, passage_id, limit=limit)
    except UnknownPassage:
        return RelatedAnswer([])
    return RelatedAnswer([_displayed(item) for item in result.items], related_notes(result))


def related_notes(result: RelatedResult) -> tuple[str, ...]:
    """The lines shown above the related passages: figures side by side, then any notice."""
    loose = ["nothing closely related; loosely related:"] if result.loosely_related else []
    lines = [*loose, *result.figures_lines, *([result.notice] if result.notice else [])]
    return tuple(strip_control(line) for line in lines)


def _displayed(item: RelatedItem) -> RelatedItem:
    """An item with its article text, title and reason as plain printable text."""
    return replace(
        item,
        title=strip_control(item.title or item.passage_id),
        text=strip_control(item.text),
        why=strip_control(item.why),
    )
