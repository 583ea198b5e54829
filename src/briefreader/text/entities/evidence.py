"""Type evidence beyond one mention: the shipped tables, the name's shape and its context.

The recogniser types each mention on its own, and a majority vote then spreads its most
frequent guess. An article says more: "Mr Pound" is a person, "Salahuddin province" a place,
"the Interior Ministry" an organisation, and in a match report "Leicestershire beat Somerset"
or "Surrey 429-7" name clubs. ``decide_types`` weighs that evidence per name: a confident type
(a table, an honorific, an organisation or place word) is never outvoted by weak guesses;
context words outweigh a single guess; the recogniser's votes decide the rest.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Protocol

from briefreader.text.entities.cleanup import LAW_WORDS
from briefreader.text.entities.gazetteer import countries, org_words, place_words, places
from briefreader.text.entities.keys import canonical_alias, name_key
from briefreader.text.entities.model import DATE, GROUP, LAW, ORG, PERSON, PLACE
from briefreader.text.entities.sides import count_table_lines
from briefreader.text.entities.tables import name_lookup

_HONORIFIC_BEFORE = re.compile(r"\b(?:Mr|Mrs|Ms|Miss|Dr|Sir|Dame)\.?\s+$")
# One word before or after a name, and the type it argues for.
_CUES_BEFORE = {
    **dict.fromkeys(("near", "outside", "province", "city", "town", "village"), PLACE),
    **dict.fromkeys(("minister", "president", "spokesman", "spokeswoman", "reporter"), PERSON),
    **dict.fromkeys(("correspondent", "striker", "midfielder", "defender", "goalkeeper"), PERSON),
    **dict.fromkeys(("coach", "manager", "captain", "actor", "actress", "singer"), PERSON),
    **dict.fromkeys(("club", "firm", "company", "party", "ministry", "agency"), ORG),
}
_CUES_AFTER = {
    **dict.fromkeys(("province", "provinces", "city", "town", "village", "district"), PLACE),
    **dict.fromkeys(("region", "governorate", "airbase", "airport", "border"), PLACE),
    **dict.fromkeys(("ministry", "party", "company", "firm", "corporation", "club"), ORG),
    **dict.fromkeys(("bank", "shares", "spokesman", "spokeswoman", "officials"), ORG),
    **dict.fromkeys(("chairman", "executives", "subsidiary", "unit", "newspaper"), ORG),
    **dict.fromkeys(("himself", "herself", "told", "reported", "contributed"), PERSON),
}
# Match reports: a side is the subject or object of these, or followed by its score.
_TEAM_BEFORE = frozenset({"beat", "beats", "defeated", "against", "v", "vs", "rivals", "champions"})
_TEAM_AFTER = frozenset({"beat", "beats", "defeated", "won", "lost", "drew", "v", "vs"})
# A transfer names the club a player joins or leaves: "joined Milan", "loaned to Atalanta".
_TRANSFER_BEFORE = re.compile(
    r"\b(?:joined|joins|(?:transferred|loaned|moved|moves|switched|signed)[ \t]+(?:to|for|from))"
    r"[ \t]+$"
)
_TRANSFER_LAST = frozenset({"joined", "joins", "to", "for", "from"})
# A person's own signal for a single name: "said Washington", "Washington, who".
_PERSON_BEFORE = re.compile(r"\bsaid[ \t]+$")
_PERSON_AFTER = re.compile(r",[ \t]+who\b")
_SCORE_AFTER = re.compile(r"[ \t]+\d{1,3}(?:[-/]\d{1,3})?(?![\d.:-]*\d{2}-\d{2})(?:\s|$|,|\))")
# A scorecard names the fielder and the bowler: "c Tillekeratne b Dharmasena 13".
_SCORECARD_BEFORE = frozenset({"b", "c", "st", "lbw"})
_PLACE_OF = re.compile(
    r"\b(?:city|town|village|province|region|district|capital|port)[ \t]+of[ \t]+$"
)
_PLAYER_AFTER = re.compile(r"['’]s[ \t]+(?:[a-z-]+[ \t]+)?[A-Z][a-z]+[ \t]+[A-Z][a-z]+")
_SPORT_WORDS = frozenset(
    {"beat", "defeated", "drew", "innings", "wickets", "goal", "goals", "scored", "halftime"}
    | {"league", "cup", "championship", "tournament", "seed", "seeds", "match", "season"}
    | {"points", "soccer", "football", "cricket", "rugby", "tennis", "golf", "baseball"}
    | {"basketball", "hockey", "athletics", "standings", "matches", "played", "drawn"}
    | {"coach", "winger", "striker", "midfielder", "defender", "goalkeeper"}
)
_LOWER_WORD = re.compile(r"[a-z]+")
# "(?<![\d-])\d{1,3}-…", written to begin with a digit so that the scan skips to digits
_SCORE = re.compile(r"\d(?<![\d-]\d)\d{0,2}-\d{1,3}(?![\d-])")
# The look-behind tries only the starts of words (twice as fast, the same matches).
_WORD_BEFORE = re.compile(r"(?<![A-Za-z])([A-Za-z]+)\W{0,3}$")
_WORD_AFTER = re.compile(r"^\W{0,3}([A-Za-z]+)")

CUE_WEIGHT = 2
TEAM_WEIGHT = 3  # a side's score or result outweighs the model's reading of a town as a place


class Occurrence(Protocol):
    """A mention to type: its span, the recogniser's type, and the name it stands for
    (``consistency.Found`` is one: no copy per mention)."""

    @property
    def start(self) -> int: ...

    @property
    def end(self) -> int: ...

    @property
    def type(self) -> str: ...

    @property
    def name(self) -> str: ...


@name_lookup(maxsize=50_000)
def sure_type(name: str) -> str | None:
    """The type a name has whatever the context: from the alias table, or its last word."""
    known = canonical_alias(name)
    if known is not None:
        return known[1]
    if name in places():  # "West Bank", whatever its last word says
        return PLACE
    words = name.split()
    if not words:
        return None
    last = words[-1]
    if last in LAW_WORDS and len(words) > 1:
        return LAW
    if last in org_words() and len(words) > 1:
        return ORG
    heads = [n for n, word in enumerate(words[:-2]) if word in org_words()]
    if heads and words[heads[0] + 1] in ("of", "for"):  # "UN Assistance Mission for Iraq"
        return ORG
    if last in place_words() and len(words) > 1:
        return PLACE
    return None


def decide_types(
    text: str,
    items: Sequence[Occurrence],
    sporty: bool | None = None,
    undecided: set[str] | None = None,
) -> dict[str, str]:
    """The type of every name key of the article, from all the evidence (see module doc);
    ``sporty`` is ``is_match_report`` of the article when the caller knows it. The keys
    whose evidence ties between a place and an organisation (a town and its club, no
    decisive cue) are added to ``undecided``: typed by first use, joined in no other article."""
    votes: dict[str, dict[str, int]] = {}  # plain dicts: a Counter per mention cost more
    sure: dict[str, dict[str, int]] = {}
    names: dict[str, str] = {}
    sporty = is_match_report(text) if sporty is None else sporty
    people = _full_name_tails(items)
    single: dict[str, list[Occurrence]] = {}  # one-word names: surnames, perhaps
    other_cued: set[str] = set()  # names with a place, organisation or team cue
    for item in items:
        if item.type == DATE:
            continue
        key = name_key(item.name)
        names.setdefault(key, item.name)
        counter = votes.setdefault(key, {})
        counter[item.type] = counter.get(item.type, 0) + 1
        confident = _confident(text, item)
        if confident is not None:
            known = sure.setdefault(key, {})
            known[confident] = known.get(confident, 0) + 1
        cue = context_cue(text, item.start, item.end, sporty)
        weight = CUE_WEIGHT
        if cue == "TEAM":
            cue, weight = _team_type(item, key in people), TEAM_WEIGHT
            if cue == ORG and confident == PLACE and canonical_alias(item.name) is None:
                # "Manchester City 3 1 0 2", "MONTREAL 71 61": a club, whatever its last word
                # or the places table says; a side's score outweighs a bare place reading
                sure[key][PLACE] -= 1
                sure[key][ORG] = sure[key].get(ORG, 0) + TEAM_WEIGHT
        if cue is not None:
            counter[cue] = counter.get(cue, 0) + weight
            if cue != PERSON:
                other_cued.add(key)
        if " " not in key:
            single.setdefault(key, []).append(item)
    first: dict[str, int] = {}  # ties go to the type the article used first
    for position, item in enumerate(items):
        first.setdefault(item.type, position)
    decided = {}
    for key, counter in votes.items():
        weights = sure.get(key, counter)
        if key in sure:
            decided[key] = max(sure[key], key=sure[key].__getitem__)  # first of the most
        else:
            decided[key] = max(counter, key=lambda k: (counter[k], -first.get(k, len(items))))
        if undecided is not None and PLACE in weights and _place_or_club_tie(weights):
            undecided.add(key)
    _corefer_surnames(text, decided, names, single, other_cued)
    return decided


_NAME_PARTICLES = frozenset({"al", "bin", "ibn", "de", "da", "di", "du", "van", "von", "der", "le"})


def _person_shaped(name: str) -> bool:
    """Whether a name could be a person's: two to four words, each capitalised or a particle."""
    words = name.split()
    return 1 < len(words) <= 4 and all(
        word[:1].isupper() or word.lower() in _NAME_PARTICLES for word in words
    )


