"""Issue 19: an index run with nothing to do writes nothing; re-anchoring never orphans by
omission and is part of the index run's commit protocol."""

from __future__ import annotations

from pathlib import Path

import pytest

from briefreader.notes import Note, NoteStore, add_note, reanchor_all
from briefreader.search.index.indexer import update_index
from briefreader.search.index.store import active_dir
from briefreader.search.library import Library
from briefreader.workspace import Workspace
from tests.conftest import make_workspace

BODY = (
    "The harbour authority approved a plan to dredge the channel, and the fishermen "
    "complained that the work would close the port for the whole summer season."
)
OTHER = "Inland, the river barges carried grain to the mills as they have done for a century."


def _index_files(folder: Path) -> dict[str, int]:
    """Every file of the active index folder with its mtime (what a commit would change)."""
    return {p.name: p.stat().st_mtime_ns for p in sorted(folder.iterdir())}


@pytest.mark.parametrize(
    "name, content",
    [
        ("blob.txt", b"\x00\x01\x02binary\x00"),
        ("empty.txt", b""),
        ("huge.txt", b"word " * 300_000),  # 1.5 MB over a 1 MB max_file_mb
        ("only-chrome.md", b"---\ntitle: x\n---\n"),
    ],
    ids=["binary", "empty", "too-large", "no-text"],
)
def test_unchanged_files_with_a_skipped_one_commit_nothing(
    tmp_path: Path, name: str, content: bytes
) -> None:
    root = make_workspace(tmp_path, {"a.txt": f"Harbour plan\n\n{BODY}", name: content})
    (root / "briefreader.toml").write_text("[limits]\nmax_file_mb = 1\n")
    workspace = Workspace(root)
    update_index(workspace)
    library = Library.open(workspace)
    folder = active_dir(workspace.index_dir)
    assert folder is not None
    before = _index_files(folder)
    for _ in range(3):
        report = update_index(workspace)
        assert not report.changed
    assert _index_files(folder) == before
    assert library.refresh() is False
    library.close()


def test_reanchoring_some_articles_never_orphans_the_others(tmp_path: Path) -> None:
    root = make_workspace(tmp_path, {"a.txt": f"Harbour\n\n{BODY}", "b.txt": f"River\n\n{OTHER}"})
    workspace = Workspace(root)
    update_index(workspace)
    library = Library.open(workspace)
    a, b = library.article("a"), library.article("b")
    with NoteStore(workspace.notes_db) as store:
        on_a = add_note(store, a, 4, 30, "on a")
        on_b = add_note(store, b, 4, 30, "on b")
        reanchor_all(store, [a])
        assert store.get(on_b.id).status == "anchored"
        assert store.get(on_a.id).status == "anchored"
    library.close()


def _two_articles(tmp_path: Path) -> tuple[Path, Workspace]:
    """A workspace with articles "a" and "b", indexed by the CLI."""
    from briefreader.cli import main

    root = make_workspace(tmp_path, {"a.txt": f"Harbour\n\n{BODY}", "b.txt": f"River\n\n{OTHER}"})
    assert main(["-w", str(root), "index", "-q"]) == 0
    return root, Workspace(root)


def _note_on(workspace: Workspace, article_id: str, words: str) -> Note:
    """A note on the first occurrence of ``words`` in an indexed article."""
    library = Library.open(workspace)
    try:
        article = library.article(article_id)
        start = article.text.index(words)
        with NoteStore(workspace.notes_db) as store:
            return add_note(store, article, start, start + len(words))
    finally:
        library.close()


def _edit_above(root: Path, name: str, text: str) -> None:
    (root / "articles" / name).write_text(f"Harbour\n\nA new first paragraph was added.\n\n{text}")


def test_a_run_killed_before_reanchoring_is_recovered_by_the_next_run(tmp_path: Path) -> None:
    from briefreader.cli import main

    root, workspace = _two_articles(tmp_path)
    note = _note_on(workspace, "a", "close the port")
    _edit_above(root, "a.txt", BODY)
    update_index(workspace)  # commits, then "killed": the notes were not re-anchored
    assert main(["-w", str(root), "index", "-q"]) == 0  # finds no file to index
    library = Library.open(workspace)
    text = library.article("a").text
    library.close()
    with NoteStore(workspace.notes_db) as store:
        moved = store.get(note.id)
    assert text[moved.selector.start : moved.selector.end] == "close the port"
    assert moved.passage_ids == ("a:p2",)
    assert not (workspace.index_dir / "REANCHOR-PENDING").exists()


