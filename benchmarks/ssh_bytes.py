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
import fcntl
import json
import os
import pty
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

QUIET = 0.8  # seconds without output that end an action (related passages come at 0.25 s)
IDLE = 3.0
TIMEOUT = 60.0
DOWN, PAGE_DOWN, ESCAPE = "j", "\x1b[6~", "\x1b"
CTRL_N, CTRL_P, CTRL_S = "\x0e", "\x10", "\x13"


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

    def text_since(self, mark: int) -> str:
        """Printable text written since ``mark`` (escape sequences dropped, roughly)."""
        import re

        raw = self.since(mark).decode("utf-8", "replace")
        return re.sub(r"\x1b\[[0-9;:?<=>]*[ -/]*[@-~]", "", raw)

    def send(self, keys: str) -> None:
        os.write(self.fd, keys.encode())

    def wait_quiet(self, quiet: float = QUIET, timeout: float = TIMEOUT) -> None:
        """Until nothing has been written for ``quiet`` seconds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if time.monotonic() - self.last_output() >= quiet:
                return
            time.sleep(0.02)

    def wait_text(self, text: str, mark: int = 0, timeout: float = TIMEOUT) -> float:
        """Seconds from the start until ``text`` is on its way to the screen."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.text_since(mark):
                return self.last_output() - self.started
            time.sleep(0.01)
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
        results["page_down"] = median_of(lambda: terminal.action(PAGE_DOWN), repeat)
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


def _search_typing(terminal: Terminal, repeat: int) -> dict[str, Any]:
    terminal.action("/")
    values = [terminal.action(char) for char in "kataib"[: max(3, min(repeat, 6))]]
    return {"median": int(statistics.median(values)), "max": max(values), "n": len(values)}


def measure_less(text_file: Path, size: tuple[int, int], repeat: int) -> dict[str, Any]:
    """The same actions in ``less -R`` on the article's text, for scale."""
    env = {"TERM": "xterm-256color", "PATH": os.environ.get("PATH", ""), "LESS": ""}
    terminal = Terminal(["less", "-R", str(text_file)], size, env)
    try:
        first = terminal.wait_text(text_file.read_text()[:20].split()[0])
        terminal.wait_quiet()
        results: dict[str, Any] = {
            "time_to_first_paint_s": round(first, 3),
            "first_paint": len(terminal.since(0)),
            "j": median_of(lambda: terminal.action("j"), repeat),
            "page_down": median_of(lambda: terminal.action(" "), repeat),
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
    first = json.loads(found.stdout)[0]["article_id"]
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
    args = parser.parse_args(argv)
    width, height = (int(n) for n in args.size.split("x"))
    command = shutil.which("briefreader") or str(Path(sys.executable).with_name("briefreader"))
    cpu_before = os.times()
    with tempfile.TemporaryDirectory(prefix="briefreader-ssh-") as tmp:
        root = Path(tmp)
        workspace = sample_workspace(command, root)
        reader = measure_reader(command, workspace, (width, height), args.repeat)
        less = measure_less(article_text(command, workspace, root), (width, height), args.repeat)
    cpu = os.times()
    report = {
        "size": args.size,
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
    out = args.output / f"{time.strftime('%Y-%m-%d')}-ssh-bytes-{args.size}.json"
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))
    print(f"written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
