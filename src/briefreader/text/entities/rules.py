"""The fallback recogniser: capitalised phrases classified by titles, word lists and shape.

It needs no model: a person follows a title ("Gen. Qassim Suleimani") or is a short run of
unknown capitalised words; an organisation ends in an organisation word ("… Party") or is an
acronym; places and groups come from the shipped lists; dates from patterns.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from functools import lru_cache

from briefreader.text.entities.evidence import context_cue, is_match_report
from briefreader.text.entities.gazetteer import (
    countries,
    groups,
    org_words,
    place_words,
    places,
    title_pattern,
    titles,
)
from briefreader.text.entities.keys import canonical_alias
from briefreader.text.entities.model import DATE, EVENT, GROUP, ORG, PERSON, PLACE, RawSpan
from briefreader.text.entities.tables import name_lookup

_WORD = r"(?:(?:[A-Z]\.){2,}|(?:[Aa]l-|[Ee]l-)?[A-Z][\w'’]*(?:-[A-Z][\w'’]*)*)(?![\w-])"
_CONNECT = r"(?:of|the|and|for|al|el|bin|ibn|de|la|du|van|von|der)"
PHRASE = re.compile(rf"(?<![\w'’.-]){_WORD}(?:[ \t]+(?:{_CONNECT}[ \t]+)*{_WORD})*")
_MONTH = (
    r"(?:January|February|March|April|May|June|July|August|September|October|November|"
    r"December|Jan\.|Feb\.|Mar\.|Apr\.|Aug\.|Sept?\.|Oct\.|Nov\.|Dec\.)"
)
# Every date starts with a digit or a month's capital: the lookahead lets the engine skip
# every other position at once (the alternation with its lookbehinds was a third of the
# rules recogniser's time).
DATE_PATTERN = re.compile(
    rf"(?=[0-9JFMASOND])(?:\b\d{{1,2}}\s+{_MONTH}(?:,?\s+\d{{4}})?(?!\w)"
    rf"|{_MONTH}\s+\d{{1,2}}(?:,\s*\d{{4}})?\b"
    rf"|{_MONTH}\s+\d{{4}}\b"
    rf"|(?:(?<=\bin )|(?<=\bIn )|(?<=\bby )|(?<=\bof )|(?<=since )|(?<=until )|(?<=from )"
    rf"|(?<=early )|(?<=late )){_MONTH}(?!\w)"
    r"|\b(?:19|20)\d\ds?\b(?![\d,]))"
)
_STARTERS = frozenset(
    [
        "The",
        "A",
        "An",
        "In",
        "On",
        "At",
        "By",
        "To",
        "Of",
        "But",
        "And",
        "Or",
        "As",
        "After",
        "Before",
        "Since",
        "When",
        "While",
        "For",
        "This",
        "That",
        "These",
        "Those",
        "It",
        "Its",
        "He",
        "She",
        "His",
        "Her",
        "They",
        "Their",
        "We",
        "Our",
        "Now",
        "Over",
        "Despite",
        "During",
        "Meanwhile",
        "If",
        "Yet",
        "So",
        "Then",
        "There",
        "Here",
        "Even",
        "Although",
        "Though",
        "Both",
        "Many",
        "Some",
        "Most",
        "Such",
        "Under",
        "Last",
        "Next",
        "Every",
        "Each",
        "Following",
        "According",
        "Why",
        "How",
        "What",
        "Who",
        "Unlike",
        "Like",
        "Among",
        "Amid",
        "Without",
        "Within",
        "Beyond",
        "Because",
        "Instead",
        "Across",
        "Against",
        "Through",
        "Inside",
        "Outside",
        "Whether",
        "Unless",
        "Once",
        "With",
        "From",
        "Into",
        "Upon",
    ]
)


class RuleRecogniser:
    """Recogniser without a model; see the module docstring."""

    id = "rules/1"
    description = "rules + gazetteers (no model)"

    def recognise_many(self, texts: Iterable[str]) -> Iterator[list[RawSpan]]:
        """Spans for each text, in order."""
        for text in texts:
            yield recognise_text(text)


@lru_cache(maxsize=4)
def date_spans(text: str) -> tuple[tuple[int, int], ...]:
    """Where ``DATE_PATTERN`` matches, remembered for the last few texts: the recogniser and
    the clean-up (``consistency.add_calendar_dates``) both look for the dates of an article."""
    return tuple(match.span() for match in DATE_PATTERN.finditer(text))


def recognise_text(text: str) -> list[RawSpan]:
    """Rule-based spans for one (masked) text."""
    spans = [RawSpan(start, end, DATE) for start, end in date_spans(text)]
    dated = bytearray(len(text))  # 1 where a date is: overlap checks in constant time
    for span in spans:
        dated[span.start : span.end] = b"\x01" * (span.end - span.start)
    line_end, shouted = -1, False  # the current line, and whether it is a shouted one
    lone_words = []
    for match in PHRASE.finditer(text):
        start, end = match.span()
        phrase = match.group()
        if phrase in _STARTERS and at_sentence_start(text, [(start, end)]):
            continue  # a word that opens sentences, at the start of one: a fifth of phrases
        if dated.find(1, start, end) >= 0:
            continue
        if start > line_end:  # phrases come in order: each line is looked at once
            line_end = text.find("\n", start)
            line_end = line_end if line_end >= 0 else len(text)
            shouted = in_caps_line(text, start)
        if shouted:
            continue
        found = _classify_phrase(text, start, end)
        spans.extend(found)
        if not found and " " not in phrase:
            lone_words.append((start, end))
    sporty = is_match_report(text)
    for start, end in lone_words:
        kind = _cued_word_type(text, start, end, sporty)
        if kind is not None:
            spans.append(RawSpan(start, end, kind))
    return sorted(spans, key=lambda s: s.start)


_SAYS = frozenset({"said", "says", "told", "added", "wrote", "insisted"})
_AT_PLACE = frozenset({"in", "near", "outside"})


def _cued_word_type(text: str, start: int, end: int, sporty: bool) -> str | None:
    """The type of an unknown capitalised word inside a sentence when the words around it
    say (\"Smith said\", \"in Arbil\", a side in a match report), else None (dropped)."""
    if end - start < 3 or text[start:end].isupper() or text[start:end] in _STARTERS:
        return None
    cue = context_cue(text, start, end, sporty)
    if cue == "TEAM":  # also at the start of a line: a results table's rows
        return PLACE if text[start:end].title() in countries() else ORG
    if at_sentence_start(text, [(start, end)]):
        return None
    if cue in (PERSON, PLACE):  # "Parliamentary party": an adjective, not an organisation
        return cue
    before = text[max(0, start - 12) : start].split()
    after = text[end : end + 12].split()
    if after and after[0].strip(",.") in _SAYS:
        return PERSON
    if before and before[-1] in _AT_PLACE:
        return PLACE
    return None


def in_caps_line(text: str, position: int) -> bool:
    """Whether the phrase sits in a shouted line: all capitals (a heading or credit), or
    every word capitalised (such a line as ``mask_text`` gives it to the recogniser)."""
    line_start = text.rfind("\n", 0, position) + 1
    line_end = text.find("\n", position)
    line = text[line_start : line_end if line_end >= 0 else len(text)]
    upper, lower = _letter_cases(line)
    if upper + lower <= 12:
        return False
    if upper > 0.8 * (upper + lower):
        return True
    if line.isascii() and _ASCII_LOWER_WORD.search(line):
        return False  # a word in lower case: most lines, told without listing the words
    words = _LETTER_WORD.findall(line)
    return len(words) >= 3 and all(word[0].isupper() for word in words)


_LETTER_WORD = re.compile(r"[^\W\d_]{2,}")
_ASCII_LOWER_WORD = re.compile(r"(?<![A-Za-z])[a-z][A-Za-z]")
_ASCII_UPPER = bytes(range(ord("A"), ord("Z") + 1))
_ASCII_LOWER = bytes(range(ord("a"), ord("z") + 1))


def _letter_cases(line: str) -> tuple[int, int]:
    """How many upper-case and lower-case letters a line has (in C for ASCII lines: this
    runs on every line with a capitalised word)."""
    if line.isascii():
        data = line.encode("ascii")
        upper = len(data) - len(data.translate(None, _ASCII_UPPER))
        return upper, len(data) - len(data.translate(None, _ASCII_LOWER))
    return sum(map(str.isupper, line)), sum(map(str.islower, line))


_NON_SPACE = re.compile(r"\S+")
_CONNECT_WORD = re.compile(_CONNECT)
_ACRONYM_SHAPE = re.compile(r"[A-Z][A-Z0-9&-]{1,5}")


def _words(text: str, start: int, end: int) -> list[tuple[int, int]]:
    if text.find(" ", start, end) < 0 and text.find("\t", start, end) < 0:
        return [(start, end)]  # one word (a phrase never spans a line)
    return [(m.start(), m.end()) for m in _NON_SPACE.finditer(text, start, end)]


def _classify_phrase(text: str, start: int, end: int) -> list[RawSpan]:
    """Split a capitalised phrase at titles and classify the pieces."""
    found = _classify_words(
        text[start:end], _title_before(text, start), at_sentence_start(text, [(start, end)])
    )
    return [RawSpan(start + s, start + e, kind) for s, e, kind in found]


@name_lookup(maxsize=100_000)
def _classify_words(
    phrase: str, after_title: bool, sentence_start: bool
) -> tuple[tuple[int, int, str], ...]:
    """The spans of a phrase, relative to it: they depend on its spelling and on the two
    flags only (the words before it are read by the caller), so each spelling is typed once
    per context (a results table repeats its names; an article, its people)."""
    words = _words(phrase, 0, len(phrase))
    spans: list[RawSpan] = []
    index = 0
    while index < len(words):
        title_end = _title_at(phrase, words, index)
        if title_end > index:
            index, after_title = title_end, True
            continue
        stop = _next_title(phrase, words, index)
        piece = words[index:stop]
        opening = sentence_start if index == 0 else at_sentence_start(phrase, piece)
        spans.extend(_classify_piece(phrase, piece, after_title, opening))
        index, after_title = stop, False
    return tuple((s.start, s.end, s.type) for s in spans)


def _title_before(text: str, start: int) -> bool:
    """Whether a title ("Mr.", "Gen.", "Prime Minister") ends right before ``start``."""
    before = text[max(0, start - 40) : start]
    if not before[-1:].isspace():
        return False
    words = before.split()[-_LONGEST_TITLE:]
    if not words or words[-1].rstrip(".") not in _title_words()[1]:
        return False  # the common case, without joining the words
    known = _title_set()
    return any(" ".join(words[-n:]).rstrip(".") in known for n in range(1, len(words) + 1))


_LONGEST_TITLE = 4


@lru_cache(maxsize=1)
def _title_set() -> frozenset[str]:
    """The titles, without a final dot."""
    return frozenset(title.rstrip(".") for title in titles())


@lru_cache(maxsize=1)
def _title_words() -> tuple[frozenset[str], frozenset[str]]:
    """The first words and the last words (without a dot) of the titles."""
    words = [title.rstrip(".").split() for title in titles()]
    return frozenset(w[0] for w in words if w), frozenset(w[-1] for w in words if w)


def _title_at(text: str, words: list[tuple[int, int]], index: int) -> int:
    """Index after the title starting at word ``index`` (``index`` itself if none)."""
    first = text[words[index][0] : words[index][1]]
    if first not in _title_words()[0] and first.rstrip(".") not in _title_words()[0]:
        return index  # the common case, without a regular expression
    rest = text[words[index][0] : words[-1][1]]
    match = _title_start().match(rest)
    if match:
        return index + len(match.group().split())
    return index


@lru_cache(maxsize=1)
def _title_start() -> re.Pattern[str]:
    """A title starting a text (compiled once)."""
    return re.compile(rf"{title_pattern()}(?=\s|$)")


def _next_title(text: str, words: list[tuple[int, int]], index: int) -> int:
    for position in range(index + 1, len(words)):
        if _title_at(text, words, position) > position:
            return position
    return len(words)


def at_sentence_start(text: str, piece: list[tuple[int, int]]) -> bool:
    """Whether the piece begins a sentence or a line."""
    position = piece[0][0] - 1
    while position >= 0 and text[position] in " \t\"'“‘(":
        position -= 1  # a scan back, not a copy of everything before the piece
    return position < 0 or text[position] in ".!?\n:—–"


def _classify_piece(
    text: str, piece: list[tuple[int, int]], after_title: bool, sentence_start: bool
) -> list[RawSpan]:
    """Type a run of capitalised words, peeling known names off its front."""
    if piece and sentence_start and text[piece[0][0] : piece[0][1]] in _STARTERS:
        piece = piece[1:]
    while piece and _CONNECT_WORD.fullmatch(text, piece[0][0], piece[0][1]):
        piece = piece[1:]
    if not piece:
        return []
    possessive = _possessive_word(text, piece)
    if possessive is not None:  # "Iraq's National Security Council": two names
        return [
            *_classify_piece(
                text,
                [*piece[:possessive], _without_s(text, piece[possessive])],
                after_title,
                sentence_start,
            ),
            *_classify_piece(text, piece[possessive + 1 :], False, False),
        ]
    start, end = piece[0][0], piece[-1][1]
    surface = text[start:end]
    kind = _known_type(surface)
    if kind is not None:
        return [RawSpan(start, end, kind)]
    joint = None
    if "and" in surface:  # a word "and" splits the piece; most pieces have none
        joint = next((i for i, w in enumerate(piece) if text[w[0] : w[1]] == "and"), None)
    if joint is not None:
        return [
            *_classify_piece(text, piece[:joint], after_title, sentence_start),
            *_classify_piece(text, piece[joint + 1 :], False, False),
        ]
    if after_title:
        return [RawSpan(start, end, PERSON)]
    last = surface.split()[-1].rstrip(".,")
    if last in org_words() and len(piece) > 1:
        return [RawSpan(start, end, ORG)]
    if last in EVENT_WORDS and len(piece) > 1:
        return [RawSpan(start, end, EVENT)]
    if last in place_words() and len(piece) > 1:
        return [RawSpan(start, end, PLACE)]
    head = _known_type(text[piece[0][0] : piece[0][1]])
    if head is not None and len(piece) > 1:
        first = RawSpan(piece[0][0], piece[0][1], head)
        return [first, *_classify_piece(text, piece[1:], False, False)]
    return _shape_guess(surface, start, end, len(piece), sentence_start)


def _possessive_word(text: str, piece: list[tuple[int, int]]) -> int | None:
    """Index of a word in the middle of the piece that ends in a possessive 's."""
    for index, (start, end) in enumerate(piece[:-1]):
        if text[start:end].endswith(("'s", "’s")):
            return index
    return None


def _without_s(text: str, word: tuple[int, int]) -> tuple[int, int]:
    return word[0], word[1] - 2


# Words that end the names of events and competitions ("World Cup", "U.S. Open").
EVENT_WORDS = frozenset(
    {"Cup", "Open", "Championship", "Championships", "Games", "Olympics", "Tour", "Series"}
    | {"Trophy", "Prix", "Rally", "Marathon", "Classic", "Masters", "War", "Festival"}
)


@name_lookup(maxsize=100_000)
def _known_type(surface: str) -> str | None:
    """Type of a name found in the alias table or the place and group lists."""
    bare = surface.rstrip(".,;:").removesuffix("’s").removesuffix("'s")
    if bare.isupper() and len(bare) > 4:
        bare = bare.title()
    alias = canonical_alias(bare)
    if alias is not None and (len(bare) > 2 or bare.isupper()):
        return alias[1]
    if bare in places():
        return PLACE
    if bare in groups():
        return GROUP
    return None


def _shape_guess(
    surface: str, start: int, end: int, count: int, sentence_start: bool
) -> list[RawSpan]:
    """Unknown phrase: an acronym is an organisation, two or three words a person."""
    if count == 1 and _ACRONYM_SHAPE.fullmatch(surface):
        return [RawSpan(start, end, ORG)]
    words = [w[3:] if w.startswith(("al-", "el-")) else w for w in surface.split()]
    if 2 <= count <= 3 and not sentence_start and all(w[:1].isupper() for w in words):
        return [RawSpan(start, end, PERSON)]
    if count >= 2 and not sentence_start:
        return [RawSpan(start, end, ORG)]
    return []
