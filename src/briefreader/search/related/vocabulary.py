"""What counts as evidence, and which words mean the same thing: the rules applied to terms
and entity mentions before any weighting (agency and credit names, credit-line words, months,
dates; news synonyms folded to one key term)."""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from briefreader.search.index.terms import CALENDAR_WORDS, AnalysedTerms, word_set

# News agencies and picture credits say who reported or photographed a story, never what it
# is about: never evidence, neither as entities nor as key terms (name keys, lower case).
CREDIT_NAMES = frozenset(
    {
        "reuters",
        "ap",
        "afp",
        "associated press",
        "agence france-presse",
        "agence france presse",
        "getty",
        "getty images",
        "epa",
        "xinhua",
        "upi",
        "dpa",
        "ansa",
        "efe",
        "kyodo",
        "yonhap",
        "press association",
        "pa",
        "bloomberg",
    }
)
# Words of credit and byline lines ("X reported from Beirut. Y contributed to this report"):
# they say who wrote a paragraph, like the reporting verbs the key terms already leave out.
CREDIT_WORDS = word_set("reported reporting contributed contributing photo photos")
_CREDIT_NAME_RE = re.compile(
    r"\b(?:" + "|".join(re.escape(n) for n in sorted(CREDIT_NAMES, key=len, reverse=True)) + r")\b",
    re.IGNORECASE,
)
# Entity types that are never evidence of the same event: dates ("March", "last week").
UNRELATING_TYPES = frozenset({"DATE"})

# Different words for the same thing in news text, folded to one key term before weighting
# and matching (general vocabulary, not tuned per corpus; see docs/related.md). One group
# per line; a word's stem stands for every inflection ("withdrawal", "withdraw" share one).
SYNONYM_GROUPS = (
    "withdrawal withdraw withdrawn drawdown pullout",
    "waiver exemption exempt waive",
    "ceasefire truce",
    "purchase buy bought",
    "acquisition takeover",
    "lawmaker legislator",
    "film movie",
    "kidnapping kidnap abduction abduct",
    "militant insurgent",
    "phone cellphone handset smartphone",
    "poll survey",
    "forecast prediction predict",
    "resign quit",
    "jail prison imprison",
    "murder homicide",
    "troop soldier",
    "hostage captive",
    "agreement accord pact",
    "lawsuit litigation",
    "unemployment jobless joblessness",
)


# Particles of Arabic, Dutch, German, French, Italian, Portuguese names ("al-Sudani", "bin
# Salman", "van der Leyen", "de Gaulle"): a word of a name, meaningless alone. Lower case.
NAME_PARTICLES = word_set(
    "al el ul bin bint ibn abu abd de del della der den di da du dos das van von le la"
)
# A particle is part of a name when joined to the next word by a hyphen or apostrophe, or
# followed by a capitalised word (or another particle: "van der Leyen").
_PARTICLE_IN_NAME = re.compile(
    r"\b(?P<particle>[^\W\d_]+)(?:[-‐'’](?=[^\W\d_])|[ \t]+(?=[A-ZÀ-ÖØ-Þ]|(?:"
    + "|".join(sorted(NAME_PARTICLES))
    + r")[ \t-]))",
)


def name_particle_terms(analyzer: Any, text: str) -> set[str]:
    """Analysed terms of the name particles in ``text`` that stand there only inside a name
    ("al" in "met al-Sudani"), not those also used as a word ("a white van")."""
    inside: set[str] = set()
    alone: set[str] = set()
    named = {m.start("particle") for m in _PARTICLE_IN_NAME.finditer(text)}
    for token in analyzer(text, chars=True, mode="query"):
        if text[token.startchar : token.endchar].lower() in NAME_PARTICLES:
            (inside if token.startchar in named else alone).add(token.text)
    return inside - alone


def never_evidence(word: str) -> bool:
    """A key term that relates nothing: an agency name, a credit-line word, a month or weekday
    name."""
    lowered = word.lower()
    if lowered in CREDIT_NAMES or lowered in CREDIT_WORDS:
        return True
    return word[:1].isupper() and lowered in CALENDAR_WORDS


def credit_terms(analyzer: Any, text: str) -> set[str]:
    """The analysed terms of the agency names the paragraph mentions ("Associated Press")."""
    names = " ".join(match.group(0) for match in _CREDIT_NAME_RE.finditer(text))
    return {token.text for token in analyzer(names, mode="query")} if names else set()


def is_evidence(mention: Any) -> bool:
    """False for mentions that never relate two passages: dates, agencies and credits."""
    if mention.type in UNRELATING_TYPES:
        return False
    from briefreader.text.entities.keys import name_key

    return not ({name_key(mention.text), name_key(mention.name)} & CREDIT_NAMES)


_FOLD: dict[str, str] = {}
_MEMBERS: dict[str, tuple[str, ...]] = {}


def synonyms(analyzer: Any) -> dict[str, str]:
    """Stem -> the group's key term (the first word's stem), built once with the analyzer."""
    if not _FOLD:
        for line in SYNONYM_GROUPS:
            stems = [t.text for word in line.split() for t in analyzer(word, mode="query")]
            members = tuple(dict.fromkeys(stems))
            for stem in members:
                _FOLD.setdefault(stem, members[0])
            _MEMBERS[members[0]] = members
    return _FOLD


def fold_terms(terms: Iterable[str], fold: dict[str, str]) -> list[str]:
    """Each term replaced by its synonym group's key term."""
    return [fold.get(t, t) for t in terms]


def members(term: str) -> tuple[str, ...]:
    """The stems a key term stands for (itself unless it heads a synonym group)."""
    return _MEMBERS.get(term, (term,))


def folded(analysed: AnalysedTerms, fold: dict[str, str]) -> AnalysedTerms:
    """``analyse_terms`` output with synonyms folded to their group's key term."""
    counts, surface, names, sequence = analysed
    counted: Counter[str] = Counter()
    for term, count in counts.items():
        counted[fold.get(term, term)] += count
    words: dict[str, str] = {}
    for term, word in surface.items():
        words.setdefault(fold.get(term, term), word)
    return counted, words, set(fold_terms(names, fold)), fold_terms(sequence, fold)


def bigrams(sequence: Sequence[str]) -> set[tuple[str, str]]:
    """Adjacent term pairs of a key-term sequence ("Renad Mansour")."""
    return set(itertools.pairwise(sequence))
