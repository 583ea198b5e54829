"""Within one article: acronym definitions, one type per name, short forms of people.

Works on ``Found`` records (a span plus the fullest name the article uses for it) and returns
them consistent: "Popular Mobilization Forces (PMF)" makes every "PMF" that organisation; a
name recognised once is recognised everywhere in the article with its majority type; and
"Sudani", "Al-Sudani" and "Mr. Sudani" become the PERSON "Mohammed Shia al-Sudani".
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace

from briefreader.text.entities.cleanup import LAW_WORDS
from briefreader.text.entities.evidence import decide_types, is_match_report
from briefreader.text.entities.gazetteer import countries, org_words, places
from briefreader.text.entities.keys import alias_entries, canonical_alias, name_key
from briefreader.text.entities.model import DATE, GROUP, LAW, ORG, PERSON, PLACE, RawSpan
from briefreader.text.entities.rules import date_spans, in_caps_line
from briefreader.text.entities.sides import PEOPLE_TABLE_SHARE, ranked_entries, table_sides
from briefreader.text.entities.tables import name_table

_LONG_FORM_WORD = re.compile(r"[^\s\-–]+")
_PARTICLE = re.compile(r"^(?:[Aa]l|[Ee]l)[-\s]")
ACRONYM = re.compile(r"\(\s*([A-Z][A-Za-z0-9&.\-–]{1,11})\s*\)")
_LONG_FORM_WORDS = 12


@dataclass(frozen=True)
class Found:
    """A span in the article and the name it stands for."""

    start: int
    end: int
    type: str
    name: str


def make_consistent(
    text: str,
    spans: Iterable[RawSpan],
    masked: str | None = None,
    undecided: set[str] | None = None,
) -> list[Found]:
    """Apply acronym definitions, majority types, propagation and person short forms.

    ``masked`` (``mask_text(text)``, same length) is where patterns are searched, so a footnote
    marker inside "(KDPI[v])" does not hide a definition. ``undecided`` receives the keys of
    names whose evidence ties between a place and an organisation (``decide_types``).
    """
    scan = masked if masked is not None else text
    found = drop_overlaps([Found(s.start, s.end, s.type, text[s.start : s.end]) for s in spans])
    found = add_calendar_dates(scan, found)
    found = extend_org_names(text, found)
    for acronym, long_form in find_acronyms(scan, found):
        found = apply_acronym(text, found, acronym, _named(text, long_form))
    for alias, long_form in find_bracketed_aliases(scan, found):
        found = apply_acronym(text, found, alias, long_form)
    found = add_known_names(text, scan, found)
    sporty = is_match_report(scan)  # the recogniser asked already: remembered
    found = add_table_sides(text, scan, found, sporty)
    found = type_ranked_entries(text, scan, found)
    found = vote_types(text, found, sporty, undecided)
    found = propagate(text, found)
    found = link_short_names(text, found)
    return drop_overlaps(found)


def _named(text: str, item: Found) -> Found:
    """The item with its name taken from the article text (not the masked text)."""
    return replace(item, name=text[item.start : item.end])


def add_calendar_dates(scan: str, found: list[Found]) -> list[Found]:
    """Add calendar dates the model read as numbers ("by 2025") or missed."""
    spans = _SpanIndex(found)
    for start, end in date_spans(scan):
        if not spans.overlapping(start, end):
            spans.add(Found(start, end, DATE, scan[start:end]))
    return sorted(spans.items, key=lambda f: f.start)


def add_known_names(text: str, scan: str, found: list[Found]) -> list[Found]:
    """Add names from the shipped tables (aliases, multi-word places) the model missed.

    A known name wins over pieces of it ("Iraqi" + "Kurdistan" → "Iraqi Kurdistan").
    """
    spans = _SpanIndex(found)
    by_first_word = _known_names_by_first_word()
    candidates = sorted(  # a name's first word must be in the text; longest names first
        entry for word in by_first_word.keys() & _words_in(scan) for entry in by_first_word[word]
    )
    for _rank, surface, kind in candidates:
        if surface not in scan:
            continue
        for start, end in _word_occurrences(scan, surface):
            if len(surface) <= 3 and in_caps_line(scan, start):
                continue
            clashes = spans.overlapping(start, end)
            inside = all(start <= c.start and c.end <= end for c in clashes)
            if inside and not any(c.start == start and c.end == end for c in clashes):
                for clash in clashes:
                    spans.remove(clash)
                spans.add(Found(start, end, kind, text[start:end]))
    return sorted(spans.items, key=lambda f: f.start)


_WORD = re.compile(r"[^\s\-–—/(),;:\"“”‘\[\]]+")


def _words_in(text: str) -> set[str]:
    """The words of a text, as written and without end punctuation or a possessive."""
    words = set(_WORD.findall(text))
    bare = {w.rstrip(".!?'’") for w in words}
    return words | bare | {w[:-2] for w in bare if w.endswith(("'s", "’s"))}


@name_table
def _known_names_by_first_word() -> dict[str, tuple[tuple[int, str, str], ...]]:
    """The known names by their first word, each as (rank, name, type): the rank orders
    them longest first."""
    index: dict[str, list[tuple[int, str, str]]] = {}
    for rank, (surface, kind, first_word) in enumerate(_known_names()):
        index.setdefault(first_word, []).append((rank, surface, kind))
    return {word: tuple(entries) for word, entries in index.items()}


@name_table
def _known_names() -> tuple[tuple[str, str, str], ...]:
    """Alias-table names and multi-word places, longest first, with their first word."""
    names: dict[str, str] = {}
    for entry in alias_entries():
        for alias in (entry[0], *entry[2]):
            if len(alias) >= 2 and (alias.isupper() or len(alias) > 3):
                names.setdefault(alias, entry[1])
    for place in places():
        if " " in place:
            names.setdefault(place, PLACE)
    ordered = sorted(names.items(), key=lambda pair: -len(pair[0]))
    return tuple((name, kind, _WORD.findall(name)[0]) for name, kind in ordered)


def add_table_sides(text: str, scan: str, found: list[Found], sporty: bool) -> list[Found]:
    """In a match report, the names heading standings rows and in result lines are sides:
    clubs, or places for a country's national side (see ``sides``). A table whose rows the
    recogniser reads as people (a leaderboard) is left as it is."""
    sides = table_sides(scan) if sporty else []
    if not sides:
        return found
    spans = _SpanIndex(found)
    people = sum(any(f.type == PERSON for f in spans.overlapping(*side)) for side in sides)
    if people >= PEOPLE_TABLE_SHARE * len(sides):
        return found
    for start, end in sides:
        name = text[start:end]
        kind = PLACE if name in countries() or name.title() in countries() else ORG
        for clash in spans.overlapping(start, end):
            spans.remove(clash)
        spans.add(Found(start, end, kind, name))
    return sorted(spans.items, key=lambda f: f.start)


RANKED_PEOPLE_SHARE = 0.6


def type_ranked_entries(text: str, scan: str, found: list[Found]) -> list[Found]:
    """Ranked result lines ("2. Ludmila Engquist (Sweden) 12.74") list one kind of entrant:
    when the recogniser reads most of them as people, the entries it read otherwise or
    missed are people too (it typed a few runners as organisations)."""
    entries = ranked_entries(scan)
    if len(entries) < 3:
        return found
    spans = _SpanIndex(found)
    typed = [f.type for entry in entries for f in spans.overlapping(*entry)]
    if not typed or typed.count(PERSON) < RANKED_PEOPLE_SHARE * len(typed):
        return found
    for start, end in entries:
        clashes = spans.overlapping(start, end)
        if any(c.start < start or c.end > end or c.type == PERSON for c in clashes):
            continue
        for clash in clashes:
            spans.remove(clash)
        spans.add(Found(start, end, PERSON, text[start:end]))
    return sorted(spans.items, key=lambda f: f.start)


def drop_overlaps(found: Iterable[Found]) -> list[Found]:
    """Keep the longer of overlapping spans (the earlier one on ties), in text order."""
    ordered = sorted(found, key=lambda f: (-(f.end - f.start), f.start))
    if not ordered or ordered[-1].end <= ordered[-1].start:
        return _drop_overlaps_indexed(ordered)  # an empty span: no characters to mark
    taken = bytearray(max(f.end for f in ordered))  # 1 where a kept span is
    kept = []
    for item in ordered:
        if taken.find(1, item.start, item.end) < 0:
            taken[item.start : item.end] = b"\x01" * (item.end - item.start)
            kept.append(item)
    return sorted(kept, key=lambda f: f.start)


def _drop_overlaps_indexed(ordered: list[Found]) -> list[Found]:
    kept = _SpanIndex([])
    for item in ordered:
        if not kept.overlapping(item.start, item.end):
            kept.add(item)
    return kept.items


def _overlapping(found: list[Found], start: int, end: int) -> list[Found]:
    return [f for f in found if f.start < end and start < f.end]


class _SpanIndex:
    """Spans sorted by start, with overlap look-ups in logarithmic time (long articles have
    tens of thousands of mentions; a scan per look-up would be quadratic)."""

    def __init__(self, items: Iterable[Found]) -> None:
        self.items = sorted(items, key=lambda f: (f.start, f.end))
        self.starts = [f.start for f in self.items]
        self.longest = max((f.end - f.start for f in self.items), default=0)

    def overlapping(self, start: int, end: int) -> list[Found]:
        index = bisect.bisect_left(self.starts, start - self.longest)
        clashes = []
        while index < len(self.items) and self.starts[index] < end:
            item = self.items[index]
            if item.end > start:
                clashes.append(item)
            index += 1
        return clashes

    def add(self, item: Found) -> None:
        index = bisect.bisect_right(self.starts, item.start)
        self.items.insert(index, item)
        self.starts.insert(index, item.start)
        self.longest = max(self.longest, item.end - item.start)

    def remove(self, item: Found) -> None:
        index = bisect.bisect_left(self.starts, item.start)
        while self.items[index] != item:
            index += 1
        del self.items[index]
        del self.starts[index]


# --- names that run on -----------------------------------------------------------------------

_NAME_WORD = r"[A-Z][\w'’-]*"
_RUN_ON = re.compile(
    rf"[ \t]+(?:of|for)[ \t]+(?:the[ \t]+)?{_NAME_WORD}"
    rf"(?:[ \t]+(?:(?:of|and|for|the)[ \t]+)?{_NAME_WORD})*"
)
_LOWER_SUBJECT = re.compile(r"[ \t]+(?:of|for)[ \t]+([a-z]+)(?=[\s,.;:)])")
_SUBJECT_HEADS = frozenset({"Ministry", "Department", "Minister", "Office", "Committee"})


def extend_org_names(text: str, found: list[Found]) -> list[Found]:
    """An organisation named up to its organisation word runs on over "of"/"for" and the
    name after it ("Komala Party" of Iranian Kurdistan, "Syrian Ministry" of
    telecommunications): the pieces the model split it into become one name."""
    result = list(found)
    for item in found:
        if item.type != ORG or text[item.start : item.end].split()[-1] not in org_words():
            continue
        match = _RUN_ON.match(text, item.end)
        head = text[item.start : item.end].split()[-1]
        if match is None and head in _SUBJECT_HEADS:
            match = _LOWER_SUBJECT.match(text, item.end)
        if match is None:
            continue
        end = match.end()
        result = [f for f in result if not (item.start <= f.start and f.end <= end)]
        result.append(Found(item.start, end, ORG, text[item.start : end]))
    return drop_overlaps(result)


def find_bracketed_aliases(text: str, found: list[Found]) -> list[tuple[Found, Found]]:
    """``Name (Other Name)``: a name of the same type in brackets right after a name is
    another name of it ("Kataib Hezbollah (Hezbollah Brigades)"); pairs (alias, name)."""
    by_start = {f.start: f for f in found}
    pairs = []
    for item in found:
        opening = text.find("(", item.end, item.end + 3)
        inner = by_start.get(opening + 1) if opening >= 0 else None
        if inner is None or inner.type != item.type or item.type in (DATE, GROUP):
            continue
        closed = text[inner.end : inner.end + 1] == ")" and not text[item.end : opening].strip()
        if closed and len(text[inner.start : inner.end].split()) > 1:  # acronyms: see below
            alias = Found(inner.start, inner.end, item.type, item.name)
            pairs.append((alias, replace(item, name=text[item.start : item.end])))
    return pairs


# --- acronyms -------------------------------------------------------------------------------


def find_acronyms(text: str, found: list[Found]) -> list[tuple[Found, Found]]:
    """Acronym definitions ``Long Form (LF)``: pairs of (acronym span, long-form span)."""
    pairs = []
    for match in ACRONYM.finditer(text):
        acronym = match.group(1)
        if sum(ch.isupper() for ch in acronym) < 2 or _known_elsewhere(
            text, match.start(), acronym
        ):
            continue
        long_form = _long_form_by_initials(text, match.start(), acronym)
        if long_form is None:
            long_form = _long_form_by_span(text, found, match.start())
        if long_form is None:
            continue
        start, end = long_form
        kind = _long_form_type(text, found, start, end)
        name = text[start:end]
        pairs.append(
            (Found(match.start(1), match.end(1), kind, name), Found(start, end, kind, name))
        )
    return pairs


def _known_elsewhere(text: str, paren: int, acronym: str) -> bool:
    """A shipped alias (``AP``) defined by something else: a dateline, not a definition."""
    known = canonical_alias(acronym)
    if known is None:
        return False
    before = text[max(0, paren - 80) : paren]
    return name_key(known[0]) not in name_key(before)


def _long_form_by_initials(text: str, paren: int, acronym: str) -> tuple[int, int] | None:
    """The words before ``(ACR)`` whose capitalised initials spell the acronym."""
    letters = "".join(ch for ch in acronym if ch.isupper() or ch.isdigit())
    line_start = text.rfind("\n", 0, paren) + 1
    words = list(_LONG_FORM_WORD.finditer(text[line_start:paren]))[-_LONG_FORM_WORDS:]
    for first in range(len(words) - 1, -1, -1):
        chosen = words[first:]
        head = chosen[0].group()
        if not head[:1].isupper():
            continue
        initials = "".join(w.group()[0] for w in chosen if w.group()[:1].isupper())
        spelled = "".join(_initials_of(w.group()) for w in chosen)  # "UN Assistance…": UNA…
        if letters in (initials, spelled) and len(chosen) > 1:
            return line_start + chosen[0].start(), line_start + chosen[-1].end()
    return None


def _initials_of(word: str) -> str:
    """A capitalised word's initial, or all of a short acronym ("UN" gives "UN")."""
    if word.isupper() and word.isalpha() and len(word) <= 4:
        return word
    return word[0] if word[:1].isupper() else ""


