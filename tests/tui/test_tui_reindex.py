"""The reader keeps working while another process re-indexes, and picks up the new index."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from briefreader.tui.app import ReaderApp
from briefreader.tui.screens.main import MainScreen
from briefreader.tui.settings import ReaderSettings
from briefreader.workspace import Workspace
from tests.tui.helpers import settle

pytestmark = pytest.mark.anyio
SRC = str(Path(__file__).resolve().parents[2] / "src")


async def test_reader_picks_up_an_index_rebuilt_by_another_process(
    reader_workspace_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The watcher runs when the test says (below), not when its 3 s timer fires: a rebuild
    # that takes longer than that on a loaded machine made this test fail.
    monkeypatch.setattr("briefreader.tui.screens.main.INDEX_POLL_SECONDS", 3600.0)
    root = tmp_path / "ws"
    shutil.copytree(reader_workspace_root, root)
    shutil.rmtree(root / "index" / "state", ignore_errors=True)
    (root / "briefreader.toml").write_text("[entities]\nenabled = false\n")
    app = ReaderApp(Workspace(root), ReaderSettings(animations=False, cursor_blink=False))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen: Any = pilot.app.screen
        assert isinstance(screen, MainScreen) and screen.library is not None
        (root / "articles" / "late.txt").write_text(
            "A late dispatch\n\nThe zeppelinword delegation arrived after the talks had "
            "ended, according to officials who spoke on condition of anonymity."
        )
        env = {**os.environ, "PYTHONPATH": SRC, "BRIEFREADER_CONFIG": ""}
        result = subprocess.run(
            [sys.executable, "-m", "briefreader", "-w", str(root), "index", "--rebuild", "-q"],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr
        screen.search_bar.input.value = "zeppelinword"
        await settle(pilot)
        assert not screen.results.entries  # still the old snapshot, still working
        screen._watch_index()
        await settle(pilot)
        assert [e for e in screen.results.entries]
        assert "late" in str(screen.results.entries[0])
