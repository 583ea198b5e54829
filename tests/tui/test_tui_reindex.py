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
from briefreader.tui.screens import main as main_module
from briefreader.tui.screens.main import MainScreen
from briefreader.tui.settings import ReaderSettings
from briefreader.workspace import Workspace
from tests.tui.helpers import settle

pytestmark = pytest.mark.anyio
SRC = str(Path(__file__).resolve().parents[2] / "src")


async def test_reader_picks_up_an_index_rebuilt_by_another_process(
    reader_workspace_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The reader's own poll (every few seconds) would race the check of the old snapshot
    # below: it never fires during this test, which triggers the poll itself.
    monkeypatch.setattr(main_module, "INDEX_POLL_SECONDS", 3600.0)
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


async def test_reader_names_and_rebuilds_an_index_of_an_older_format(
    reader_workspace_root: Path, tmp_path: Path
) -> None:
    import sqlite3

    from briefreader.search.index.store import active_dir
    from tests.tui.helpers import notifications

    root = tmp_path / "ws"
    shutil.copytree(reader_workspace_root, root)
    shutil.rmtree(root / "index" / "state", ignore_errors=True)
    (root / "briefreader.toml").write_text("[entities]\nenabled = false\n")
    folder = active_dir(root / "index")
    assert folder is not None
    with sqlite3.connect(folder / "catalog.db") as db:  # what an earlier version wrote
        db.execute("UPDATE info SET value = '7' WHERE key = 'schema_version'")
    app = ReaderApp(Workspace(root), ReaderSettings(animations=False, cursor_blink=False))
    async with app.run_test(size=(120, 40)) as pilot:
        screen: Any = pilot.app.screen
        assert isinstance(screen, MainScreen)
        await settle(pilot)
        assert "index format 7" in screen.index.building  # the placeholder while it rebuilds
        assert screen.library is not None
        assert any(
            m.startswith("Index rebuilt (the index was made by another version")
            for m in notifications(pilot.app)
        )
        screen.search_bar.input.value = "waiver"
        await settle(pilot)
        assert screen.results.entries
