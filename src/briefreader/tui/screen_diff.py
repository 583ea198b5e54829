"""Send the terminal only the cells that change (over SSH every byte crosses the network).

Textual redraws a widget by rewriting whole lines of its region, each run of text with a full
SGR sequence and a reset: moving the cursor one paragraph down rewrites every line of the
panes that refresh, though most of their cells are what the terminal already shows. A
:class:`ScreenDiff` keeps a copy of what the terminal shows (each cell's character and
attributes), reads each frame Textual writes, and writes only the cells that differ, with
the shortest SGR change from one cell to the next. Any sequence it does not model (a clear, the
alternate screen, a scroll) is passed through in order and makes it forget its copy, so the
next frame is sent whole: it never guesses what the terminal shows.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from rich.cells import get_character_cell_size

# A token of terminal output: CSI, OSC, other escape, one control character, or text.
_TOKEN = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)"
    r"|\x1b[^\[\]]"
    r"|[\x00-\x1f\x7f]"
    r"|[^\x00-\x1f\x7f\x1b]+"
)
_CUP = re.compile(r"\x1b\[(\d*)(?:;(\d*))?H")
_SGR = re.compile(r"\x1b\[([0-9;:]*)m")
# Private modes that swap or clear the screen (alternate screen): the copy is lost.
_SCREEN_MODES = re.compile(r"\x1b\[\?(?:[0-9;]*;)?(?:47|1047|1049)(?:;[0-9;]*)?[hl]")
# Sequences that change nothing on the screen and leave the cursor where it is.
_NEUTRAL = re.compile(r"\x1b\[\?[0-9;]*[hl]|\x1b\[[0-9;?]*[cnt]|\x1b\[\?[0-9;]*\$p|\x1b\]|\x07")

State = tuple[tuple[str, str], ...]  # the SGR attributes in force: (slot, parameter) pairs
Cell = tuple[str, State]  # a character ("" for the right half of a wide one) and its attributes
DEFAULT: State = ()
MERGE_GAP = 6  # unchanged cells cheaper to resend than to jump over with a cursor move

_FLAGS = {
    "1": "bold",
    "2": "dim",
    "3": "italic",
    "4": "underline",
    "21": "underline",
    "5": "blink",
    "6": "blink",
    "7": "reverse",
    "8": "conceal",
    "9": "strike",
    "53": "overline",
}
_OFF = {
    "bold": "22",
    "dim": "22",
    "italic": "23",
    "underline": "24",
    "blink": "25",
    "reverse": "27",
    "conceal": "28",
    "strike": "29",
    "overline": "55",
    "fg": "39",
    "bg": "49",
    "ulcolor": "59",
}
_RESETS = {"22": ("bold", "dim"), "23": ("italic",), "24": ("underline",), "25": ("blink",)}
_RESETS |= {"27": ("reverse",), "28": ("conceal",), "29": ("strike",), "55": ("overline",)}
_RESETS |= {"39": ("fg",), "49": ("bg",), "59": ("ulcolor",)}


@lru_cache(maxsize=4096)  # a frame repeats a few dozen (state, sequence) pairs thousands of times
def apply_sgr(state: State, params: str) -> State:
    """The attributes after an SGR sequence with ``params`` ("1;38;2;9;9;9")."""
    slots = dict(state)
    parts = params.split(";") if params else ["0"]
    index = 0
    while index < len(parts):
        part = parts[index] or "0"
        index += 1
        code = part.split(":", 1)[0]
        if code in ("38", "48", "58") and ":" not in part:
            size = 3 if index < len(parts) and parts[index] == "2" else 1
            if index < len(parts) and parts[index] == "5":
                size = 1
            part = ";".join([part, *parts[index : index + 1 + size]])
            index += 1 + size
        if code == "0":
            slots.clear()
        elif code in _RESETS:
            for slot in _RESETS[code]:
                slots.pop(slot, None)
        elif code in _FLAGS:
            slots[_FLAGS[code]] = part
        elif code in ("38",) or _is_colour(code, 30, 37) or _is_colour(code, 90, 97):
            slots["fg"] = part
        elif code in ("48",) or _is_colour(code, 40, 47) or _is_colour(code, 100, 107):
            slots["bg"] = part
        elif code == "58":
            slots["ulcolor"] = part
        else:
            slots[f"other{code}"] = part  # no way to switch it off alone: a reset does it
    return tuple(sorted(slots.items()))


def _is_colour(code: str, low: int, high: int) -> bool:
    return code.isdigit() and low <= int(code) <= high


@lru_cache(maxsize=4096)
def sgr_change(old: State, new: State) -> str:
    """The shortest SGR sequence that turns attributes ``old`` into ``new`` ("" if equal)."""
    if old == new:
        return ""
    full = "\x1b[" + ";".join(["0", *(value for _, value in new)]) + "m" if new else "\x1b[0m"
    was, wanted = dict(old), dict(new)
    offs: list[str] = []
    for slot in was:
        if slot not in wanted:
            if slot not in _OFF:
                return full
            offs.append(_OFF[slot])
    if "22" in offs:  # one code ends bold and dim: set again the one that stays
        was = {k: v for k, v in was.items() if k not in ("bold", "dim")}
    params = list(dict.fromkeys(offs))
    params += [value for slot, value in wanted.items() if was.get(slot) != value]
    step = "\x1b[" + ";".join(params) + "m"
    return step if len(step) < len(full) else full


class ScreenDiff:
    """What the terminal shows, and the bytes that bring it to each new frame."""

    def __init__(self) -> None:
        self._rows: dict[int, dict[int, Cell]] = {}  # the terminal's cells, as far as known
        self._size: tuple[int, int] | None = None
        self._state: State = DEFAULT  # the attributes in force at the end of the last write

    def forget(self) -> None:
        """Forget what the terminal shows (after a resize, a clear, another program)."""
        self._rows = {}

    def resized(self, size: tuple[int, int]) -> None:
        """Note the terminal's size; a new size forgets the screen (terminals reflow it)."""
        if size != self._size:
            self._size = size
            self.forget()

    def frame(self, data: str) -> str:
        """The output that has the effect of ``data`` on a terminal showing our copy."""
        return "".join(_Frame(self, data).output())

    def send(self, writes: dict[int, dict[int, Cell]]) -> str:
        """The bytes for the cells of ``writes`` the terminal does not show yet (the
        attributes are reset at the end); our copy takes them."""
        out: list[str] = []
        sent = DEFAULT
        for y in sorted(writes):
            shown = self._rows.setdefault(y, {})
            _blank_broken_halves(writes[y], shown)
            for start, cells in _changed_runs(writes[y], shown):
                out.append(f"\x1b[{y + 1};{start + 1}H")
                for char, state in cells:
                    out.append(sgr_change(sent, state))
                    out.append(char)
                    sent = state
            shown.update(writes[y])
        if sent != DEFAULT:
            out.append("\x1b[0m")
        return "".join(out)