def _place_or_club_tie(weights: dict[str, int]) -> bool:
    """Whether the strongest evidence is as much for a place as for an organisation."""
    place, org = weights.get(PLACE, 0), weights.get(ORG, 0)
    return place > 0 and place == org and place >= max(weights.values())


def _person_signal(text: str, start: int, end: int) -> bool:
    """Whether the words around a mention speak of a person ("said X", "X, who")."""
    return (
        _PERSON_BEFORE.search(text, max(0, start - 8), start) is not None
        or _PERSON_AFTER.match(text, end) is not None
    )


def _corefer_surnames(
    text: str,
    decided: dict[str, str],
    names: dict[str, str],
    single: dict[str, list[Occurrence]],
    other_cued: set[str],
) -> None:
    """A single name that ends exactly one longer name of the article is that person (its
    surname) when the longer name is a person, or when the single name has a person's own
    signal and the longer name no sure type ("MaliVai Washington" read as a club,
    "Washington, who…"): the places table's reading of the surname is overridden. A
    stronger signal keeps the single name's type: a place, organisation or team cue next to
    it, the alias table, a country."""
    owners: dict[str, list[str]] = {}
    for key in decided:
        words = key.split()
        if len(words) > 1 and words[-1] in single:
            owners.setdefault(words[-1], []).append(key)
    for surname, full_names in owners.items():
        name = names[surname]
        if len(full_names) != 1 or surname in other_cued or decided[surname] == DATE:
            continue
        if canonical_alias(name) is not None or name in countries():
            continue
        full = full_names[0]
        if not _person_shaped(names[full]):
            continue  # "Derbyshire and Surrey": a list, not a person
        if decided[full] == PERSON or (
            sure_type(names[full]) is None
            and any(_person_signal(text, o.start, o.end) for o in single[surname])
        ):
            decided[full] = decided[surname] = PERSON


