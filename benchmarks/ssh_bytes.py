"""Bytes the terminal receives per reader action, as over SSH (``python -m benchmarks.ssh_bytes``).

The installed ``briefreader`` runs in a pseudo-terminal of a fixed size with ``SSH_CONNECTION``
set (so it behaves as it does over SSH: no animation, no blinking cursor); every byte it
writes is read back with a timestamp. An action is a key (or keys); its cost is every byte
written from the key until the screen has been quiet for ``QUIET`` seconds (the related
passages and the exact count arrive after a delay, and are counted). Idle is the bytes per
second over ``IDLE`` seconds with nothing pressed. ``less -R`` on the same article's text is
measured the same way, for scale. Results: a table on stdout and JSON in
``benchmarks/results`` (with CPU seconds and the load average, since the machine is shared).
"""

from __future__ import annotations

import argparse
import codecs
import fcntl
import json
import os
import pty
import re
import select
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from rich.cells import cell_len

QUIET = 0.8  # seconds without output that end an action (related passages come at 0.25 s)
IDLE = 3.0
TIMEOUT = 60.0
DOWN, PAGE_DOWN, PAGE_UP, ESCAPE = "j", "\x1b[6~", "\x1b[5~", "\x1b"
CTRL_N, CTRL_P, CTRL_S = "\x0e", "\x10", "\x13"


_TOKEN = re.compile(
    r"\x1b\[(\d*)(?:;(\d*))?H|\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07]*\x07|([^\x1b\n\r])"
)


class Screen:
    """The characters a terminal shows (no colours): cursor moves and text, enough to tell
    whether a word is on the screen."""

    def __init__(self) -> None:
        self.rows: dict[int, dict[int, str]] = {}
        self.y = self.x = 0

    def feed(self, data: str) -> None:
        for match in _TOKEN.finditer(data):
            if match.group(0).endswith("H") and match.group(0).startswith("\x1b["):
                self.y, self.x = int(match.group(1) or 1) - 1, int(match.group(2) or 1) - 1
            elif match.group(3):
                char = match.group(3)
                self.rows.setdefault(self.y, {})[self.x] = char
                self.x += max(1, cell_len(char))

    def shows(self, text: str) -> bool:
        return any(text in "".join(row.get(x, " ") for x in range(max(row) + 1))
                   for row in self.rows.values() if row)  # fmt: skip


