"""The reader's first run builds its index with worker processes: inside the app, Textual's
stand-in for ``sys.stderr`` has no file descriptor (``fileno()`` is -1), which made
multiprocessing's resource tracker fail to start ("Cannot build the index: bad value(s) in
fds_to_keep") on any corpus of 400 files or more."""

from __future__ import annotations

import time
from collections.abc import Callable
from multiprocessing import resource_tracker
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from briefreader.search.index import workers
from briefreader.tui.app import ReaderApp
from briefreader.tui.settings import ReaderSettings
from briefreader.workspace import Workspace
from tests.conftest import make_workspace
from tests.tui.helpers import screen_text

pytestmark = pytest.mark.anyio


async def _until(pilot: Pilot[Any], condition: Callable[[], bool], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, screen_text(pilot.app)
        await pilot.pause(0.05)


async def test_the_first_run_in_the_reader_builds_with_worker_processes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BRIEFREADER_WORKERS", "2")
    monkeypatch.setattr(workers, "MIN_PARALLEL_FILES", 0)  # the sample is five files
    monkeypatch.setattr(workers, "available_cores", lambda: 2)
    pools: list[workers.WorkerPool] = []
    start = workers.WorkerPool.__init__

    def recorded(pool: workers.WorkerPool, processes: int, notices: Any = None) -> None:
        start(pool, processes, notices)
        pools.append(pool)

    monkeypatch.setattr(workers.WorkerPool, "__init__", recorded)
    resource_tracker._resource_tracker._stop()  # started afresh inside the app, as on a first run
    root = make_workspace(tmp_path, sample=True)
    (root / "briefreader.toml").write_text("[entities]\nenabled = false\n")
    app = ReaderApp(Workspace(root), ReaderSettings(animations=False, cursor_blink=False))
    async with app.run_test(size=(100, 30)) as pilot:
        screen: Any = pilot.app.screen
        await _until(pilot, lambda: screen.session.library is not None)
        assert "Cannot build the index" not in screen_text(pilot.app)
        assert len(screen.session.library.articles()) == 6
        assert pools and pools[0].processes == 2  # the workers started and were used
        assert not any("worker process" in notice for p in pools for notice in p._notices)
