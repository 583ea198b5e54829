"""Shared pieces of the subcommands: errors, output, opening the workspace."""

from __future__ import annotations

import argparse
import errno
import json
import os
import stat
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from rich.console import Console

from briefreader.workspace import Workspace, WorkspaceError, find_workspace

EXIT_WRITE_FAILED = 74  # EX_IOERR: output could not be written (disk full, closed pipe…)


FIFO_READER_WAIT = 10.0  # seconds a named pipe given as output may wait for its reader


class CommandError(Exception):
    """A user-facing error: printed as one line, exit code ``code`` (2 = usage/input)."""

    def __init__(self, message: str, code: int = 2) -> None:
        super().__init__(message)
        self.code = code


def fail(message: str, code: int = 2) -> int:
    """Print ``briefreader: message`` to stderr and return the exit code."""
    err_console().print(f"briefreader: {message}", markup=False, highlight=False, soft_wrap=True)
    return code


def out_console() -> Console:
    """Console for normal output (rich on a TTY, plain text when piped)."""
    return Console(highlight=False, soft_wrap=not sys.stdout.isatty())


def err_console() -> Console:
    """Console for messages and progress."""
    return Console(stderr=True, highlight=False)


def workspace_from(args: argparse.Namespace) -> Workspace:
    """Resolve the workspace from ``--workspace``/env/cwd, or raise a CommandError."""
    try:
        return find_workspace(getattr(args, "workspace", None))
    except WorkspaceError as error:
        raise CommandError(str(error)) from error


def print_json(data: Any) -> None:
    """Print data as stable, indented JSON on stdout."""
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


def printable(text: str) -> str:
    """A file name or other untrusted string made safe to print: control characters as ``?``."""
    return "".join(char if char.isprintable() or char == " " else "?" for char in text)


def write_file(name: str, text: str) -> None:
    """Write ``text`` (UTF-8) to the file ``name`` the way a user expects, or raise CommandError.

    A regular file, or a new path, is written atomically: a temporary file beside it, then a
    rename, so a failure never leaves half a file; the new file gets the usual mode (the old
    file's, else 0666 less the umask). Anything else that exists (a FIFO, a terminal, a
    character device such as /dev/null or /dev/stdout) is written to directly and never
    replaced. A symbolic link is followed: what it points to is written, the link stays.
    """
    shown = printable(name)
    target = Path(os.path.realpath(name))
    try:
        info: os.stat_result | None = os.stat(target)
    except FileNotFoundError:
        info = None
    except OSError as error:
        raise CommandError(f"cannot write {shown}: {error.strerror or error}") from error
    data = text.encode("utf-8")
    if info is None or stat.S_ISREG(info.st_mode):
        mode = stat.S_IMODE(info.st_mode) if info is not None else _default_file_mode()
        _replace_file(target, data, mode, shown)
    elif stat.S_ISDIR(info.st_mode):
        raise CommandError(f"cannot write {shown}: it is a folder; give a file name")
    elif stat.S_ISBLK(info.st_mode):
        raise CommandError(f"cannot write {shown}: it is a block device (a disk); not writing")
    else:
        _write_in_place(target, data, shown)


def _default_file_mode() -> int:
    umask = os.umask(0o022)
    os.umask(umask)
    return 0o666 & ~umask


def _replace_file(target: Path, data: bytes, mode: int, shown: str) -> None:
    tmp: str | None = None
    try:
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
            os.fchmod(handle.fileno(), mode)
        os.replace(tmp, target)
        tmp = None
    except OSError as error:
        raise CommandError(
            f"cannot write {shown}: {error.strerror or error}", EXIT_WRITE_FAILED
        ) from error
    finally:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)


def _write_in_place(target: Path, data: bytes, shown: str) -> None:
    """Write to a FIFO or device as it is; a FIFO nobody reads is an error, not a hang."""
    deadline = time.monotonic() + FIFO_READER_WAIT
    while True:
        try:
            fd = os.open(target, os.O_WRONLY | os.O_NONBLOCK | os.O_NOCTTY)
            break
        except OSError as error:
            if error.errno == errno.ENXIO and time.monotonic() < deadline:
                time.sleep(0.05)  # a named pipe with no reader yet: give one a moment
                continue
            if error.errno == errno.ENXIO:
                message = (
                    f"cannot write {shown}: nothing read from this named pipe "
                    f"within {FIFO_READER_WAIT:g} s"
                )
            else:
                message = f"cannot write {shown}: {error.strerror or error}"
            raise CommandError(message, EXIT_WRITE_FAILED) from error
    try:
        os.set_blocking(fd, True)
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
    except OSError as error:
        raise CommandError(
            f"cannot write {shown}: {error.strerror or error}", EXIT_WRITE_FAILED
        ) from error
    finally:
        os.close(fd)
