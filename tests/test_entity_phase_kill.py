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

import pytest

from briefreader.search.index.catalog import read_catalog
from briefreader.search.index.store import active_dir
from briefreader.text.load import default_options, load_file
from briefreader.workspace import Workspace
from tests.conftest import SAMPLE_DIR, make_workspace, matches

SRC = str(Path(__file__).resolve().parents[1] / "src")
COPIES = 3


def _corpus(root: Path, copies: int = COPIES) -> Workspace:
    """The sample articles ``copies`` times over, each copy with a word of its own (so no
    copy is a duplicate and none is in the entity cache)."""
    files: dict[str, str | bytes] = {}
    for copy in range(copies):
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


def test_a_kill_in_the_entity_phase_keeps_the_text_and_the_next_run_finishes(
    tmp_path: Path,
) -> None:
    workspace = _corpus(tmp_path)
    process = _index(workspace)
    _kill_when(process, lambda: _pending_rows(workspace) > 0)  # text committed, NER running

    found = matches(workspace, "markercopy1", limit=100)  # the text phase's commit is whole
    assert matches(workspace, "person:sudani", limit=100) == 0  # the batch in hand was lost
    _complete_run(workspace)
    assert matches(workspace, "markercopy1", limit=100) == found > 0
    assert matches(workspace, "person:sudani", limit=100) > 0


def test_a_kill_in_the_text_phase_keeps_the_old_index_and_the_next_run_finishes(
    tmp_path: Path,
) -> None:
    workspace = _corpus(tmp_path)
    _complete_run(workspace)
    found = matches(workspace, "markercopy2", limit=100)
    process = _index(workspace, "--rebuild")
    # The rebuild's new folder exists: it is parsing or writing, nothing is committed yet.
    _kill_when(process, lambda: len(list(workspace.index_dir.glob("ix-*"))) > 1)

    # The old index is still active.
    assert matches(workspace, "markercopy2", limit=100) == found > 0
    _complete_run(workspace)
    assert matches(workspace, "person:sudani", limit=100) > 0


def _plain_corpus(root: Path, chars: int) -> Workspace:
    """The sample's article texts as plain-text files, copied over until there are ``chars``
    characters, each copy with a title and a word of its own."""
    options = default_options()
    texts = [
        article.text
        for path in sorted(SAMPLE_DIR.iterdir())
        for article in load_file(path, SAMPLE_DIR, options).articles
    ]
    files: dict[str, str | bytes] = {}
    size = 0
    while size < chars:
        number = len(files)
        text = texts[number % len(texts)]
        files[f"p{number:03}.txt"] = f"Copy {number}\n\n{text}\n\nmarkercopy{number} closes it.\n"
        size += len(text)
    return Workspace(make_workspace(root, files))


def _children(pid: int) -> list[int]:
    """The worker processes ``pid`` started (Linux's /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            command = (stat.parent / "cmdline").read_bytes() if int(fields[1]) == pid else b""
        except OSError:  # gone meanwhile
            continue
        if b"spawn_main" in command:  # a worker, not multiprocessing's resource tracker
            found.append(int(stat.parent.name))
    return found


def _gone(pids: list[int], seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not any(Path(f"/proc/{pid}").exists() for pid in pids):
            return True
        time.sleep(0.05)
    return False


def test_a_kill_while_worker_processes_recognise_ends_them_too(tmp_path: Path) -> None:
    """Enough text for the entity phase's worker processes (``POOL_MIN_CHARS``): a kill of
    the run while they recognise ends them too, and the next run finishes."""
    from briefreader.text.entities.extract import POOL_MIN_CHARS
    from briefreader.text.entities.recogniser import SpacyRecogniser, choose_recogniser

    choice = choose_recogniser({})
    if not isinstance(choice.recogniser, SpacyRecogniser) or os.cpu_count() == 1:
        pytest.skip("the spaCy model is not installed, or one core: no worker processes")
    workspace = _plain_corpus(tmp_path, POOL_MIN_CHARS * 3 // 2)
    process = _index(workspace)
    workers: list[int] = []

    def recognising() -> bool:
        workers[:] = _children(process.pid) if _pending_rows(workspace) else []
        return len(workers) >= 2  # the text phase's are gone: these recognise

    _kill_when(process, recognising)
    assert _gone(workers), "the worker processes outlived the run"
    _complete_run(workspace)
    assert matches(workspace, "person:sudani", limit=100) > 0
