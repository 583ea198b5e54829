"""Postings of a segment with deleted documents, read without Whoosh's ``FilterMatcher``.

``live_postings`` drops deleted documents block by block inside the leaf matcher. These tests
hold it to Whoosh's own answer (the filtered postings) on indexes whose deletions empty whole
posting blocks (first, middle, last), cut into others, and hit inlined posting lists.
"""

from __future__ import annotations

import random
import types
from pathlib import Path
from typing import Any

import pytest
from whoosh import fields, index, query
from whoosh.matching.wrappers import FilterMatcher

import briefreader.search.index.whoosh_patches  # noqa: F401  (installs live_postings)
from briefreader.search.index import live_postings
from briefreader.search.index.live_postings import LiveLeafMatcher

BLOCK = 128  # Whoosh's posting block
WORDS = ("common", "half", "rare", "tail", "head")


def _words(number: int, size: int, rng: random.Random) -> str:
    """Every document has ``common``; ``half`` every other one; ``rare`` a few (inlined);
    ``head`` the first three blocks' documents, ``tail`` the last ones'."""
    words = ["common"] * rng.randint(1, 6)
    if number % 2:
        words += ["half"] * rng.randint(1, 4)
    if number % 97 == 0:
        words.append("rare")
    if number < 3 * BLOCK:
        words.append("head")
    if number >= size - 2 * BLOCK:
        words.append("tail")
    rng.shuffle(words)
    return " ".join(words + ["filler"] * rng.randint(0, 20))


def _deleted(size: int, rng: random.Random) -> set[int]:
    """Whole blocks of ``common`` (the first, one in the middle, the last), part of others,
    and scattered documents."""
    whole = set(range(BLOCK)) | set(range(4 * BLOCK, 5 * BLOCK)) | set(range(size - 40, size))
    scattered = {number for number in range(size) if rng.random() < 0.2}
    return whole | scattered | {0, 97 * 3}


@pytest.fixture(params=[11, 12])
def deleted_index(tmp_path: Path, request: pytest.FixtureRequest) -> tuple[index.Index, set[int]]:
    rng = random.Random(request.param)
    size = 9 * BLOCK + 17
    schema = fields.Schema(id=fields.ID(stored=True), body=fields.TEXT(phrase=True))
    ix = index.create_in(str(tmp_path), schema)
    writer = ix.writer()
    for number in range(size):
        writer.add_document(id=str(number), body=_words(number, size, rng))
    writer.commit()
    gone = _deleted(size, rng)
    writer = ix.writer()
    for number in sorted(gone):
        writer.delete_document(number)
    writer.commit(merge=False)
    return ix, gone


def _whoosh(reader: Any, word: str) -> Any:
    return live_postings.WHOOSH_POSTINGS(reader, "body", word)


def _walk(matcher: Any) -> list[tuple[int, float, bytes]]:
    items = []
    while matcher.is_active():
        items.append((matcher.id(), matcher.weight(), matcher.value()))
        matcher.next()
    return items


def test_the_postings_are_whooshs_filtered_ones(deleted_index: tuple[Any, set[int]]) -> None:
    ix, gone = deleted_index
    with ix.searcher() as searcher:
        reader = searcher.reader()
        for word in WORDS:
            ours = reader.postings("body", word)
            assert not isinstance(ours, FilterMatcher)
            expected = _walk(_whoosh(reader, word))
            assert expected and _walk(ours) == expected, word
            assert not {docnum for docnum, _, _ in expected} & gone
        assert isinstance(reader.postings("body", "common"), LiveLeafMatcher)


def test_skip_to_lands_where_whooshs_does(deleted_index: tuple[Any, set[int]]) -> None:
    """Targets inside emptied blocks, on deleted documents, past a block's last live one."""
    ix, gone = deleted_index
    rng = random.Random(3)
    with ix.searcher() as searcher:
        reader = searcher.reader()
        size = reader.doc_count_all()
        for word in WORDS:
            for _ in range(30):
                ours, theirs = reader.postings("body", word), _whoosh(reader, word)
                for target in sorted(rng.sample(range(size + 5), 6)):
                    if not theirs.is_active():
                        break
                    theirs.skip_to(target)
                    ours.skip_to(target)
                    assert ours.is_active() == theirs.is_active(), (word, target)
                    if theirs.is_active():
                        assert (ours.id(), ours.weight()) == (theirs.id(), theirs.weight())
                        assert ours.id() not in gone


