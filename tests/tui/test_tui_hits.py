"""Pilot: the hits marked in the open article (and n/N) mean what the query means: a phrase,
a field, a negation; an article the query does not match has none; a facet narrowing the
query re-marks the open article."""

from __future__ import annotations

from typing import Any

import pytest

from briefreader.tui.screens.main import MainScreen
from tests.tui.helpers import open_first_result, settle

pytestmark = pytest.mark.anyio


def marked(screen: MainScreen) -> dict[str, list[str]]:
    """The text marked as a hit in the open article, by block kind."""
    view = screen.view
    assert view.layout_data is not None
    found: dict[str, list[str]] = {}
    for index, block in enumerate(view.layout_data.blocks):
        for start, end, name in view._block_spans(index):
            if name == "article-view--hit":
                found.setdefault(block.kind, []).append(block.text[start:end])
    return found


def hit_words(screen: MainScreen) -> list[str]:
    """The text of every hit n/N goes through."""
    view = screen.view
    assert view.article is not None
    return [view.article.passages[p].text[s.start : s.end] for p, s in view.hits]


def status(screen: MainScreen) -> str:
    return str(screen.query_one("#article-status").render())


async def test_a_phrase_marks_the_phrase_not_each_word(make_app: Any) -> None:
    async with make_app().run_test(size=(120, 40)) as pilot:
        screen = await open_first_result(pilot, '"gangs and kidnappers"')
        assert hit_words(screen) == ["gangs and kidnappers"]  # not "kidnapping" in ¶21
        assert marked(screen) == {"paragraph": ["gangs and kidnappers"]}


async def test_a_field_clause_marks_only_its_field(make_app: Any) -> None:
    async with make_app().run_test(size=(120, 40)) as pilot:
        screen = await open_first_result(pilot, "title:blinken")
        assert marked(screen) == {"title": ["Blinken"]}  # not the body's Blinkens
        assert hit_words(screen) == []


async def test_negated_words_are_never_marked(make_app: Any) -> None:
    async with make_app().run_test(size=(120, 40)) as pilot:
        screen = await open_first_result(pilot, "blinken -militia")
        words = {word.lower() for words in marked(screen).values() for word in words}
        assert words == {"blinken"}
        screen = await open_first_result(pilot, "blinken NOT kataib")
        assert {w.lower() for w in hit_words(screen)} == {"blinken"}


async def test_an_article_the_query_does_not_match_has_no_hits(make_app: Any) -> None:
    async with make_app().run_test(size=(120, 40)) as pilot:
        screen = await open_first_result(pilot, "blinken")
        assert hit_words(screen)
        await pilot.press("slash")
        screen.search_bar.input.value = "iraq -blinken"  # the open article no longer matches
        await settle(pilot)
        assert screen.results_query == "iraq -blinken"
        assert hit_words(screen) == [] and marked(screen) == {}
        assert "not a match for the query" in status(screen)
        assert " of 0" not in status(screen)


async def test_a_facet_narrowing_the_query_re_marks_the_open_article(make_app: Any) -> None:
    from briefreader.tui.screens.facets import FacetsScreen
    from tests.tui.test_tui_facets import _choose

    async with make_app().run_test(size=(120, 40)) as pilot:
        screen = await open_first_result(pilot, "iraq")
        # an article of no source: the source facet (AP) narrows it out of the query
        sourceless = [n for n, hit in enumerate(screen.result.hits) if not hit.source]
        screen._open_entry(sourceless[0])
        await settle(pilot)
        assert hit_words(screen)
        before = status(screen)
        await pilot.press("F")
        await settle(pilot)
        assert isinstance(pilot.app.screen, FacetsScreen)
        _choose(pilot, "value:source:")
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert "source:" in screen.results_query
        assert hit_words(screen) == [] and marked(screen) == {}
        assert "not a match for the query" in status(screen) and status(screen) != before
        await pilot.press("F")  # widen again: the marks come back
        await settle(pilot)
        await pilot.press("x")
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert screen.results_query == "iraq" and hit_words(screen)