class _Frame:
    """One write read token by token: cells to compare, other sequences passed in order."""

    def __init__(self, screen: ScreenDiff, data: str) -> None:
        self.screen, self.data = screen, data
        self.writes: dict[int, dict[int, Cell]] = {}
        self.cursor: tuple[int, int] | None = None
        self.moved = False  # the last thing in ``data`` was a cursor move: repeat it

    def output(self) -> Iterator[str]:
        screen = self.screen
        for match in _TOKEN.finditer(self.data):
            token = match.group()
            if (sgr := _SGR.fullmatch(token)) is not None:
                screen._state = apply_sgr(screen._state, sgr.group(1))
            elif (cup := _CUP.fullmatch(token)) is not None:
                self.cursor = (int(cup.group(1) or 1) - 1, int(cup.group(2) or 1) - 1)
                self.moved = True
            elif token == "\n":
                self.cursor = (self.cursor[0] + 1, self.cursor[1]) if self.cursor else None
            elif token[0] >= " " and token[0] != "\x7f":
                yield from self._text(token)
            else:
                yield from self._other(token)
        yield self._flush()
        if self.moved and self.cursor is not None:
            yield f"\x1b[{self.cursor[0] + 1};{self.cursor[1] + 1}H"
        yield _sgr_full(screen._state)

    def _flush(self) -> str:
        sent = self.screen.send(self.writes)
        self.writes = {}
        return sent

    def _text(self, text: str) -> Iterator[str]:
        if self.cursor is None:  # text where we do not know: send it as it is, then forget
            yield self._flush() + _sgr_full(self.screen._state) + text + "\x1b[0m"
            self.screen.forget()
            return
        self.cursor = _put(self.writes, self.cursor, text, self.screen._state)
        self.moved = False

    def _other(self, token: str) -> Iterator[str]:
        """A sequence we do not model: after the cells before it, with the attributes on."""
        yield self._flush() + _sgr_full(self.screen._state) + token
        if self.screen._state != DEFAULT:
            yield "\x1b[0m"
        if not _NEUTRAL.match(token) or _SCREEN_MODES.fullmatch(token):
            self.screen.forget()
            self.cursor = None


