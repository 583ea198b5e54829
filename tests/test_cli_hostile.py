"""The command line against hostile surroundings: odd output targets, full disks, bad indexes.

Device nodes are only ever created inside ``tmp_path`` (``mknod`` needs root; those tests skip
otherwise); no test writes to a real file under /dev.
"""

from __future__ import annotations

import errno
import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from briefreader.cli import common, main
from tests.conftest import make_workspace

ARTICLE = (
    "Port closes at night\n\n"
    "The council voted to close the port at night after a long and bitter debate.\n"
)
LONG = "".join(f"Paragraph {n} says the harbour stayed open until dawn.\n\n" for n in range(1500))


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    return make_workspace(tmp_path / "ws", {"port.txt": ARTICLE})


@pytest.fixture
def indexed(tmp_path: Path, capsys) -> Path:
    """An indexed workspace: 40 short articles and a long one (more than a pipe's buffer)."""
    files = {
        f"h{n}.txt": f"Harbour note {n}\n\nThe harbour stayed open on day {n}.\n" for n in range(40)
    }
    root = make_workspace(tmp_path / "big", {**files, "long.txt": "Long\n\n" + LONG})
    (root / "briefreader.toml").write_text("[entities]\nenabled = false\n", encoding="utf-8")
    assert main(["-w", str(root), "index", "--quiet"]) == 0
    capsys.readouterr()
    return root


def briefreader(*argv: str, **kwargs) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "briefreader", *argv], **kwargs)


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


# --- 2. stdout full, closed or failing: one line (or silence for a closed pipe) ----------------


class FullStdout:
    """A stdout on a full disk: every write fails with ENOSPC."""

    encoding = "utf-8"

    def write(self, text: str) -> int:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False


@pytest.mark.parametrize(
    "argv",
    [("search", "harbour"), ("search", "--json", "harbour"), ("articles",), ("notes", "export")],
)
def test_full_stdout_is_one_line_exit_74(
    indexed: Path, capsys, monkeypatch: pytest.MonkeyPatch, argv: tuple[str, ...]
) -> None:
    monkeypatch.setattr(sys, "stdout", FullStdout())
    code = main(["-w", str(indexed), *argv])
    err = capsys.readouterr().err
    assert code == 74 and one_line(err) and "No space left on device" in err


@pytest.mark.parametrize("argv", [("show", "long"), ("show", "--json", "long")])
def test_stdout_on_a_full_device_in_a_real_process(
    indexed: Path, tmp_path: Path, argv: tuple[str, ...]
) -> None:
    full = tmp_path / "full"
    mknod_char(full, 1, 7)  # what /dev/full is
    with full.open("wb") as out:
        process = briefreader("-w", str(indexed), *argv, stdout=out, stderr=subprocess.PIPE)
        _, err_bytes = process.communicate(timeout=60)
    err = err_bytes.decode()
    assert process.returncode == 74 and one_line(err) and "No space left on device" in err


