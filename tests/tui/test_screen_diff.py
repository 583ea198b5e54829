"""Sending only the changed cells leaves the terminal showing what the full frames would.

Checked against a small terminal model written here (not the module's own parser): random
frames in Textual's form (cursor moves, a full SGR sequence and a reset per run of text, wide
characters) go to one model as they are and to another through :class:`ScreenDiff`; after
each frame both models show the same cells.
"""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st
from rich.cells import get_character_cell_size

from briefreader.tui.screen_diff import ScreenDiff, apply_sgr, sgr_change

WIDTH, HEIGHT = 20, 6
STYLES = ["", "1", "3", "1;3", "38;2;10;20;30", "48;2;200;200;200", "38;5;100;48;2;1;2;3", "7"]
TEXTS = ["abc", "hello world", "漢字", "x", "   ", "é", "a漢b"]


class Model:
    """A terminal as far as Textual's output needs: cursor moves, SGR, text, wide characters."""

    def __init__(self) -> None:
        self.cells: dict[tuple[int, int], tuple[str, frozenset[str]]] = {}
        self.y = self.x = 0
        self.attrs: dict[str, str] = {}

    def feed(self, data: str) -> None:
        pattern = r"\x1b\[(\d+);(\d+)H|\x1b\[([0-9;]*)m|\x1b\[\?\d+[hl]|([^\x1b])"
        for match in re.finditer(pattern, data):
            if match.group(1):
                self.y, self.x = int(match.group(1)) - 1, int(match.group(2)) - 1
            elif match.group(3) is not None:
                self._sgr(match.group(3))
            elif match.group(4):
                self._char(match.group(4))

    def _sgr(self, params: str) -> None:
        parts = params.split(";") if params else ["0"]
        while parts:
            code = parts.pop(0) or "0"
            if code == "0":
                self.attrs = {}
            elif code in ("38", "48"):
                count = 4 if parts[0] == "2" else 2
                self.attrs["fg" if code == "38" else "bg"] = ";".join(parts[:count])
                del parts[:count]
            elif code in ("39", "49"):
                self.attrs.pop("fg" if code == "39" else "bg", None)
            elif code in ("22", "23", "24", "27"):
                for attr in {"22": "12", "23": "3", "24": "4", "27": "7"}[code]:
                    self.attrs.pop(attr, None)
            else:
                self.attrs[code] = code

    def _char(self, char: str) -> None:
        if char == "\n":
            self.y += 1
            return
        width = get_character_cell_size(char)
        for x in (self.x, self.x + width - 1):
            self._break_wide(x)
        style = frozenset(f"{k}={v}" for k, v in self.attrs.items())
        self.cells[(self.y, self.x)] = (char, style)
        if width == 2:
            self.cells[(self.y, self.x + 1)] = ("", style)
        self.x += width

    def _break_wide(self, x: int) -> None:
        """Writing over half of a wide character blanks its other half."""
        here = self.cells.get((self.y, x))
        if here and here[0] == "":
            self.cells[(self.y, x - 1)] = (" ", here[1])
        elif here and get_character_cell_size(here[0]) == 2:
            self.cells[(self.y, x + 1)] = (" ", here[1])


def render(writes: list[tuple[int, int, list[tuple[str, str]]]]) -> str:
    """A frame as Textual writes one: a move, then each run with its style and a reset."""
    out = []
    for y, x, runs in writes:
        out.append(f"\x1b[{y + 1};{x + 1}H")
        for text, style in runs:
            out.append(f"\x1b[{style}m{text}\x1b[0m" if style else text)
    return "".join(out)


runs = st.lists(st.tuples(st.sampled_from(TEXTS), st.sampled_from(STYLES)), min_size=1, max_size=3)
writes = st.lists(
    st.tuples(st.integers(0, HEIGHT - 1), st.integers(0, WIDTH - 12), runs), max_size=6
)


@settings(max_examples=300, deadline=None)
@given(st.lists(writes, min_size=1, max_size=8))
def test_the_diff_shows_what_the_full_frames_show(frames: list) -> None:
    full, diffed, diff = Model(), Model(), ScreenDiff()
    for frame in frames:
        data = render(frame)
        full.feed(data)
        diffed.feed(diff.frame(data))
        assert diffed.cells == full.cells


def test_an_unchanged_frame_sends_no_cells_and_one_change_sends_one_cell() -> None:
    diff = ScreenDiff()
    line = "\x1b[38;2;1;2;3;48;2;9;9;9mThe same line of text\x1b[0m"
    first = diff.frame(f"\x1b[5;1H{line}\x1b[1;1H")
    assert "The same line" in first
    assert diff.frame(f"\x1b[5;1H{line}\x1b[1;1H") == "\x1b[1;1H"
    changed = diff.frame(f"\x1b[5;1H{line.replace('line', 'lime')}\x1b[1;1H")
    assert "m" in changed and "The same" not in changed and len(changed) < 60


def test_runs_of_one_style_share_one_sgr_sequence() -> None:
    diff = ScreenDiff()
    style = "\x1b[38;2;1;2;3;48;2;9;9;9m"
    out = diff.frame("\x1b[1;1H" + "".join(f"{style}{word} \x1b[0m" for word in "abcdefgh"))
    assert out.count("38;2;1;2;3") == 1


def test_sequences_that_clear_or_swap_the_screen_make_it_resend_everything() -> None:
    diff = ScreenDiff()
    frame = "\x1b[2;3Hkept text"
    diff.frame(frame)
    for clearing in ("\x1b[2J", "\x1b[?1049h", "\x1b[?1049l"):
        assert clearing in diff.frame(clearing)
        assert "kept text" in diff.frame(frame)
    diff.frame("\x1b[?25l\x1b]0;title\x07")  # neutral: the copy stays
    assert "kept" not in diff.frame(frame)
    diff.resized((80, 24))
    assert "kept text" in diff.frame(frame)


def test_sgr_changes_are_the_shortest_of_a_step_and_a_reset() -> None:
    bold_red = apply_sgr((), "1;38;2;255;0;0")
    red = apply_sgr((), "38;2;255;0;0")
    assert apply_sgr(bold_red, "22") == red
    assert sgr_change(bold_red, red) == "\x1b[22m"
    assert sgr_change(red, bold_red) == "\x1b[1m"
    assert sgr_change(red, ()) == "\x1b[0m"
    assert sgr_change(red, red) == ""
    assert apply_sgr(red, "0") == ()
