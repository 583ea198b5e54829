"""Line-level cleaning: which lines are site chrome, photo credits, datelines or captions.

The rules are general (shapes of lines) plus ``BOILERPLATE_PATTERNS``, a documented list of
regular expressions that users extend with ``[cleaning] boilerplate = [...]`` in
``briefreader.toml``. Each pattern must match a whole line (case-insensitive).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

try:  # the parser of Python's own re module (``sre_parse`` before 3.11)
    from re import _parser as _re_parser  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover
    import sre_parse as _re_parser

# Lines that are site chrome wherever they appear (whole-line, case-insensitive).
BOILERPLATE_PATTERNS: tuple[str, ...] = (
    r"short url",
    r"follow( us)?( on .{1,30})?",
    r"share( this( article| story)?)?( on .{1,30})?",
    r"(tweet|print|email|comment)s?",
    r"leave a (comment|reply)",
    r"your email address will not be published.*",
    r"required fields are marked.*",
    r"back to top",
    r"have comments\? learn more here\.?",
    r"click here for our full (information|coverage) on .*",
    r"submit your .{1,40} news\.?",
    r"sign up for .{1,60}newsletter.*",
    r"subscribe( now| to .{1,40})?",
    r"advertisement",
    r"read more:?",
    r"see what people are discussing",
    r"(skip|jump) to (main )?content",
)

# Lines after which the rest of the article is chrome: related links, promos, comments.
TAIL_MARKERS: tuple[str, ...] = (
    r"related (posts|articles|stories|coverage|content)",
    r"more from .{1,40}",
    r"popular",
    r"spotlight",
    r"most (read|popular|viewed)",
    r"recommended( for you)?",
    r"you (may|might) also like",
    r"comments",
    r"leave a (comment|reply)",
)

_MONTHS = (
    "jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|jun(?:e)?|jul(?:y)?|aug(?:ust)?"
    "|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?"
)
_DATE_FORMS = (
    rf"(?P<d1>\d{{1,2}})\s+(?P<m1>{_MONTHS})\.?,?\s+(?P<y1>\d{{4}})",
    rf"(?P<m2>{_MONTHS})\.?\s+(?P<d2>\d{{1,2}}),?\s+(?P<y2>\d{{4}})",
    r"(?P<y3>\d{4})-(?P<m3>\d{2})-(?P<d3>\d{2})",
)
DATE_RE = re.compile("|".join(f"(?:{form})" for form in _DATE_FORMS), re.IGNORECASE)
DATELINE_RE = re.compile(
    rf"^(?:updated|published|posted|last updated|first published)?:?\s*(?:on\s+)?"
    rf"(?:(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*,?\s+)?(?:{DATE_RE.pattern})"
    rf"(?:\s*(?:[,|·-]|at)?\s*\d{{1,2}}[:.]\d{{2}}\s*(?:[ap]\.?m\.?)?\s*(?:[A-Z]{{2,4}})?)?\s*$",
    re.IGNORECASE,
)
_CREDIT_WORDS = re.compile(
    r"\b(PRESS|AFP|REUTERS|GETTY|IMAGES|POOL|PHOTO|PHOTOS|AP|EPA|FILE|VIA|SHUTTERSTOCK|"
    r"BLOOMBERG|XINHUA|ANADOLU|CREDIT|COURTESY)\b"
)
_CAPTION_CREDIT = re.compile(
    r"\((?:[A-Z][A-Za-z.]*\s?/\s?)*(?:AFP|AP|Reuters|REUTERS|EPA|Getty"
    r"(?: Images)?|FILE|Xinhua|Anadolu)(?:\s?/\s?[A-Za-z. ]+)*\)\s*$"
)
_BULLET = re.compile(r"^\s*(?:[•·▪◦●■]|[-*])\s+(?=\S)")
_SOURCE_DATELINE = re.compile(
    r"^[A-Z][A-Z .,'’-]{1,40}\s*\((?P<source>AP|Reuters|AFP|UPI|Bloomberg|dpa|RFE/RL)\)\s*[—–:-]"
)
# A story's opening dateline: "BAGHDAD (AP) —", "BAGHDAD:", "KIRKUK, Iraq —".
_OPENING_DATELINE = re.compile(
    r"^[A-Z][A-Z.'’-]{2,}(?: [A-Z][A-Z.'’-]+){0,3}(?:, [A-Z][A-Za-z.]+)?"
    r"(?:\s*\([A-Za-z/]{2,10}\))?\s*(?:[—–]|\s-|:)\s+\S"
)
_KNOWN_SOURCES = {
    "AP": "AP",
    "REUTERS": "Reuters",
    "AFP": "AFP",
    "UPI": "UPI",
    "BLOOMBERG": "Bloomberg",
    "DPA": "dpa",
    "RFE/RL": "RFE/RL",
}
_SPACED_INITIALS = re.compile(r"\b([A-Z])\. ([A-Z])\.(?=[\s,;:)’'\"-]|$)")


MAX_PATTERN_CHARS = 300
MAX_BOILERPLATE_LINE = 1_000  # chrome is short: longer lines are never matched (bounds the work)


def pattern_risk(pattern: str) -> str:
    """Why a user pattern could take exponential time ("" if it cannot): a repeat inside a
    repeat (``(a+)+``, ``(x*y*)*``), a back-reference, or a pattern over 300 characters.

    Python's ``re`` has no timeout, so the budget is a rule on the pattern's shape, checked
    before any article is read; with lines cut at ``MAX_BOILERPLATE_LINE`` characters every
    accepted pattern runs in time polynomial in that bound.
    """
    if len(pattern) > MAX_PATTERN_CHARS:
        return f"longer than {MAX_PATTERN_CHARS} characters"
    return _shape_risk(_re_parser.parse(pattern), inside_repeat=False)


def _shape_risk(items: Any, inside_repeat: bool) -> str:
    for op, value in items:
        name = str(op)
        if name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            low, high, body = value
            if inside_repeat and high != low:
                return "a repeat inside a repeat can take exponential time (such as (a+)+)"
            risk = _shape_risk(body, inside_repeat or high > 1)
        elif name in ("GROUPREF", "GROUPREF_EXISTS"):
            return "back-references are not accepted"
        elif name == "SUBPATTERN":
            risk = _shape_risk(value[-1], inside_repeat)
        elif name == "BRANCH":
            risk = next((r for b in value[1] if (r := _shape_risk(b, inside_repeat))), "")
        elif name in ("ASSERT", "ASSERT_NOT"):
            risk = _shape_risk(value[1], inside_repeat)
        else:
            continue
        if risk:
            return risk
    return ""


@dataclass(frozen=True)
class LineRules:
    """Compiled cleaning rules: built-in patterns plus the user's extra patterns."""

    boilerplate: re.Pattern[str]
    tail: re.Pattern[str]

    def is_boilerplate(self, line: str) -> bool:
        """True for a line of site chrome (share buttons, comment forms…)."""
        stripped = line.strip()
        return len(stripped) <= MAX_BOILERPLATE_LINE and bool(self.boilerplate.fullmatch(stripped))

    def is_tail_marker(self, line: str) -> bool:
        """True for a line after which the rest of the article is chrome."""
        return bool(self.tail.fullmatch(line.strip().rstrip(":")))


