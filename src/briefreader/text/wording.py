"""Wording shared by every message: counts with the noun in the right number."""

from __future__ import annotations

_IRREGULAR = {"entity": "entities", "match": "matches", "was": "were", "has": "have"}


def counted(count: int, noun: str, plural: str | None = None) -> str:
    """``count`` and ``noun`` in agreement: ``1 note``, ``0 notes``, ``2 entities``,
    ``200,000 hits`` (thousands separated, as ``grouped``).

    The plural is ``plural`` when given, else a known irregular one, else ``noun + "s"``;
    every count a message shows goes through here, so none says "1 notes".
    """
    if count == 1:
        return f"{count} {noun}"
    return f"{grouped(count)} {plural or _IRREGULAR.get(noun, noun + 's')}"


def grouped(number: int) -> str:
    """A number as messages show it, thousands separated: ``200,000`` (``hit 3 of 1,204``)."""
    return f"{number:,}"