def _put(
    writes: dict[int, dict[int, Cell]], at: tuple[int, int], text: str, state: State
) -> tuple[int, int]:
    """Put ``text`` into the frame's cells from ``at``; the cursor after it."""
    y, x = at
    row = writes.setdefault(y, {})
    if text.isascii():  # one cell each: only the ends can cut a wide character in half
        _break_wide(row, x)
        _break_wide(row, x + len(text) - 1)
        for char in text:
            row[x] = (char, state)
            x += 1
        return y, x
    for char in text:
        width = get_character_cell_size(char)
        if width == 0:
            if x - 1 in row:  # a combining mark joins the cell before it
                row[x - 1] = (row[x - 1][0] + char, row[x - 1][1])
            continue
        _break_wide(row, x)
        _break_wide(row, x + width - 1)
        row[x] = (char, state)
        if width == 2:
            row[x + 1] = ("", state)
        x += width
    return y, x


def _break_wide(row: dict[int, Cell], x: int) -> None:
    """Writing over half of a wide character blanks its other half, as a terminal does."""
    here = row.get(x)
    if here is None:
        return
    if here[0] == "" and x - 1 in row:
        row[x - 1] = (" ", here[1])
    elif _is_wide(here):
        row[x + 1] = (" ", here[1])


def _is_wide(cell: Cell) -> bool:
    char = cell[0]
    return bool(char) and not char.isascii() and get_character_cell_size(char[0]) == 2


def _changed_runs(row: dict[int, Cell], shown: dict[int, Cell]) -> list[tuple[int, list[Cell]]]:
    """Runs of cells to send: those that differ, joined across short unchanged gaps."""
    runs: list[list[int]] = []
    for x in sorted(row):
        if shown.get(x) == row[x]:
            continue
        if runs and x == runs[-1][-1] + 1:  # the next cell: no gap to look at
            runs[-1].append(x)
        elif runs and x - runs[-1][-1] <= MERGE_GAP and _known(runs[-1][-1], x, row, shown):
            runs[-1].extend(range(runs[-1][-1] + 1, x + 1))
        else:
            runs.append([x])
    result = []
    for run in runs:
        start, end = run[0], run[-1]
        if _cell(start, row, shown)[0] == "" and (start - 1 in row or start - 1 in shown):
            start -= 1  # never start in the right half of a wide character
        if _cell(end + 1, row, shown)[0] == "" and end + 1 in row:
            end += 1
        result.append((start, [_cell(x, row, shown) for x in range(start, end + 1)]))
    return result


def _cell(x: int, row: dict[int, Cell], shown: dict[int, Cell]) -> Cell:
    return row.get(x) or shown.get(x) or (" ", DEFAULT)


def _blank_broken_halves(row: dict[int, Cell], shown: dict[int, Cell]) -> None:
    """A wide character shown, half of it written over: its other half goes blank on the
    terminal, so it is blanked in the frame too (and sent, to be sure of it)."""
    for x in list(row):
        was = shown.get(x)
        if was is None or was == row[x]:
            continue
        if was[0] == "" and x - 1 not in row and x - 1 in shown:
            row[x - 1] = (" ", shown[x - 1][1])
        elif _is_wide(was) and not _is_wide(row[x]) and x + 1 not in row:
            row[x + 1] = (" ", was[1])


def _known(last: int, x: int, row: dict[int, Cell], shown: dict[int, Cell]) -> bool:
    return all(gap in row or gap in shown for gap in range(last + 1, x))


def _sgr_full(state: State) -> str:
    return "\x1b[" + ";".join(["0", *(value for _, value in state)]) + "m" if state else ""


def diffing_driver(base: type[Any]) -> type[Any]:
    """A subclass of Textual driver ``base`` whose frames go through a :class:`ScreenDiff`."""

    class DiffingDriver(base):  # type: ignore[misc, valid-type]
        """Writes only what changes on the screen."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._screen_diff = ScreenDiff()
            self._screen_lock = threading.Lock()

        def write(self, data: str) -> None:
            """Write the part of ``data`` that changes the screen (all of it if the diff
            fails: a frame is never lost)."""
            with self._screen_lock:
                diff = self._screen_diff
                try:
                    size = os.get_terminal_size(self.fileno)
                except (OSError, ValueError):
                    diff.forget()  # no size to compare: nothing kept across this write
                else:
                    diff.resized((size.columns, size.lines))
                try:
                    changes = diff.frame(data)
                except Exception:  # a bug here must not cost the user a frame
                    diff.forget()
                    changes = data
                super().write(changes)

    DiffingDriver.__name__ = DiffingDriver.__qualname__ = f"Diffing{base.__name__}"
    return DiffingDriver
