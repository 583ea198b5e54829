"""Merging the segments back into one: ``briefreader index --merge``, the automatic merge of a
small index, and a ``kill -9`` mid-merge that leaves the previous generation."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from briefreader.cli import main
from briefreader.search.index import full_merge
from briefreader.search.index.indexer import update_index
from briefreader.search.index.merging import max_segments
from briefreader.search.index.store import active_dir
from briefreader.search.library import Library
from briefreader.workspace import Workspace
from tests.test_merging import (
    DOCUMENTS,
    FILES,
    _corpus,
    _hits,
    _segments,
    _story,
    _update_one_file_at_a_time,
)

SRC = str(Path(__file__).resolve().parents[1] / "src")


def _cli(capsys: pytest.CaptureFixture[str], workspace: Workspace, *args: str) -> str:
    assert main(["-w", str(workspace.root), "index", *args]) == 0
    return capsys.readouterr().err


def test_twenty_updates_then_index_merge_leave_one_segment(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BRIEFREADER_CONFIG", "")
    monkeypatch.setattr(full_merge, "AUTO_MERGE_DOCUMENTS", 0)  # only when asked
    ws = _corpus(tmp_path / "ws", FILES)
    update_index(ws)
    counts = _update_one_file_at_a_time(ws, 20)
    assert max(counts) <= max_segments(DOCUMENTS) == 2 and counts[-1] == 2, counts
    before = {q: _hits(ws, q) for q in ("harbour", "correction", "marker37", "dredge OR ferry")}
    assert "merged" not in _cli(capsys, ws)  # not asked, not cheap enough: two segments stay
    assert _segments(ws) == 2
    said = _cli(capsys, ws, "--merge")
    assert "merged 2 segments into 1" in said, said
    assert _segments(ws) == 1
    assert {q: _hits(ws, q) for q in before} == before
    assert "one segment already, with no deleted index entries" in _cli(capsys, ws, "--merge")


def test_index_merge_drops_the_deleted_documents_of_a_single_segment(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A removed file leaves its documents in the one segment, marked deleted: Whoosh still
    counts them in each word's document frequency, so a suggestion could offer a word only
    the removed article had. ``index --merge`` rewrote nothing ("one segment already")."""
    monkeypatch.setenv("BRIEFREADER_CONFIG", "")
    monkeypatch.setattr(full_merge, "AUTO_MERGE_DOCUMENTS", 0)  # only when asked
    ws = _corpus(tmp_path / "ws", FILES)
    (ws.articles_dir / "zz.txt").write_text("Quokka census\n\nThe quokkaland survey ended.\n")
    update_index(ws)
    (ws.articles_dir / "zz.txt").unlink()
    assert "merged" not in _cli(capsys, ws)
    assert full_merge.segment_figures(ws)[0::2] == (1, 2)  # the article and its passage
    said = _cli(capsys, ws, "--merge")
    assert "rewrote the index's one segment without its 2 deleted index entries" in said, said
    assert full_merge.segment_figures(ws) == (1, DOCUMENTS, 0)
    library = Library.open(ws)
    try:
        assert library.search("quokkalnd").suggestion is None
        assert library.search("harbuor").suggestion == "harbour"
    finally:
        library.close()
    assert "nothing to merge" in _cli(capsys, ws, "--merge")


