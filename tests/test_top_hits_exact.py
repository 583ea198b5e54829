"""The top N of a search is the head of its full ranking, with ``KindBM25F``'s tight bounds.

Whoosh prunes a top-N search on each matcher's bound (``max_quality``) against the N-th best
score so far. ``whoosh_patches`` makes three of those bounds or their uses safe (an array
union's, a negation's, and a union's conversions); an independent audit found prefix
searches, two-word ANDs and ``X -Y`` whose top 10 missed documents a longer list showed.
"""

from __future__ import annotations

import random
from typing import Any

import pytest
from whoosh import fields, index, query

import briefreader.search.index.whoosh_patches  # noqa: F401  (the patches under test)
from briefreader.search.weighting import KindBM25F

VOCABULARY = [f"w{number:03d}" for number in range(300)]
FIELDS = ("title", "body", "heading")


def _zipf_words(rng: random.Random, count: int) -> list[str]:
    weights = [1 / (rank + 1) for rank in range(len(VOCABULARY))]
    return rng.choices(VOCABULARY, weights=weights, k=count)


@pytest.fixture(scope="module")
def mixed(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """2,000 articles (title, body, a heading now and then), three passages each."""
    rng = random.Random(5)
    folder = tmp_path_factory.mktemp("mixed")
    schema = fields.Schema(
        kind=fields.ID(stored=True),
        article_id=fields.ID(stored=True),
        title=fields.TEXT(field_boost=2.5),
        body=fields.TEXT,
        heading=fields.TEXT(field_boost=1.5),
        p_body=fields.TEXT,
    )
    ix = index.create_in(str(folder), schema)
    writer = ix.writer()
    for number in range(2000):
        body = " ".join(_zipf_words(rng, rng.randint(20, 400)))
        heading = " ".join(_zipf_words(rng, 3)) if rng.random() < 0.1 else ""
        title = " ".join(_zipf_words(rng, rng.randint(3, 9)))
        writer.add_document(
            kind="article", article_id=str(number), title=title, body=body, heading=heading
        )
        for part in range(3):
            writer.add_document(kind="passage", article_id=str(number), p_body=body[part::3])
    writer.commit()
    return ix


def _word(word: str) -> query.Query:
    return query.Or([query.Term(name, word) for name in FIELDS])


def _prefix(words: list[str]) -> query.Query:
    """As ``ExpandedWords`` searches a prefix: per field, an array union of its words."""
    per_field = []
    for name in FIELDS:
        union = query.Or([query.Term(name, word) for word in words])
        union.matcher_type = query.Or.ARRAY_MATCHER
        per_field.append(union)
    return query.Or(per_field)


def _queries(seed: int) -> list[query.Query]:
    rng = random.Random(seed)
    common = VOCABULARY[:60]
    made: list[query.Query] = []
    for _ in range(40):
        first, second, third = rng.sample(common, 3)
        made.append(query.And([_word(first), _word(second)]))
        made.append(query.And([_word(first), query.Not(_word(second))]))
        made.append(query.And([_word(first), _word(second), _word(third)]))
        made.append(_prefix(rng.sample(VOCABULARY[:120], rng.randint(8, 14))))
    return made


@pytest.mark.parametrize("seed", [1, 2])
def test_the_top_ten_is_the_head_of_the_full_ranking(mixed: Any, seed: int) -> None:
    wrong = []
    with mixed.searcher(weighting=KindBM25F()) as searcher:
        for wanted in _queries(seed):
            every = [round(hit.score, 6) for hit in searcher.search(wanted, limit=None)]
            top = [round(hit.score, 6) for hit in searcher.search(wanted, limit=10)]
            if top != sorted(every, reverse=True)[:10]:
                wrong.append(wanted)
    assert not wrong, wrong[:3]


def test_an_array_union_counts_every_part(mixed: Any) -> None:
    """An array union over 8,000 documents reads them 2,048 at a time; what counts a query's
    matches (``all_ids``) gives the documents its hits are drawn from, every part's (it
    counted the first part's scores again for each part: wrong totals for a prefix or fuzzy
    word alone in its query, found by an independent audit)."""
    rng = random.Random(9)
    with mixed.searcher(weighting=KindBM25F()) as searcher:
        for _ in range(5):
            words = rng.sample(VOCABULARY[100:300], 12)
            union = query.Or([query.Term("title", word) for word in words])
            union.matcher_type = query.Or.ARRAY_MATCHER
            counted = set(union.matcher(searcher).all_ids())
            stepped, matcher = set(), union.matcher(searcher)
            while matcher.is_active():
                stepped.add(matcher.id())
                matcher.next()
            assert counted == stepped
            assert len(searcher.search(union, limit=None)) == len(stepped) > 20
