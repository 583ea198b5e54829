"""Notes follow their words when an article file changes and is re-indexed from the CLI."""

from __future__ import annotations

from pathlib import Path

from briefreader.cli import main
from briefreader.notes import NoteStore, add_note
from briefreader.search.library import Library
from briefreader.workspace import Workspace
from tests.conftest import make_workspace

FIRST = "The harbour board met on Monday and approved the dredging plan after a long debate."
SECOND = "Fishermen said the work would close the port for the whole summer, costing them dearly."


def test_index_reanchors_notes_after_edit_and_orphans_deleted_text(tmp_path: Path, capsys) -> None:
    root = make_workspace(tmp_path, {"port.txt": f"Port story\n\n{FIRST}\n\n{SECOND}"})
    workspace = Workspace(root)
    assert main(["-w", str(root), "index", "-q"]) == 0
    library = Library.open(workspace)
    article = library.article("port")
    start = article.text.index("close the port")
    with NoteStore(workspace.notes_db) as store:
        note = add_note(store, article, start, start + len("close the port"), "check #port")
    library.close()

    inserted = "A new opening paragraph now sits above everything else in this story, moved."
    (root / "articles" / "port.txt").write_text(f"Port story\n\n{inserted}\n\n{FIRST}\n\n{SECOND}")
    assert main(["-w", str(root), "index"]) == 0
    assert "notes re-anchored: 1 moved" in capsys.readouterr().err
    library = Library.open(workspace)
    article = library.article("port")
    with NoteStore(workspace.notes_db) as store:
        moved = store.get(note.id)
    assert article.text[moved.selector.start : moved.selector.end] == "close the port"
    assert moved.passage_ids == ("port:p3",)

    (root / "articles" / "port.txt").write_text(f"Port story\n\n{inserted}\n\n{FIRST}")
    main(["-w", str(root), "index"])
    with NoteStore(workspace.notes_db) as store:
        assert store.get(note.id).status == "orphaned"
        assert [n.id for n in store.list(orphans=True)] == [note.id]
