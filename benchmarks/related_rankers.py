"""Rankers compared by the related-passage evaluation (and used to pool candidates for judging).

Each ranker maps a passage id to passage ids of *other* articles, best first. They take a
``depth`` so the pooling step can ask for more than the panel's five.
"""

from __future__ import annotations

import heapq
import math
import weakref
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

from briefreader.search.index.documents import stored_passage_id
from briefreader.search.library import Library
from briefreader.search.postings import PassageIndex
from briefreader.search.related import RelatedOptions, find_related

Ranker = Callable[[Library, str, int], list[str]]


def _article_of(passage_id: str) -> str:
    return passage_id.rsplit(":p", 1)[0]


_INDEXES: weakref.WeakKeyDictionary[Any, PassageIndex] = weakref.WeakKeyDictionary()


def bm25_ranker(library: Library, passage_id: str, depth: int) -> list[str]:
    """Plain BM25 (k1 = 1.2, b = 0) over passage documents: every analysed word of the
    paragraph, weighted by query frequency × idf, summed term-at-a-time over the postings;
    passages of the paragraph's own article left out. (Whoosh's own BM25F over an OR query of
    30–80 words took 10 s per paragraph on BBC News.)"""
    article, passage = library.passage(passage_id)
    with library.lock:
        searcher = library.searcher
        index = _INDEXES.get(searcher)
        if index is None:
            index = _INDEXES[searcher] = PassageIndex(searcher)
        analyzer = library.schema["body"].analyzer
        counts = Counter(t.text for t in analyzer(passage.text, mode="query"))
        weighted = [(term, count * _idf(index, term)) for term, count in counts.items()]
        scores: dict[int, float] = {}
        index.accumulate("body", weighted, scores)
        ids = []
        for docnum in heapq.nlargest(depth + 60, scores, key=lambda d: (scores[d], -d)):
            fields = searcher.stored_fields(docnum)
            if fields.get("article_id") != article.id:
                ids.append(stored_passage_id(fields))
    return ids[:depth]


def whoosh_bm25_ranker(library: Library, passage_id: str, depth: int) -> list[str]:
    """Whoosh's BM25F over passage documents, the paragraph's analysed words OR-ed: the BM25
    that pooled the judged set (``related_pool``); slow, so the evaluation uses
    ``bm25_ranker``."""
    from whoosh import query as wq

    article, passage = library.passage(passage_id)
    with library.lock:
        searcher = library.searcher
        analyzer = library.schema["body"].analyzer
        terms = list(dict.fromkeys(t.text for t in analyzer(passage.text, mode="query")))
        if not terms:
            return []
        query = wq.Or([wq.Term("p_body", t) for t in terms])
        hits = searcher.search(query, limit=depth + 200)
        ids = [stored_passage_id(h.fields()) for h in hits if h["article_id"] != article.id]
    return ids[:depth]


def _idf(index: PassageIndex, term: str) -> float:
    frequency = max(index.df("body", term), 1)
    return math.log(1.0 + (index.total - frequency + 0.5) / (frequency + 0.5))


def related_ranker(options: RelatedOptions) -> Ranker:
    """``find_related`` with these options (its own threshold applies)."""

    def rank(library: Library, passage_id: str, depth: int) -> list[str]:
        result = find_related(library, passage_id, limit=depth, options=options)
        return [item.passage_id for item in result.items]

    return rank


def cosine_ranker(library: Library, passage_id: str, depth: int) -> list[str]:
    """Plain MiniLM cosine over the stored vectors (the semantic extra), other articles only."""
    from briefreader.search import semantic

    store = semantic.prepare(library)
    _, passage = library.passage(passage_id)
    key = semantic.text_hash(passage.text)
    store.ensure([(key, semantic.embedding_text(passage.heading, passage.text))])
    found = store.nearest(store.vector(key), depth + 60)
    own = _article_of(passage_id)
    return [pid for pid, _, _ in found if _article_of(pid) != own][:depth]


def rrf(rankers: Sequence[Ranker], k: int = 60) -> Ranker:
    """Reciprocal-rank fusion (k = 60, the usual constant) of several rankers' top 50."""

    def rank(library: Library, passage_id: str, depth: int) -> list[str]:
        scores: dict[str, float] = {}
        for ranker in rankers:
            for position, pid in enumerate(ranker(library, passage_id, 50)):
                scores[pid] = scores.get(pid, 0.0) + 1.0 / (k + position + 1)
        return sorted(scores, key=lambda p: (-scores[p], p))[:depth]

    return rank


def unthresholded(options: RelatedOptions) -> RelatedOptions:
    """The same options with the "nothing related" threshold off (for pooling)."""
    from dataclasses import replace

    return replace(options, threshold=0.0)


def describe(library: Library, passage_id: str) -> dict[str, Any]:
    """A passage's id, title and text (what the judging sheet shows)."""
    article, passage = library.passage(passage_id)
    return {"id": passage_id, "title": article.title, "text": passage.text}