class Terminal:
    """A program in a pseudo-terminal; a thread records what it writes, with times."""

    def __init__(self, argv: Sequence[str], size: tuple[int, int], env: dict[str, str]) -> None:
        self.started = time.monotonic()
        pid, fd = pty.fork()
        if pid == 0:  # the child: the program, on the terminal's side
            os.execvpe(argv[0], list(argv), env)
        self.pid, self.fd = pid, fd
        width, height = size
        fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", height, width, 0, 0))
        self.chunks: list[tuple[float, bytes]] = []
        self.lock = threading.Lock()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        while True:
            try:
                ready, _, _ = select.select([self.fd], [], [], 0.05)
                if not ready:
                    continue
                data = os.read(self.fd, 65536)
            except OSError:
                return
            if not data:
                return
            with self.lock:
                self.chunks.append((time.monotonic(), data))
            self._answer_queries(data)

    def _answer_queries(self, data: bytes) -> None:
        """Answer the cursor-position and device-attribute queries a terminal would."""
        if b"\x1b[6n" in data:
            os.write(self.fd, b"\x1b[1;1R")
        if b"\x1b[c" in data:
            os.write(self.fd, b"\x1b[?62;22c")

    def mark(self) -> int:
        """A position in the output, to count the bytes after it."""
        with self.lock:
            return len(self.chunks)

    def since(self, mark: int) -> bytes:
        with self.lock:
            return b"".join(data for _, data in self.chunks[mark:])

    def last_output(self) -> float:
        with self.lock:
            return self.chunks[-1][0] if self.chunks else self.started

    def send(self, keys: str) -> None:
        os.write(self.fd, keys.encode())

    def wait_quiet(self, quiet: float = QUIET, timeout: float = TIMEOUT) -> None:
        """Until nothing has been written for ``quiet`` seconds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if time.monotonic() - self.last_output() >= quiet:
                return
            time.sleep(0.02)

    def wait_text(self, text: str, timeout: float = TIMEOUT) -> float:
        """Seconds from the start until ``text`` is on the screen (on one row: a program that
        sends only the changed cells need not write it in one piece)."""
        screen, decoder, done = Screen(), codecs.getincrementaldecoder("utf-8")("replace"), 0
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                new, done = b"".join(data for _, data in self.chunks[done:]), len(self.chunks)
            screen.feed(decoder.decode(new))
            if screen.shows(text):
                return self.last_output() - self.started
            time.sleep(0.02)
        raise TimeoutError(f"{text!r} never shown")

    def action(self, keys: str, quiet: float = QUIET) -> int:
        """Bytes written in answer to ``keys``."""
        self.wait_quiet(quiet)
        mark = self.mark()
        self.send(keys)
        self.wait_output(mark)
        self.wait_quiet(quiet)
        return len(self.since(mark))

    def wait_output(self, mark: int, timeout: float = 5.0) -> None:
        """Until something is written after ``mark`` (a loaded machine answers late)."""
        deadline = time.monotonic() + timeout
        while self.mark() == mark and time.monotonic() < deadline:
            time.sleep(0.01)

    def idle_rate(self, seconds: float = IDLE) -> float:
        """Bytes per second written while nothing is pressed."""
        self.wait_quiet(2 * QUIET)
        mark = self.mark()
        time.sleep(seconds)
        return len(self.since(mark)) / seconds

    def close(self) -> None:
        try:
            os.kill(self.pid, 9)
            os.waitpid(self.pid, 0)
        except (OSError, ChildProcessError):
            pass
        os.close(self.fd)


def environment(workspace: Path) -> dict[str, str]:
    """A remote session's environment: SSH_CONNECTION set, a 256-colour TERM, truecolor."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TMUX", "NO_COLOR"))}
    env.update(
        TERM="xterm-256color",
        COLORTERM="truecolor",
        SSH_CONNECTION="127.0.0.1 50000 127.0.0.1 22",
        BRIEFREADER_CONFIG="",
        BRIEFREADER_WORKSPACE=str(workspace),
    )
    return env


def median_of(action: Callable[[], int], times: int) -> dict[str, Any]:
    values = [action() for _ in range(times)]
    return {"median": int(statistics.median(values)), "max": max(values), "n": len(values)}


def measure_reader(
    command: str, workspace: Path, size: tuple[int, int], repeat: int
) -> dict[str, Any]:
    """Every action of the table, on the reader."""
    terminal = Terminal([command], size, environment(workspace))
    results: dict[str, Any] = {}
    try:
        results["time_to_first_paint_s"] = round(terminal.wait_text("newest first"), 3)
        terminal.wait_quiet()
        results["first_paint"] = len(terminal.since(0))
        results["idle_list"] = terminal.idle_rate()
        results["typed_char_search"] = _search_typing(terminal, repeat)
        results["idle_search"] = terminal.idle_rate()
        terminal.action("\r")  # leaves the box (Enter opens the highlighted result)
        terminal.action("\r")
        results["j"] = median_of(lambda: terminal.action(DOWN), repeat)
        results["page_down"] = _paging(terminal, repeat)
        results["idle_article"] = terminal.idle_rate()
        terminal.action(CTRL_N)
        results["idle_notes_screen"] = terminal.idle_rate()
        terminal.action(ESCAPE)
        terminal.action(CTRL_P)
        results["idle_palette"] = terminal.idle_rate()
        terminal.action(ESCAPE)
        terminal.action("a")
        results["typed_char_note"] = median_of(lambda: terminal.action("x", 0.4), repeat)
        results["idle_note_editor"] = terminal.idle_rate()
        terminal.action(CTRL_S)
    finally:
        terminal.close()
    return results


def _paging(
    terminal: Terminal, repeat: int, keys: tuple[str, str] = (PAGE_DOWN, PAGE_UP)
) -> dict[str, Any]:
    """A page down, then up, and so on from the top: each press moves a whole page (at the
    article's end a PgDn moves nothing, and the hit opened is near the end)."""
    terminal.action("g")
    values = [terminal.action(keys[number % 2]) for number in range(repeat)]
    return {"median": int(statistics.median(values)), "max": max(values), "n": len(values)}


