"""Scrolling the article a page (issue 13: a page at BBC ×16 within 16 ms).

A page is one paint (the status line changes in the same frame as the article), a page
already seen costs no styling again, and the lines drawn past Textual's styles pass are the
ones that pass gives, for the article pane and its scroll bar, in every theme.
"""

from __future__ import annotations

from typing import Any

import pytest
from textual.geometry import Region
from textual.scrollbar import ScrollBar
from textual.strip import Strip
from textual.widget import Widget

from briefreader.tui.widgets.article_view import ArticleView
from briefreader.tui.widgets.plain_lines import PlainScrollBar, is_plain
from tests.tui.helpers import open_first_result, settle

pytestmark = pytest.mark.anyio
SIZE = (120, 40)


def status_of(screen: Any) -> str:
    return str(screen.query_one("#article-status").render())


def segments(strips: list[Strip]) -> list[list[Any]]:
    return [list(strip) for strip in strips]


def textual_lines(widget: Widget, crop: Region) -> list[Strip]:
    """What Textual's own styles pass draws for ``crop`` (its cache emptied first)."""
    widget._styles_cache.clear()
    return Widget.render_lines(widget, crop)


async def open_article(pilot: Any) -> tuple[Any, ArticleView]:
    """The sample's Kataib Hezbollah article, opened from the results, at its top."""
    screen = await open_first_result(pilot)
    screen.view.focus()
    await pilot.app.run_action("top", screen.view)
    await settle(pilot)
    return screen, screen.view


@pytest.fixture
def app(make_app: Any) -> Any:
    return make_app()


async def test_a_page_changes_the_status_line_before_the_next_paint(app: Any) -> None:
    """The status line followed a page by message, a paint later: every page painted the
    screen twice. It now changes before the page action returns."""
    async with app.run_test(size=SIZE) as pilot:
        screen, view = await open_article(pilot)
        before = status_of(screen)
        assert before.startswith("¶ 1 of")
        await app.run_action("page_down", view)  # no message handled yet, nothing painted
        assert view.cursor > 0
        assert status_of(screen).startswith(f"¶ {view.cursor + 1} of")
        await settle(pilot)
        assert status_of(screen).startswith(f"¶ {view.cursor + 1} of")


async def test_a_page_seen_before_is_not_styled_again(
    app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Paging cleared every styled line of the article: paging back styled each one anew.
    Now only the lines of the paragraphs whose cursor mark changes are styled again."""
    styled: list[int] = []
    original = ArticleView._render_index

    def counting(self: ArticleView, index: int, width: int) -> Strip:
        styled.append(index)
        return original(self, index, width)

    monkeypatch.setattr(ArticleView, "_render_index", counting)
    async with app.run_test(size=SIZE) as pilot:
        _, view = await open_article(pilot)
        await app.run_action("page_down", view)
        await settle(pilot)
        top, cursor = view.scroll_offset.y, view.cursor
        await app.run_action("page_up", view)
        await settle(pilot)
        styled.clear()
        await app.run_action("page_down", view)
        await settle(pilot)
        assert (view.scroll_offset.y, view.cursor) == (top, cursor)
        assert view._wrapped is not None and view.layout_data is not None
        restyled = set()
        for passage in (0, cursor):  # the cursor left paragraph 0 for this one
            block = view.layout_data.passage_block[passage]
            first, last = view._wrapped.block_first[block], view._wrapped.block_last[block]
            restyled.update(range(first, last + 1))
        assert styled and set(styled) <= restyled


@pytest.mark.parametrize("theme", ["textual-dark", "textual-light"])
async def test_the_lines_are_the_ones_textual_draws(app: Any, theme: str) -> None:
    """Page by page, then again after a theme change: the article pane's lines and its scroll
    bar's, full and cropped, are the segments Textual's styles pass gives."""
    async with app.run_test(size=SIZE) as pilot:
        _, view = await open_article(pilot)
        app.theme = theme
        await settle(pilot)
        bar = view.vertical_scrollbar
        assert isinstance(bar, PlainScrollBar) and is_plain(view) and is_plain(bar)
        pages = 0
        while True:
            for widget in (view, bar):
                width, height = widget.size
                for crop in (Region(0, 0, width, height), Region(1, 2, width - 1, height - 4)):
                    if crop.width > 0:
                        assert segments(widget.render_lines(crop)) == segments(
                            textual_lines(widget, crop)
                        )
            before = view.scroll_offset.y
            await app.run_action("page_down", view)
            await settle(pilot)
            pages += 1
            if view.scroll_offset.y == before:
                break
        assert pages > 2


async def test_a_styled_pane_is_drawn_by_textual(app: Any) -> None:
    """Padding (or a border, a tint…) is Textual's to draw: the pane gives way to it."""
    async with app.run_test(size=SIZE) as pilot:
        _, view = await open_article(pilot)
        view.styles.padding = (0, 1)
        await settle(pilot)
        assert not is_plain(view)
        crop = Region(0, 0, *view.size)
        assert segments(view.render_lines(crop)) == segments(textual_lines(view, crop))
        assert isinstance(view.vertical_scrollbar, ScrollBar)
