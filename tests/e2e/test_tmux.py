"""End to end: the installed ``briefreader`` command in tmux at 80×24, read off the screen."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed"),
]

COMMAND = Path(sys.executable).with_name("briefreader")


class Tmux:
    """One tmux server of our own (``-L``), so the user's sessions are never touched."""

    def __init__(self, socket: str) -> None:
        self.socket = socket

    def run(self, *args: str) -> str:
        completed = subprocess.run(
            ["tmux", "-L", self.socket, "-f", "/dev/null", *args],
            capture_output=True,
            text=True,
            check=True,
        )
        return completed.stdout

    def screen(self) -> str:
        return self.run("capture-pane", "-p", "-t", "reader")

    def keys(self, *keys: str) -> None:
        self.run("send-keys", "-t", "reader", *keys)

    def wait_for(self, check: Callable[[str], bool], what: str, timeout: float = 30.0) -> str:
        """Poll the screen until ``check`` holds; fail with the last screen otherwise."""
        deadline = time.monotonic() + timeout
        text = ""
        while time.monotonic() < deadline:
            text = self.screen()
            if check(text):
                return text
            time.sleep(0.1)
        pytest.fail(f"timed out waiting for {what}; screen was:\n{text}")


@pytest.fixture
def tmux(tmp_path: Path) -> Iterator[Tmux]:
    server = Tmux(f"briefreader-e2e-{os.getpid()}")
    yield server
    subprocess.run(["tmux", "-L", server.socket, "kill-server"], capture_output=True)


def test_search_open_move_and_quit_in_tmux(tmux: Tmux, tmp_path: Path) -> None:
    assert COMMAND.exists(), f"{COMMAND} is not installed (pip install -e .)"
    workspace = tmp_path / "ws"
    subprocess.run([str(COMMAND), "init", str(workspace), "--sample"], check=True)
    script = (
        f"cd {shlex.quote(str(workspace))} && env TERM=xterm-256color BRIEFREADER_CONFIG= "
        f"{shlex.quote(str(COMMAND))}; echo READER-EXIT=$?; sleep 30"
    )
    tmux.run("new-session", "-d", "-s", "reader", "-x", "80", "-y", "24", script)

    tmux.wait_for(lambda s: "articles, newest first" in s, "the library (first-run index)")
    tmux.keys("kataib")
    screen = tmux.wait_for(lambda s: "3 articles match" in s, "three results for kataib")
    assert "Kataib Hezbollah" in screen

    tmux.keys("Enter")
    screen = tmux.wait_for(lambda s: "article 1 of 3" in s, "the first result opened")
    before = _paragraph(screen)

    tmux.keys("j")
    screen = tmux.wait_for(lambda s: _paragraph(s) == before + 1, "the cursor to move")
    assert "article 1 of 3" in screen

    tmux.keys("q")
    screen = tmux.wait_for(lambda s: "READER-EXIT=" in s, "the reader to quit")
    assert "READER-EXIT=0" in screen
    assert "Traceback" not in screen


def _paragraph(screen: str) -> int:
    """The cursor's paragraph number from the status line (``¶ 3 of 31``), or -1."""
    for line in screen.splitlines():
        if "¶ " in line:
            try:
                return int(line.split("¶ ", 1)[1].split(" ", 1)[0])
            except ValueError:
                return -1
    return -1
