"""Sides named by the shape of a sports table: standings rows and results lines.

A match report's tables name clubs with no words around them ("Stoke 4 3 1 0 7 4 10",
"Bury 4 Bristol City 0", "Postponed: Walsall v Wrexham"), and the model, which reads
sentences, finds almost none of them. The shape of the line is the evidence: a name followed
only by three or more small whole numbers is a standings row, two names each followed by one
score are a result, two names joined by "v" a fixture. No team is named here.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

_NAME = (
    r"[A-Z][\w'’.&-]*(?:[ \t]+(?:of[ \t]+|de[ \t]+)?[A-Z][\w'’.&-]*){0,3}(?:[ \t]+\([A-Z]{1,3}\))?"
)
# Three or more small whole numbers ("Stoke 4 3 1 0 7 4 10"), or won, lost, a winning share
# and the games behind ("MONTREAL 71 61 .538 12 1/2", "NEW YORK 74 59 .556 -").
_STANDING = re.compile(
    rf"^[ \t]*({_NAME})(?:(?:[ \t]+\d{{1,3}}){{3,}}|(?:[ \t]+\d{{1,3}}){{2}}[ \t]+\.\d{{3}}"
    r"(?:[ \t]+(?:-|\d{1,2}(?:[ \t]+1/2)?|1/2))?)[ \t]*$",
    re.MULTILINE,
)
# "Atlanta 6 CHICAGO 5 (2nd game)", "MILWAUKEE 5 Minnesota 4 (in 12)": a short note may follow
_RESULT = re.compile(
    rf"^[ \t]*({_NAME})[ \t]+\d{{1,2}}[ \t]+({_NAME})[ \t]+\d{{1,2}}"
    r"(?:[ \t]+\([^()\n]{1,20}\))?[ \t]*$",
    re.MULTILINE,
)
# A line that is a name alone ("CENTRAL DIVISION" heading a table section)
_NAME_LINE = re.compile(rf"^[ \t]*({_NAME})[ \t]*$", re.MULTILINE)
_FIXTURE = re.compile(
    rf"(?:^|[:,][ \t]*)({_NAME})[ \t]+v[ \t]+({_NAME})(?=[ \t]*(?:,|$))", re.MULTILINE
)

_RANKED = re.compile(rf"^[ \t]*\d{{1,3}}\.?[ \t]+({_NAME})[ \t]+\([A-Z][^()\n]*\)", re.MULTILINE)

# A share of the rows at or above this naming people makes the table one of people (a golf
# leaderboard), whose unrecognised rows are then left alone.
PEOPLE_TABLE_SHARE = 0.3


def table_sides(text: str) -> list[tuple[int, int]]:
    """Spans of the names heading standings rows, in result lines and in fixtures."""
    spans = []
    for match in _table_matches(text):
        for group in range(1, (match.lastindex or 0) + 1):
            spans.append((match.start(group), match.end(group)))
    return sorted(set(spans))


def _table_matches(text: str) -> Iterator[re.Match[str]]:
    if not any(ch.isdigit() for ch in text) and " v " not in text:
        return
    yield from _STANDING.finditer(text)
    yield from _RESULT.finditer(text)
    if " v " in text:
        yield from _FIXTURE.finditer(text)


def ranked_entries(text: str) -> list[tuple[int, int]]:
    """Spans of the names in ranked result lines: "2. Ludmila Engquist (Sweden) 12.74"."""
    if "(" not in text:
        return []
    return [(m.start(1), m.end(1)) for m in _RANKED.finditer(text)]


def count_table_lines(text: str) -> int:
    """How many lines of the text are standings rows or results (evidence of a sports report)."""
    return sum(1 for _ in _STANDING.finditer(text)) + sum(1 for _ in _RESULT.finditer(text))


def shared_names(text: str) -> set[str]:
    """Names (lower case) that stand for two sides or sections in one article's tables: a
    name heading two standings rows ("NEW YORK 74 59 .556 -" in one league's table and in the
    other's), a side of result lines against two different opponents, a section heading
    repeated (two leagues' "CENTRAL DIVISION"). Such a name is ambiguous in its article."""
    rows: dict[str, int] = {}
    for match in _STANDING.finditer(text):
        name = match.group(1).lower()
        rows[name] = rows.get(name, 0) + 1
    shared = {name for name, count in rows.items() if count > 1}
    opponents: dict[str, set[str]] = {}
    for match in _RESULT.finditer(text):
        first, second = match.group(1).lower(), match.group(2).lower()
        opponents.setdefault(first, set()).add(second)
        opponents.setdefault(second, set()).add(first)
    shared.update(name for name, others in opponents.items() if len(others) > 1)
    if not rows:
        return shared  # section headings are those of standings tables
    headings: dict[str, int] = {}
    for match in _NAME_LINE.finditer(text):
        name = match.group(1).lower()
        headings[name] = headings.get(name, 0) + 1
    shared.update(name for name, count in headings.items() if count > 1)
    return shared
