"""BM25F with each field's statistics taken over the documents that can hold the field.

Articles and their passages share one index in fields of their own (``search/index/schema``).
Whoosh's BM25F divides a field's total length by every document of the index, and takes its
idf against every document too: an article field's average length came out about six times
too short (five passage documents per article hold none of it), so every article looked six
times longer than the average, and every word's idf was shifted by log 6.

``KindBM25F`` counts an article field's documents as the articles, a passage field's
(``p_``) as the passages, and any other field's as every document, so an article scores as
it would in an index of the articles alone. This looked like a large speed-up at first
(Whoosh's early stop, its bounds nearer the real scores); that part came from pruning that
loses top hits, made safe in ``whoosh_patches`` after an audit found it, and then the two
weightings answer as fast as each other (docs/performance.md).
"""

from __future__ import annotations

from math import log
from typing import Any

from whoosh import scoring

from briefreader.search.index.schema import ARTICLE_FIELDS, PASSAGE_PREFIX

_ARTICLES = "_briefreader_articles"  # the article count, kept on the top searcher


def documents_holding(searcher: Any, fieldname: str) -> int:
    """How many documents of the index ``searcher`` belongs to can hold ``fieldname``:
    the articles for an article field, the passages for a passage field, else all (deleted
    ones included, as Whoosh's own counts are)."""
    top = searcher.get_parent()
    total = top.doc_count_all()
    if fieldname not in ARTICLE_FIELDS and not fieldname.startswith(PASSAGE_PREFIX):
        return max(total, 1)
    articles = top.__dict__.get(_ARTICLES)
    if articles is None:
        articles = top.doc_frequency("kind", "article")
        setattr(top, _ARTICLES, articles)
    held = articles if fieldname in ARTICLE_FIELDS else total - articles
    return max(held, 1)


class KindBM25FScorer(scoring.BM25FScorer):
    """Whoosh's BM25F scorer with the field's average length over ``documents_holding``."""

    def __init__(
        self, searcher: Any, fieldname: str, text: bytes, B: float, K1: float, qf: int = 1
    ) -> None:
        top = searcher.get_parent()
        self.idf = top.idf(fieldname, text)
        self.avgfl = top.field_length(fieldname) / documents_holding(searcher, fieldname) or 1
        self.B = B
        self.K1 = K1
        self.qf = qf
        self.setup(searcher, fieldname, text)


class KindBM25F(scoring.BM25F):
    """BM25F (Whoosh's B and K1) whose idf and average field length count only the
    documents that can hold the field."""

    def idf(self, searcher: Any, fieldname: str, text: bytes) -> float:
        """log(documents holding the field / (documents with the word + 1)) + 1, as
        Whoosh's, over ``documents_holding``."""
        frequency = searcher.get_parent().doc_frequency(fieldname, text)
        return log(documents_holding(searcher, fieldname) / (frequency + 1)) + 1

    def scorer(self, searcher: Any, fieldname: str, text: bytes, qf: int = 1) -> Any:
        """A ``KindBM25FScorer`` (Whoosh's weight scorer for an unscorable field)."""
        if not searcher.schema[fieldname].scorable:
            return scoring.WeightScorer.for_(searcher, fieldname, text)
        B = self._field_B.get(fieldname, self.B)
        return KindBM25FScorer(searcher, fieldname, text, B, self.K1, qf=qf)


WEIGHTING = KindBM25F()
