"""After an update the reader merges the index's segments in the background (a process of its
own) and keeps searching meanwhile; then it reads the merged generation, without a toast."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path
from typing import Any

import pytest
from whoosh import writing

from briefreader.search.index import indexer
from briefreader.search.index.merging import segment_count
from briefreader.search.index.store import open_active
from briefreader.tui.app import ReaderApp
from briefreader.tui.screens import main as main_module
from briefreader.tui.screens import reader_index
from briefreader.tui.screens.main import MainScreen
from briefreader.tui.settings import ReaderSettings
from briefreader.workspace import Workspace
from tests.tui.helpers import notifications, settle

pytestmark = pytest.mark.anyio


def _segments(workspace: Workspace) -> int:
    ix, _ = open_active(workspace.index_dir, lambda folder: None)
    return segment_count(ix)


async def test_reader_searches_during_a_background_merge_then_reads_one_segment(
    reader_workspace_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(main_module, "INDEX_POLL_SECONDS", 3600.0)
    monkeypatch.setattr(reader_index, "MERGE_IDLE_SECONDS", 0.05)
    monkeypatch.setattr(indexer, "MERGE_POLICY", writing.NO_MERGE)  # the update: a new segment
    root = tmp_path / "ws"
    shutil.copytree(reader_workspace_root, root)
    shutil.rmtree(root / "index" / "state", ignore_errors=True)
    (root / "briefreader.toml").write_text("[entities]\nenabled = false\n")
    (root / "articles" / "late.txt").write_text(
        "A late dispatch\n\nThe zeppelinword delegation arrived after the talks had ended."
    )
    workspace = Workspace(root)
    go, holding = threading.Event(), threading.Event()
    real = reader_index._merge_process

    def held(where: str, cancelled: Any) -> int | None:
        holding.set()
        go.wait(60)  # the merge worker is running: the test searches meanwhile
        return real(where, cancelled)

    monkeypatch.setattr(reader_index, "_merge_process", held)
    app = ReaderApp(workspace, ReaderSettings(animations=False, cursor_blink=False))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause(0.5)
        screen: Any = pilot.app.screen
        assert isinstance(screen, MainScreen) and screen.library is not None
        assert holding.wait(30) and screen.index.merging
        assert _segments(workspace) == 2
        generation = screen.library.generation
        screen.search_bar.input.value = "zeppelinword"
        await pilot.pause(1.0)  # not settle: the merge worker is still running
        assert [str(e) for e in screen.results.entries] and screen.index.merging
        go.set()
        await settle(pilot)
        assert not screen.index.merging
        assert _segments(workspace) == 1
        assert screen.library.generation > generation  # refreshed on the merged generation
        assert "late" in str(screen.results.entries[0])
        assert not any("results refreshed" in m for m in notifications(pilot.app))
