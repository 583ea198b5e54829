"""The facet data is kept in the index folder per generation: a new process reads it instead
of building it (2 s at BBC ×16), a new generation builds it again, and a damaged, foreign or
unwritable cache is only a cache miss."""

from __future__ import annotations

import errno
import marshal
import os
import pickle
import random
import time
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from briefreader.cli import main
from briefreader.search import facets as facets_module
from briefreader.search import generation_cache
from briefreader.search import library as library_module
from briefreader.search.facets import (
    FACET_DATA_CACHE,
    FacetData,
    article_docs,
    facet_data_and_table,
    facet_data_stamp,
    query_facets,
)
from briefreader.search.index.indexer import update_index
from briefreader.search.index.schema import build_schema
from briefreader.search.index.store import snapshot_id
from briefreader.search.library import Library
from briefreader.workspace import Workspace
from tests.conftest import make_workspace
from tests.test_facets import corpus_files

QUERIES = ["militia", "iraq OR iran", "attacks troops", "", "nothingmatchesthis"]


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """Twenty generated articles with sources, dates and entities (rules recogniser)."""
    root = make_workspace(tmp_path / "ws", corpus_files(random.Random(7), count=20))
    (root / "briefreader.toml").write_text('[entities]\nrecogniser = "rules"\n', encoding="utf-8")
    update_index(Workspace(root))
    return root


