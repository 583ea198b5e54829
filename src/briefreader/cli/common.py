"""Shared pieces of the subcommands: errors, output, opening the workspace."""

from __future__ import annotations

import argparse
import errno
import os
import re
import stat
import sys
import tempfile
import time
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from briefreader.text.decode import safe_json, strip_control
from briefreader.workspace import Workspace, WorkspaceError, find_workspace

if TYPE_CHECKING:
    from rich.console import Console

    from briefreader.search.budget import Budget

EXIT_WRITE_FAILED = 74  # EX_IOERR: output could not be written (disk full, closed pipe…)


FIFO_READER_WAIT = 10.0  # seconds a named pipe given as output may wait for its reader


class CommandError(Exception):
    """A user-facing error: printed as one line, exit code ``code`` (2 = usage/input)."""

    def __init__(self, message: str, code: int = 2) -> None:
        super().__init__(message)
        self.code = code


_verbosity = 0  # -q: -1, default 0, -v: 1, -vv: 2 (set once by ``main``)


def set_verbosity(level: int) -> None:
    """How much to say on stderr: below 0 (``-q``) only errors; above 0 (``-v``) also the
    library's log (INFO, with ``-vv`` DEBUG) and the timings of an index run."""
    global _verbosity
    _verbosity = level
    if level > 0:
        import logging

        logging.basicConfig(
            level=logging.DEBUG if level > 1 else logging.INFO,
            format="briefreader: %(name)s: %(message)s",
        )


def summary(line: str, *, stderr: bool = False) -> None:
    """Print what a command did ("imported 3 notes…"): plain text, left out with ``-q``."""
    if _verbosity >= 0:
        print(strip_control(line), file=sys.stderr if stderr else sys.stdout)


def verbosity() -> int:
    """The level set by ``-v``/``-q`` (0 by default)."""
    return _verbosity


_command_process = False


def set_command_process(command: bool) -> None:
    """Whether this process was started to run one command (``main`` read ``sys.argv``),
    rather than ``main`` called with arguments inside a longer-lived process (tests)."""
    global _command_process
    _command_process = command


def query_budget() -> Budget:
    """The time budget of a command's query: from the process's start when the process runs
    this one command (start-up and opening the index count: the answer or refusal comes
    within 2 s of the command being typed), else from now."""
    from briefreader.search.budget import Budget

    return Budget.from_process_start() if _command_process else Budget()


def fail(message: str, code: int = 2) -> int:
    """Print ``briefreader: message`` to stderr (even with ``-q``) and return the exit code."""
    from rich.console import Console

    Console(stderr=True, highlight=False).print(
        f"briefreader: {shorten_echoes(message)}", markup=False, highlight=False, soft_wrap=True
    )
    return code


ECHO_LIMIT = 80  # characters of a quoted piece of user input kept in a message
WORD_LIMIT = 200  # characters of any other unbroken run (a path, an id without quotes)
_QUOTED = re.compile(r"'([^'\n]*)'|\"([^\"\n]*)\"")
_LONG_WORD = re.compile(rf"\S{{{WORD_LIMIT + 1},}}")


