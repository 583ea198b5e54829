"""Issue 19: reads of notes (list, search, export) work on a read-only workspace; writes say
so in one line and change nothing."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from briefreader.cli import main
from briefreader.notes import NotesError, NoteStore
from briefreader.notes import store as store_module
from tests.conftest import make_workspace

ARTICLE = "Port closes\n\nThe council voted to close the port at night after a long debate.\n"


def _workspace_with_a_note(root: Path) -> Path:
    make_workspace(root, {"port.txt": ARTICLE})
    assert main(["-w", str(root), "index", "-q"]) == 0
    assert main(["-w", str(root), "notes", "add", "port:p1", "--text", "keep me #ro"]) == 0
    return root


def _reads_work(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    for command in (["list"], ["search", "keep"], ["export"], ["export", "--format", "json"]):
        assert main(["-w", str(root), "notes", *command]) == 0, capsys.readouterr().err
        assert "keep me" in capsys.readouterr().out, command


def test_reads_fall_back_to_a_read_only_connection(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _workspace_with_a_note(tmp_path / "ws")

    def cannot_write(path: Path, busy_timeout: float) -> None:
        raise NotesError(f"cannot open notes database {path}: unable to open database file")

    monkeypatch.setattr(store_module, "_connect", cannot_write)  # what a read-only disk does
    _reads_work(root, capsys)
    assert main(["-w", str(root), "notes", "add", "port:p1", "--text", "new"]) == 2
    assert capsys.readouterr().err.count("\n") == 1


@pytest.fixture
def read_only_mount(tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    """A real read-only bind mount of a folder (needs root and mount; skipped otherwise)."""
    source, target = tmp_path / "src", tmp_path / "ro"
    source.mkdir()
    target.mkdir()
    if os.geteuid() != 0:
        pytest.skip("a read-only bind mount needs root")
    mounted = subprocess.run(["mount", "--bind", str(source), str(target)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"mount is not available here: {mounted.stderr.decode().strip()}")
    try:
        subprocess.run(["mount", "-o", "remount,ro,bind", str(target)], check=True)
        yield source, target
    finally:
        done = subprocess.run(["umount", str(target)], capture_output=True)
        if done.returncode != 0:  # still busy (a file open): detach it now, freed when closed
            subprocess.run(["umount", "-l", str(target)], check=False)


def test_reads_work_on_a_read_only_mount(
    read_only_mount: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    source, target = read_only_mount
    _workspace_with_a_note(source / "ws")
    _reads_work(target / "ws", capsys)
    assert main(["-w", str(target / "ws"), "notes", "add", "port:p1", "--text", "x"]) == 2
    with NoteStore.for_reading(source / "ws" / "notes.db") as store:
        assert [n.body for n in store.list()] == ["keep me #ro"]


def test_a_full_disk_during_import_says_how_many_were_imported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import json

    root = _workspace_with_a_note(tmp_path / "ws")
    out = tmp_path / "x.json"
    assert main(["-w", str(root), "notes", "export", "--format", "json", "-o", str(out)]) == 0
    data = json.loads(out.read_text())
    data["notes"] = [{**data["notes"][0], "id": f"n{i}", "body": f"b{i}"} for i in range(5)]
    out.write_text(json.dumps(data))
    real = NoteStore.import_note
    calls = {"n": 0}

    def fills_the_disk(self: NoteStore, note: object) -> bool:
        calls["n"] += 1
        if calls["n"] == 4:
            raise NotesError(f"cannot save notes: the disk is full ({self.path} is unchanged)")
        return real(self, note)  # type: ignore[arg-type]

    monkeypatch.setattr(NoteStore, "import_note", fills_the_disk)
    capsys.readouterr()
    assert main(["-w", str(root), "notes", "import", str(out)]) == 2
    err = capsys.readouterr().err
    assert "disk is full" in err and "3 of 5 notes were imported" in err and err.count("\n") == 1
