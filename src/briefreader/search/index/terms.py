"""Key terms of a paragraph: what related passages compare, stored with each passage document.

The indexer stores ``passage_terms`` of every passage (the ``terms`` field); the ranking in
``search/related/`` analyses the paragraph under the cursor with ``analyse_terms`` and
re-scores candidates from their stored terms, never re-analysing their text.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from briefreader.search.index.fast_analysis import FastAnalyzer
from briefreader.search.index.schema import text_analyzer

AnalysedTerms = tuple[Counter[str], dict[str, str], set[str], list[str]]


def word_set(text: str) -> frozenset[str]:
    """A word list written as one string (easier to read and edit than a list literal)."""
    return frozenset(text.split())


_SENTENCE_END = re.compile(r"[.!?]['’\"”)\]]*\s*$")
# Function words and reporting verbs: the index keeps them (phrase search needs them), but
# they say nothing about what a paragraph is about.
QUERY_STOP_WORDS = word_set(
    """
    a about above after again against all also am an and any are as at be because been
    before being below between both but by can could did do does doing down during each even
    few for from further had has have having he her here hers herself him himself his how i
    if in into is it its itself just like many me might more most much must my myself no nor
    not now of off on once only or other our ours ourselves out over own same she should so
    some still such than that the their theirs them themselves then there these they this
    those through to too under until up upon very was we were what when where which while
    who whom why will with would yet you your yours yourself said says say saying told tells
    according added asked one two three new last first next later since already however
    meanwhile mr ms mrs dr
    """
)
CALENDAR_WORDS = word_set(
    """
    january february march april may june july august september october november december
    jan feb mar apr jun jul aug sep sept oct nov dec monday tuesday wednesday thursday
    friday saturday sunday
    """
)
NAME_MARK = "+"


def analyse_terms(analyzer: Any, text: str) -> AnalysedTerms:
    """Stemmed term counts, a readable surface word per term, the terms that are names, and
    the terms in order (stop words kept out)."""
    sequence, words, names = _key_terms(analyzer, text)
    surface: dict[str, str] = {}
    for term, word in zip(sequence, words, strict=True):
        surface.setdefault(term, word)
    return Counter(sequence), surface, names, sequence


def _key_terms(analyzer: Any, text: str) -> tuple[list[str], list[str], set[str]]:
    """The terms in order (stop words kept out), each one's surface word (lowercased unless
    capitalised), and the terms that are names."""
    sequence: list[str] = []
    words: list[str] = []
    names: set[str] = set()
    for term, start, end in _spans(analyzer, text):
        word = text[start:end]
        lowered = word.lower().strip(".'’")
        if lowered in QUERY_STOP_WORDS:
            continue
        sequence.append(term)
        if not word[:1].isupper():
            words.append(lowered)
            continue
        words.append(word)
        if lowered not in CALENDAR_WORDS and not _starts_sentence(text, start):
            names.add(term)
    return sequence, words, names


def _spans(analyzer: Any, text: str) -> Iterable[tuple[str, int, int]]:
    """Each token's text, start and end character: from ``FastAnalyzer``'s lists when the
    analyzer is one (no ``Token`` per word), else from the analyzer's tokens."""
    if isinstance(analyzer, FastAnalyzer):
        return zip(*analyzer.spans(text), strict=True)
    tokens = analyzer(text, chars=True, mode="query")
    return ((token.text, token.startchar, token.endchar) for token in tokens)


@lru_cache(maxsize=1)
def _index_analyzer() -> Any:
    return text_analyzer()


def passage_terms(text: str, analyzer: Any = None) -> str:
    """The paragraph's key-term sequence as stored with each passage document.

    Analysed terms in order, query stop words left out, names marked with ``NAME_MARK``
    ("+mansour chatham +hous"): candidates are re-scored from this stored field, without
    analysing their text again. Changing the analysis here needs a ``SCHEMA_VERSION`` bump.
    """
    sequence, _, names = _key_terms(analyzer or _index_analyzer(), text)
    return " ".join(NAME_MARK + t if t in names else t for t in sequence)


def _starts_sentence(text: str, position: int) -> bool:
    before = text[max(0, position - 4) : position]
    return position == 0 or bool(_SENTENCE_END.search(before)) or before.endswith(("“", '"'))
