"""What a terminal shows: the bytes Textual sends, replayed into cells with their colours.

A deliberately small terminal model (cursor moves, SGR colours and attributes) so the tests
check the escape sequences themselves, not the styles the app meant to send.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass

from rich.console import Console
from textual.app import App

XTERM_16 = [
    (0, 0, 0), (128, 0, 0), (0, 128, 0), (128, 128, 0), (0, 0, 128), (128, 0, 128),
    (0, 128, 128), (192, 192, 192), (128, 128, 128), (255, 0, 0), (0, 255, 0),
    (255, 255, 0), (0, 0, 255), (255, 0, 255), (0, 255, 255), (255, 255, 255),
]  # fmt: skip
CONTROL = re.compile(r"\x1b\[([0-9;:?]*)([A-Za-z])")
RGB = tuple[int, int, int]


@dataclass(frozen=True)
class Cell:
    """One character cell: what it shows, its colours (None: the terminal's default)."""

    x: int
    y: int
    char: str
    fg: RGB | None
    bg: RGB | None
    attributes: frozenset[str]


def xterm_256(number: int) -> RGB:
    """The RGB of an xterm 256-colour palette entry."""
    if number < 16:
        return XTERM_16[number]
    if number < 232:
        number -= 16
        steps = [0, 95, 135, 175, 215, 255]
        return steps[number // 36], steps[(number // 6) % 6], steps[number % 6]
    grey = 8 + 10 * (number - 232)
    return grey, grey, grey


def wcag_contrast(first: RGB, second: RGB) -> float:
    """WCAG 2 contrast ratio of two colours."""

    def lum(rgb: RGB) -> float:
        def ch(v: int) -> float:
            x = v / 255
            return x / 12.92 if x <= 0.03928 else ((x + 0.055) / 1.055) ** 2.4

        return 0.2126 * ch(rgb[0]) + 0.7152 * ch(rgb[1]) + 0.0722 * ch(rgb[2])

    high, low = sorted((lum(first), lum(second)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def sent_bytes(app: App[object], color_system: str) -> str:
    """The escape sequences a full repaint of the app's screen sends at ``color_system``."""
    width, height = app.size
    console = Console(
        width=width,
        height=height,
        file=io.StringIO(),
        force_terminal=True,
        color_system=color_system,  # type: ignore[arg-type]
        legacy_windows=False,
    )
    console.print(app.screen._compositor.render_update(full=True), end="")
    output = console.file.getvalue()  # type: ignore[attr-defined]
    assert isinstance(output, str)
    return output


def replay(output: str) -> list[Cell]:
    """The cells the terminal would show for ``output`` (SGR and cursor positioning)."""
    state = _Pen()
    cells: list[Cell] = []
    x = y = pos = 0
    for match in [*CONTROL.finditer(output), None]:
        chunk = output[pos : match.start()] if match else output[pos:]
        for char in chunk:
            if char == "\n":
                x, y = 0, y + 1
            elif char >= " ":
                cells.append(state.cell(x, y, char))
                x += 1
        if match is None:
            break
        pos = match.end()
        params, final = match.group(1), match.group(2)
        if final == "m":
            state.apply(params)
        elif final == "H":
            row, _, col = params.partition(";")
            y, x = int(row or 1) - 1, int(col or 1) - 1
    return cells


class _Pen:
    """The current SGR state."""

    def __init__(self) -> None:
        self.fg: RGB | None = None
        self.bg: RGB | None = None
        self.attributes: set[str] = set()

    def cell(self, x: int, y: int, char: str) -> Cell:
        return Cell(x, y, char, self.fg, self.bg, frozenset(self.attributes))

    def apply(self, params: str) -> None:
        codes = [int(p) if p.isdigit() else 0 for p in re.split("[;:]", params or "0")]
        index = 0
        names = {1: "bold", 2: "dim", 3: "italic", 4: "underline", 7: "reverse", 9: "strike"}
        while index < len(codes):
            code = codes[index]
            if code == 0:
                self.fg = self.bg = None
                self.attributes.clear()
            elif code in names:
                self.attributes.add(names[code])
            elif code in (22, 23, 24, 27, 29):
                off = {22: {"bold", "dim"}, 23: {"italic"}, 24: {"underline"}, 27: {"reverse"}}
                self.attributes -= off.get(code, {"strike"})
            elif code in (39, 49):
                self.fg, self.bg = (None, self.bg) if code == 39 else (self.fg, None)
            elif 30 <= code <= 37 or 90 <= code <= 97:
                self.fg = XTERM_16[code - 30 if code < 90 else code - 82]
            elif 40 <= code <= 47 or 100 <= code <= 107:
                self.bg = XTERM_16[code - 40 if code < 100 else code - 92]
            elif code in (38, 48):
                index, color = _extended(codes, index)
                if code == 38:
                    self.fg = color
                else:
                    self.bg = color
            index += 1


def _extended(codes: list[int], index: int) -> tuple[int, RGB | None]:
    """Parse ``38;5;n`` / ``38;2;r;g;b`` starting at ``index``; the last index used."""
    if index + 2 < len(codes) and codes[index + 1] == 5:
        return index + 2, xterm_256(codes[index + 2])
    if index + 4 < len(codes) and codes[index + 1] == 2:
        red, green, blue = codes[index + 2 : index + 5]
        return index + 4, (red, green, blue)
    return index, None


def unreadable(cells: list[Cell], minimum: float = 4.5) -> list[tuple[float, Cell]]:
    """Letter and digit cells whose text contrasts less than ``minimum`` with its background."""
    bad = []
    for cell in cells:
        if not cell.char.isalnum() or cell.fg is None or cell.bg is None:
            continue
        ratio = wcag_contrast(cell.fg, cell.bg)
        if ratio < minimum:
            bad.append((ratio, cell))
    return sorted(bad, key=lambda item: item[0])