@pytest.mark.parametrize(
    "argv",
    [
        ("articles",),
        ("search", "harbour", "--limit", "40"),
        ("articles", "--json"),
        ("show", "long"),
        ("show", "--json", "long"),
    ],
)
def test_closed_pipe_is_quiet_exit_0(indexed: Path, argv: tuple[str, ...]) -> None:
    process = briefreader("-w", str(indexed), *argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stdout is not None and process.stderr is not None
    process.stdout.readline()  # like `| head -1`
    process.stdout.close()
    err = process.stderr.read().decode()
    assert process.wait(timeout=60) == 0 and err == ""


# `-o /dev/stdout` and friends name an open descriptor: written through it, as a shell does.
# (Tests use /dev/fd/N: a regression could never rename a file over /dev/stdout.)


def test_descriptor_names() -> None:
    assert common._descriptor_named("/dev/stdout") == 1
    assert common._descriptor_named("/dev/stderr") == 2
    assert common._descriptor_named("/dev/fd/5") == 5
    assert common._descriptor_named("/proc/self/fd/1") == 1
    assert common._descriptor_named("/dev/null") is None
    assert common._descriptor_named("notes/dev/fd/1") is None


def export_in_process(workspace: Path, name: str, stdout: object) -> tuple[int, bytes, bytes]:
    argv = ("-w", str(workspace), "notes", "export", "--format", "json", "-o", name)
    process = briefreader(*argv, stdout=stdout, stderr=subprocess.PIPE)
    out, err = process.communicate(timeout=60)
    return process.returncode, out or b"", err


@pytest.mark.parametrize("name", ["/dev/fd/1", "/proc/self/fd/1"])
def test_export_to_stdout_by_name_into_a_pipe(workspace: Path, name: str) -> None:
    code, out, err = export_in_process(workspace, name, subprocess.PIPE)
    assert code == 0, err
    assert b'"briefreader-notes"' in out


def test_export_to_stdout_by_name_appends_to_a_file(workspace: Path, tmp_path: Path) -> None:
    target = tmp_path / "log.json"
    target.write_text("earlier\n", encoding="utf-8")
    with target.open("a", encoding="utf-8") as out:
        code, _, err = export_in_process(workspace, "/dev/fd/1", out)
    assert code == 0, err
    text = target.read_text(encoding="utf-8")
    assert text.startswith("earlier\n") and '"briefreader-notes"' in text


# --- 3. a damaged catalog.db: recovered from the index by the next index run ---------------


@pytest.mark.parametrize("damage", ["garbage", "truncated"])
def test_damaged_catalog_is_recovered(indexed: Path, capsys, damage: str) -> None:
    folder = indexed / "index" / (indexed / "index" / "CURRENT").read_text().strip()
    catalog = folder / "catalog.db"
    if damage == "garbage":
        catalog.write_bytes(bytes(range(256)) * 4)
    else:
        os.truncate(catalog, catalog.stat().st_size // 2)
    (indexed / "articles" / "new.txt").write_text(ARTICLE, encoding="utf-8")
    code, out, err = run(capsys, "-w", str(indexed), "index")
    assert code == 0, err
    assert "recovered it from the index" in out + err and "1 file added" in out + err
    code, out, _ = run(capsys, "-w", str(indexed), "articles", "--json")
    assert code == 0 and '"new"' in out
    assert run(capsys, "-w", str(indexed), "index")[0] == 0


# --- 4. index/ is a file (or a broken link): said plainly, by every command that needs it ------


@pytest.mark.parametrize(
    "argv",
    [
        ("index",),
        ("search", "port"),
        ("articles",),
        ("show", "port"),
        ("related", "port:p1"),
        ("entities",),
    ],
)
@pytest.mark.parametrize("kind", ["file", "broken symbolic link"])
def test_index_that_is_not_a_folder(
    tmp_path: Path, capsys, argv: tuple[str, ...], kind: str
) -> None:
    root = tmp_path / "ws"
    (root / "articles").mkdir(parents=True)
    (root / "articles" / "port.txt").write_text(ARTICLE, encoding="utf-8")
    if kind == "file":
        (root / "index").write_text("not a folder", encoding="utf-8")
    else:
        (root / "index").symlink_to(tmp_path / "nowhere")
    code, out, err = run(capsys, "-w", str(root), *argv)
    assert code == 2 and out == "" and one_line(err)
    assert f"{root / 'index'} is a {kind}, not a folder" in err
    assert run(capsys, "-w", str(root), "notes", "list")[0] == 0  # notes do not need it


# --- 7. a 10 KB argument is not echoed whole ----------------------------------------------------

HUGE = "x" * 10_000
LONG_QUERY = "x" * 990  # within the query budget (1,000 characters), so it is parsed


@pytest.mark.parametrize(
    "argv",
    [
        ("related", HUGE),
        ("related", f"{HUGE}:p1"),
        ("show", HUGE),
        ("entities", HUGE),
        ("notes", "delete", HUGE),
        ("notes", "add", f"{HUGE}:p1", "--text", "x"),
        ("notes", "import", HUGE),
        ("search", f"date:{LONG_QUERY}"),
        ("search", f"{LONG_QUERY}:value"),
        ("search", "--limit", HUGE, "x"),
        ("notes", "export", "--format", HUGE),
        (HUGE,),
    ],
)
def test_long_input_is_shortened_in_errors(indexed: Path, capsys, argv: tuple[str, ...]) -> None:
    try:
        code = main(["-w", str(indexed), *argv])
    except SystemExit as exit_:  # argparse's own errors
        code = int(exit_.code or 0)
    err = capsys.readouterr().err
    assert code == 2 and err and "Traceback" not in err
    assert max(len(line) for line in err.splitlines()) < 400 and "x" * 81 not in err
    assert "x" * 79 + "…" in err


def test_long_query_is_shortened_when_nothing_matches(indexed: Path, capsys) -> None:
    code, out, _ = run(capsys, "-w", str(indexed), "search", "y" * 990)
    assert code == 1 and len(out) < 200 and "y" * 79 + "…" in out


def test_a_query_over_the_budget_is_refused_without_echoing_it(indexed: Path, capsys) -> None:
    code, out, err = run(capsys, "-w", str(indexed), "search", "y" * 10_000)
    assert code == 2 and not out and "too long (10,000 characters" in err and "yy" not in err
