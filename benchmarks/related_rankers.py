"""Rankers compared by the related-passage evaluation (and used to pool candidates for judging).

Each ranker maps a passage id to passage ids of *other* articles, best first. They take a
``depth`` so the pooling step can ask for more than the panel's five.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from whoosh import query as wq

from briefreader.search.library import Library
from briefreader.search.related import RelatedOptions, find_related

Ranker = Callable[[Library, str, int], list[str]]


def _article_of(passage_id: str) -> str:
    return passage_id.rsplit(":p", 1)[0]


def bm25_ranker(library: Library, passage_id: str, depth: int) -> list[str]:
    """Plain BM25 (Whoosh's BM25F, defaults) over passage documents, the paragraph's analysed
    words OR-ed as the query, passages of the paragraph's own article left out."""
    article, passage = library.passage(passage_id)
    with library.lock:
        searcher = library.searcher
        analyzer = library.schema["body"].analyzer
        terms = list(dict.fromkeys(t.text for t in analyzer(passage.text, mode="query")))
        if not terms:
            return []
        query = wq.And([wq.Or([wq.Term("body", t) for t in terms]), wq.Term("kind", "passage")])
        hits = searcher.search(query, limit=depth + 200)  # Whoosh's default BM25F
        ids = [h["doc_id"] for h in hits if h["article_id"] != article.id]
    return ids[:depth]


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
