"""``kill -9`` of a real ``briefreader index`` in either phase leaves an index that opens, and
the next run completes with no article left waiting for its entities (default recogniser)."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from briefreader.search.index.catalog import read_catalog
from briefreader.search.index.store import active_dir
from briefreader.search.library import Library
from briefreader.workspace import Workspace
from tests.conftest import SAMPLE_DIR, make_workspace

SRC = str(Path(__file__).resolve().parents[1] / "src")
COPIES = 3


def _corpus(root: Path) -> Workspace:
    """The sample articles three times over, each copy with a word of its own (so no copy
    is a duplicate and none is in the entity cache)."""
    files: dict[str, str | bytes] = {}
    for copy in range(COPIES):
        for path in sorted(SAMPLE_DIR.iterdir()):
            text = path.read_text(encoding="utf-8")
            files[f"c{copy}-{path.name}"] = f"{text.rstrip()}\n\nmarkercopy{copy} closes it.\n"
    return Workspace(make_workspace(root, files))


def _index(workspace: Workspace, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": SRC, "BRIEFREADER_CONFIG": ""}
    command = [sys.executable, "-m", "briefreader", "-w", str(workspace.root), "index", *args]
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _pending_rows(workspace: Workspace) -> int:
    folder = active_dir(workspace.index_dir)
    if folder is None or not (folder / "catalog.db").is_file():
        return 0
    try:
        with sqlite3.connect(f"file:{folder / 'catalog.db'}?mode=ro", uri=True) as db:
            return int(db.execute("SELECT count(*) FROM pending").fetchone()[0])
    except sqlite3.Error:
        return 0


def _kill_when(process: subprocess.Popen[str], ready: object, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while not ready():  # type: ignore[operator]
        assert process.poll() is None, "the run ended before the moment to kill it"
        assert time.monotonic() < deadline
        time.sleep(0.01)
    os.kill(process.pid, signal.SIGKILL)
    process.wait(10)


def _complete_run(workspace: Workspace) -> None:
    process = _index(workspace)
    _, err = process.communicate(timeout=300)
    assert process.returncode == 0, err
    folder = active_dir(workspace.index_dir)
    assert folder is not None
    catalog = read_catalog(folder)
    assert catalog is not None and catalog.pending == set()
    assert catalog.articles


def _search(workspace: Workspace, query: str) -> int:
    library = Library.open(workspace)
    try:
        return library.search(query, limit=100).total
    finally:
        library.close()


def test_a_kill_in_the_entity_phase_keeps_the_text_and_the_next_run_finishes(
    tmp_path: Path,
) -> None:
    workspace = _corpus(tmp_path)
    process = _index(workspace)
    _kill_when(process, lambda: _pending_rows(workspace) > 0)  # text committed, NER running

    found = _search(workspace, "markercopy1")  # the text phase's commit is whole
    assert _search(workspace, "person:sudani") == 0  # the batch in hand was lost
    _complete_run(workspace)
    assert _search(workspace, "markercopy1") == found > 0
    assert _search(workspace, "person:sudani") > 0


def test_a_kill_in_the_text_phase_keeps_the_old_index_and_the_next_run_finishes(
    tmp_path: Path,
) -> None:
    workspace = _corpus(tmp_path)
    _complete_run(workspace)
    found = _search(workspace, "markercopy2")
    process = _index(workspace, "--rebuild")
    # The rebuild's new folder exists: it is parsing or writing, nothing is committed yet.
    _kill_when(process, lambda: len(list(workspace.index_dir.glob("ix-*"))) > 1)

    assert _search(workspace, "markercopy2") == found > 0  # the old index is still active
    _complete_run(workspace)
    assert _search(workspace, "person:sudani") > 0