def _long_form_by_span(text: str, found: list[Found], paren: int) -> tuple[int, int] | None:
    """A recognised name ending right before ``(ACR)`` ("Kurdistan Workers’ Party (PKK)")."""
    before = len(text[:paren].rstrip())
    for item in found:
        several_words = len(text[item.start : item.end].split()) > 1
        if item.end == before and item.type not in (DATE, GROUP, PLACE) and several_words:
            return item.start, item.end
    return None


def _long_form_type(text: str, found: list[Found], start: int, end: int) -> str:
    """Organisation unless the recogniser saw mostly something else in the long form."""
    inside = [f for f in _overlapping(found, start, end) if f.type != GROUP]
    words = text[start:end].split()
    if words[-1] in LAW_WORDS:
        return LAW
    if not inside or org_words() & set(words) or any(f.type == ORG for f in inside):
        return ORG
    return max(inside, key=lambda f: f.end - f.start).type


def apply_acronym(text: str, found: list[Found], acronym: Found, long_form: Found) -> list[Found]:
    """Make the long form and every use of the acronym one entity named by the long form."""
    surface = text[acronym.start : acronym.end]
    added = [long_form, acronym]
    for match in _word_occurrences(text, surface):
        added.append(Found(match[0], match[1], long_form.type, long_form.name))
    kept = [
        f
        for f in found
        if not any(a.start <= f.start and f.end <= a.end for a in added)
        and not _overlapping([long_form], f.start, f.end)
    ]
    return drop_overlaps([*kept, *added])


