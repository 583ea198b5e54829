"""A large commit written by two processes (``split_commit``): the segment's bytes are the
ones a single process writes, with or without a helper that starts, the commit's progress
counts the helper's postings, and a ``kill -9`` while the helper works keeps the old index
and leaves no process behind."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
from whoosh.filedb.compound import CompoundStorage
from whoosh.filedb.filestore import FileStorage

from briefreader.search.index import indexer, split_commit, workers
from briefreader.search.index.indexer import update_index
from briefreader.search.index.store import active_dir
from tests.conftest import matches
from tests.test_parallel_indexing import (
    SRC,
    _children,
    _everything,
    _many_files,
    kill_leaving_no_process,
)


def _segment_files(folder: Path) -> list[tuple[str, str]]:
    """Each file inside the index's segments: its kind and a digest of its bytes."""
    files = []
    for path in sorted(folder.glob("*.seg")):
        with FileStorage(str(folder)).open_file(path.name) as handle:
            compound = CompoundStorage(handle, use_mmap=False)
            for name in sorted(compound.list()):
                data = compound.open_file(name).read()
                files.append((name.rsplit(".", 1)[-1], hashlib.sha256(data).hexdigest()))
    return files


def _built(root: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, list[tuple[str, int, int]]]:
    """Index 420 small files with a 1 MB pool (so it spills runs); the progress seen."""
    workspace = _many_files(root)
    seen: list[tuple[str, int, int]] = []
    monkeypatch.setattr(indexer, "WRITER_LIMIT_MB", 1)
    indexer.update_index(workspace, entities=False, progress=lambda *step: seen.append(step))
    folder = active_dir(workspace.index_dir)
    assert folder is not None
    return folder, seen


def _splits(monkeypatch: pytest.MonkeyPatch, *, helper_starts: bool = True) -> list[bool]:
    """Let any spilled commit split (two cores, no minimum size); record each decision."""
    monkeypatch.setattr(split_commit, "SPLIT_FROM_BYTES", 0)
    monkeypatch.setattr(workers, "available_cores", lambda: 2)
    monkeypatch.setenv("BRIEFREADER_WORKERS", "2")
    if not helper_starts:
        monkeypatch.setattr(workers.WorkerPool, "submit", lambda self, function, argument: None)
    decisions: list[bool] = []
    write_split = split_commit.write_split

    def recorded(*arguments: object) -> bool:
        decisions.append(write_split(*arguments))
        return decisions[-1]

    monkeypatch.setattr(split_commit, "write_split", recorded)
    return decisions


@pytest.mark.parametrize("helper_starts", [True, False])
def test_a_split_commit_writes_the_bytes_one_process_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, helper_starts: bool
) -> None:
    """With a helper, or without one when it cannot start (this process encodes its fields
    from the same runs): the segment's files are the same bytes."""
    with monkeypatch.context() as single:
        single.setattr(split_commit, "SPLIT_FROM_BYTES", 1 << 60)
        alone, _seen = _built(tmp_path / "alone", single)
    decisions = _splits(monkeypatch, helper_starts=helper_starts)
    split, seen = _built(tmp_path / "split", monkeypatch)
    assert decisions == [True]
    assert _segment_files(split) == _segment_files(alone)
    assert _everything(split) == _everything(alone)
    assert not list(split.glob("*.tmp"))  # runs and the helper's files are gone
    committing = [done for phase, done, _total in seen if phase == "committing"]
    total = next(total for phase, _done, total in seen if phase == "committing")
    assert committing[-1] == total and 0 < committing[-2] < total  # the helper's count too


def _dies(task: object) -> None:
    """In the helper: end it as the out-of-memory killer would."""
    os._exit(1)


def test_a_helper_that_dies_loses_nothing_and_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with monkeypatch.context() as single:
        single.setattr(split_commit, "SPLIT_FROM_BYTES", 1 << 60)
        alone, _seen = _built(tmp_path / "alone", single)
    decisions = _splits(monkeypatch)
    submit = workers.WorkerPool.submit
    monkeypatch.setattr(
        workers.WorkerPool, "submit", lambda self, function, argument: submit(self, _dies, argument)
    )
    reports: list[indexer.IndexReport] = []
    update = indexer.update_index
    monkeypatch.setattr(indexer, "update_index", lambda *a, **k: reports.append(update(*a, **k)))
    split, _seen = _built(tmp_path / "split", monkeypatch)
    assert decisions == [True]
    assert _segment_files(split) == _segment_files(alone)
    assert any("the commit's helper process stopped" in n for n in reports[0].notices)


def test_the_helpers_progress_is_noted_while_this_process_writes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(split_commit, "POLL_SECONDS", 0)
    noted: list[int] = []
    terms = split_commit._noting(iter("abc"), lambda: 7, noted.append)
    assert list(terms) == ["a", "b", "c"] and noted == [7, 7, 7]


def test_a_small_commit_is_written_by_this_process_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    decisions = _splits(monkeypatch)
    monkeypatch.setattr(split_commit, "SPLIT_FROM_BYTES", 1 << 60)
    _built(tmp_path / "ws", monkeypatch)
    assert decisions == [False]


def test_the_helper_takes_the_last_fields_nearest_half_of_the_bytes() -> None:
    ranges = {
        "a.run": {"body": (0, 40), "kind": (40, 45), "p_body": (45, 80), "title": (80, 90)},
        "b.run": {"body": (0, 10), "p_body": (10, 20)},
    }
    # body 50, kind 5, p_body 45, title 10: the last two hold 55 of 110
    assert split_commit.fields_for_helper(ranges) == ["p_body", "title"]
    assert split_commit.fields_for_helper({"a.run": {"body": (0, 9)}}) == []
    assert split_commit.fields_for_helper({"a.run": {"a": (0, 1), "b": (1, 99)}}) == ["b"]


KILL_WHILE_THE_HELPER_WORKS = """
import sys, time
from pathlib import Path
from briefreader.search.index import indexer, split_commit, workers
from briefreader.workspace import Workspace

def waiting(path):
    print("helper working", flush=True)
    time.sleep(60)
    return 0

split_commit._written = waiting
split_commit.SPLIT_FROM_BYTES = 0
workers.available_cores = lambda: 2
indexer.WRITER_LIMIT_MB = 1
indexer.update_index(Workspace(Path(sys.argv[1])), rebuild=True, entities=False)
print("done", flush=True)
"""


@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="one core: no helper process")
def test_a_kill_during_a_split_commit_keeps_the_old_index_and_leaves_no_process(
    tmp_path: Path,
) -> None:
    workspace = _many_files(tmp_path)
    update_index(workspace, entities=False)
    found = matches(workspace, "markercopy2")
    env = {**os.environ, "PYTHONPATH": SRC, "BRIEFREADER_CONFIG": "", "BRIEFREADER_WORKERS": "2"}
    child = subprocess.Popen(
        [sys.executable, "-c", KILL_WHILE_THE_HELPER_WORKS, str(workspace.root)],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "helper working"
    kill_leaving_no_process(child, _children(child.pid))
    assert matches(workspace, "markercopy2") == found > 0
    report = update_index(workspace, rebuild=True, entities=False)
    assert report.articles == 420
    assert matches(workspace, "markercopy2") == found