def shorten(text: str, limit: int = ECHO_LIMIT) -> str:
    """``text`` cut to ``limit`` characters, the cut marked with ``…``."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def shorten_echoes(message: str) -> str:
    """A message whose echoed user input (a 10 KB id, a pasted paragraph) is cut short:
    quoted pieces to ECHO_LIMIT characters, other unbroken runs to WORD_LIMIT."""

    def quoted(match: re.Match[str]) -> str:
        quote = match.group(0)[0]
        return quote + shorten(match.group(0)[1:-1]) + quote

    message = _QUOTED.sub(quoted, message)
    return _LONG_WORD.sub(lambda match: shorten(match.group(0), WORD_LIMIT), message)


@cache
def _console_classes() -> tuple[type[Console], type[Console]]:
    """rich's Console made safe: every ``str`` argument passes the one control-character rule
    (``strip_control``) first, so no escape sequence from data reaches the terminal; and one
    for stdout that leaves a closed pipe to ``main`` (rich itself would exit with 1).

    Made on first use: rich is imported only by commands that print, not by ``--help``.
    """
    from rich.console import Console

    class SafeConsole(Console):
        def print(self, *objects: Any, **kwargs: Any) -> None:
            """Print like Rich, with every ``str`` argument sanitised."""
            safe = [strip_control(o) if isinstance(o, str) else o for o in objects]
            super().print(*safe, **kwargs)

    class OutConsole(SafeConsole):
        def on_broken_pipe(self) -> None:
            self.quiet = True
            raise BrokenPipeError(errno.EPIPE, os.strerror(errno.EPIPE))

    return SafeConsole, OutConsole


def out_console() -> Console:
    """Console for normal output (rich on a TTY, plain text when piped)."""
    return _console_classes()[1](highlight=False, emoji=False, soft_wrap=not sys.stdout.isatty())


class StdoutError(OSError):
    """Standard output could not be written (disk full, device error…); not a closed pipe."""


class GuardedStdout:
    """Wraps ``sys.stdout`` so that a failed write is told apart from any other OSError."""

    def __init__(self, stream: Any) -> None:
        self.stream = stream

    def write(self, text: str) -> int:
        try:
            return int(self.stream.write(text))
        except BrokenPipeError:
            raise
        except OSError as error:
            raise StdoutError(error.errno, error.strerror or str(error)) from error

    def flush(self) -> None:
        try:
            self.stream.flush()
        except BrokenPipeError:
            raise
        except OSError as error:
            raise StdoutError(error.errno, error.strerror or str(error)) from error

    def __getattr__(self, name: str) -> Any:
        return getattr(self.stream, name)


def discard_stdout() -> None:
    """Point file descriptor 1 at /dev/null, so output still buffered is dropped at exit
    instead of failing again (and printing "Exception ignored …")."""
    try:
        fileno = sys.stdout.fileno()
    except (AttributeError, ValueError, OSError):
        return  # not a real file (a test's capture): nothing is flushed at exit
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, fileno)
    finally:
        os.close(devnull)


def err_console() -> Console:
    """Console for messages and progress (silent with ``-q``; errors go through ``fail``).

    Lines are not wrapped when stderr is not a terminal: a log or a pipe gets whole lines."""
    return _console_classes()[0](
        stderr=True,
        highlight=False,
        emoji=False,
        quiet=_verbosity < 0,
        soft_wrap=not sys.stderr.isatty(),
    )


def workspace_from(args: argparse.Namespace) -> Workspace:
    """Resolve the workspace from ``--workspace``/env/cwd, or raise a CommandError."""
    try:
        return find_workspace(getattr(args, "workspace", None))
    except WorkspaceError as error:
        raise CommandError(str(error)) from error


def check_index_folder(workspace: Workspace) -> None:
    """Raise a CommandError when the workspace's ``index`` is there but is not a folder."""
    index = workspace.index_dir
    if index.is_dir() or not (index.exists() or index.is_symlink()):
        return  # a folder (or a link to one), or not there yet: the indexer creates it
    if index.is_symlink() and not index.exists():
        what = "a broken symbolic link"
    else:
        what = "a file" if index.is_file() else "not a folder"
    raise CommandError(
        f"{printable(str(index))} is {what}, not a folder: briefreader keeps the search index "
        "there; move it away (the index is rebuilt from articles/)"
    )


ARTICLES_HINT = "list them with 'briefreader articles'"
JSON_SCHEMA = 1  # the version of every --json document (docs/json.md); bumped on a change


def print_json(data: dict[str, Any]) -> None:
    """Print a ``--json`` document on stdout: stable, indented JSON, an object whose first
    field is ``"schema"`` (the format's version); control characters in strings escaped
    (``safe_json``), so the document stays exact and the terminal safe."""
    document = {"schema": JSON_SCHEMA, **data}
    sys.stdout.write(safe_json(document) + "\n")


def given_id(text: str, what: str = "article id", hint: str = ARTICLES_HINT) -> str:
    """``text`` as an id the user typed. A blank one is an error: as a prefix it would match
    every id ("'' is the start of 12 article ids")."""
    if not text.strip():
        raise CommandError(f"the {what} is empty; {hint}")
    return text


def printable(text: str) -> str:
    """A file name or other untrusted string made safe to print: control characters as ``?``."""
    return "".join(char if char.isprintable() or char == " " else "?" for char in text)


