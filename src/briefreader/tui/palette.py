"""Readable highlight styles: layers of article styling resolved to one opaque style per cell.

The stylesheet gives the article's parts (cursor line, entities, hits, footnotes, notes) as
layers that may be translucent (``$boost``, ``$warning 20%``). A terminal has no alpha: Rich
sends a translucent colour as if it were solid, which turned the cursor line's 4% white into
solid white. Here each combination of layers is composed the way Textual composes a screen
(backgrounds blended over the widget's), and the text colour is then moved towards white or
black until it contrasts at least :data:`MIN_CONTRAST` with its background *as the terminal
shows them* (after Rich reduces them to 256 or 16 colours).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from rich.color import Color as RichColor
from rich.color import ColorSystem
from rich.segment import Segment
from rich.style import Style
from rich.terminal_theme import DEFAULT_TERMINAL_THEME
from textual.color import Color
from textual.filter import LineFilter

MIN_CONTRAST = 4.5
CACHE_LIMIT = 4096  # styles remembered by the filter; an app uses a few hundred
WHITE = Color(255, 255, 255)
BLACK = Color(0, 0, 0)
SYSTEMS = {
    "truecolor": ColorSystem.TRUECOLOR,
    "256": ColorSystem.EIGHT_BIT,
    "standard": ColorSystem.STANDARD,
    "windows": ColorSystem.WINDOWS,
}


@dataclass(frozen=True)
class Layer:
    """One component class: its colours (possibly translucent) and text attributes."""

    color: Color | None = None
    background: Color | None = None
    attributes: Style = field(default_factory=Style)


def on_terminal(color: Color, system: str | None) -> tuple[int, int, int]:
    """The RGB a terminal shows for ``color`` once Rich has reduced it to ``system``
    (standard colours as xterm's default palette)."""
    rich_color = RichColor.from_rgb(color.r, color.g, color.b)
    target = SYSTEMS.get(system or "truecolor", ColorSystem.TRUECOLOR)
    triplet = rich_color.downgrade(target).get_truecolor(DEFAULT_TERMINAL_THEME)
    return triplet.red, triplet.green, triplet.blue


def luminance(rgb: tuple[int, int, int]) -> float:
    """WCAG relative luminance of an sRGB colour."""

    def channel(value: int) -> float:
        x = value / 255
        return x / 12.92 if x <= 0.03928 else ((x + 0.055) / 1.055) ** 2.4

    red, green, blue = (channel(v) for v in rgb)
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast(first: tuple[int, int, int], second: tuple[int, int, int]) -> float:
    """WCAG contrast ratio (1 to 21) between two sRGB colours."""
    high, low = sorted((luminance(first), luminance(second)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def readable(
    fg: Color, bg: Color, system: str | None, shown_bg: tuple[int, int, int] | None = None
) -> Color:
    """``fg``, or the nearest colour towards white or black that is readable on ``bg``
    (``shown_bg``: what the terminal shows for it, when it is already a palette colour)."""
    shown_bg = shown_bg or on_terminal(bg, system)
    if contrast(on_terminal(fg, system), shown_bg) >= MIN_CONTRAST:
        return fg
    lighter = contrast((255, 255, 255), shown_bg) >= contrast((0, 0, 0), shown_bg)
    extreme = WHITE if lighter else BLACK
    for step in range(1, 10):
        candidate = fg.blend(extreme, step / 10)
        if contrast(on_terminal(candidate, system), shown_bg) >= MIN_CONTRAST:
            return candidate
    return extreme


def resolve(base: Style, layers: Iterable[Layer], system: str | None) -> Style:
    """One opaque, readable style for text under ``layers`` (bottom first) on ``base``.

    On the terminal's own default colours (the ANSI themes) nothing can be blended: the
    layers' colours are used as they are, and :class:`ReadableFilter` checks the result.
    """
    layers = list(layers)
    if _is_default(base.color) or _is_default(base.bgcolor):
        return _stacked(layers)
    fg = _color_of(base.color, WHITE)
    bg = _color_of(base.bgcolor, BLACK)
    attributes = Style()
    for layer in layers:
        if layer.background is not None and layer.background.ansi is None:
            bg = bg + layer.background
        if layer.color is not None and layer.color.ansi is None:
            fg = bg + layer.color
        attributes += layer.attributes
    fg = readable(fg, bg, system)
    return Style(color=fg.rich_color, bgcolor=bg.rich_color) + attributes


def _stacked(layers: list[Layer]) -> Style:
    """The layers' colours and attributes one over the other, unblended."""
    style = Style()
    for layer in layers:
        if layer.background is not None and layer.background.a > 0:
            style += Style(bgcolor=layer.background.rich_color)
        if layer.color is not None and layer.color.a > 0:
            style += Style(color=layer.color.rich_color)
        style += layer.attributes
    return style


def _is_default(color: RichColor | None) -> bool:
    return color is None or color.is_default


def _color_of(color: RichColor | None, default: Color) -> Color:
    """A Rich colour as RGB (a palette colour as xterm shows it by default)."""
    if color is None or color.is_default:
        return default
    triplet = color.get_truecolor(DEFAULT_TERMINAL_THEME)
    return Color(triplet.red, triplet.green, triplet.blue)


class ReadableFilter(LineFilter):
    """Make every cell that reaches the terminal readable (its text contrasts at least
    :data:`MIN_CONTRAST` with its background in the terminal's colour system).

    The article resolves its own styles (:func:`resolve`); this is the net for every other
    widget (footer keys, tabs, muted text), whose theme colours can fall below the ratio once
    reduced to 256 or 16 colours. It also gives unstyled segments a style, which Textual's
    monochrome filter (``NO_COLOR``) needs.
    """

    def __init__(self, system: str | None) -> None:
        super().__init__()
        self.system = system
        self._cache: dict[tuple[Style | None, Color], Style] = {}

    def apply(self, segments: list[Segment], background: Color) -> list[Segment]:
        """The segments with readable styles (control segments kept as they are)."""
        return [
            segment
            if segment.control
            else Segment(segment.text, self._readable(segment.style, background))
            for segment in segments
        ]

    def _readable(self, style: Style | None, background: Color) -> Style:
        key = (style, background)
        fixed = self._cache.get(key)
        if fixed is None:
            if len(self._cache) > CACHE_LIMIT:
                self._cache.clear()
            fixed = self._cache[key] = self._fix(style or Style.null(), background)
        return fixed

    def _fix(self, style: Style, background: Color) -> Style:
        if _is_default(style.color) or (style.bgcolor is not None and style.bgcolor.is_default):
            return style  # the terminal's own colour: unknown here
        bg = _color_of(style.bgcolor, background)
        assert style.color is not None
        fg = _color_of(style.color, WHITE)
        palette = style.bgcolor is not None and style.bgcolor.triplet is None
        shown_bg = bg.rgb if palette else None  # a palette colour is shown as it is
        better = readable(fg, bg, self.system, shown_bg)
        return style if better is fg else style + Style(color=better.rich_color)