def test_a_small_index_is_merged_without_asking(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BRIEFREADER_CONFIG", "")
    ws = _corpus(tmp_path / "ws", FILES)
    update_index(ws)
    _update_one_file_at_a_time(ws, 1)
    assert _segments(ws) == 2 and DOCUMENTS <= full_merge.AUTO_MERGE_DOCUMENTS
    assert "merged 2 segments into 1" in _cli(capsys, ws)
    assert _segments(ws) == 1


def test_index_merge_shows_a_progress_bar(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """``index --merge`` was silent (7 s at 1,186 articles, minutes at x32): it reports the
    postings it copies ("Merging segments", out of the segments' postings counted in their
    terms) then those it writes ("Saving index"), through the CLI's progress bar."""
    from contextlib import contextmanager

    from briefreader.cli import progress as cli_progress
    from briefreader.search.index import committing

    monkeypatch.setenv("BRIEFREADER_CONFIG", "")
    monkeypatch.setattr(full_merge, "AUTO_MERGE_DOCUMENTS", 0)
    monkeypatch.setattr(committing, "COMMIT_REPORT_EVERY", 500)
    ws = _corpus(tmp_path / "ws", FILES)
    update_index(ws)
    _update_one_file_at_a_time(ws, 1)
    steps: list[tuple[str, int, int]] = []

    @contextmanager
    def recording(enabled: bool):  # type: ignore[no-untyped-def]
        yield lambda phase, done, total: steps.append((phase, done, total))

    monkeypatch.setattr(cli_progress, "progress_reporter", recording)
    assert "merged 2 segments into 1" in _cli(capsys, ws, "--merge")
    merging = [(done, total) for phase, done, total in steps if phase == "merging"]
    assert len(merging) > 4 and all(done <= total for done, total in merging), merging
    assert merging[0][1] > 1000  # a real total from the start, not done + 1
    copied = sum(done for done, total in merging if done == total)  # each segment's end
    assert merging[-1][0] == merging[-1][1] and copied > 1000
    first = steps.index(("merging", *merging[0]))
    saving = [(done, total) for phase, done, total in steps[first:] if phase == "committing"]
    # every posting copied is written, but a vocabulary's word in both segments only once
    assert len(saving) > 3 and saving[-1][0] == saving[-1][1] > 0.9 * copied, saving


KILL_IN_MERGE = """
import sys, time
from pathlib import Path
from whoosh import writing
from briefreader.search.index import full_merge
from briefreader.workspace import Workspace

write_toc = writing.SegmentWriter._commit_toc

def stop_before_toc(self, segments):  # the merged segment's files are written, not the TOC
    print("merging", flush=True)
    time.sleep(60)
    write_toc(self, segments)

writing.SegmentWriter._commit_toc = stop_before_toc
full_merge.merge_segments(Workspace(Path(sys.argv[1])))
print("merged", flush=True)
"""


def test_kill_during_a_full_merge_keeps_the_previous_generation(tmp_path: Path) -> None:
    ws = _corpus(tmp_path / "ws", FILES)
    update_index(ws)
    _update_one_file_at_a_time(ws, 3)
    assert _segments(ws) == 2
    folder = active_dir(ws.index_dir)
    assert folder is not None
    tocs = sorted(p.name for p in folder.glob("*.toc"))
    before = {q: _hits(ws, q) for q in ("harbour", "correction", "marker37")}
    child = subprocess.Popen(
        [sys.executable, "-c", KILL_IN_MERGE, str(ws.root)],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": SRC, "BRIEFREADER_CONFIG": ""},
    )
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "merging"
    assert len(list(folder.glob("*.seg"))) > 2  # the merged segment is on disk, unlisted
    child.send_signal(signal.SIGKILL)
    child.wait()
    assert sorted(p.name for p in folder.glob("*.toc")) == tocs  # the previous generation
    assert _segments(ws) == 2
    assert {q: _hits(ws, q) for q in before} == before
    # An index run with nothing to do (no commit) removes the killed merge's files: its
    # temporary folder and the merged segment no table of contents names; they stayed
    # until the next commit. The live generation's files stay.
    live = {p.name for p in folder.iterdir()} - {"MAIN.tmp"}
    orphans = {p.name for p in folder.glob("*.seg")} - _named_segment_files(folder)
    assert orphans and (folder / "MAIN.tmp").is_dir()
    report = update_index(ws)
    assert not report.added and not report.updated
    assert "removed the unfinished files of an interrupted index write" in report.notices
    assert {p.name for p in folder.iterdir()} == live - orphans
    assert _segments(ws) == 2 and {q: _hits(ws, q) for q in before} == before
    report = full_merge.merge_segments(ws)  # the lock the killed process held is free
    assert (report.segments_before, report.segments_after) == (2, 1)
    assert {q: _hits(ws, q) for q in before} == before
    (ws.articles_dir / "s005.txt").write_text(_story(5, edit=9))
    assert update_index(ws).updated == ["s005.txt"]
    assert _hits(ws, "marker5") and len(list(folder.glob("*.seg"))) <= 2  # orphans cleaned


def _named_segment_files(folder: Path) -> set[str]:
    """The segment files the latest table of contents names."""
    from whoosh import index

    ix = index.open_dir(str(folder))
    return {f"{segment.segment_id()}.seg" for segment in ix._segments()}
