"""A damaged index segment is found when the index is opened, not at the first search."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from briefreader.search.index.indexer import update_index
from briefreader.search.index.store import IndexUnavailable, active_dir
from briefreader.search.library import Library
from briefreader.workspace import Workspace


@pytest.fixture
def damaged(sample_workspace: Path, tmp_path: Path) -> Workspace:
    """A copy of the indexed sample whose segment files were cut short (a bad disk, a copy
    interrupted half-way)."""
    root = tmp_path / "ws"
    shutil.copytree(sample_workspace, root)
    workspace = Workspace(root)
    folder = active_dir(workspace.index_dir)
    assert folder is not None
    segments = list(folder.glob("*.seg"))
    assert segments
    for segment in segments:
        with open(segment, "r+b") as handle:
            handle.truncate(1000)
    return workspace


def test_opening_a_damaged_index_says_so(damaged: Workspace) -> None:
    with pytest.raises(IndexUnavailable, match="could not be opened"):
        Library.open(damaged)


def test_an_index_run_rebuilds_a_damaged_index(damaged: Workspace) -> None:
    report = update_index(damaged, enricher=lambda articles, progress: {})
    assert report.rebuilt and "could not be opened" in report.rebuilt
    library = Library.open(damaged)
    try:
        assert library.search("militia attacks").hits
    finally:
        library.close()


def test_a_reader_keeps_its_snapshot_when_the_update_is_damaged(
    sample_workspace: Path, tmp_path: Path
) -> None:
    """Another process added a segment that is cut short: refresh says so, the old snapshot
    stays usable."""
    root = tmp_path / "ws"
    shutil.copytree(sample_workspace, root)
    workspace = Workspace(root)
    library = Library.open(workspace)
    try:
        folder = active_dir(workspace.index_dir)
        assert folder is not None
        before = set(folder.glob("*.seg"))
        (root / "articles" / "late.txt").write_text(
            "A late dispatch\n\nThe delegation arrived after the militia attacks had ended.\n",
            encoding="utf-8",
        )
        update_index(workspace, enricher=lambda articles, progress: {})
        for segment in set(folder.glob("*.seg")) - before:
            with open(segment, "r+b") as handle:
                handle.truncate(1000)
        with pytest.raises(IndexUnavailable):
            library.refresh()
        assert library.search("militia attacks").hits
    finally:
        library.close()
