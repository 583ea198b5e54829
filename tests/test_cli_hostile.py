"""The command line against hostile surroundings: odd output targets, full disks, bad indexes.

Device nodes are only ever created inside ``tmp_path`` (``mknod`` needs root; those tests skip
otherwise); no test writes to a real file under /dev.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from conftest import make_workspace

from briefreader.cli import common, main

ARTICLE = (
    "Port closes at night\n\n"
    "The council voted to close the port at night after a long and bitter debate.\n"
)


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    return make_workspace(tmp_path / "ws", {"port.txt": ARTICLE})


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def export_to(capsys: pytest.CaptureFixture[str], workspace: Path, target: Path):
    return run(
        capsys, "-w", str(workspace), "notes", "export", "--format", "json", "-o", str(target)
    )


def one_line(err: str) -> bool:
    return err.startswith("briefreader: ") and err.count("\n") == 1 and "Traceback" not in err


def mknod_char(path: Path, major: int, minor: int) -> None:
    try:
        os.mknod(path, 0o666 | stat.S_IFCHR, os.makedev(major, minor))
    except PermissionError:
        pytest.skip("mknod needs root")


@contextmanager
def umask(value: int) -> Iterator[None]:
    old = os.umask(value)
    try:
        yield
    finally:
        os.umask(old)


# --- 1. notes export -o: never replace what is not a regular file -------------------------------


def test_export_to_fifo_writes_into_the_pipe(workspace: Path, tmp_path: Path, capsys) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    try:
        code, _, err = export_to(capsys, workspace, fifo)
        data = os.read(reader, 1 << 16)
    finally:
        os.close(reader)
    assert code == 0, err
    assert b'"briefreader-notes"' in data
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_export_to_fifo_nobody_reads_fails_without_hanging(
    workspace: Path, tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(common, "FIFO_READER_WAIT", 0.2)
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    code, _, err = export_to(capsys, workspace, fifo)
    assert code == 74 and one_line(err) and "named pipe" in err
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


@pytest.mark.parametrize(
    ("minor", "code", "message"),
    [(7, 74, "No space left on device"), (3, 0, "")],  # what /dev/full and /dev/null are
    ids=["full", "null"],
)
def test_export_to_char_device_writes_it_and_keeps_it(
    workspace: Path, tmp_path: Path, capsys, minor: int, code: int, message: str
) -> None:
    device = tmp_path / "device"
    mknod_char(device, 1, minor)
    got, _, err = export_to(capsys, workspace, device)
    assert got == code and (one_line(err) and message in err if code else "exported" in err)
    assert stat.S_ISCHR(os.lstat(device).st_mode)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".device")] == []


def test_export_through_symlink_writes_the_target_and_keeps_the_link(
    workspace: Path, tmp_path: Path, capsys
) -> None:
    real = tmp_path / "real.json"
    real.write_text("old", encoding="utf-8")
    link = tmp_path / "link.json"
    link.symlink_to(real.name)
    code, _, err = export_to(capsys, workspace, link)
    assert code == 0, err
    assert link.is_symlink() and os.readlink(link) == real.name
    assert '"briefreader-notes"' in real.read_text(encoding="utf-8")


def test_export_to_a_folder_is_one_line(workspace: Path, tmp_path: Path, capsys) -> None:
    code, _, err = export_to(capsys, workspace, tmp_path)
    assert code == 2 and one_line(err) and "folder" in err


# --- 8. exported files follow the umask (not mkstemp's 0600) -----------------------------------


@pytest.mark.parametrize(("mask", "mode"), [(0o022, 0o644), (0o027, 0o640), (0o002, 0o664)])
def test_new_export_file_mode_follows_umask(
    workspace: Path, tmp_path: Path, capsys, mask: int, mode: int
) -> None:
    target = tmp_path / "brief.json"
    with umask(mask):
        code, _, err = export_to(capsys, workspace, target)
    assert code == 0, err
    assert stat.S_IMODE(target.stat().st_mode) == mode


def test_export_over_a_file_keeps_its_mode(workspace: Path, tmp_path: Path, capsys) -> None:
    target = tmp_path / "brief.json"
    target.write_text("old", encoding="utf-8")
    target.chmod(0o640)
    with umask(0o022):
        code, _, err = export_to(capsys, workspace, target)
    assert code == 0, err
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert '"briefreader-notes"' in target.read_text(encoding="utf-8")
