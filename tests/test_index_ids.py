"""Article ids stay unique and stable across incremental index runs (notes anchor to them)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from briefreader.cli import main
from briefreader.search.index.indexer import update_index
from briefreader.search.library import Library
from briefreader.workspace import Workspace
from tests.conftest import SAMPLE_DIR, make_workspace

TWO_PART = SAMPLE_DIR / "000_4b7c8a7470fbc100.txt"  # one file holding two articles


def _story(word: str) -> str:
    return (
        f"Story about {word}\n\nThe {word} committee met on Tuesday and approved the plan to "
        f"rebuild the harbour, which the {word} fishermen said would close the port all summer."
    )


def _state(ws: Workspace) -> dict[str, tuple[str, str]]:
    """Article id -> (path, the body's distinctive word), read back from the index."""
    library = Library.open(ws)
    try:
        rows = {}
        for summary in library.articles():
            article = library.article(summary.id)
            assert article is not None and article.path == summary.path
            assert all(p.article_id == article.id for p in article.passages)
            rows[summary.id] = (article.path, article.text.split()[1])
        return rows
    finally:
        library.close()


def _ws(tmp_path: Path, files: dict[str, str]) -> Workspace:
    return Workspace(make_workspace(tmp_path, files))


def _add(ws: Workspace, name: str, text: str) -> None:
    (ws.articles_dir / name).write_text(text, encoding="utf-8")


def test_new_file_never_takes_an_indexed_files_id(tmp_path: Path) -> None:
    ws = _ws(tmp_path, {"a b.txt": _story("alpha")})
    update_index(ws)
    _add(ws, "a-b.txt", _story("beta"))
    report = update_index(ws)
    assert report.articles == 2
    assert _state(ws) == {"a-b": ("a b.txt", "alpha"), "a-b-txt": ("a-b.txt", "beta")}
    library = Library.open(ws)
    try:
        hit = library.search("beta").hits[0]
        assert (hit.article_id, hit.title) == ("a-b-txt", "Story about beta")
    finally:
        library.close()


def test_fallback_id_article_collides_with_later_article_txt(tmp_path: Path) -> None:
    ws = _ws(tmp_path, {"日本語.txt": _story("alpha")})
    update_index(ws)
    _add(ws, "article.txt", _story("beta"))
    update_index(ws)
    assert _state(ws) == {
        "article": ("日本語.txt", "alpha"),
        "article-txt": ("article.txt", "beta"),
    }


def test_two_new_files_and_an_indexed_one_share_an_id(tmp_path: Path) -> None:
    ws = _ws(tmp_path, {"a-b.txt": _story("alpha")})
    update_index(ws)
    _add(ws, "a b.txt", _story("beta"))
    _add(ws, "a:b.txt", _story("gamma"))
    _add(ws, "a b.md", _story("delta"))
    update_index(ws)
    state = _state(ws)
    assert len(state) == 4 and state["a-b"] == ("a-b.txt", "alpha")
    assert sorted(path for path, _ in state.values()) == ["a b.md", "a b.txt", "a-b.txt", "a:b.txt"]
    assert all(word in {"alpha", "beta", "gamma", "delta"} for _, word in state.values())


def test_changed_files_keep_their_ids(tmp_path: Path) -> None:
    ws = _ws(tmp_path, {"a-b.txt": _story("alpha")})
    update_index(ws)
    _add(ws, "a b.txt", _story("beta"))
    update_index(ws)
    before = {path: id_ for id_, (path, _) in _state(ws).items()}
    _add(ws, "a b.txt", _story("gamma"))  # changed, and it sorts before a-b.txt
    _add(ws, "a-b.txt", _story("delta"))
    update_index(ws)
    state = _state(ws)
    assert {path: id_ for id_, (path, _) in state.items()} == before
    assert state[before["a b.txt"]][1] == "gamma" and state["a-b"][1] == "delta"


def test_part_ids_do_not_collide_with_a_files_id(tmp_path: Path) -> None:
    ws = _ws(tmp_path, {})
    shutil.copyfile(TWO_PART, ws.articles_dir / "a.txt")
    update_index(ws)
    assert sorted(_state(ws)) == ["a", "a-2"]
    _add(ws, "a-2.txt", _story("beta"))
    update_index(ws)
    state = _state(ws)
    assert len(state) == 3 and state["a-2"][0] == "a.txt"
    assert [id_ for id_, (path, _) in state.items() if path == "a-2.txt"] == ["a-2-txt"]


def test_id_freed_by_a_shrinking_file_goes_to_a_new_one_intact(tmp_path: Path) -> None:
    ws = _ws(tmp_path, {})
    shutil.copyfile(TWO_PART, ws.articles_dir / "a.txt")
    update_index(ws)
    _add(ws, "a.txt", _story("alpha"))  # now one article: a-2 is free
    _add(ws, "a-2.txt", _story("beta"))  # sorts before a.txt
    report = update_index(ws)
    assert report.articles == 2
    assert _state(ws) == {"a": ("a.txt", "alpha"), "a-2": ("a-2.txt", "beta")}


def test_removed_files_id_goes_to_the_file_added_with_it(tmp_path: Path) -> None:
    ws = _ws(tmp_path, {"a b.txt": _story("alpha"), "other.txt": _story("beta")})
    update_index(ws)
    (ws.articles_dir / "a b.txt").unlink()
    _add(ws, "a-b.txt", _story("gamma"))
    update_index(ws)
    assert _state(ws) == {"a-b": ("a-b.txt", "gamma"), "other": ("other.txt", "beta")}


def test_a_renamed_file_keeps_its_id_when_another_takes_its_name(tmp_path: Path) -> None:
    ws = _ws(tmp_path, {"a b.txt": _story("alpha"), "other.txt": _story("beta")})
    update_index(ws)
    (ws.articles_dir / "a b.txt").rename(ws.articles_dir / "renamed.txt")
    _add(ws, "a-b.txt", _story("gamma"))
    update_index(ws)
    assert _state(ws) == {
        "a-b": ("renamed.txt", "alpha"),
        "a-b-txt": ("a-b.txt", "gamma"),
        "other": ("other.txt", "beta"),
    }


def test_cli_incremental_index_lists_both_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_workspace(tmp_path, {"a b.txt": _story("alpha")})
    assert main(["-w", str(root), "index", "--quiet"]) == 0
    (root / "articles" / "a-b.txt").write_text(_story("beta"), encoding="utf-8")
    assert main(["-w", str(root), "index"]) == 0
    assert "indexed 2 articles" in capsys.readouterr().err
    assert main(["-w", str(root), "articles", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)["articles"]
    assert sorted((r["id"], r["title"]) for r in rows) == [
        ("a-b", "Story about alpha"),
        ("a-b-txt", "Story about beta"),
    ]


def test_rebuild_keeps_the_ids_files_had(tmp_path: Path) -> None:
    ws = _ws(tmp_path, {"a-b.txt": _story("alpha")})
    update_index(ws)
    _add(ws, "a b.txt", _story("beta"))  # sorts first: a fresh build would give it a-b
    update_index(ws)
    before = _state(ws)
    update_index(ws, rebuild=True)
    assert (
        _state(ws)
        == before
        == {
            "a-b": ("a-b.txt", "alpha"),
            "a-b-txt": ("a b.txt", "beta"),
        }
    )


def test_a_moved_file_keeps_its_ids_and_notes(tmp_path: Path) -> None:
    """Renaming or moving a file (same bytes) keeps its article ids, so notes stay on it;
    a copy that stays beside the original is a duplicate: indexed once (issue 18)."""
    from briefreader.notes import NoteStore, add_note
    from briefreader.notes.anchor import reanchor

    ws = _ws(tmp_path, {"a.txt": _story("alpha"), "b.txt": _story("beta")})
    update_index(ws)
    library = Library.open(ws)
    article = library.article("a")
    passage = article.passages[-1]
    library.close()
    with NoteStore(ws.notes_db) as store:
        note = add_note(store, article, passage.start, passage.end, body="keep me")
    (ws.articles_dir / "archive").mkdir()
    (ws.articles_dir / "a.txt").rename(ws.articles_dir / "archive" / "renamed.txt")
    shutil.copy(ws.articles_dir / "b.txt", ws.articles_dir / "b-copy.txt")
    update_index(ws)
    state = _state(ws)
    assert state["a"] == ("archive/renamed.txt", "alpha")
    assert state["b"] == ("b.txt", "beta") and "b-copy" not in state
    library = Library.open(ws)
    try:
        with NoteStore(ws.notes_db) as store:
            anchor = reanchor(store, note, library.article("a"))
        assert anchor.status != "orphaned"
        assert library.article("a").text[anchor.start : anchor.end] == passage.text
    finally:
        library.close()
