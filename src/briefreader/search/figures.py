"""Figures stated in a passage: a number, its hedge ("at least", "some") and what it counts.

``extract_figures("at least 91 attacks on U.S. bases")`` gives one ``Figure`` with value 91,
hedge "at least", noun "attacks" and subject "attack". Related passages that state a figure
about the same subject are shown side by side ("160 · 91 · 70 attacks") so a reader sees at a
glance that sources disagree. Pure text processing: no index, no model.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache


def _words(text: str) -> frozenset[str]:
    """A word list written as one string (easier to read and edit than a list literal)."""
    return frozenset(text.split())


HEDGES = (
    "no fewer than",
    "no less than",
    "more than",
    "fewer than",
    "less than",
    "at least",
    "at most",
    "up to",
    "as many as",
    "nearly",
    "almost",
    "around",
    "about",
    "roughly",
    "approximately",
    "some",
    "over",
    "under",
    "only",
    "just",
)
NUMBER_WORDS = {
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "fifteen": 15,
    "twenty": 20,
    "dozens": None,
    "hundreds": None,
    "thousands": None,
}
SCALES = {"thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12}
MONTHS = _words(
    """
    jan feb mar apr may jun jul aug sep sept oct nov dec january february march april june
    july august september october november december
    """
)
# Words between a number and the noun it counts ("2,500 American military personnel").
MODIFIERS = _words(
    """
    additional more other new senior armed military american iraqi us u.s. foreign active
    civilian local regional international total separate estimated
    """
)
# Nouns that measure time or proportion: real figures, but too generic to tie passages.
GENERIC_SUBJECTS = _words(
    """
    year month week day hour minut second time percent per cent kilomet mile
    """
)
# Different words for the same counted thing, folded to one subject (stems).
SUBJECT_SYNONYMS = {
    "soldier": "troop",
    "personnel": "troop",
    "servicememb": "troop",
    "forc": "troop",
    "strike": "attack",
    "assault": "attack",
    "percentag": "percent",
    "%": "percent",
    "dollar": "$",
}
_NUMBER = r"\$?\d{1,3}(?:,\d{3})+(?:\.\d+)?|\$?\d+(?:\.\d+)?"
_FIGURE_RE = re.compile(
    r"(?P<hedge>\b(?:" + "|".join(h.replace(" ", r"\s+") for h in HEDGES) + r")\s+)?"
    r"(?P<number>(?<![\w.,])(?:"
    + _NUMBER
    + r")(?![\w,]*\d)|\b(?:"
    + "|".join(NUMBER_WORDS)
    + r")\b)"
    r"(?:\s*(?P<scale>thousand|million|billion|trillion)\b)?"
    r"(?P<tail>(?:\s*(?:%|percent\b|per\s+cent\b))|(?:\s+(?:of\s+)?[^\s\d,;:!?()\"“”\[][^\s,;:!?()\"“”\[]*){1,4})?",
    re.IGNORECASE,
)
_WORD_RE = re.compile(r"[A-Za-z][A-Za-z.'’-]*")
_CLAUSE_BREAK = re.compile(r"[;:!?]|\.\s+(?=[A-Z])")
# Words that end a noun phrase: a figure followed by one of these has no counted noun.
FUNCTION_WORDS = _words(
    """
    in on at to and or of the a an by for from with than as since into per that which who
    were was are is be been has have had would will
    """
)


@dataclass(frozen=True)
class Figure:
    """A number stated in a passage and what it counts.

    ``value`` is None for vague quantities ("dozens of attacks"); ``subject`` is the stemmed,
    synonym-folded noun used to match figures across passages ("attack", "troop").
    """

    value: float | None
    number: str
    hedge: str
    noun: str
    subject: str
    start: int
    end: int

    @property
    def label(self) -> str:
        """The figure as a reader would say it: "at least 91 attacks"."""
        vague = self.value is None and self.noun
        noun = "" if self.number.startswith("$") else self.noun
        parts = [self.hedge, self.number, f"of {noun}" if vague else noun]
        return " ".join(part for part in parts if part)

    @property
    def claim(self) -> bool:
        """True when the figure is a stated quantity rather than a passing count.

        Digits, a scale ("2 million"), a hedge ("at least three") or a vague quantity
        ("dozens of attacks") state a figure a source stands behind; a small count spelled out
        without a hedge ("two countries", "three soldiers") only describes.
        """
        spelled = self.number.split()[0].isalpha()
        return not spelled or bool(self.hedge) or self.value is None or " " in self.number

    @property
    def comparable(self) -> bool:
        """True when the figure is a claim about a subject specific enough to tie two passages
        together (not a time span or a share of anything)."""
        return self.claim and bool(self.subject) and self.subject not in GENERIC_SUBJECTS


@lru_cache(maxsize=4096)
def _stem(word: str) -> str:
    from whoosh.lang.porter import stem

    return str(stem(word.lower()))


def subject_of(noun: str) -> str:
    """The matching key of a counted noun: stemmed, with synonyms folded."""
    if not noun:
        return ""
    stem = _stem(noun.strip(".'’").lower())
    return SUBJECT_SYNONYMS.get(stem, stem)


def extract_figures(text: str) -> list[Figure]:
    """Every figure in ``text`` with the noun it counts (years and dates left out)."""
    figures = []
    for match in _FIGURE_RE.finditer(text):
        figure = _figure_from_match(text, match)
        if figure is not None:
            figures.append(figure)
    return figures


def _figure_from_match(text: str, match: re.Match[str]) -> Figure | None:
    number = match.group("number")
    if _is_date_or_year(text, match, number):
        return None
    value = _parse_value(number, match.group("scale"))
    noun = _counted_noun(match.group("tail") or "")
    if number.startswith("$"):
        noun = "dollars"
    subject = subject_of(noun)
    if noun in {"time", "times"}:
        subject = subject_of(_verb_before(text, match.start())) or subject
    hedge = " ".join((match.group("hedge") or "").lower().split())
    shown = number.lower() if number.isalpha() else number
    if match.group("scale"):
        shown = f"{shown} {match.group('scale').lower()}"
    start = match.start("hedge") if match.group("hedge") else match.start("number")
    if not noun:
        return None
    return Figure(value, shown, hedge, noun, subject, start, match.end())


def _is_date_or_year(text: str, match: re.Match[str], number: str) -> bool:
    """Years (1990, 2025) and day numbers after a month name are dates, not claims."""
    before = text[max(0, match.start("number") - 12) : match.start("number")].lower()
    previous = re.findall(r"[a-z]+", before)
    if previous and previous[-1] in MONTHS:
        return True
    if number.isdigit() and len(number) == 4 and 1800 <= int(number) <= 2100:
        tail = (match.group("tail") or "").strip().lower()
        return not tail.startswith(("%", "percent", "troops", "people"))
    return False


def _parse_value(number: str, scale: str | None) -> float | None:
    word = number.lower()
    if word in NUMBER_WORDS:
        counted = NUMBER_WORDS[word]
        return float(counted) if counted is not None else None
    return float(number.lstrip("$").replace(",", "")) * SCALES.get((scale or "").lower(), 1.0)


def _counted_noun(tail: str) -> str:
    """The first word after the number that is not a modifier ("U.S.", "military").

    A capitalised word is a modifier when a lowercase noun follows ("U.S. troops") and the
    noun itself otherwise ("16 Iraqis"); a function word ends the search ("900 in Syria").
    """
    stripped = tail.strip().lower()
    if stripped.startswith(("%", "percent", "per cent")):
        return "percent"
    words = [w.strip(".'’") for w in _WORD_RE.findall(tail)]
    words = [w for w in words if w and w.lower() != "of"]
    for index, word in enumerate(words):
        lowered = word.lower()
        if lowered in FUNCTION_WORDS:
            return ""
        if lowered in MODIFIERS:
            continue
        following = words[index + 1].lower() if index + 1 < len(words) else ""
        if word[0].isupper() and following and following not in FUNCTION_WORDS:
            continue
        return word if word[0].isupper() else lowered
    return ""


def _verb_before(text: str, position: int) -> str:
    """For "attacked … 160 times": the nearest past-tense verb before the number."""
    clause = _CLAUSE_BREAK.split(text[max(0, position - 120) : position])[-1]
    for word in reversed(_WORD_RE.findall(clause)):
        lowered = word.lower()
        if lowered.endswith("ed") and len(lowered) > 4:
            return lowered
    return ""


def shared_subjects(left: Iterable[Figure], right: Iterable[Figure]) -> set[str]:
    """Comparable subjects stated in both collections of figures."""
    mine = {f.subject for f in left if f.comparable}
    return mine & {f.subject for f in right if f.comparable}


def side_by_side(groups: Sequence[Sequence[Figure]], subject: str) -> str:
    """One line of the figures about ``subject``, first passage first: "160 · 91 · 70 attacks"."""
    numbers: list[str] = []
    noun = ""
    for figures in groups:
        for figure in figures:
            if figure.subject == subject and figure.number not in numbers:
                numbers.append(figure.number)
                noun = noun or _plural_noun(figure)
    return f"{' · '.join(numbers)} {noun}".strip() if len(numbers) > 1 else ""


def _plural_noun(figure: Figure) -> str:
    """The noun for a side-by-side line: "attacks" for "attacked … 160 times"."""
    if figure.noun in {"time", "times"} and figure.subject not in GENERIC_SUBJECTS:
        return figure.subject + "s"
    if figure.subject == "troop":
        return "troops"
    return figure.noun