def test_an_index_run_reanchors_only_the_articles_it_changed(tmp_path: Path) -> None:
    from briefreader.cli import main

    root, workspace = _two_articles(tmp_path)
    on_b = _note_on(workspace, "b", "Inland")
    with NoteStore(workspace.notes_db) as store:
        # A status only a re-anchoring of "b" would rewrite.
        store.set_anchor(on_b.id, on_b.selector, on_b.passage_ids, "fuzzy", 0.9)
    _edit_above(root, "a.txt", BODY)
    assert main(["-w", str(root), "index", "-q"]) == 0
    with NoteStore(workspace.notes_db) as store:
        assert store.get(on_b.id).status == "fuzzy"  # untouched: b did not change


HARBOUR = (
    "Harbour dredging approved\nJanuary 5, 2024\nShare\nHarbour dredging approved\n\n"
    "The harbour board approved the dredging plan after a debate lasting into the night.\n\n"
    "Fishermen said the work would close the port for the whole summer season.\n"
)
RIVER = (
    "River barges return\nJanuary 6, 2024\nShare\nRiver barges return\n\n"
    "Inland, the river barges carried grain to the mills as they have done for a century.\n\n"
    "The mill owners welcomed the return of the barges after the drought.\n"
)


def test_two_articles_of_one_file_swapped_keep_their_ids_and_notes(tmp_path: Path) -> None:
    from briefreader.cli import main

    root = make_workspace(tmp_path, {"x.txt": f"{HARBOUR}\n{RIVER}"})
    workspace = Workspace(root)
    assert main(["-w", str(root), "index", "-q"]) == 0
    on_harbour = _note_on(workspace, "x", "close the port")
    on_river = _note_on(workspace, "x-2", "carried grain to the mills")
    (root / "articles" / "x.txt").write_text(f"{RIVER}\n{HARBOUR}")
    assert main(["-w", str(root), "index", "-q"]) == 0
    library = Library.open(workspace)
    assert library.article("x").title == "Harbour dredging approved"
    texts = {i: library.article(i).text for i in ("x", "x-2")}
    library.close()
    with NoteStore(workspace.notes_db) as store:
        for note in (on_harbour, on_river):
            saved = store.get(note.id)
            assert saved.status == "anchored", saved
            where = texts[saved.article_id][saved.selector.start : saved.selector.end]
            assert where == note.selector.exact


def test_a_file_replaced_by_another_article_under_the_same_stem_moves_no_note(
    tmp_path: Path,
) -> None:
    from briefreader.cli import main

    story = "Port story\n\n" + BODY + "\n\nThe harbour board will meet again in the spring.\n"
    root = make_workspace(tmp_path, {"story.txt": story})
    workspace = Workspace(root)
    assert main(["-w", str(root), "index", "-q"]) == 0
    notes = [_note_on(workspace, "story", words) for words in ("the fishermen", "the work")]
    notes.append(_note_on(workspace, "story", "harbour board will meet"))
    (root / "articles" / "story.txt").unlink()
    other = (  # the same phrases, in other sentences
        "Inland news\n\nAll the work on the old mill is finished, say the fishermen of the "
        "lake, and the river board will meet again in the spring to decide on the harbour.\n"
    )
    (root / "articles" / "story.md").write_text(other)
    assert main(["-w", str(root), "index", "-q"]) == 0
    library = Library.open(workspace)
    assert library.article("story").title == "Inland news"
    library.close()
    with NoteStore(workspace.notes_db) as store:
        for note in notes:
            saved = store.get(note.id)
            assert saved.status in ("review", "orphaned"), saved
            assert saved.selector == note.selector


def test_notes_database_of_schema_1_is_migrated_with_its_tags(tmp_path: Path) -> None:
    import sqlite3

    from briefreader.notes.store import MIGRATIONS, SCHEMA_VERSION

    path = tmp_path / "notes.db"
    with sqlite3.connect(path) as conn:
        for statement in MIGRATIONS[0]:
            conn.execute(statement)
        conn.execute(
            'INSERT INTO notes (id, article_id, passage_id, exact, start, "end", created, '
            "updated, extra_tags) VALUES ('n1', 'a', 'a:p1', 'x', 0, 1, 't', 't', '[\"kept\"]')"
        )
        conn.execute("INSERT INTO note_tags VALUES ('n1', 'kept')")
        conn.execute("PRAGMA user_version = 1")
    with NoteStore(path) as store:
        assert store.schema_version() == SCHEMA_VERSION == 2
        note = store.get("n1")
        assert note is not None and note.tags == ("kept",)
        assert [n.id for n in store.list(tag="kept")] == ["n1"]
        store.set_anchor("n1", note.selector, note.passage_ids, "review", 0.9)
        assert [n.id for n in store.list(review=True)] == ["n1"]
