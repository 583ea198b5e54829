"""Find inside the open article (issue 13: the less/vim habit): ctrl+f, type, Enter, n/N."""

from __future__ import annotations

from typing import Any

import pytest

from briefreader.models import Article, Passage, Span
from briefreader.tui.find import find_matches
from briefreader.tui.messages import OpenRequest
from briefreader.tui.screens.main import MainScreen
from briefreader.tui.widgets.find_bar import FindBar
from tests.tui.helpers import notifications, open_first_result, screen_text, settle

pytestmark = pytest.mark.anyio


def article_of(*texts: str) -> Article:
    passages, position = [], 0
    for number, text in enumerate(texts, 1):
        passages.append(Passage(f"a:p{number}", "a", number, position, position + len(text), text))
        position += len(text) + 2
    return Article("a", "a.txt", 0, "T", "\n\n".join(texts), tuple(passages))


def test_find_is_literal_and_in_any_case() -> None:
    article = article_of("Kataib Hezbollah and kataib.", "A [b]tag[/b] (a.*b) here")
    assert find_matches(article, "KATAIB") == [(0, Span(0, 6)), (0, Span(21, 27))]
    assert find_matches(article, "[b]") == [(1, Span(2, 5))]  # markup is text
    assert find_matches(article, "(a.*b)") == [(1, Span(13, 19))]  # not a pattern
    assert find_matches(article, "   ") == []


async def open_kataib(pilot: Any) -> MainScreen:
    """The first result for ``kataib``, open, with its search hits marked."""
    screen: MainScreen = await open_first_result(pilot)
    assert screen.view.hits
    return screen


async def test_find_marks_goes_and_wraps_inside_the_article(make_app: Any) -> None:
    async with make_app().run_test(size=(120, 40)) as pilot:
        screen = await open_kataib(pilot)
        view, article_id, search_hits = screen.view, screen.article_id, list(screen.view.hits)
        await pilot.press("ctrl+f")
        await pilot.pause()
        assert isinstance(pilot.app.focused, FindBar)
        await pilot.press(*"the")
        await settle(pilot)
        expected = find_matches(view.article, "the")
        assert len(expected) > 2 and view.hits == expected and view.finding == "the"
        assert f"{len(expected)} matches" in screen_text(pilot.app)
        await pilot.press("enter")
        await settle(pilot)
        assert view.has_focus and view.hit_index >= 0
        assert f"match {view.hit_index + 1} of {len(expected)}" in screen_text(pilot.app)
        view.go_to_hit(-1)
        await pilot.press("n")  # past the last match: round to the first, same article
        await settle(pilot)
        assert view.hit_index == 0 and screen.article_id == article_id
        assert any("Find wrapped" in n for n in notifications(pilot.app))
        await pilot.press("N")
        await settle(pilot)
        assert view.hit_index == len(expected) - 1 and screen.article_id == article_id
        await pilot.press("ctrl+f", "escape")  # stop finding: the search hits are back
        await settle(pilot)
        assert view.finding == "" and view.hits == search_hits and view.has_focus


async def test_find_says_when_nothing_matches(make_app: Any) -> None:
    async with make_app().run_test(size=(120, 40)) as pilot:
        screen = await open_kataib(pilot)
        await pilot.press("ctrl+f", *"zqxj", "enter")
        await settle(pilot)
        assert screen.view.hits == [] and screen.view.has_focus
        assert any("No match for “zqxj”" in n for n in notifications(pilot.app))
        assert "no match" in screen_text(pilot.app)
        await pilot.press("n")  # still inside the article: says so again, goes nowhere
        await settle(pilot)
        assert screen.article_id is not None and screen.view.hits == []


async def test_find_text_and_article_text_are_data(make_app: Any) -> None:
    async with make_app().run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, MainScreen)
        screen.open_article(OpenRequest("zz_markup", passage=0))
        await settle(pilot)
        await pilot.press("ctrl+f", *"[link=x]", "enter")
        await settle(pilot)
        assert len(screen.view.hits) == 1
        assert "[link=x]click[/link]" in screen_text(pilot.app)
