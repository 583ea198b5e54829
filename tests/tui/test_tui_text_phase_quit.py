"""Quitting the reader while its text phase runs stops the run at its next step: the
lock is released at once, the index stays as it was, and the next run does the update."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest

from briefreader.search.index import indexer
from briefreader.search.index.indexer import update_index
from briefreader.search.index.store import active_dir, write_lock
from briefreader.search.library import Library
from briefreader.tui.app import ReaderApp
from briefreader.tui.settings import ReaderSettings
from briefreader.workspace import Workspace
from tests.conftest import make_workspace

pytestmark = pytest.mark.anyio

STORIES = 12


def _story(n: int) -> str:
    return f"Harbour story {n}\n\nThe harbour number {n} opened after a long debate."


def _released(workspace: Workspace, seconds: float) -> float:
    """Seconds until the index lock is free (fails after ``seconds``)."""
    started = time.monotonic()
    while True:
        try:
            with write_lock(workspace.index_dir, []):
                return time.monotonic() - started
        except Exception:
            assert time.monotonic() - started < seconds, "the text phase kept the lock"
            time.sleep(0.05)


@pytest.mark.parametrize("first_build", [True, False])
async def test_quitting_during_the_text_phase_stops_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, first_build: bool
) -> None:
    root = make_workspace(tmp_path, {"a.txt": _story(0)})
    (root / "briefreader.toml").write_text('[entities]\nrecogniser = "rules"\n', "utf-8")
    workspace = Workspace(root)
    if first_build:
        (root / "articles" / "a.txt").unlink()
    else:
        update_index(workspace)
    for n in range(1, STORIES + 1):
        (root / "articles" / f"s{n}.txt").write_text(_story(n), "utf-8")
    written, gate = [0], threading.Event()
    index_result = indexer._index_result

    def held(*args: Any, **kwargs: Any) -> None:  # the third file waits for the test
        written[0] += 1
        if written[0] == 3:
            gate.wait(30)
        index_result(*args, **kwargs)

    monkeypatch.setattr(indexer, "_index_result", held)
    app = ReaderApp(workspace, ReaderSettings(animations=False, cursor_blink=False))
    async with app.run_test(size=(100, 30)) as pilot:
        deadline = time.monotonic() + 20
        while written[0] < 3:
            assert time.monotonic() < deadline, "the text phase did not start"
            await pilot.pause(0.05)
        await pilot.press("ctrl+q")
    gate.set()  # the run goes on to its next step, sees the quit, gives up
    assert _released(workspace, 10) < 5
    monkeypatch.undo()
    assert written[0] == 3  # not a file more was written
    if first_build:
        assert active_dir(workspace.index_dir) is None
        assert not list(workspace.index_dir.glob("ix-*"))  # the unfinished build is gone
    else:
        library = Library.open(workspace)
        assert [a.id for a in library.articles()] == ["a"]
        library.close()
    report = update_index(workspace)
    assert len(report.added) == STORIES
