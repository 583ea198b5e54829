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
    # No article open yet: the list has the width, so a title is one line (it was 24 columns).
    title = "Washington presses Syria to shift from Chinese telecom systems"
    tmux.wait_for(lambda s: title in s, "a whole title on one line", timeout=10)
    tmux.search("kataib")
    screen = tmux.wait_for(lambda s: "3 articles match" in s, "three results for kataib")
    assert "Hezbollah" in screen  # from a hit's snippet: only "kataib" was typed

    tmux.keys("Enter")
    screen = tmux.wait_for(lambda s: "article 1 of 3" in s, "the first result opened")
    before = _paragraph(screen)
    footer = tmux.wait_for(lambda s: "j/k Paragraph" in s, "the article's footer")
    footer = footer.rstrip("\n").splitlines()[-1]  # at 80 columns, uncut: quit and help too
    assert all(f"{key} " in f"{footer} " for key in ("n Next hit", "q Quit", "? Help")), footer

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


def test_keys_typed_at_once_after_slash_land_in_the_search_box(tmux: Tmux, tmp_path: Path) -> None:
    """``/quit`` in one burst: Textual handed each key to the widget focused when it arrived,
    so the letters after ``/`` went to the list (lost, or run as its keys: ``q`` quits)."""
    _start(tmux, tmp_path, "TERM=xterm-256color")
    time.sleep(1.0)  # the first index run's notices settle
    tmux.keys("/quit")
    screen = tmux.wait_for(lambda s: "Leave search" in s, "the search box to take focus")
    time.sleep(1.0)
    screen = tmux.screen()
    assert "READER-EXIT" not in screen, f"the reader quit:\n{screen}"
    assert "quit" in screen.splitlines()[1], f"the box lost the typed letters:\n{screen}"
    tmux.keys("C-u")  # a bound key reaches the box after keys sent with it (Textual)
    tmux.wait_for(lambda s: "quit" not in s.splitlines()[1], "the box emptied")
    tmux.keys("/militia")  # a slash typed in the box is text
    screen = tmux.wait_for(lambda s: "/militia" in s.splitlines()[1], "'/' typed as text")
    tmux.keys("C-q")
    tmux.wait_for(lambda s: "READER-EXIT=0" in s, "the reader to quit")


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


def _settled(tmux: Tmux, quiet: float = 2.0, timeout: float = 30.0) -> str:
    """The screen (with colours) once it has not changed for ``quiet`` seconds (the Related
    list and the exact count arrive after delays, later on a loaded machine)."""
    deadline = time.monotonic() + timeout
    screen, since = tmux.screen("-e"), time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.2)
        now = tmux.screen("-e")
        if now != screen:
            screen, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet:
            return screen
    pytest.fail(f"the screen never settled:\n{screen}")


def _session_screen(tmux: Tmux, tmp_path: Path, changes_only: str) -> list[str]:
    """Search, open, move, page, resize with ``changes_only`` set; the screen (with colours)
    after each step, once the reader is quiet."""
    (tmp_path / "ws" / "briefreader.toml").write_text(f"[reader]\nchanges_only = {changes_only}\n")
    _start(tmux, tmp_path, "SSH_CONNECTION='10.0.0.1 5000 10.0.0.2 22' TERM=xterm-256color")
    _settled(tmux)  # start-up done (keys typed during it were seen lost at load 10)
    tmux.search("kataib")
    tmux.wait_for(lambda s: "3 articles match" in s, "three results for kataib")
    screens = [_settled(tmux)]
    tmux.keys("Enter")
    tmux.wait_for(lambda s: "article 1 of 3" in s, "the first result opened")
    for keys in (["j"], ["j"], ["PageUp"], ["k"]):
        tmux.keys(*keys)
        screens.append(_settled(tmux))
    tmux.run("resize-window", "-t", "reader", "-x", "100", "-y", "30")
    screens.append(_settled(tmux))
    tmux.keys("q")
    tmux.wait_for(lambda s: "READER-EXIT=0" in s, "the reader to quit")
    return screens


def test_sending_only_changed_cells_shows_what_full_frames_show(tmux: Tmux, tmp_path: Path) -> None:
    """tmux is the terminal: the same steps with and without ``changes_only`` leave the same
    cells (characters and colours) on the screen after each step, a resize included."""
    indexed = tmp_path / "indexed" / "ws"
    subprocess.run([str(COMMAND), "init", str(indexed), "--sample"], check=True)
    env = {**os.environ, "BRIEFREADER_CONFIG": ""}
    subprocess.run([str(COMMAND), "-w", str(indexed), "index", "-q"], check=True, env=env)
    for run in ("full", "changes"):  # each run its own copy: the reader keeps its place
        shutil.copytree(indexed, tmp_path / run / "ws")
    full = _session_screen(tmux, tmp_path / "full", "false")
    other = Tmux(f"{tmux.socket}-changes-only")  # a server of its own for the second run
    try:
        changed_only = _session_screen(other, tmp_path / "changes", "true")
    finally:
        subprocess.run(["tmux", "-L", other.socket, "kill-server"], capture_output=True)
    for step, (expected, shown) in enumerate(zip(full, changed_only, strict=True)):
        assert shown == expected, f"step {step} differs"