def refuse_own_file(workspace: Workspace, name: str) -> None:
    """Refuse (exit 2, nothing written) an output path that is one of the workspace's files.

    Raises:
        CommandError: when ``name`` is the notes database, the settings, or inside
            ``index/`` or ``articles/``.
    """
    reason = workspace.own_file_reason(name)
    if reason is not None:
        raise CommandError(f"will not write to {printable(name)!r}: {reason}; choose another file")


def write_file(name: str, text: str) -> None:
    """Write ``text`` (UTF-8) to the file ``name`` the way a user expects, or raise CommandError.

    A regular file, or a new path, is written atomically: a temporary file beside it, then a
    rename, so a failure never leaves half a file; the new file gets the usual mode (the old
    file's, else 0666 less the umask). Anything else that exists (a FIFO, a terminal, a
    character device such as /dev/null or /dev/stdout) is written to directly and never
    replaced. A symbolic link is followed: what it points to is written, the link stays.
    """
    shown = printable(name)
    data = text.encode("utf-8")
    descriptor = _descriptor_named(name)
    if descriptor == 1:  # `-o /dev/stdout`: this process's stdout, even when it is a file
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    if descriptor is not None:
        _write_descriptor(descriptor, data, shown)
        return
    try:
        info: os.stat_result | None = os.stat(name)  # follows symbolic links
    except FileNotFoundError:
        info = None
    except OSError as error:
        raise CommandError(f"cannot write {shown}: {error.strerror or error}") from error
    if info is None or stat.S_ISREG(info.st_mode):
        mode = stat.S_IMODE(info.st_mode) if info is not None else _default_file_mode()
        _replace_file(Path(os.path.realpath(name)), data, mode, shown)
    elif stat.S_ISDIR(info.st_mode):
        raise CommandError(f"cannot write {shown}: it is a folder; give a file name")
    elif stat.S_ISBLK(info.st_mode):
        raise CommandError(f"cannot write {shown}: it is a block device (a disk); not writing")
    else:
        _write_in_place(name, data, shown, is_fifo=stat.S_ISFIFO(info.st_mode))


_DESCRIPTOR_PATH = re.compile(r"/dev/(?:std(out|err)|fd/(\d+))|/proc/self/fd/(\d+)")


def _descriptor_named(name: str) -> int | None:
    """The open file descriptor a name such as /dev/stdout or /dev/fd/3 stands for.

    Such a name is written through its descriptor, as a shell does: reopening it would start
    at offset 0 of a file opened for appending, and a pipe has no path to rename over.
    """
    match = _DESCRIPTOR_PATH.fullmatch(os.path.normpath(name))
    if match is None:
        return None
    if match[1]:
        return 1 if match[1] == "out" else 2
    return int(match[2] or match[3])


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


def _write_in_place(target: str, data: bytes, shown: str, is_fifo: bool) -> None:
    """Write to a FIFO or device as it is; a FIFO nobody reads is an error, not a hang."""
    deadline = time.monotonic() + (FIFO_READER_WAIT if is_fifo else 0)
    while True:
        try:
            fd = os.open(target, os.O_WRONLY | os.O_NONBLOCK | os.O_NOCTTY)
            break
        except OSError as error:
            if error.errno == errno.ENXIO and time.monotonic() < deadline:
                time.sleep(0.05)  # a named pipe with no reader yet: give one a moment
                continue
            if error.errno == errno.ENXIO and is_fifo:
                message = (
                    f"cannot write {shown}: nothing read from this named pipe "
                    f"within {FIFO_READER_WAIT:g} s"
                )
            else:
                message = f"cannot write {shown}: {error.strerror or error}"
            raise CommandError(message, EXIT_WRITE_FAILED) from error
    try:
        os.set_blocking(fd, True)
        _write_descriptor(fd, data, shown)
    finally:
        os.close(fd)


def _write_descriptor(fd: int, data: bytes, shown: str) -> None:
    view = memoryview(data)
    try:
        while view:
            view = view[os.write(fd, view) :]
    except OSError as error:
        raise CommandError(
            f"cannot write {shown}: {error.strerror or error}", EXIT_WRITE_FAILED
        ) from error