def test_searches_rank_as_with_whooshs_postings(deleted_index: tuple[Any, set[int]]) -> None:
    """Top 10 and every match, scores included, for terms, AND, OR, NOT and phrases."""
    ix, _ = deleted_index
    parsed = [
        query.Term("body", "common"),
        query.And([query.Term("body", "half"), query.Term("body", "tail")]),
        query.Or([query.Term("body", "rare"), query.Term("body", "head")]),
        query.Or([query.Term("body", w) for w in WORDS]),
        query.AndNot(query.Term("body", "common"), query.Term("body", "half")),
        query.Phrase("body", ["common", "half"]),
    ]
    with ix.searcher() as searcher:
        for wanted in parsed:
            ours = _ranking(searcher, wanted)
            for leaf, _ in searcher.reader().leaf_readers():
                leaf.postings = types.MethodType(live_postings.WHOOSH_POSTINGS, leaf)
            theirs = _ranking(searcher, wanted)
            for leaf, _ in searcher.reader().leaf_readers():
                del leaf.postings
            assert ours == theirs, wanted
            assert ours[1], wanted


def _ranking(searcher: Any, wanted: query.Query) -> tuple[list[Any], list[Any]]:
    def scored(hits: Any) -> list[tuple[int, float]]:
        return sorted((hit.docnum, round(hit.score, 9)) for hit in hits)

    top = [round(hit.score, 9) for hit in searcher.search(wanted, limit=10)]
    return top, scored(searcher.search(wanted, limit=None))


def test_a_segment_without_deletions_keeps_whooshs_matcher(tmp_path: Path) -> None:
    schema = fields.Schema(body=fields.TEXT)
    ix = index.create_in(str(tmp_path), schema)
    writer = ix.writer()
    for number in range(300):
        writer.add_document(body=f"word{number % 3} common")
    writer.commit()
    with ix.searcher() as searcher:
        matcher = searcher.reader().postings("body", "common")
        assert type(matcher).__name__ == "W3LeafMatcher"
        assert len(list(matcher.all_ids())) == 300


def test_thousands_of_emptied_blocks_in_a_row(tmp_path: Path) -> None:
    """A term whose first 1,500 posting blocks hold only deleted documents (a re-indexed
    folder): the matcher passes over them to the live ones without a recursion per block."""
    schema = fields.Schema(body=fields.TEXT)
    ix = index.create_in(str(tmp_path), schema)
    size = 1500 * BLOCK + 50
    writer = ix.writer()
    for _ in range(size):
        writer.add_document(body="word")
    writer.commit()
    writer = ix.writer()
    for number in range(size - 50):
        writer.delete_document(number)
    writer.commit(merge=False)
    with ix.searcher() as searcher:
        ids = list(searcher.reader().postings("body", "word").all_ids())
    assert ids == list(range(size - 50, size))


def test_a_live_matcher_keeps_whooshs_attribute_layout(
    deleted_index: tuple[index.Index, set[int]],
) -> None:
    """CPython shares one key table among a class's instance dicts only up to 30 attributes;
    past that each matcher gets a dict of its own and every attribute read in the hot
    ``id``/``next``/``weight`` calls slows down (8% more CPU per query, measured). The live
    matcher's own state lives in slots, so its dict holds Whoosh's attributes and no more."""
    ix, _gone = deleted_index
    with ix.searcher() as searcher:
        reader = searcher.reader()
        live = reader.postings("body", "common")
        assert isinstance(live, LiveLeafMatcher)
        live.skip_to(5 * BLOCK)
        live.weight(), live.value()
        whoosh_keys = set(vars(_whoosh(reader, "common").child))  # inside its FilterMatcher
    assert set(vars(live)) <= whoosh_keys | {"_ids", "_weights", "_values"}
    assert len(vars(live)) <= 30