def _search_typing(terminal: Terminal, repeat: int) -> dict[str, Any]:
    terminal.action("/")
    values = [terminal.action(char) for char in "kataib"[: max(3, min(repeat, 6))]]
    return {"median": int(statistics.median(values)), "max": max(values), "n": len(values)}


def measure_less(text_file: Path, size: tuple[int, int], repeat: int) -> dict[str, Any]:
    """The same actions in ``less -R`` on the article's text, for scale."""
    env = {"TERM": "xterm-256color", "PATH": os.environ.get("PATH", ""), "LESS": ""}
    env["LESSCHARSET"] = "utf-8"  # else a text with curly quotes "may be a binary file"
    terminal = Terminal(["less", "-R", str(text_file)], size, env)
    try:
        first = terminal.wait_text(text_file.read_text()[:20].split()[0])
        terminal.wait_quiet()
        results: dict[str, Any] = {
            "time_to_first_paint_s": round(first, 3),
            "first_paint": len(terminal.since(0)),
            "j": median_of(lambda: terminal.action("j"), repeat),
            "page_down": _paging(terminal, repeat, keys=(" ", "b")),
            "idle": terminal.idle_rate(),
        }
    finally:
        terminal.send("q")
        terminal.close()
    return results


def sample_workspace(command: str, root: Path) -> Path:
    """A fresh sample workspace, indexed (the first run's build is not what is measured)."""
    workspace = root / "ws"
    subprocess.run([command, "init", str(workspace), "--sample"], check=True, capture_output=True)
    env = {**os.environ, "BRIEFREADER_CONFIG": ""}
    subprocess.run(
        [command, "-w", str(workspace), "index", "--quiet"],
        check=True,
        env=env,
        capture_output=True,
    )
    return workspace


def article_text(command: str, workspace: Path, root: Path) -> Path:
    """The first search result for "kataib" as plain text (what less shows)."""
    env = {**os.environ, "BRIEFREADER_CONFIG": ""}
    found = subprocess.run(
        [command, "-w", str(workspace), "search", "kataib", "--json"],
        check=True, env=env, capture_output=True, text=True,
    )  # fmt: skip
    first = json.loads(found.stdout)["hits"][0]["article_id"]
    shown = subprocess.run(
        [command, "-w", str(workspace), "show", first],
        check=True, env=env, capture_output=True, text=True,
    )  # fmt: skip
    path = root / "article.txt"
    path.write_text(shown.stdout)
    return path


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.ssh_bytes", description=__doc__)
    parser.add_argument("--size", default="120x40", help="terminal COLSxROWS (120x40)")
    parser.add_argument("--repeat", type=int, default=5, help="presses per action (5)")
    parser.add_argument("--output", type=Path, default=Path(__file__).parent / "results")
    parser.add_argument(
        "--reader",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a [reader] setting for the run, e.g. changes_only=false (repeatable)",
    )
    args = parser.parse_args(argv)
    width, height = (int(n) for n in args.size.split("x"))
    command = shutil.which("briefreader") or str(Path(sys.executable).with_name("briefreader"))
    cpu_before = os.times()
    with tempfile.TemporaryDirectory(prefix="briefreader-ssh-") as tmp:
        root = Path(tmp)
        workspace = sample_workspace(command, root)
        if args.reader:
            settings = "\n".join(["[reader]", *args.reader, ""])
            (workspace / "briefreader.toml").write_text(settings)
        reader = measure_reader(command, workspace, (width, height), args.repeat)
        less = measure_less(article_text(command, workspace, root), (width, height), args.repeat)
    cpu = os.times()
    report = {
        "size": args.size,
        "reader_settings": args.reader,
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "load_average": os.getloadavg(),
        "cpu_children_s": round(
            cpu.children_user + cpu.children_system
            - cpu_before.children_user - cpu_before.children_system, 2
        ),
        "reader": reader,
        "less": less,
    }  # fmt: skip
    args.output.mkdir(parents=True, exist_ok=True)
    variant = "".join(f"-{setting.replace('=', '-')}" for setting in args.reader)
    out = args.output / f"{time.strftime('%Y-%m-%d')}-ssh-bytes-{args.size}{variant}.json"
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))
    print(f"written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
