"""Corpus statistics the ranking reads, memoised per snapshot of the index: document
frequencies and idf (synonyms summed), stored key terms of passages, tf-idf vectors, figures,
and BM25 with its length norm."""

from __future__ import annotations

import math
import statistics
import weakref
from collections import Counter
from typing import TYPE_CHECKING, Any

from briefreader.search.figures import Figure, extract_figures
from briefreader.search.index.terms import NAME_MARK, passage_terms
from briefreader.search.postings import K1
from briefreader.search.related.model import MAX_QUERY_TERMS, KeyTerms
from briefreader.search.related.vocabulary import members, synonyms

if TYPE_CHECKING:
    from briefreader.search.backend import PassageStatistics, SearchBackend

# Proper names are weighted by their idf like any other term. A boost on top favoured the
# names every article repeats ("Prime Minister", the country's leader) over the words that
# carry the claim; dev nDCG@5 0.685 unboosted against 0.675 boosted.
NAME_BOOST = 1.0
BM25_B = 0.75
KEY_TERM_SHARE = 0.85


class SearcherStats:
    """Per-snapshot memo over the backend's ``PassageStatistics``: idfs, vectors, figures,
    candidates' stored key terms.

    Bounded, and dropped with the snapshot (``refresh`` makes a new one), so it never
    outlives the index it describes.
    """

    MAX_STORED = 20_000
    REFERENCE_SAMPLE = 200
    MAX_DF_ENTRIES = 200_000

    def __init__(self, index: PassageStatistics) -> None:
        self.index = index
        self.analyzer = index.analyzer
        self.mask = index.mask
        self.total = index.total
        self.passages = index.passages
        self.df = index.df
        self.docnums = index.docnums
        self.accumulate = index.accumulate
        self.fold = synonyms(self.analyzer)
        self._stored: dict[int, tuple[dict[str, Any], KeyTerms]] = {}
        self._average: float | None = None
        self._idfs: dict[tuple[str, str], float] = {}
        self._vectors: dict[tuple[int, bool], tuple[dict[str, float], float]] = {}
        self._figures: dict[int, list[Figure]] = {}
        self._reference: float | None = None

    def idf(self, fieldname: str, term: str) -> float:
        """idf of a key term (memoised)."""
        key = (fieldname, term)
        found = self._idfs.get(key)
        if found is None:
            if len(self._idfs) > self.MAX_DF_ENTRIES:
                self._idfs.clear()
            found = self._idfs[key] = idf(self.total, max(self.key_df(fieldname, term), 1))
        return found

    def vector(self, docnum: int, names: bool) -> tuple[dict[str, float], float]:
        """A passage's tf-idf weights (names boosted when ``names``) and their norm (memoised)."""
        key = (docnum, names)
        found = self._vectors.get(key)
        if found is None:
            if len(self._vectors) > self.MAX_STORED:
                self._vectors.clear()
            terms = self.stored(docnum)[1]
            weights = {}
            for term, count in terms.counts.items():
                weight = (1.0 + math.log(count)) * self.idf("body", term)
                weights[term] = weight * NAME_BOOST if names and term in terms.names else weight
            norm = math.sqrt(sum(w * w for w in weights.values()))
            found = self._vectors[key] = (weights, norm)
        return found

    @property
    def reference_self_score(self) -> float:
        """The median score of a passage against itself, over an evenly spaced sample of live
        passages (memoised): what a typical paragraph has to say."""
        if self._reference is None:
            live = [docnum for docnum, flag in enumerate(self.mask) if flag]
            step = max(len(live) // self.REFERENCE_SAMPLE, 1)
            scores = [self._self_score(docnum) for docnum in live[::step]]
            self._reference = statistics.median(scores) if scores else 0.0
        return self._reference

    def _self_score(self, docnum: int) -> float:
        """A passage's BM25 against its own top key terms (as a query profile weighs them)."""
        terms = self.stored(docnum)[1]
        weights = {t: (1.0 + math.log(c)) * self.idf("body", t) for t, c in terms.counts.items()}
        top = sorted(weights.items(), key=lambda kv: (-kv[1], kv[0]))[:MAX_QUERY_TERMS]
        weighted = {t: w * self.idf("body", t) for t, w in top}
        return bm25(weighted, terms.counts, len(terms.sequence), self)

    def figures(self, docnum: int, text: str) -> list[Figure]:
        """``extract_figures`` of a passage (memoised)."""
        found = self._figures.get(docnum)
        if found is None:
            if len(self._figures) > self.MAX_STORED:
                self._figures.clear()
            found = self._figures[docnum] = extract_figures(text)
        return found

    def key_df(self, fieldname: str, term: str) -> int:
        """Document frequency of a key term: summed over its synonyms (an upper bound)."""
        return sum(self.df(fieldname, member) for member in members(term))

    @property
    def average_key_terms(self) -> float:
        """Average key-term count of a passage, estimated from the ``body`` field length.

        Article documents repeat their passages' text, so passages hold about half of the
        field's tokens; key terms (query stop words out) are about 0.85 of the tokens.
        """
        if self._average is None:
            tokens = self.index.field_length("body") / 2
            self._average = max(KEY_TERM_SHARE * tokens / max(self.passages, 1), 1.0)
        return self._average

    def stored(self, docnum: int) -> tuple[dict[str, Any], KeyTerms]:
        """Stored fields of a passage document and its key terms (memoised)."""
        found = self._stored.get(docnum)
        if found is None:
            if len(self._stored) > self.MAX_STORED:
                self._stored.clear()
            fields = self.index.stored_fields(docnum)
            packed = fields.get("terms")
            if packed is None:  # an index written before key terms were stored
                packed = passage_terms(fields.get("text", ""), self.analyzer)
            found = self._stored[docnum] = (fields, unpack_terms(packed, self.fold))
        return found


def unpack_terms(packed: str, fold: dict[str, str]) -> KeyTerms:
    """Parse ``passage_terms`` output, synonyms folded."""
    sequence = []
    names = set()
    for word in packed.split():
        if word.startswith(NAME_MARK):
            word = fold.get(word[len(NAME_MARK) :], word[len(NAME_MARK) :])
            names.add(word)
        else:
            word = fold.get(word, word)
        sequence.append(word)
    return KeyTerms(Counter(sequence), frozenset(names), tuple(sequence))


_STATS: weakref.WeakKeyDictionary[Any, SearcherStats] = weakref.WeakKeyDictionary()


def stats_for(library: SearchBackend) -> SearcherStats:
    """The memo of the library's snapshot (call with the library lock held)."""
    snapshot = library.snapshot
    stats = _STATS.get(snapshot)
    if stats is None:
        stats = _STATS[snapshot] = SearcherStats(library.passage_statistics())
    return stats


def idf(total: int, frequency: int) -> float:
    """BM25's idf of a term found in ``frequency`` of ``total`` documents."""
    return math.log(1.0 + (total - frequency + 0.5) / (frequency + 0.5))


def saturation(tf: float, length_ratio: float = 1.0) -> float:
    """BM25's term-frequency saturation; ``length_ratio`` is length / average length."""
    return tf * (K1 + 1) / (tf + K1 * (1 - BM25_B + BM25_B * length_ratio))


def bm25(
    weighted: dict[str, float], counts: Counter[str], length: int, stats: SearcherStats
) -> float:
    """BM25 of a passage's key-term counts against the weighted key terms."""
    ratio = length / stats.average_key_terms
    return sum(w * saturation(counts[t], ratio) for t, w in weighted.items() if t in counts)
