"""After an update the reader merges the index's segments in the background (a process of its
own) and keeps searching meanwhile; then it reads the merged generation, without a toast."""

from __future__ import annotations

import os
import shutil
import time
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

# The real merge, held after the merged segment's files are written and before the table of
# contents that switches to them, until the test creates the file ``go``.
HELD_MERGE = """
import os, sys, time
from pathlib import Path
from whoosh import writing
from briefreader.search.index import full_merge

root = Path(sys.argv[1])
write_toc = writing.SegmentWriter._commit_toc

def held(self, segments):
    (root / "merging").write_text(str(os.getpid()))
    while not (root / "go").exists():
        time.sleep(0.05)
    write_toc(self, segments)

writing.SegmentWriter._commit_toc = held
sys.exit(full_merge.main([str(root)]))
"""


def _segments(workspace: Workspace) -> int:
    ix, _ = open_active(workspace.index_dir, lambda folder: None)
    return segment_count(ix)


def _updated_reader(
    source: Path, root: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[Workspace, ReaderApp]:
    """A reader on a copy of ``source`` with a new file: the reader's update of it adds a
    segment, and the merge it starts then stops before its table of contents."""
    monkeypatch.setattr(main_module, "INDEX_POLL_SECONDS", 3600.0)
    monkeypatch.setattr(reader_index, "MERGE_IDLE_SECONDS", 0.05)
    monkeypatch.setattr(reader_index, "MERGE_COMMAND", ["-c", HELD_MERGE])
    monkeypatch.setattr(indexer, "MERGE_POLICY", writing.NO_MERGE)  # the update: a new segment
    shutil.copytree(source, root)
    shutil.rmtree(root / "index" / "state", ignore_errors=True)
    (root / "briefreader.toml").write_text("[entities]\nenabled = false\n")
    (root / "articles" / "late.txt").write_text(
        "A late dispatch\n\nThe zeppelinword delegation arrived after the talks had ended."
    )
    workspace = Workspace(root)
    return workspace, ReaderApp(workspace, ReaderSettings(animations=False, cursor_blink=False))


async def _merge_started(pilot: Any, root: Path) -> None:
    deadline = time.monotonic() + 60
    while not (root / "merging").exists():  # the merge process has written its segment
        assert time.monotonic() < deadline, "the reader started no merge"
        await pilot.pause(0.1)


async def test_reader_searches_during_a_background_merge_then_reads_one_segment(
    reader_workspace_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "ws"
    workspace, app = _updated_reader(reader_workspace_root, root, monkeypatch)
    async with app.run_test(size=(120, 40)) as pilot:
        await _merge_started(pilot, root)
        screen: Any = pilot.app.screen
        assert isinstance(screen, MainScreen) and screen.library is not None
        assert screen.index.merging and _segments(workspace) == 2
        generation = screen.library.generation
        screen.search_bar.input.value = "zeppelinword"
        await pilot.pause(1.0)  # not settle: the merge worker is still running
        assert [str(e) for e in screen.results.entries] and screen.index.merging
        (root / "go").touch()
        await settle(pilot)
        assert not screen.index.merging
        assert _segments(workspace) == 1
        assert screen.library.generation > generation  # refreshed on the merged generation
        assert "late" in str(screen.results.entries[0])
        assert not any("results refreshed" in m for m in notifications(pilot.app))


async def test_quitting_during_the_merge_kills_it_and_keeps_the_index(
    reader_workspace_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "ws"
    workspace, app = _updated_reader(reader_workspace_root, root, monkeypatch)
    # The merge worker's own check comes too late to matter: quitting must kill the child.
    monkeypatch.setattr(reader_index, "MERGE_POLL_SECONDS", 5.0)
    async with app.run_test(size=(120, 40)) as pilot:
        await _merge_started(pilot, root)
        child = int((root / "merging").read_text())
        await pilot.press("q")
    # The reader has exited: its merge is killed and reaped (a zombie would still answer).
    with pytest.raises(ProcessLookupError):
        os.kill(child, 0)
    (root / "go").touch()  # a merge process still alive would now write its TOC
    time.sleep(0.5)
    assert _segments(workspace) == 2


def test_a_closed_merge_child_starts_no_merge(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The reader closed between the idle timer and the worker's start: no child is left."""
    started = tmp_path / "started"
    monkeypatch.setattr(reader_index, "MERGE_COMMAND", ["-c", f"open({str(started)!r}, 'w')"])
    child = reader_index.MergeChild()
    assert child.run(str(tmp_path), lambda: False) == 0 and started.exists()
    started.unlink()
    child.close()
    assert child.run(str(tmp_path), lambda: False) is None
    assert not started.exists()
