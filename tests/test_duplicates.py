"""Duplicates: the same text under two names is indexed once, and the copy is reported."""

from __future__ import annotations

import json
from pathlib import Path

from briefreader.cli import main
from tests.conftest import make_workspace

BODY = (
    "The council met on Tuesday to discuss the budget for the coming year, and members "
    "argued for several hours about the share given to schools and roads."
)
TEXT = f"Budget talks stall\n\n{BODY}\n\n{BODY} Again."


def _titles(root: Path, capsys) -> list[str]:
    capsys.readouterr()
    assert main(["-w", str(root), "articles", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    rows = listed["articles"]
    return sorted(row["path"] for row in rows)


def _index(root: Path, capsys) -> str:
    (root / "briefreader.toml").write_text('[entities]\nrecogniser = "rules"\n')
    capsys.readouterr()
    assert main(["-w", str(root), "index"]) == 0
    return " ".join(capsys.readouterr().err.split())


def test_same_bytes_and_same_text_are_indexed_once_and_reported(tmp_path: Path, capsys) -> None:
    crlf = TEXT.replace("\n", "\r\n") + "  \r\n"
    root = make_workspace(
        tmp_path,
        {"a.txt": TEXT, "copy.txt": TEXT, "z-crlf.txt": crlf.encode(), "other.txt": "Other\n\nx"},
    )
    said = _index(root, capsys)
    assert "copy.txt: duplicate: same content as a.txt (indexed once)" in said
    assert "z-crlf.txt: duplicate: same text as a.txt (indexed once)" in said
    assert _titles(root, capsys) == ["a.txt", "other.txt"]


def test_copy_of_an_indexed_file_then_the_original_removed(tmp_path: Path, capsys) -> None:
    root = make_workspace(tmp_path, {"a.txt": TEXT})
    _index(root, capsys)
    (root / "articles" / "b-copy.txt").write_text(TEXT)
    said = _index(root, capsys)
    assert "b-copy.txt: duplicate: same content as a.txt (indexed once)" in said
    assert _titles(root, capsys) == ["a.txt"]
    (root / "articles" / "a.txt").unlink()
    _index(root, capsys)
    assert _titles(root, capsys) == ["b-copy.txt"]  # the copy is indexed once it is alone


def test_renamed_file_is_not_a_duplicate(tmp_path: Path, capsys) -> None:
    root = make_workspace(tmp_path, {"a.txt": TEXT})
    _index(root, capsys)
    (root / "articles" / "a.txt").rename(root / "articles" / "renamed.txt")
    said = _index(root, capsys)
    assert "duplicate" not in said
    assert _titles(root, capsys) == ["renamed.txt"]


def test_a_copy_is_skipped_again_without_being_read(tmp_path: Path, capsys, monkeypatch) -> None:
    """Every run reports a copy of an indexed file, but only the first one parses it; once
    the original is gone the copy is read and indexed."""
    from briefreader.search.index import indexer

    root = make_workspace(tmp_path, {"a.txt": TEXT, "copy.txt": TEXT, "b.txt": "Other\n\nx y"})
    assert "copy.txt: duplicate: same content as a.txt" in _index(root, capsys)
    loaded: list[str] = []
    real = indexer.load_file
    monkeypatch.setattr(indexer, "load_file", lambda p, *a: loaded.append(p.name) or real(p, *a))
    (root / "articles" / "b.txt").write_text("Other\n\nx y z", encoding="utf-8")
    said = _index(root, capsys)
    assert "skipped 1 copy of indexed files, as in earlier runs" in said
    assert loaded == ["b.txt"]  # the copy was not read again
    (root / "articles" / "a.txt").unlink()
    said = _index(root, capsys)
    assert "duplicate" not in said and loaded == ["b.txt", "copy.txt"]
    assert _titles(root, capsys) == ["b.txt", "copy.txt"]


def test_a_text_copy_stays_skipped_on_the_next_runs(tmp_path: Path, capsys) -> None:
    """The same title and text with other bytes (line ends) is skipped in the run that
    indexes the original, and in every run after it: the second run was not a no-op (it
    indexed the copy, alone among the files it loaded). Once the original is gone, the copy
    is indexed."""
    crlf = TEXT.replace("\n", "\r\n")
    root = make_workspace(tmp_path, {"a.txt": TEXT, "b-crlf.txt": crlf.encode()})
    assert "b-crlf.txt: duplicate: same text as a.txt (indexed once)" in _index(root, capsys)
    for _ in range(2):
        said = _index(root, capsys)
        assert "skipped 1 copy of indexed files, as in earlier runs" in said
        assert "0 files added" in said or "added" not in said
        assert _titles(root, capsys) == ["a.txt"]
    (root / "articles" / "a.txt").unlink()
    said = _index(root, capsys)
    assert "duplicate" not in said
    assert _titles(root, capsys) == ["b-crlf.txt"]


def test_a_copy_of_an_indexed_article_found_in_a_later_run(tmp_path: Path, capsys) -> None:
    root = make_workspace(tmp_path, {"a.txt": TEXT})
    _index(root, capsys)
    (root / "articles" / "later.txt").write_bytes((TEXT + "\n\n\n").encode())
    said = _index(root, capsys)
    assert "later.txt: duplicate: same text as a.txt (indexed once)" in said
    assert _titles(root, capsys) == ["a.txt"]


def _run_recording_reads(root: Path, capsys, monkeypatch) -> tuple[str, list[str]]:
    """Index, and the names of the files the run hashed or parsed."""
    from briefreader.search.index import indexer

    read: list[str] = []
    real_load, real_hash = indexer.load_file, indexer._hash
    monkeypatch.setattr(indexer, "load_file", lambda p, *a: read.append(p.name) or real_load(p, *a))
    monkeypatch.setattr(indexer, "_hash", lambda p: read.append(Path(p).name) or real_hash(p))
    return _index(root, capsys), read


def test_remembered_copies_are_neither_hashed_nor_parsed_again(
    tmp_path: Path, capsys, monkeypatch
) -> None:
    """A copy of the bytes and a copy of the text are remembered by the run that finds them:
    the next runs report them from the catalog without opening them."""
    crlf = TEXT.replace("\n", "\r\n").encode()
    root = make_workspace(
        tmp_path, {"a.txt": TEXT, "copy.txt": TEXT, "b-crlf.txt": crlf, "c.txt": "Other\n\nx y"}
    )
    _index(root, capsys)
    for round_number in range(2):
        (root / "articles" / "c.txt").write_text(f"Other\n\nx y {round_number}", encoding="utf-8")
        said, read = _run_recording_reads(root, capsys, monkeypatch)
        # reported by the run that found them; then one line, the files with -v
        assert "copy.txt" not in said and "b-crlf.txt" not in said
        assert "skipped 2 copies of indexed files, as in earlier runs (-v lists them)" in said
        assert "2 skipped" in said
        assert sorted(set(read)) == ["c.txt"]
    capsys.readouterr()
    assert main(["-w", str(root), "-v", "index"]) == 0
    said = " ".join(capsys.readouterr().err.split())
    assert "copy.txt: duplicate: same content as a.txt (indexed once)" in said
    assert "b-crlf.txt: duplicate: same text as a.txt (indexed once)" in said
    assert "as in earlier runs" not in said
    assert _titles(root, capsys) == ["a.txt", "c.txt"]


def test_an_edited_original_has_its_copies_read_again(tmp_path: Path, capsys, monkeypatch) -> None:
    crlf = TEXT.replace("\n", "\r\n").encode()
    root = make_workspace(tmp_path, {"a.txt": TEXT, "copy.txt": TEXT, "b-crlf.txt": crlf})
    _index(root, capsys)
    (root / "articles" / "a.txt").write_text("Budget agreed\n\nThe council agreed.", "utf-8")
    said, read = _run_recording_reads(root, capsys, monkeypatch)
    assert "duplicate: same content as" not in said
    assert "copy.txt: duplicate: same text as b-crlf.txt (indexed once)" in said  # by name
    assert {"a.txt", "copy.txt", "b-crlf.txt"} <= set(read)
    assert _titles(root, capsys) == ["a.txt", "b-crlf.txt"]


def test_an_edited_or_removed_copy_is_forgotten(tmp_path: Path, capsys) -> None:
    from briefreader.search.index.catalog import read_catalog
    from briefreader.search.index.store import active_dir

    root = make_workspace(tmp_path, {"a.txt": TEXT, "copy.txt": TEXT, "twin.txt": TEXT})
    _index(root, capsys)
    known = read_catalog(active_dir(root / "index"))
    assert known is not None and sorted(known.copies) == ["copy.txt", "twin.txt"]
    (root / "articles" / "copy.txt").write_text("A new story\n\nSomething else happened.")
    (root / "articles" / "twin.txt").unlink()
    said = _index(root, capsys)
    assert "duplicate" not in said
    assert _titles(root, capsys) == ["a.txt", "copy.txt"]
    known = read_catalog(active_dir(root / "index"))
    assert known is not None and known.copies == {}


def test_a_rebuild_finds_the_copies_again(tmp_path: Path, capsys) -> None:
    root = make_workspace(tmp_path, {"a.txt": TEXT, "copy.txt": TEXT})
    _index(root, capsys)
    capsys.readouterr()
    assert main(["-w", str(root), "index", "--rebuild"]) == 0
    said = " ".join(capsys.readouterr().err.split())
    assert "copy.txt: duplicate: same content as a.txt (indexed once)" in said
    assert _titles(root, capsys) == ["a.txt"]


def test_a_text_copy_of_two_files_is_read_again_when_either_changes(tmp_path: Path, capsys) -> None:
    """A file whose two articles repeat two indexed files is not remembered against the
    first alone: once the second file goes, its article is indexed from the copy."""
    from tests.test_index_ids import TWO_PART

    lines = TWO_PART.read_text(encoding="utf-8").splitlines(keepends=True)
    first, second = "".join(lines[:75]), "".join(lines[75:])
    root = make_workspace(
        tmp_path, {"a_first.txt": first, "b_second.txt": second, "z_both.txt": "".join(lines)}
    )
    for _ in range(2):
        assert "z_both.txt: duplicate: same text as a_first.txt" in _index(root, capsys)
    assert _titles(root, capsys) == ["a_first.txt", "b_second.txt"]
    (root / "articles" / "b_second.txt").unlink()
    said = _index(root, capsys)
    assert "z_both.txt: duplicate" not in said
    assert "is the same text as in a_first.txt: indexed once" in said
    assert _titles(root, capsys) == ["a_first.txt", "z_both.txt"]
