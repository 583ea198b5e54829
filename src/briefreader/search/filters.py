"""Facet filters in query text: find them (the chips), add one, remove one.

Plain string functions (no index, no models), so the reader's search bar can use them at once.
"""

from __future__ import annotations

import re

FILTER_FIELDS = ("source", "entity", "person", "org", "place", "group", "date", "tag")
_FILTER_RE = re.compile(
    r'(?<![\w"])(?:' + "|".join(FILTER_FIELDS) + r')(?::"[^"]*"|:[^\s()"]+)', re.IGNORECASE
)


def filters_in(text: str) -> list[str]:
    """The facet filters written in a query (``source:"…"``, ``date:…``, …), in order:
    the chips the reader shows."""
    return [m.group(0) for m in _FILTER_RE.finditer(text) if not _in_phrase(text, m.start())]


def add_filter(text: str, facet_filter: str) -> str:
    """The query narrowed by a filter (kept once). A query with a top-level OR is put in
    parentheses first, so the filter narrows all of it."""
    text = " ".join(text.split())
    if facet_filter.casefold() in (f.casefold() for f in filters_in(text)):
        return text
    if not text:
        return facet_filter
    if _has_top_level_or(text):
        text = f"({text})"
    return f"{text} {facet_filter}"


def remove_filter(text: str, facet_filter: str) -> str:
    """The query without one filter (the chip removed); the rest is left as typed."""
    for match in _FILTER_RE.finditer(text):
        if match.group(0).casefold() == facet_filter.casefold() and not _in_phrase(
            text, match.start()
        ):
            text = text[: match.start()] + text[match.end() :]
            break
    text = " ".join(text.split())
    if text.startswith("(") and text.endswith(")") and _balanced(text[1:-1]):
        return text[1:-1].strip()  # the parentheses add_filter put around a lone OR query
    return text


def _in_phrase(text: str, position: int) -> bool:
    return text.count('"', 0, position) % 2 == 1


def _has_top_level_or(text: str) -> bool:
    depth = 0
    for index, word in enumerate(_words_outside_phrases(text)):
        depth += word.count("(") - word.count(")")
        if word == "OR" and depth == 0 and index:
            return True
    return False


def _words_outside_phrases(text: str) -> list[str]:
    parts = text.split('"')
    return [w for i, part in enumerate(parts) if i % 2 == 0 for w in part.split()]


def _balanced(text: str) -> bool:
    depth = 0
    for char in "".join(_words_outside_phrases(text)):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth < 0:
            return False
    return depth == 0
