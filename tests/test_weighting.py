"""BM25F over the documents that can hold a field (``search/weighting.py``).

Articles and passages share one index; an article field's scores must be those the articles
would get in an index of their own. (What that does to query time is measured, not tested:
``benchmarks`` at ×16 and ×32, docs/performance.md.)
"""

from __future__ import annotations

import random
from math import log
from pathlib import Path
from typing import Any

import pytest
from whoosh import fields, index, query

import briefreader.search.index.whoosh_patches  # noqa: F401  (as the library reads)
from briefreader.search.library import Library
from briefreader.search.weighting import KindBM25F, documents_holding
from briefreader.workspace import Workspace

ARTICLES = 60
PASSAGES = 5
COMMON = ("alpha", "bravo", "charlie")


def _schema() -> fields.Schema:
    return fields.Schema(
        kind=fields.ID(stored=True),
        article_id=fields.ID(stored=True),
        title=fields.TEXT,
        body=fields.TEXT,
        p_body=fields.TEXT,
    )


def _article(rng: random.Random) -> tuple[str, str, list[str]]:
    words = [rng.choice(COMMON) for _ in range(rng.randint(2, 40))]
    words += ["filler"] * rng.randint(0, 200)
    rng.shuffle(words)
    body = " ".join(words)
    return f"title {rng.choice(COMMON)}", body, [body[i::PASSAGES] for i in range(PASSAGES)]


def _build(folder: Path, with_passages: bool, seed: int = 7) -> Any:
    rng = random.Random(seed)
    folder.mkdir(parents=True)
    ix = index.create_in(str(folder), _schema())
    writer = ix.writer()
    for number in range(ARTICLES):
        title, body, passages = _article(rng)
        writer.add_document(kind="article", article_id=f"a{number}", title=title, body=body)
        if with_passages:
            for passage in passages:
                writer.add_document(kind="passage", article_id=f"a{number}", p_body=passage)
    writer.commit()
    return ix


@pytest.fixture
def mixed(tmp_path: Path) -> Any:
    return _build(tmp_path / "mixed", with_passages=True)


def test_each_field_counts_the_documents_that_can_hold_it(mixed: Any) -> None:
    with mixed.searcher(weighting=KindBM25F()) as searcher:
        assert documents_holding(searcher, "title") == ARTICLES
        assert documents_holding(searcher, "body") == ARTICLES
        assert documents_holding(searcher, "p_body") == ARTICLES * PASSAGES
        assert documents_holding(searcher, "article_id") == ARTICLES * (PASSAGES + 1)


def test_the_scorer_takes_its_statistics_over_the_articles(mixed: Any) -> None:
    with mixed.searcher(weighting=KindBM25F()) as searcher:
        scorer = searcher.weighting.scorer(searcher, "body", b"alpha")
        assert scorer.avgfl == pytest.approx(searcher.field_length("body") / ARTICLES)
        frequency = searcher.doc_frequency("body", "alpha")
        assert scorer.idf == pytest.approx(log(ARTICLES / (frequency + 1)) + 1)


@pytest.mark.parametrize(
    "wanted",
    [
        query.Term("body", "alpha"),
        query.And([query.Term("body", "alpha"), query.Term("body", "bravo")]),
        query.Or([query.Term("title", "charlie"), query.Term("body", "charlie")]),
    ],
)
def test_articles_score_as_in_an_index_of_their_own(
    tmp_path: Path, mixed: Any, wanted: query.Query
) -> None:
    """Every article's score in the mixed index equals Whoosh's BM25F in an index holding
    only the articles (same texts, same order)."""
    alone = _build(tmp_path / "alone", with_passages=False)
    with mixed.searcher(weighting=KindBM25F()) as ours, alone.searcher() as theirs:
        got = {hit["article_id"]: hit.score for hit in ours.search(wanted, limit=None)}
        expected = {hit["article_id"]: hit.score for hit in theirs.search(wanted, limit=None)}
    assert got.keys() == expected.keys() and got
    for article_id, score in expected.items():
        assert got[article_id] == pytest.approx(score, rel=1e-6)


def test_the_library_ranks_with_it(sample_workspace: Path) -> None:
    library = Library.open(Workspace(sample_workspace))
    try:
        assert isinstance(library.searcher.weighting, KindBM25F)
        assert library.search("minister").hits
    finally:
        library.close()
