"""A widget's lines without Textual's per-line styles pass, where that pass changes nothing.

Textual draws every line of a widget through its styles cache (borders, padding, outline,
tint, opacity, hatch; ~25 µs a line however plain the widget), and a scrolled widget has every
line to draw again. For a widget with none of those styles the pass comes down to: the
content line fitted to the content width on the widget's background, as a strip of the
widget's width, then the app's line filters. :func:`plain_lines` does just that, so that a
widget can keep the finished strips of lines it has drawn before (the article pane keeps
them per article line: paging back costs no styling at all; its scroll bar keeps one per
distinct cell). :func:`is_plain` says when it applies; otherwise the widget renders as
Textual does. ``tests/tui/test_tui_paging.py``
checks that both give the same segments.
"""

from __future__ import annotations

from collections.abc import Callable

from rich.style import Style as RichStyle
from textual.cache import LRUCache
from textual.geometry import Region
from textual.scrollbar import ScrollBar
from textual.strip import Strip
from textual.style import Style
from textual.widget import Widget

Finish = Callable[[Strip], Strip]  # a content line → the finished line (before the filters)
LineSource = Callable[[int, RichStyle, Finish], Strip]  # (y, background style, finish) → line


def is_plain(widget: Widget) -> bool:
    """True when Textual's styles pass would only fit each content line to the widget."""
    styles = widget.styles
    return not (
        any(edge for edge, _ in styles.border)
        or any(edge for edge, _ in styles.outline)
        or any(styles.padding)
        or styles.tint.a
        or widget.opacity != 1
        or styles.text_opacity != 1
        or (styles.has_rule("hatch") and styles.hatch != "none")
        or widget.border_title is not None
        or widget.border_subtitle is not None
        or (widget.auto_links and widget.hover_style.link_id)
    )


def plain_lines(widget: Widget, crop: Region, source: LineSource | None = None) -> list[Strip]:
    """The lines of ``crop`` as Textual's styles pass gives them for a plain widget.

    ``source(y, background, finish)`` returns the finished line ``y`` (``finish`` of the
    widget's ``render_line(y)``, kept or made anew); without it every line is made anew.
    """
    width = widget.size.width
    content_width, content_height = widget.content_region.size
    base_background, background = widget.background_colors
    inner = Style(background=base_background + background).rich_style

    def finish(content: Strip) -> Strip:
        return Strip(content.adjust_cell_length(content_width, inner), width)

    filters = widget.get_line_filters()
    strips = []
    for y in crop.line_range:
        if y >= content_height:
            strip = finish(Strip.blank(content_width, inner))
        elif source is not None:
            strip = source(y, inner, finish)
        else:
            strip = finish(widget.render_line(y))
        for line_filter in filters:
            strip = strip.apply_filter(line_filter, background)
        strips.append(strip)
    if crop.column_span != (0, width):
        x1, x2 = crop.column_span
        strips = [strip.crop(x1, x2) for strip in strips]
    return strips


class PlainScrollBar(ScrollBar):
    """Textual's scroll bar, each distinct line finished once (most of a bar's lines are the
    same track or thumb cell, and Textual's styles pass drew all of them on every scroll)."""

    def __init__(self, vertical: bool = True, name: str | None = None, *, thickness: int = 1):
        super().__init__(vertical, name, thickness=thickness)
        self._finished: LRUCache[tuple[object, ...], Strip] = LRUCache(256)

    def render_lines(self, crop: Region) -> list[Strip]:
        """The bar's lines, as Textual draws them (see :func:`plain_lines`)."""
        if not is_plain(self):
            return super().render_lines(crop)
        sizes = (self.size, self.content_region.size)

        def finished(y: int, background: RichStyle, finish: Finish) -> Strip:
            content = self.render_line(y)
            key = (tuple(content), background, sizes)
            strip = self._finished.get(key)
            if strip is None:
                strip = self._finished[key] = finish(content)
            return strip

        return plain_lines(self, crop, finished)


def plain_vertical_scrollbar(widget: Widget) -> ScrollBar:
    """What ``Widget.vertical_scrollbar`` does, with a :class:`PlainScrollBar`."""
    if widget._vertical_scrollbar is None:
        thickness = widget.scrollbar_size_vertical
        bar = PlainScrollBar(vertical=True, name="vertical", thickness=thickness)
        bar.display = False
        widget._vertical_scrollbar = bar
        widget.app._start_widget(widget, bar)
    return widget._vertical_scrollbar
