"""Clean-up around the recogniser: mask what must not become an entity, trim and drop spans.

Masking replaces characters one for one, so offsets into the masked text are offsets into
the article's text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from briefreader.text.entities.gazetteer import (
    groups,
    org_words,
    places,
    stoplist,
    title_pattern,
    titles,
)
from briefreader.text.entities.keys import canonical_alias, name_key
from briefreader.text.entities.model import DATE, GROUP, LAW, ORG, PERSON, PLACE, RawSpan
from briefreader.text.entities.tables import name_lookup

FOOTNOTE_MARKER = re.compile(r"\[(?:[ivxlcdm]{1,8}|\d{1,3}|[a-z])\]", re.IGNORECASE)
URL = re.compile(
    r"(?:https?://|www\.)\S+|\b[\w-]+(?:\.[\w-]+)*\.(?:com|org|net|gov|edu|int|io|info)\b\S*",
    re.IGNORECASE,
)
_QUOTES = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "ʼ": "'"})
_LEADING = " \t\"'“”‘’([{-–—,;:*•·|"
_TRAILING = " \t\"'“”‘’)]},;:!?-–—*•·|"
_KEEP_DOT = re.compile(r"(?:\b[A-Z]\.|\b(?:Inc|Co|Corp|Ltd|Jr|Sr|St|Bros)\.)$")
_INITIALS = re.compile(r"^(?:[A-Z]\.[\s-]*){1,4}$|^[A-Z]$")
_JUNK_CHARS = re.compile(r"[\[\]{}<>()|@/\\=#]|https?|www\.|\.com\b", re.IGNORECASE)
_MONTH = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|"
    r"Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?"
)
_ORDINAL = r"\d{1,2}(?:st|nd|rd|th)?"
_YEAR = r"(?:1[5-9]|20)\d\d"
DATE_CORE = re.compile(
    rf"\b{_ORDINAL}\s+{_MONTH}(?:,?\s+{_YEAR})?(?!\w)"
    rf"|\b{_MONTH}(?:\s+{_ORDINAL}(?:,\s*{_YEAR})?|,?\s+{_YEAR})?(?!\w)"
    rf"|\b{_YEAR}s?\b"
)
_HONORIFIC = re.compile(r"^(?:Mr|Mrs|Ms|Miss|Dr|Sir|Dame|Lord|Lady)\.?\s+(?=[A-Z])")
_CALENDAR = re.compile(rf"\b{_MONTH}(?!\w)|\b(?:1[5-9]|20)\d\ds?\b|\b\d{{4}}s\b")
_POSSESSIVE = re.compile(r"(?:['’]s|(?<=s)['’])$")
_PREFIXES = frozenset({"pro", "anti", "non", "ex", "pre", "post", "neo"})
LAW_WORDS = frozenset(
    {"Act", "Agreement", "Accord", "Accords", "Treaty", "Convention", "Resolution"}
    | {"Charter", "Protocol", "Law", "Amendment", "Bill"}
)
_LEADING_THE = re.compile(r"^(?:the|The|THE)\s+")
_DATE_MODIFIER = re.compile(
    r"^(?:(?:this|This|the|The)\s+)?(?:(?:early|late|mid|past|last|next|pre|post|Early|Late)"
    r"[\s-]+)+|^(?:the\s+)?(?:end|beginning|start|middle|spring|summer|autumn|fall|winter)\s+of\s+"
)
_TRAILING_LOWER = re.compile(r"(?:\s+[a-z][a-z’'-]*)+$")


def mask_text(text: str) -> str:
    """Text for the recogniser: footnote markers and URLs blanked, curly quotes straightened,
    lines in capitals written in title case (the model misses names in "BELGRADE 1996-08-30"
    or a results table's "NEW YORK 74 62"), always one character for one."""
    if any(quote in text for quote in _CURLY):
        text = text.translate(_QUOTES)
    masked = _CAPS_LINE.sub(_soften_line, text)
    for pattern in (FOOTNOTE_MARKER, URL):
        if pattern is not URL or _MAYBE_URL.search(masked):  # URL is slow to run everywhere
            masked = pattern.sub(lambda m: " " * len(m.group()), masked)
    return masked


_CURLY = "’‘“”ʼ"
_MAYBE_URL = re.compile(r"https?://|www\.|\.(?:com|org|net|gov|edu|int|io|info)\b", re.I)


_CAPS_LINE = re.compile(r"^[^\n\S]*[^a-z\n]*[A-Z][^a-z\n]*$", re.MULTILINE)
_CAPS_WORD = re.compile(r"[^\W\d_]{2,}")


def _soften_line(match: re.Match[str]) -> str:
    """A line in capitals in title case, word by word, each word keeping its length."""
    line = match.group()
    if sum(ch.isalpha() for ch in line) < 3:
        return line
    return _CAPS_WORD.sub(_title_word, line)


def _title_word(match: re.Match[str]) -> str:
    word = match.group()
    softened = word[0] + word[1:].lower()
    return softened if len(softened) == len(word) else word


def clean_spans(masked: str, spans: Iterable[RawSpan]) -> list[RawSpan]:
    """Trim, split and retype recognised spans, dropping junk; ``masked`` is ``mask_text``."""
    result = []
    for span in spans:
        start, end = _first_line(masked, span.start, span.end)
        kind = PERSON if _HONORIFIC.match(masked[start:end]) else span.type
        start, end = _trim(masked, start, end, kind)
        for piece in _pieces(masked, RawSpan(start, end, kind)):
            surface = masked[piece.start : piece.end]
            keep = piece.start < piece.end and not is_junk(surface, piece.type)
            if keep and not inside_title(masked, piece.start, piece.end):
                result.append(RawSpan(piece.start, piece.end, retype_known(surface, piece.type)))
    return result


def _pieces(text: str, span: RawSpan) -> list[RawSpan]:
    """A date span cut down to its calendar parts ("Between 1997 and 2002" → two); other
    spans split at list commas and "v"/"at" ("Surrey v Kent"), cut of trailing scores, then
    split at the hyphens of known compounds."""
    if span.type != DATE:
        return [
            piece
            for part in split_list(text, span)
            for piece in split_compound(text, cut_score(text, part))
        ]
    return [
        RawSpan(span.start + m.start(), span.start + m.end(), DATE)
        for m in DATE_CORE.finditer(text[span.start : span.end])
    ]


def clean_span(masked: str, span: RawSpan) -> RawSpan | None:
    """One span through ``clean_spans`` (the first piece if it was split)."""
    pieces = clean_spans(masked, [span])
    return pieces[0] if pieces else None


_LIST_SEPARATOR = re.compile(r",\s+|\s+(?:at|v|vs\.?|versus)\s+")
_TRAILING_SCORE = re.compile(r"(?:\s+\d+(?:[-/]\d+)?)+$")
_NUMBER = re.compile(r"(?<![\w.])\d+(?:[-/.]\d+)?(?![\w])")


def split_list(text: str, span: RawSpan) -> list[RawSpan]:
    """Pieces of a span that lists names ("Dell, Samsung", "Yorkshire at Headingley")."""
    surface = text[span.start : span.end]
    if not _LIST_SEPARATOR.search(surface):
        return [span]
    pieces, start = [], span.start
    for match in _LIST_SEPARATOR.finditer(surface):
        pieces.append(RawSpan(start, span.start + match.start(), span.type))
        start = span.start + match.end()
    return [*pieces, RawSpan(start, span.end, span.type)]


def cut_score(text: str, span: RawSpan) -> RawSpan:
    """A span without the score or table figures after the name ("Surrey 429-7", "Lotte 5"
    in a results line); a number that is part of a name ("Radio 4") stays."""
    match = _TRAILING_SCORE.search(text[span.start : span.end])
    if match is None or match.start() == 0:
        return span
    line_start = text.rfind("\n", 0, span.start) + 1
    line_end = text.find("\n", span.end)
    line = text[line_start : line_end if line_end >= 0 else len(text)]
    if "-" in match.group() or "/" in match.group() or len(_NUMBER.findall(line)) >= 3:
        return RawSpan(span.start, span.start + match.start(), span.type)
    return span


_HYPHEN_PART = re.compile(r"[^-]+")
_LINE = re.compile(r"[^\n]+")
_SHORT_ACRONYM = re.compile(r"[A-Z]{2,6}")


def split_compound(text: str, span: RawSpan) -> list[RawSpan]:
    """Split hyphenated compounds of known names ("Turkish-Iranian", "pro-Iran") at hyphens."""
    surface = text[span.start : span.end]
    if span.type == DATE or "-" not in surface or " " in surface:
        return [span]
    parts = list(_HYPHEN_PART.finditer(surface))
    known = [(m, _known_type(m.group())) for m in parts]
    if all(kind for _, kind in known):
        return [RawSpan(span.start + m.start(), span.start + m.end(), k) for m, k in known if k]
    if parts[0].group() in _PREFIXES and len(parts) == 2 and known[1][1]:
        match, kind = known[1]
        return [RawSpan(span.start + match.start(), span.start + match.end(), kind or span.type)]
    return [span]


def _known_type(surface: str) -> str | None:
    """Type of a name in the shipped tables (alias table, places, groups), else None."""
    known = canonical_alias(surface)
    if known is not None and (len(surface) > 2 or surface.isupper()):
        return known[1]
    if surface in places():
        return PLACE
    if surface in groups():
        return GROUP
    return None


def _first_line(text: str, start: int, end: int) -> tuple[int, int]:
    """Cut a span that runs across a line break down to its first non-empty line."""
    if text.find("\n", start, end) < 0:  # the common case, without a regular expression
        return (start, end) if text[start:end].strip() else (start, start)
    for piece in _LINE.finditer(text[start:end]):
        if piece.group().strip():
            return start + piece.start(), start + piece.end()
    return start, start


def _trim(text: str, start: int, end: int, kind: str) -> tuple[int, int]:
    """Strip edge punctuation, a leading "the", a trailing possessive and leading titles."""
    cut_start, cut_end = _trim_surface(text[start:end], kind)
    return start + cut_start, end - cut_end


@lru_cache(maxsize=100_000)
def _trim_surface(text: str, kind: str) -> tuple[int, int]:
    """How many characters ``_trim`` cuts off each end of a span: it reads the span only, so
    this is asked once per spelling and type."""
    start, end = 0, len(text)
    previous = (-1, -1)
    while (start, end) != previous and start < end:
        previous = (start, end)
        surface = text[start:end]
        start += len(surface) - len(surface.lstrip(_LEADING))
        end -= len(surface) - len(surface.rstrip(_TRAILING))
        surface = text[start:end]
        if match := _POSSESSIVE.search(surface):
            end -= len(match.group())
        if match := _LEADING_THE.match(text[start:end]):
            start += match.end()
        if kind == PERSON:
            start += _title_length(text[start:end])
        if kind == DATE and (match := _DATE_MODIFIER.match(text[start:end])):
            start += match.end()
        if kind != DATE and (match := _TRAILING_LOWER.search(text[start:end])):
            end -= len(match.group())
        if text[start:end].endswith(".") and not _KEEP_DOT.search(text[start:end]):
            end -= 1
    return start, len(text) - end


def _title_length(surface: str) -> int:
    """Length of the honorifics/titles at the front of a person span (0 if none)."""
    match = _leading_titles().match(surface)
    return match.end() if match else 0


@lru_cache(maxsize=1)
def _leading_titles() -> re.Pattern[str]:
    return re.compile(rf"(?:{title_pattern()}\s+(?=[A-Z]))+")


@name_lookup(maxsize=100_000)
def is_junk(surface: str, kind: str) -> bool:
    """Whether a trimmed span is not worth keeping (debris, initials, relative dates…)."""
    if not any(ch.isalnum() for ch in surface) or _JUNK_CHARS.search(surface):
        return True
    if name_key(surface) in stoplist() or len(surface.split()) > 8:
        return True
    if _HEADLINE_DASH.search(surface) or _abbreviation_run(surface):
        return True
    if kind == DATE:
        return not _CALENDAR.search(surface)
    if not any(ch.isupper() for ch in surface):
        return True
    if _INITIALS.match(surface) and canonical_alias(surface) is None:
        return True
    return bool(kind == PERSON and (any(ch.isdigit() for ch in surface) or _only_titles(surface)))


_HEADLINE_DASH = re.compile(r"\s[-–—]\s")


def _abbreviation_run(surface: str) -> bool:
    """Table headers read as a name: three or more words of at most three letters
    ("W L PCT GB", "W L T GF GA")."""
    words = surface.split()
    return len(words) >= 3 and all(len(word) <= 3 for word in words)


def _only_titles(surface: str) -> bool:
    """Whether a person span is nothing but titles ("Prime Minister")."""
    return re.fullmatch(title_pattern(), surface.strip()) is not None


def inside_title(text: str, start: int, end: int) -> bool:
    """Whether the span is part of a title ("State" in "Secretary of State")."""
    surface = text[start:end]
    for title in _titles_with_word().get(surface.split(" ", 1)[0], ()):
        offset = title.find(surface)
        if offset < 0 or (offset > 0 and title[offset - 1] != " "):
            continue
        if offset == 0 and len(surface) == len(title):
            continue
        if text[start - offset : start - offset + len(title)] == title:
            return True
    return False


@lru_cache(maxsize=1)
def _titles_with_word() -> dict[str, tuple[str, ...]]:
    """Titles by each of their words: the few a span's first word can be part of."""
    found: dict[str, list[str]] = {}
    for title in titles():
        for word in set(title.split()):
            found.setdefault(word, []).append(title)
    return {word: tuple(group) for word, group in found.items()}


@name_lookup(maxsize=100_000)
def retype_known(surface: str, kind: str) -> str:
    """Correct the type of names the shipped tables know (``Kataib Hezbollah`` is an ORG)."""
    known = canonical_alias(surface)
    if known is not None and kind != DATE:
        return known[1]
    if kind == ORG and surface in places():
        return PLACE
    if kind == PLACE and _SHORT_ACRONYM.fullmatch(surface) and surface.title() not in places():
        return ORG  # an unknown acronym is far more often an organisation than a place
    last = surface.split()[-1]
    if last in LAW_WORDS:
        return LAW
    if kind == PERSON and last in org_words():
        return ORG
    return kind


def heading_debris(text: str, span: RawSpan, headings: list[tuple[int, int]]) -> bool:
    """Whether a span in a heading is the heading itself or a title-case phrase seen nowhere else.

    Headings are title case, which the model over-reads as names ("Complicated Influence").
    """
    for h_start, h_end in headings:
        if span.start >= h_start and span.end <= h_end:
            if (span.end - span.start) >= 0.8 * (h_end - h_start):
                return True
            surface = text[span.start : span.end]
            if span.type in (DATE, PLACE, GROUP) or _known_type(surface):
                return False
            body = text[:h_start] + text[h_end:]
            return not re.search(rf"\b{re.escape(surface)}\b", body)
    return False