def _confident(text: str, item: Occurrence) -> str | None:
    """A type this mention is sure of: the name's own, or an honorific right before it."""
    kind = sure_type(item.name)
    if kind is not None:
        return kind
    if _HONORIFIC_BEFORE.search(text[max(0, item.start - 6) : item.start]):
        return PERSON
    return None


def context_cue(text: str, start: int, end: int, sporty: bool) -> str | None:
    """The type the words right around a mention argue for ("TEAM" for a side), or None."""
    before = _WORD_BEFORE.search(text[max(0, start - 24) : start])
    after = _WORD_AFTER.match(text[end : end + 24])
    word_before = before.group(1).lower() if before else ""
    word_after = after.group(1).lower() if after else ""
    if sporty and word_before in _SCORECARD_BEFORE:
        return PERSON
    if word_before == "of":
        place = _PLACE_OF.search(text, max(0, start - 30), start)
        if place is not None:
            return PLACE
    if sporty and (
        word_before in _TEAM_BEFORE
        or word_after in _TEAM_AFTER
        or _SCORE_AFTER.match(text, end) is not None
        or _PLAYER_AFTER.match(text, end) is not None  # "Chelsea's Damien Duff"
        or (
            word_before in _TRANSFER_LAST
            and _TRANSFER_BEFORE.search(text, max(0, start - 24), start)
        )
    ):
        return "TEAM"
    return _CUES_AFTER.get(word_after) or _CUES_BEFORE.get(word_before)


def _team_type(item: Occurrence, has_full_name: bool) -> str | None:
    """A side in a match report is a club (ORG), except a country's national side (PLACE).

    Only places and one-word names are re-typed: a nationality, a multi-word person or a
    surname whose full name the article gives stays what it is.
    """
    if item.type == GROUP and item.name[-1:] in ("s", "S") and item.name[:1].isupper():
        return ORG  # "Rangers beat Indians": a side named by its people's plural
    if item.type not in (PLACE, ORG, PERSON):
        return None
    if item.name in countries() or item.name.title() in countries():
        return PLACE
    if item.type == PERSON and (has_full_name or len(item.name.split()) > 1):
        return None
    return ORG


@lru_cache(maxsize=4)
def is_match_report(text: str) -> bool:
    """Whether the article reports matches (several sport words, scores or table lines).

    Remembered for the last few texts: the recogniser, the table reader and the type
    evidence all ask about the same article."""
    head = text[:20_000]
    found = sum(map(_SPORT_WORDS.__contains__, _LOWER_WORD.findall(head.lower())))
    if found < 3:
        found += len(_SCORE.findall(head))
    return found >= 3 or found + count_table_lines(head) >= 3


def _full_name_tails(items: Iterable[Occurrence]) -> set[str]:
    """Keys of single words that end (or start) a multi-word person name of the article."""
    tails: set[str] = set()
    for item in items:
        words = name_key(item.name).split()
        if item.type == PERSON and len(words) > 1:
            tails.update((words[-1], words[0]))
    return tails