def compile_rules(extra_patterns: Iterable[str] = ()) -> LineRules:
    """Compile the boilerplate rules, adding the user's patterns (invalid ones raise ValueError)."""
    patterns = list(BOILERPLATE_PATTERNS)
    for pattern in extra_patterns:
        try:
            re.compile(pattern)
        except re.error as error:
            raise ValueError(f"invalid boilerplate pattern {pattern!r}: {error}") from error
        problem = pattern_risk(pattern)
        if problem:
            raise ValueError(f"boilerplate pattern {pattern[:60]!r} refused: {problem}")
        patterns.append(pattern)
    return LineRules(
        boilerplate=re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE),
        tail=re.compile("|".join(f"(?:{p})" for p in TAIL_MARKERS), re.IGNORECASE),
    )


def is_photo_credit(line: str) -> bool:
    """True for a photo credit line: capitals with an agency word or a slash ("X/POOL VIA AP")."""
    stripped = line.strip()
    if len(stripped) > 80 or any(c.islower() for c in stripped):  # checked first: cheapest
        return False
    if not any(c.isalpha() for c in stripped):
        return False
    return bool(_CREDIT_WORDS.search(stripped)) or "/" in stripped


def is_caption(line: str) -> bool:
    """True for a photo caption ending in an agency credit such as ``(FILE/AFP)``."""
    return bool(_CAPTION_CREDIT.search(line.strip()))


def parse_dateline(line: str) -> str | None:
    """Return an ISO date if the whole line is a dateline ("Updated 29 July 2025")."""
    if not DATELINE_RE.match(line.strip()):
        return None
    return find_date(line)


def find_date(text: str) -> str | None:
    """Return the first full date (day, month, year) in the text as ``YYYY-MM-DD``."""
    match = DATE_RE.search(text)
    if match is None:
        return None
    groups = match.groupdict()
    year = groups["y1"] or groups["y2"] or groups["y3"]
    month_text = groups["m1"] or groups["m2"] or groups["m3"]
    day = groups["d1"] or groups["d2"] or groups["d3"]
    month = int(month_text) if month_text.isdigit() else _month_number(month_text)
    try:  # a calendar date: "31 Feb 2024" is no date at all
        return dt.date(int(year), month, int(day)).isoformat()
    except ValueError:
        return None


_MONTH_PREFIXES = (
    "jan",
    "feb",
    "mar",
    "apr",
    "may",
    "jun",
    "jul",
    "aug",
    "sep",
    "oct",
    "nov",
    "dec",
)


def _month_number(name: str) -> int:
    return _MONTH_PREFIXES.index(name[:3].lower()) + 1


def bullet_text(line: str) -> str | None:
    """Return the text of a bullet line (``  • text``), or None."""
    match = _BULLET.match(line)
    return line[match.end() :].strip() if match else None


def opens_with_dateline(paragraph: str) -> bool:
    """True for a paragraph opening a story with a dateline ("BAGHDAD (AP) — …", "BAGHDAD: …")."""
    return bool(_OPENING_DATELINE.match(paragraph.strip()))


def dateline_source(paragraph: str) -> str | None:
    """Return the agency named in a dateline (``BAGHDAD (AP) — …`` → ``AP``)."""
    match = _SOURCE_DATELINE.match(paragraph)
    if match is None:
        return None
    return _KNOWN_SOURCES.get(match.group("source").upper(), match.group("source"))


def join_spaced_initials(line: str) -> str:
    """Join initials split by a space (``U. S.`` → ``U.S.``) so they read and index as one."""
    return _SPACED_INITIALS.sub(r"\1.\2.", line)