@pytest.fixture
def builds(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the facet data built from the index (not read back from the cache)."""
    calls: list[int] = []
    real = facets_module.article_docs

    def counting(searcher):  # type: ignore[no-untyped-def]
        calls.append(1)
        return real(searcher)

    monkeypatch.setattr(facets_module, "article_docs", counting)
    return calls


def _open(root: Path) -> Iterator[Library]:
    library = Library.open(Workspace(root))
    try:
        yield library
    finally:
        library.close()


def _facets(root: Path) -> list[dict[str, object]]:
    """Every test query's facets from a new library (as a new process would see them)."""
    for library in _open(root):
        return [query_facets(library, q, limit=50).to_dict() for q in QUERIES]
    raise AssertionError("unreachable")


def _cache(root: Path) -> Path:
    return next((root / "index").glob(f"ix-*/{FACET_DATA_CACHE}"))


def test_a_new_process_reads_the_kept_facet_data(workspace: Path, builds: list[int]) -> None:
    first = _facets(workspace)
    assert len(builds) == 1 and _cache(workspace).is_file()
    assert _facets(workspace) == first and len(builds) == 1  # read back, not built


def test_kept_facet_data_counts_as_the_fresh_build(workspace: Path) -> None:
    fresh = _facets(workspace)  # built, then kept
    kept = _facets(workspace)
    assert kept == fresh
    for library in _open(workspace):
        data, _ = facet_data_and_table(library)
        round_tripped = pickle.loads(pickle.dumps(data))  # the lock and memos are not kept
        assert round_tripped.plain() == data.plain()
        assert round_tripped.entity_owners(library.entity_table())


def test_a_new_generation_builds_it_again(workspace: Path, builds: list[int]) -> None:
    before = _facets(workspace)
    (workspace / "articles" / "new.md").write_text(
        "---\ntitle: A new militia report\nsource: Reuters\n---\n\n"
        "Nouri al-Maliki said the militia attacks in Baghdad had stopped.\n",
        encoding="utf-8",
    )
    update_index(Workspace(workspace))
    after = _facets(workspace)
    assert len(builds) == 2
    assert after[0]["total"] == before[0]["total"] + 1  # "militia" finds the new article


@pytest.mark.parametrize(
    "damage",
    [
        b"",
        b"not marshal at all",
        pickle.dumps(("stamp", {"a": 1})),
        marshal.dumps(("another stamp", ({}, {}, {}, {}))),
        marshal.dumps([1, 2, 3]),
        zlib.compress(b"not marshal at all"),
        zlib.compress(marshal.dumps(("another stamp", ({}, {}, {}, {})))),
        zlib.compress(marshal.dumps([1, 2, 3])),
    ],
    ids=[
        "empty",
        "garbage",
        "pickle",
        "old-stamp",
        "foreign",
        "compressed-garbage",
        "compressed-old-stamp",
        "compressed-foreign",
    ],
)
def test_a_damaged_or_foreign_file_is_built_again(
    workspace: Path, builds: list[int], damage: bytes
) -> None:
    fresh = _facets(workspace)
    _cache(workspace).write_bytes(damage)
    assert _facets(workspace) == fresh and len(builds) == 2
    assert _facets(workspace) == fresh and len(builds) == 2  # and kept again


def test_a_truncated_file_or_a_wrong_shape_is_built_again(
    workspace: Path, builds: list[int]
) -> None:
    fresh = _facets(workspace)
    kept = _cache(workspace).read_bytes()
    _cache(workspace).write_bytes(kept[: len(kept) // 2])
    assert _facets(workspace) == fresh and len(builds) == 2
    for library in _open(workspace):
        stamp = facet_data_stamp(library.generation)
        _cache(workspace).write_bytes(zlib.compress(marshal.dumps((stamp, ({}, {}, [])))))
    assert _facets(workspace) == fresh and len(builds) == 3


@pytest.mark.parametrize("failing", ["NamedTemporaryFile", "replace"])
def test_a_read_only_or_full_disk_skips_keeping_it(
    workspace: Path, builds: list[int], monkeypatch: pytest.MonkeyPatch, failing: str
) -> None:
    def refuse(*args, **kwargs):  # type: ignore[no-untyped-def]
        code = errno.EROFS if failing == "NamedTemporaryFile" else errno.ENOSPC
        raise OSError(code, "refused")

    target = generation_cache.tempfile if failing == "NamedTemporaryFile" else generation_cache.os
    monkeypatch.setattr(target, failing, refuse)
    first = _facets(workspace)  # answered all the same
    assert list((workspace / "index").glob(f"ix-*/{FACET_DATA_CACHE}")) == []
    assert list((workspace / "index").glob("ix-*/.facet-data-*")) == []  # no temp left
    monkeypatch.undo()
    assert _facets(workspace) == first


def test_not_kept_when_the_catalog_is_of_another_generation(
    workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A catalog written by an index run after the searcher opened: the data mixes two
    generations, so it is used but not kept for the searcher's generation."""
    monkeypatch.setattr(Library, "catalog_generation", property(lambda self: self.generation + 1))
    _facets(workspace)
    assert list((workspace / "index").glob(f"ix-*/{FACET_DATA_CACHE}")) == []


def test_article_docs_skips_deleted_documents_in_every_segment(tmp_path: Path) -> None:
    """Old copies of updated articles stay, deleted, in older segments (and an article added
    twice in one segment has a ``doc_id`` in two documents): only live ones are mapped."""
    from whoosh import index

    ix = index.create_in(str(tmp_path), build_schema())  # RamStorage's temp folder is shared
    with ix.writer() as writer:
        for name in ["a", "b", "c", "b"]:  # "b" twice in one segment
            writer.add_document(doc_id=name, kind="article", article_id=name)
            writer.add_document(kind="passage", article_id=name)
    writer = ix.writer()
    writer.delete_document(2)  # the first "b"
    writer.update_document(doc_id="c", kind="article", article_id="c")  # deletes the old "c"
    writer.add_document(doc_id="d", kind="article", article_id="d")
    writer.commit(merge=False)
    writer = ix.writer()
    writer.add_document(kind="passage", article_id="d")  # a segment without article documents
    writer.commit(merge=False)
    with ix.searcher() as searcher:
        assert len(searcher.reader().leaf_readers()) == 3
        expected = {
            docnum: fields["article_id"]
            for docnum, fields in searcher.iter_docs()
            if fields.get("kind") == "article"
        }
        assert article_docs(searcher) == expected
        assert sorted(expected.values()) == ["a", "b", "c", "d"]


def test_facet_data_from_plain_refuses_other_shapes() -> None:
    assert FacetData.from_plain(({}, {}, {}, {})) is not None
    for state in [None, (), ({}, {}, {}), ({}, {}, {}, []), [{}, {}, {}, {}]]:
        assert FacetData.from_plain(state) is None


def test_the_index_command_keeps_them_for_the_first_reader(
    workspace: Path, builds: list[int], capsys: pytest.CaptureFixture[str]
) -> None:
    """After ``briefreader index`` changed something (and merged it), the next process
    neither builds the facet data nor resolves the entity table."""
    (workspace / "articles" / "new.md").write_text(
        "---\ntitle: Another report\n---\n\nNouri al-Maliki met militia leaders.\n", "utf-8"
    )
    assert main(["-w", str(workspace), "-v", "index"]) == 0
    assert "reader caches kept" in capsys.readouterr().err
    assert len(builds) == 1
    resolved: list[int] = []
    real = library_module.resolve_forms
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(
            library_module, "resolve_forms", lambda *a, **k: resolved.append(1) or real(*a, **k)
        )
        _facets(workspace)
    assert len(builds) == 1 and resolved == []
    assert main(["-w", str(workspace), "-v", "index"]) == 0  # nothing changed: nothing kept
    assert "reader caches kept" not in capsys.readouterr().err
    assert len(builds) == 1


def test_a_killed_writer_s_leftover_is_removed_by_the_next_write(workspace: Path) -> None:
    folder = next((workspace / "index").glob("ix-*"))
    old, fresh = folder / ".facet-data-killed", folder / ".facet-data-writing"
    old.write_bytes(b"half")
    fresh.write_bytes(b"half")
    past = time.time() - generation_cache.LEFTOVER_SECONDS - 1
    os.utime(old, (past, past))
    _facets(workspace)
    assert not old.exists() and fresh.exists()  # another process may be writing that one


def test_snapshot_id_moves_only_with_a_commit(tmp_path: Path, workspace: Path) -> None:
    assert snapshot_id(tmp_path / "nothing") is None
    before = snapshot_id(workspace / "index")
    update_index(Workspace(workspace))  # nothing to do: nothing committed
    assert snapshot_id(workspace / "index") == before
    (workspace / "articles" / "gen00.md").unlink()
    update_index(Workspace(workspace))
    assert snapshot_id(workspace / "index") != before


def test_a_big_index_keeps_them_in_a_background_process(
    workspace: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Above ``INLINE_CACHE_ARTICLES`` the command does not wait: a detached process at the
    lowest priority builds both caches of the new generation."""
    from briefreader.cli import caches

    monkeypatch.setattr(caches, "INLINE_CACHE_ARTICLES", 5)
    (workspace / "articles" / "new.md").write_text("Another report\n\nBasra port.\n", "utf-8")
    assert main(["-w", str(workspace), "-v", "index"]) == 0
    err = capsys.readouterr().err
    assert "reader caches: building in the background (pid " in err
    folder = next((workspace / "index").glob("ix-*"))
    wanted = [folder / facets_module.FACET_DATA_CACHE, folder / library_module.ENTITY_TABLE_CACHE]
    deadline = time.monotonic() + 60
    while not all(path.is_file() for path in wanted):
        assert time.monotonic() < deadline, "the background process kept nothing"
        time.sleep(0.1)
