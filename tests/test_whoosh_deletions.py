"""Block-max pruning in a segment with deleted documents.

Whoosh wraps the postings of a segment with deletions in a ``FilterMatcher``; its
``skip_to_quality`` must never stop on a deleted document, and its ``next`` must say when it
enters a new posting block, as a leaf does, or the collector stops pruning in that segment.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from whoosh import fields, index, query

import briefreader.search.index.whoosh_patches  # noqa: F401  (the patches under test)

WORDS = ("alpha", "bravo", "charlie", "delta", "echo", "foxtrot")


def _index(folder: Path, seed: int, size: int = 900) -> index.Index:
    """One segment on disk with uneven term weights (Whoosh's posting blocks hold 128
    documents), then about a third of its documents deleted, every block's first among
    them (a deleted document stays in the segment, marked deleted)."""
    rng = random.Random(seed)
    schema = fields.Schema(id=fields.ID(stored=True, unique=True), body=fields.TEXT)
    ix = index.create_in(str(folder), schema)
    writer = ix.writer()
    for number in range(size):
        strong = rng.random() < 0.1 or number % 256 < 8
        words = [word for word in WORDS if rng.random() < 0.6]
        repeats = rng.randint(10, 30) if strong else rng.randint(1, 2)
        body = " ".join(word for word in words for _ in range(repeats))
        writer.add_document(id=str(number), body=f"{body} {'filler ' * rng.randint(1, 30)}")
    writer.commit()
    with ix.searcher() as searcher:  # the first documents of each word's posting blocks
        firsts = {
            docnum
            for word in WORDS
            for place, docnum in enumerate(searcher.reader().postings("body", word).all_ids())
            if place % 128 < 3
        }
    writer = ix.writer()
    for number in range(size):
        if number in firsts or rng.random() < 0.33:
            writer.delete_document(number)
    writer.commit(merge=False)
    return ix


def _queries(seed: int, count: int) -> list[query.Query]:
    rng = random.Random(seed)
    made: list[query.Query] = []
    for _ in range(count):
        terms = [query.Term("body", word) for word in rng.sample(WORDS, rng.randint(1, 3))]
        made.append(rng.choice([query.Or, query.And])(terms) if len(terms) > 1 else terms[0])
    return made


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_skip_to_quality_never_stops_on_a_deleted_document(tmp_path: Path, seed: int) -> None:
    ix = _index(tmp_path, seed)
    with ix.searcher() as searcher:
        reader = searcher.reader()
        assert reader.has_deletions()
        skips = 0
        for word in WORDS:
            for floor in _block_qualities(searcher, word)[:-1]:
                matcher = query.Term("body", word).matcher(searcher)
                matcher.skip_to_quality(floor)
                assert matcher.is_active() and matcher.block_quality() > floor
                assert not reader.is_deleted(matcher.id()), (word, floor, matcher.id())
                skips += 1
        assert skips >= 5


def _block_qualities(searcher: object, word: str) -> list[float]:
    """The distinct qualities of a word's posting blocks, lowest first."""
    matcher = query.Term("body", word).matcher(searcher)
    assert matcher.supports_block_quality()
    qualities = set()
    while matcher.is_active():
        qualities.add(matcher.block_quality())
        matcher.next()
    return sorted(qualities)


@pytest.mark.parametrize("seed", [4, 5, 6])
def test_top_hits_with_deletions_are_the_exhaustive_ranking(tmp_path: Path, seed: int) -> None:
    """The pruned top 10 is the head of the ranking of every live match (no deleted document,
    no better one missed), for generated one-, two- and three-word queries."""
    ix = _index(tmp_path, seed)
    with ix.searcher() as searcher:
        reader = searcher.reader()
        for parsed in _queries(seed, 40):
            every = searcher.search(parsed, limit=None)
            ranking = sorted((round(hit.score, 9) for hit in every), reverse=True)
            top = searcher.search(parsed, limit=10)
            assert not any(reader.is_deleted(hit.docnum) for hit in top), parsed
            assert [round(hit.score, 9) for hit in top] == ranking[:10], parsed


def test_pruning_still_skips_blocks_in_a_segment_with_deletions(tmp_path: Path) -> None:
    """A term whose strong postings are in its last blocks: the top 10 is found without
    reading every weak block before them (the collector prunes again after each block)."""
    schema = fields.Schema(id=fields.ID(stored=True, unique=True), body=fields.TEXT)
    ix = index.create_in(str(tmp_path), schema)
    writer = ix.writer()
    for number in range(2000):
        repeats = 20 if number >= 1800 else 1
        writer.add_document(id=str(number), body="alpha " * repeats + "filler " * 20)
    writer.commit()
    writer = ix.writer()
    for number in range(0, 2000, 7):
        writer.delete_by_term("id", str(number))
    writer.commit(merge=False)
    with ix.searcher() as searcher:
        from whoosh.collectors import TopCollector

        collector = TopCollector(limit=10)
        searcher.search_with_collector(query.Term("body", "alpha"), collector)
        assert collector.skipped_times > 0
        assert all(int(hit["id"]) >= 1800 for hit in collector.results())


@pytest.mark.parametrize("text", ["tsurkov~2", "kataib~1 waiver", "mi*ia", "tsurkov~2 OR militia"])
def test_a_fuzzy_or_wildcard_word_walks_the_vocabulary_once_per_reader(
    sample_workspace: Path, monkeypatch: pytest.MonkeyPatch, text: str
) -> None:
    """Whoosh expanded such a word again at every ``estimate_size`` (called to order the
    parts of a query) and in ``matcher``: four to five walks of the term dictionary each."""
    from whoosh.reading import IndexReader

    from briefreader.search.library import Library
    from briefreader.workspace import Workspace

    walks: list[tuple[int, str, str]] = []
    for name in ("terms_within", "lexicon", "expand_prefix"):
        for cls in {type_ for type_ in IndexReader.__subclasses__()} | {IndexReader}:
            original = cls.__dict__.get(name)
            if original is None:
                continue

            def counting(self, fieldname, *args, _original=original, _name=name, **kwargs):  # type: ignore[no-untyped-def]
                walks.append((id(self), fieldname, f"{_name}{args[:1]}"))
                return _original(self, fieldname, *args, **kwargs)

            monkeypatch.setattr(cls, name, counting)
    library = Library.open(Workspace(sample_workspace))
    try:
        walks.clear()
        library.search(text)
    finally:
        library.close()
    assert walks and len(walks) == len(set(walks)), sorted(walks)