def _word_occurrences(text: str, surface: str) -> list[tuple[int, int]]:
    """Where ``surface`` occurs as a whole word (not inside a longer word or hyphenation).

    A plain ``str.find`` scan: a regular expression per name cost more to compile than to
    run (thousands of names per corpus), and dominated the rules recogniser's time.
    """
    found = []
    start = text.find(surface)
    while start >= 0:
        end = start + len(surface)
        before = text[start - 1] if start else " "
        after = text[end] if end < len(text) else " "
        if not (_is_word_char(before) or before in "-’'") and not _is_word_char(after):
            found.append((start, end))
        start = text.find(surface, start + 1)
    return found


def _is_word_char(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


# --- one type per name, and every occurrence -----------------------------------------------


def vote_types(
    text: str, found: list[Found], sporty: bool | None = None, undecided: set[str] | None = None
) -> list[Found]:
    """Give every span of the same name key one type, decided from all the article's
    evidence (``evidence.decide_types``): a confident type is never outvoted by guesses."""
    decided = decide_types(text, found, sporty, undecided)
    result = []
    for item in found:
        kind = decided.get(name_key(item.name)) if item.type != DATE else None
        if kind and kind != item.type:
            item = Found(item.start, item.end, kind, item.name)
        result.append(item)
    return result


def propagate(text: str, found: list[Found]) -> list[Found]:
    """Add the occurrences the recogniser missed of names it found elsewhere in the article."""
    forms: dict[str, Found] = {}
    for item in found:
        surface = text[item.start : item.end]
        if item.type != DATE and surface[:1].isupper() and len(surface) > 1:
            forms.setdefault(surface, item)
    spans = _SpanIndex(found)
    for surface, item in sorted(forms.items(), key=lambda pair: -len(pair[0])):
        for start, end in _word_occurrences(text, surface):
            # A longer name wins over pieces of it ("Islamic" + "State" → "Islamic State").
            clashes = spans.overlapping(start, end)
            new = Found(start, end, item.type, item.name)
            if clashes == [new]:
                continue  # found there already: most occurrences
            if all(start <= f.start and f.end <= end for f in clashes):
                for clash in clashes:
                    spans.remove(clash)
                spans.add(new)
    return sorted(spans.items, key=lambda f: f.start)


# --- people's short names ------------------------------------------------------------------


def link_short_names(text: str, found: list[Found]) -> list[Found]:
    """Surnames ("Sudani", "Al-Sudani") of a full PERSON name become that person."""
    full_names = _full_person_names(found)
    surnames = _unambiguous_surnames(full_names)
    if not surnames:
        return found
    spans = _SpanIndex(_retype_short_forms(found, surnames))
    for surname, full in surnames.items():
        for start, end in _surname_occurrences(text, full, surname):
            if not spans.overlapping(start, end):
                spans.add(Found(start, end, PERSON, full.name))
    return sorted(spans.items, key=lambda f: f.start)


def _full_person_names(found: list[Found]) -> dict[str, Found]:
    """Multi-word PERSON names by key, first occurrence of each."""
    names: dict[str, Found] = {}
    for item in found:
        key = name_key(item.name)
        if item.type == PERSON and len(key.split()) >= 2:
            names.setdefault(key, item)
    return names


def _unambiguous_surnames(full_names: dict[str, Found]) -> dict[str, Found]:
    """Surname key → the one full name ending in it (surnames two people share are left out)."""
    owners: dict[str, set[str]] = {}
    for key in full_names:
        surname = key.split()[-1]
        known = canonical_alias(surname)
        if known is None or name_key(known[0]) == key:
            owners.setdefault(surname, set()).add(key)
    result = {}
    for surname, keys in owners.items():
        longest = max(keys, key=len)
        if all(longest.endswith(other) for other in keys):
            result[surname] = full_names[longest]
    return result


def _retype_short_forms(found: list[Found], surnames: dict[str, Found]) -> list[Found]:
    """Spans whose key is a tail of a full name (ending in one of ``surnames``) take its type
    and name."""
    result = []
    for item in found:
        tokens = name_key(item.name).split()
        full = surnames.get(tokens[-1]) if tokens and item.type != DATE else None
        if full is not None and name_key(full.name).split()[-len(tokens) :] == tokens:
            item = Found(item.start, item.end, PERSON, full.name)
        result.append(item)
    return result


def _surname_occurrences(text: str, full: Found, surname: str) -> list[tuple[int, int]]:
    """Capitalised uses of the surname, with an optional "al-"/"el-" particle."""
    last_word = full.name.split()[-1]
    core = _PARTICLE.sub("", last_word)
    if name_key(core) != surname or not core[:1].isupper():
        return []
    found = []
    start = text.find(core)
    while start >= 0:
        end = start + len(core)
        after = text[end] if end < len(text) else " "
        particle = text[max(0, start - 3) : start]
        if particle[:2] in ("al", "Al", "el", "El") and particle[2:] in ("-", " "):
            first = start - 3
        else:
            first = start
        before = text[first - 1] if first else " "
        if not (_is_word_char(before) or before in "-’'") and not _is_word_char(after):
            found.append((first, end))
        start = text.find(core, start + 1)
    return found
