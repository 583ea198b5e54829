"""Every match scored a posting block at a time (``search/bulk.py``) against Whoosh's own
collector without pruning: the same top hits in the same order, the same scores, the exact
number of matches, over several segments, deletions, and posting lists long enough to span
many blocks."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import pytest
from whoosh import collectors, index, query

from briefreader.search.budget import collect_top
from briefreader.search.bulk import top_matches
from briefreader.search.index.schema import build_schema
from briefreader.search.query import ExpandedWords
from briefreader.search.weighting import WEIGHTING

WORDS = [f"w{n}" for n in range(40)]  # a Zipf-like draw: w0 in most documents, w39 in few
FIELDS = ("title", "body", "heading", "references")


def _text(rng: random.Random, length: int) -> str:
    return " ".join(WORDS[min(int(rng.paretovariate(0.8)) - 1, 39)] for _ in range(length))


def _document(rng: random.Random, number: int) -> dict[str, str]:
    return {
        "doc_id": str(number),
        "kind": "article",
        "article_id": str(number),
        "title": _text(rng, rng.randint(2, 8)),
        "body": _text(rng, rng.randint(20, 400)),
        "heading": _text(rng, rng.randint(0, 6)),
        "references": _text(rng, rng.randint(0, 3)),
    }


@pytest.fixture(scope="module")
def searcher(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """Three segments (1,400, 600 and 30 documents), some documents deleted in each."""
    folder: Path = tmp_path_factory.mktemp("bulk")
    rng = random.Random(7)
    ix = index.create_in(str(folder), build_schema())
    number = 0
    for size in (1400, 600, 30):
        writer = ix.writer()
        for _ in range(size):
            writer.add_document(**_document(rng, number))
            number += 1
        writer.commit(merge=False)
    writer = ix.writer()
    for doc_id in rng.sample(range(number), 200):
        writer.delete_by_term("doc_id", str(doc_id))
    writer.commit(merge=False)
    with ix.searcher(weighting=WEIGHTING) as opened:
        assert len(opened.leaf_searchers()) == 3
        yield opened


def _all_fields(word: str, boost: float = 1.0) -> query.Query:
    return query.Or([query.Term(name, word) for name in FIELDS], boost=boost)


def _phrase(words: list[str]) -> query.Query:
    return query.Or([query.Phrase(name, words) for name in FIELDS])


def _queries(seed: int) -> list[query.Query]:
    rng = random.Random(seed)
    common, rare = WORDS[:6], WORDS[6:]
    made: list[query.Query] = [
        _all_fields(rng.choice(common)),
        _all_fields(rng.choice(rare), boost=1.5),
        query.And([_all_fields(rng.choice(common)), _all_fields(rng.choice(common))]),
        query.And([_all_fields(rng.choice(common)), _all_fields(rng.choice(rare))]),
        query.And([_all_fields(word) for word in rng.sample(common, 3)]),
        query.Or([_all_fields(rng.choice(common)), _all_fields(rng.choice(rare))]),
        _phrase(rng.sample(common, 2)),
        _phrase([rng.choice(common), rng.choice(common)]),  # a word twice, maybe
        _phrase(rng.sample(common, 3)),
        query.And([_phrase(rng.sample(common, 2)), _all_fields(rng.choice(common))]),
        query.Phrase("body", rng.sample(common, 2), boost=2.0),
        ExpandedWords([query.Term("body", word) for word in rng.sample(WORDS, 9)]),
        ExpandedWords([query.Term("body", word) for word in rng.sample(WORDS, 3)]),
        query.Or([query.Prefix("title", "w1"), query.Term("body", rng.choice(common))]),
        query.And([_all_fields(rng.choice(rare)), query.Prefix("body", "w1")]),
        query.And([_all_fields(rng.choice(common)), query.FuzzyTerm("body", "w12", maxdist=1)]),
        query.And([query.Term("body", rng.choice(common))]),  # one child: no boost either
        query.Term("body", "absentword"),
        _phrase([rng.choice(common), "absentword"]),
    ]
    return made


def _unpruned(searcher: object, wanted: query.Query, limit: int) -> list[tuple[int, float]]:
    collector = collectors.TopCollector(limit=limit, usequality=False)
    searcher.search_with_collector(wanted, collector)  # type: ignore[attr-defined]
    return [(hit.docnum, hit.score) for hit in collector.results()]


@pytest.mark.parametrize("seed", range(6))
def test_the_same_top_hits_scores_and_counts_as_whoosh(searcher: object, seed: int) -> None:
    for wanted in _queries(seed):
        for limit in (1, 20, 100):
            found = top_matches(searcher, wanted, limit, lambda: None)
            assert found is not None, wanted
            expected = _unpruned(searcher, wanted, limit)
            assert [docnum for docnum, _ in found.hits] == [docnum for docnum, _ in expected], (
                wanted
            )
            for (_, mine), (_, theirs) in zip(found.hits, expected, strict=True):
                assert mine == pytest.approx(theirs, rel=1e-12, abs=0.0)
            matches = list(searcher.docs_for_query(wanted))  # type: ignore[attr-defined]
            # exact, or (a quoted phrase, positions checked only for the top) at most
            assert found.total == len(matches) if found.exact else found.total >= len(matches)


def test_the_searchs_collector_finds_whooshs_unpruned_top_hits(searcher: object) -> None:
    """What the search runs (``collect_top``) gives the best documents, none lost to pruning."""
    for seed in range(6):
        for wanted in _queries(seed):
            top = collect_top(searcher, wanted, 10)
            count = len(list(searcher.docs_for_query(wanted)))  # type: ignore[attr-defined]
            assert top.total == count if top.exact else top.total >= count
            assert [d for d, _ in top.hits] == [d for d, _ in _unpruned(searcher, wanted, 10)]


@pytest.mark.parametrize(
    "wanted",
    [
        query.And([query.Term("body", "w2"), query.Not(query.Term("body", "w39"))]),
        query.AndNot(_all_fields("w5"), query.Term("body", "w30")),
        query.Or([query.Term("body", "w0"), query.Term("body", "w1")], scale=0.5),
        query.Phrase("body", ["w0", "w1"], slop=3),
        query.And([query.Term("body", "w0"), query.Every()]),
        query.And([query.Term("body", "w0"), query.TermRange("title", "w1", "w2")]),
    ],
)
def test_other_shapes_are_left_to_whoosh(searcher: object, wanted: query.Query) -> None:
    assert top_matches(searcher, wanted, 10, lambda: None) is None
    top = collect_top(searcher, wanted, 10)  # Whoosh's collector answers them
    matches = set(searcher.docs_for_query(wanted))  # type: ignore[attr-defined]
    assert top.hits and {docnum for docnum, _ in top.hits} <= matches


def test_the_checkpoint_is_asked_before_each_block(searcher: object) -> None:
    class Stop(Exception):
        pass

    asked: list[int] = []

    def checkpoint() -> None:
        asked.append(1)
        if len(asked) > 3:
            raise Stop

    with pytest.raises(Stop):
        top_matches(searcher, _all_fields("w0"), 10, checkpoint)


def test_a_quoted_phrase_checks_positions_only_as_far_as_the_top_needs(searcher: object) -> None:
    """A phrase's score does not depend on where its words stand: documents holding the
    words are taken best first and checked until none left could enter the top; the count
    is then an upper bound, exact when every candidate was checked."""
    wanted = _phrase(["w0", "w1"])
    matches = set(searcher.docs_for_query(wanted))  # type: ignore[attr-defined]
    assert len(matches) > 50
    few = top_matches(searcher, wanted, 3, lambda: None)
    assert few is not None and not few.exact and few.total > len(matches)
    assert few.hits == _unpruned(searcher, wanted, 3)
    every = top_matches(searcher, wanted, len(matches) + 5, lambda: None)
    assert every is not None and every.exact and every.total == len(matches)
    assert {docnum for docnum, _ in every.hits} == matches
