"""The term-grouped posting pool writes what Whoosh's pool writes, without its per-posting
pickling, and its memory estimate follows what it holds."""

from __future__ import annotations

import pickle
import tracemalloc
from pathlib import Path
from typing import Any

import pytest
from whoosh import index, writing

from briefreader.search.index import term_pool, whoosh_patches
from briefreader.search.index.analysed import add_analysed, analyse_document
from briefreader.search.index.schema import VOCABULARY_FIELDS, build_schema

WORDS = [
    "ferry",
    "harbour",
    "crossing",
    "talks",
    "minister",
    "port",
    "strike",
    "late",
    "early",
    "storm",
]


def _documents(count: int) -> list[dict[str, Any]]:
    """Articles and passages of our schema: positions, a boosted title with its spelling
    postings (all of document 0, out of document order), keywords, whole words, stored."""
    documents: list[dict[str, Any]] = []
    for n in range(count):
        words = " ".join(WORDS[(n * i + i) % len(WORDS)] for i in range(3 + n % 23))
        documents.append(
            {
                "doc_id": f"a{n}",
                "kind": "article",
                "article_id": f"a{n}",
                "path": f"f{n % 7}.txt",
                "title": f"{WORDS[n % 10]} {WORDS[(n * 3) % 10]} n{n}",
                "body": f"{words} U.S. n{n} {words}",
                "spell_words": words,
                "date": f"2024-{1 + n % 12:02d}",
                "person": f"person{n % 5},person{n % 3}",
                "data": "{}",
            }
        )
        documents.append(
            {"kind": "passage", "article_id": f"a{n}", "number": 1, "p_body": words, "text": words}
        )
    return documents


class WhooshPoolWordsOnce(whoosh_patches.WHOOSH_POSTING_POOL):  # type: ignore[misc,valid-type]
    """Whoosh's pool, filing each word of a vocabulary once, under document 0 (as a
    ``TermPool`` does: ``schema.VOCABULARY_FIELDS``)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.words: set[tuple[str, bytes]] = set()

    def add(self, item: tuple[Any, ...]) -> None:
        if item[0] in VOCABULARY_FIELDS:
            if item[:2] in self.words:
                return
            self.words.add(item[:2])
            item = (item[0], item[1], 0, 1.0, item[4])
        super().add(item)


def _segment_files(folder: Path) -> dict[str, bytes]:
    """The files of the one segment in ``folder``, by extension (segment ids differ)."""
    found = {}
    for path in folder.glob("MAIN_*"):
        if "." in path.name and path.suffix != ".toc":
            found[path.name.split(".", 1)[1]] = path.read_bytes()
    return found


def _build(
    folder: Path, documents: list[dict[str, Any]], spill_bytes: int | None, analysed: bool = False
) -> None:
    """A one-segment index of ``documents``; ``analysed``: written as the text phase's
    workers hand them over (``TermPool.add_document``), not by ``add_document``."""
    folder.mkdir()
    ix = index.create_in(str(folder), build_schema())
    writer = ix.writer(compound=False)
    if spill_bytes is not None:
        writer.pool.limit = spill_bytes
    for fields in documents:
        if analysed:
            add_analysed(writer, analyse_document(fields))
        else:
            writer.add_document(**fields)
    writer.commit()


def test_a_spilling_term_pool_writes_the_segment_whoosh_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    documents = _documents(400)
    monkeypatch.setattr(term_pool, "MAX_OPEN_RUNS", 3)  # runs merged in two steps
    monkeypatch.setattr(term_pool, "CHUNK_POSTINGS", 50)
    runs: list[int] = []
    save = term_pool.TermPool.save
    monkeypatch.setattr(term_pool.TermPool, "save", lambda pool: (runs.append(1), save(pool)))
    _build(tmp_path / "spilled", documents, spill_bytes=40_000)
    _build(tmp_path / "in-memory", documents, spill_bytes=None)
    _build(tmp_path / "analysed", documents, spill_bytes=40_000, analysed=True)
    monkeypatch.setattr(writing, "PostingPool", WhooshPoolWordsOnce)
    monkeypatch.setattr(
        writing.SegmentWriter, "_flush_segment", whoosh_patches.WHOOSH_FLUSH_SEGMENT
    )
    _build(tmp_path / "whoosh", documents, spill_bytes=None)
    theirs = _segment_files(tmp_path / "whoosh")
    assert len(runs) > 6 and {"trm", "pst"} <= theirs.keys()
    assert _segment_files(tmp_path / "spilled") == theirs
    assert _segment_files(tmp_path / "in-memory") == theirs
    assert _segment_files(tmp_path / "analysed") == theirs


def test_spilling_pickles_no_posting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Whoosh's pool wrote a spilled run one ``pickle.dump`` per posting; ours writes terms
    a chunk at a time."""
    dumps: list[int] = []
    real_dump = pickle.dump
    monkeypatch.setattr(pickle, "dump", lambda *a, **k: (dumps.append(1), real_dump(*a, **k)))
    from whoosh import externalsort

    monkeypatch.setattr(externalsort, "dump", pickle.dump)
    _build(tmp_path / "ix", _documents(200), spill_bytes=20_000)
    assert dumps == []


def test_a_cancelled_writer_leaves_no_runs(tmp_path: Path) -> None:
    ix = index.create_in(str(tmp_path), build_schema())
    writer = ix.writer()
    writer.pool.limit = 10_000
    for fields in _documents(100):
        writer.add_document(**fields)
    assert writer.pool.runs
    writer.cancel()
    assert not list(tmp_path.rglob("*.run"))


def test_the_memory_estimate_follows_what_the_pool_holds() -> None:
    """Postings made as a writer makes them (fresh objects, dropped once added)."""
    pool = term_pool.TermPool(None, None, limitmb=1024)
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    for n in range(60_000):
        term = f"term{n % 5000}".encode()
        pool.add((f"f{n % 3}", term, 300 + n // 7, 1.5 * (n % 4 + 1), bytes([1, 2, n % 200])))
    held = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    assert 0.8 < pool.currentsize / held < 1.25
