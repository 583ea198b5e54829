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

from tests.tui.terminal_cells import replay, unreadable

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

    def screen(self, *flags: str) -> str:
        return self.run("capture-pane", "-p", *flags, "-t", "reader")

    def keys(self, *keys: str) -> None:
        self.run("send-keys", "-t", "reader", *keys)

    def search(self, query: str) -> None:
        """``/``, then the query once the box has focus (keys sent in one burst all go to
        the widget focused when they arrive, as in any Textual app)."""
        self.keys("/")
        self.wait_for(lambda s: "Leave search" in s, "the search box to take focus")
        self.keys(query)

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
    tmux.search("kataib")
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


def _start(tmux: Tmux, tmp_path: Path, environment: str, size: str = "120x40") -> None:
    """The installed reader on a fresh sample workspace, with ``environment`` set."""
    assert COMMAND.exists(), f"{COMMAND} is not installed (pip install -e .)"
    workspace = tmp_path / "ws"
    if not workspace.exists():
        subprocess.run([str(COMMAND), "init", str(workspace), "--sample"], check=True)
    script = (
        f"cd {shlex.quote(str(workspace))} && env BRIEFREADER_CONFIG= {environment} "
        f"{shlex.quote(str(COMMAND))}; echo READER-EXIT=$?; sleep 30"
    )
    width, height = size.split("x")
    tmux.run("new-session", "-d", "-s", "reader", "-x", width, "-y", height, script)
    tmux.wait_for(lambda s: "articles, newest first" in s, "the library", timeout=60)


def test_no_color_starts_and_q_on_the_first_screen_exits_0(tmux: Tmux, tmp_path: Path) -> None:
    _start(tmux, tmp_path, "NO_COLOR=1 TERM=xterm-256color")
    tmux.keys("q")
    screen = tmux.wait_for(lambda s: "READER-EXIT=" in s, "the reader to quit")
    assert "READER-EXIT=0" in screen
    assert "Traceback" not in screen and "Error" not in screen


@pytest.mark.parametrize(
    "environment",
    ["TERM=xterm-256color COLORTERM=truecolor", "TERM=xterm-256color COLORTERM=", "TERM=xterm"],
    ids=["truecolor", "256", "16"],
)
def test_every_cell_the_terminal_shows_is_readable(
    tmux: Tmux, tmp_path: Path, environment: str
) -> None:
    """Search, open, move the cursor onto hits and entities: no cell below 4.5:1."""
    _start(tmux, tmp_path, environment)
    tmux.search("kataib")
    tmux.wait_for(lambda s: "3 articles match" in s, "three results for kataib")
    tmux.keys("Enter")
    tmux.wait_for(lambda s: "article 1 of 3" in s, "the first result opened")
    tmux.keys("j")
    time.sleep(1.0)  # the Related tab fills in
    cells = replay(tmux.screen("-e"))
    assert any(c.char == "▌" for c in cells), "the paragraph cursor is on screen"
    bad = unreadable(cells)
    assert not bad, [f"{c.char!r} at {c.x},{c.y}: {r:.2f}:1 {c.fg} on {c.bg}" for r, c in bad[:5]]


@pytest.mark.parametrize("size", ["120x40", "80x24"])
def test_opening_a_result_lands_on_the_hit_paragraphs_first_line(
    tmux: Tmux, tmp_path: Path, size: str
) -> None:
    """The first lines of the hit paragraph sat above the top of the pane (issue 13, 4):
    the cursor's first row, as the terminal shows it, starts the best passage's text."""
    from briefreader.search.library import Library
    from briefreader.workspace import Workspace

    _start(tmux, tmp_path, "TERM=xterm-256color", size)
    library = Library.open(Workspace(tmp_path / "ws"))
    try:
        hit = library.search("kataib").hits[0]
        _, passage = library.passage(hit.passage_id)
    finally:
        library.close()
    tmux.search("kataib")
    tmux.wait_for(lambda s: "3 articles match" in s, "three results for kataib")
    tmux.keys("Enter")
    screen = tmux.wait_for(lambda s: "article 1 of 3" in s, "the first result opened")
    rows = [line for line in screen.splitlines() if "▌" in line]
    assert rows, f"no paragraph cursor on screen:\n{screen}"
    first_words = " ".join(passage.text.split()[:2])
    assert first_words in rows[0], f"{first_words!r} is not on the cursor's first row:\n{screen}"
