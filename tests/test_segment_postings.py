"""A merge that copies segments a term and a block at a time writes what Whoosh's walk of
every posting writes."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from whoosh import index
from whoosh.writing import OPTIMIZE

from briefreader.search.index import segment_postings
from briefreader.search.index.committing import commit_reporting
from briefreader.search.index.merging import tiered_merge
from briefreader.search.index.schema import VOCABULARY_FIELDS, build_schema
from tests.test_term_pool import _documents, _segment_files

# Not the first document of a segment: the vocabularies' words are filed under it, and
# Whoosh's walk drops them with it (``test_a_merge_keeps_every_word_of_the_vocabularies``).
DELETED = (3, 4, 57, 151, 160, 161, 199, 275)


def _three_segments(
    folder: Path, documents: list[dict[str, Any]], deleted: tuple[int, ...] = DELETED
) -> None:
    """Three segments with articles ``deleted`` in each, so the merge renumbers them."""
    folder.mkdir()
    ix = index.create_in(str(folder), build_schema())
    for part in (documents[:300], documents[300:540], documents[540:]):
        with ix.writer(compound=False) as writer:
            for fields in part:
                writer.add_document(**fields)
    with ix.writer(compound=False) as writer:
        for number in deleted:
            writer.delete_by_term("article_id", f"a{number}")


def _no_progress(phase: str, done: int, total: int) -> None:
    return None


def _merged(folder: Path, mergetype: Any, **kwargs: Any) -> dict[str, bytes]:
    ix = index.open_dir(str(folder))
    writer = ix.writer(compound=False)
    for fields in _documents(3)[:2]:  # the commit's own segment, merged into
        writer.add_document(**{**fields, "doc_id": "new", "article_id": "new"})
    commit_reporting(writer, _no_progress, mergetype, **kwargs)
    with ix.reader() as reader:
        assert len(list(reader.leaf_readers())) == 1
    return _segment_files(folder)


@pytest.mark.parametrize("mergetype", [OPTIMIZE, tiered_merge])
def test_a_merge_copying_terms_writes_what_whooshs_walk_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mergetype: Any
) -> None:
    _three_segments(tmp_path / "built", _documents(281))
    shutil.copytree(tmp_path / "built", tmp_path / "walked")
    copied: list[str] = []
    live_terms = segment_postings.live_terms

    def counted(reader: Any, schema: Any) -> Any:
        copied.append(reader.segment().segment_id())
        return live_terms(reader, schema)

    monkeypatch.setattr(segment_postings, "live_terms", counted)
    ours = _merged(tmp_path / "built", mergetype)
    assert len(copied) == 3  # every segment went through the copy by terms
    monkeypatch.setattr(segment_postings, "readable", lambda reader: False)
    theirs = _merged(tmp_path / "walked", mergetype)
    assert len(copied) == 3
    assert {"trm", "pst"} <= theirs.keys()
    assert ours == theirs


def test_the_copy_reads_the_live_postings_whooshs_walk_reads(tmp_path: Path) -> None:
    """Term by term, the postings read a block at a time are those of ``iter_postings``:
    the same documents (none deleted), weights and values."""
    _three_segments(tmp_path / "ix", _documents(281))
    ix = index.open_dir(str(tmp_path / "ix"))
    with ix.reader() as reader:
        for leaf, _base in reader.leaf_readers():
            assert segment_postings.readable(leaf) and leaf.has_deletions()
            walked: dict[tuple[str, bytes], list[Any]] = {}
            for fieldname, btext, docnum, weight, value in leaf.iter_postings():
                walked.setdefault((fieldname, btext), []).append((docnum, weight, value))
            read = {
                (fieldname, btext): list(zip(ids, weights, values, strict=True))
                for fieldname, btext, ids, weights, values in segment_postings.live_terms(
                    leaf, ix.schema
                )
            }
            assert read == walked
            assert sum(map(len, read.values())) > 200


def _vocabularies(folder: Path) -> dict[str, set[bytes]]:
    ix = index.open_dir(str(folder))
    with ix.reader() as reader:
        return {
            name: {btext for btext, _info in reader.iter_field(name)}
            for name in sorted(VOCABULARY_FIELDS)
        }


@pytest.mark.parametrize("mergetype", [OPTIMIZE, tiered_merge])
def test_a_merge_keeps_every_word_of_the_vocabularies(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mergetype: Any
) -> None:
    """The first document of each segment deleted: its words, filed under it, stay (Whoosh's
    walk dropped every title word of such a segment), each in one posting of document 0."""
    documents = _documents(281)
    _three_segments(tmp_path / "ix", documents, deleted=(0, 150, 270, *DELETED))
    before = _vocabularies(tmp_path / "ix")
    assert len(before["spell_title"]) > 200 and len(before["spell_words"]) > 5
    _merged(tmp_path / "ix", mergetype)
    assert _vocabularies(tmp_path / "ix") == before
    ix = index.open_dir(str(tmp_path / "ix"))
    with ix.reader() as reader:
        for name in VOCABULARY_FIELDS:
            for btext, info in reader.iter_field(name):
                assert info.doc_frequency() == 1
                assert list(reader.postings(name, btext).all_ids()) in ([0], [])
