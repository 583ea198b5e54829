"""Pilot: the facet view narrows the query by a source and a month, chips follow, x widens."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import OptionList

from briefreader.search.filters import filters_in
from briefreader.tui.screens.facets import FacetsScreen
from briefreader.tui.screens.main import MainScreen
from tests.test_facets import corpus_files
from tests.tui.helpers import indexed_workspace, screen_text, settle

pytestmark = pytest.mark.anyio


@pytest.fixture(scope="module")
def facet_reader_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return indexed_workspace(
        tmp_path_factory.mktemp("facet-reader"), corpus_files(random.Random(5))
    )


def _app(root: Path) -> Any:
    from briefreader.tui.app import ReaderApp
    from briefreader.tui.settings import ReaderSettings
    from briefreader.workspace import Workspace

    return ReaderApp(Workspace(root), ReaderSettings(animations=False, cursor_blink=False))


def _choose(pilot: Any, prefix: str) -> str:
    """Highlight the first option whose id starts with ``prefix`` (a count above zero)."""
    options = pilot.app.screen.query_one(OptionList)
    for index in range(options.option_count):
        option = options.get_option_at_index(index)
        if (option.id or "").startswith(prefix) and not str(option.prompt).rstrip().endswith(" 0"):
            options.highlighted = index
            return option.id or ""
    raise AssertionError(f"no option {prefix}")


async def test_facets_narrow_by_source_and_month_then_widen(facet_reader_root: Path) -> None:
    async with _app(facet_reader_root).run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, MainScreen)
        screen.search_bar.input.value = "militia"
        await settle(pilot)
        before = screen.result.total
        await pilot.press("escape", "F")  # leave the search box, open the facets
        await settle(pilot)
        assert isinstance(pilot.app.screen, FacetsScreen)
        assert "Sources" in screen_text(pilot.app) and "Timeline" in screen_text(pilot.app)
        source = _choose(pilot, "value:source:")
        await pilot.press("enter")
        await settle(pilot)
        month = _choose(pilot, "bucket:")
        await pilot.press("enter")
        await settle(pilot)
        query = screen.search_bar.input.value
        chosen = filters_in(query)
        assert chosen[0] == source.removeprefix("value:") and chosen[1].startswith("date:")
        narrowed = screen.library.count(query)
        assert screen.result.total == narrowed < before
        _choose(pilot, "active:date:")
        await pilot.press("x")
        await settle(pilot)
        assert filters_in(screen.search_bar.input.value) == chosen[:1]
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(pilot.app.screen, MainScreen)
        assert screen.result.total == screen.library.count(screen.search_bar.input.value)
        assert screen.result.total > narrowed or month  # widened again
        assert "Filters:" in screen_text(pilot.app)  # the remaining chip


async def test_timeline_span_with_space_then_enter(facet_reader_root: Path) -> None:
    async with _app(facet_reader_root).run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = pilot.app.screen
        screen.search_bar.input.value = "iraq OR iran"
        await settle(pilot)
        await pilot.press("escape", "F")  # leave the search box, open the facets
        await settle(pilot)
        options = pilot.app.screen.query_one(OptionList)
        buckets = [
            i
            for i in range(options.option_count)
            if (options.get_option_at_index(i).id or "").startswith("bucket:")
        ]
        options.highlighted = buckets[0]
        await pilot.press("space")
        options.highlighted = buckets[-1]
        await pilot.press("enter")
        await settle(pilot)
        query = screen.search_bar.input.value
        assert query.startswith("(iraq OR iran) date:") and ".." in query
        assert screen.result.total == screen.library.count(query)


async def test_j_and_k_move_in_the_facets_like_everywhere(facet_reader_root: Path) -> None:
    async with _app(facet_reader_root).run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        pilot.app.screen.search_bar.input.value = "militia"
        await settle(pilot)
        await pilot.press("escape", "F")
        await settle(pilot)
        options = pilot.app.screen.query_one(OptionList)
        start = options.highlighted
        await pilot.press("j", "j")
        assert options.highlighted is not None and options.highlighted > start
        await pilot.press("k")
        moved = options.highlighted
        await pilot.press("G")
        assert options.highlighted == options.option_count - 1 or options.highlighted > moved
        await pilot.press("g")
        assert options.highlighted is not None and options.highlighted <= start


async def test_help_on_the_facets_lists_their_keys(facet_reader_root: Path) -> None:
    from briefreader.tui.screens.help import HelpScreen

    async with _app(facet_reader_root).run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        await pilot.press("F")
        await settle(pilot)
        assert "articles" in screen_text(pilot.app)  # an empty query: the whole library
        await pilot.press("question_mark")
        await settle(pilot)
        assert isinstance(pilot.app.screen, HelpScreen)
        assert "Remove filter" in screen_text(pilot.app)


@pytest.mark.parametrize("size", [(80, 24), (100, 40)])
async def test_the_facets_window_names_its_places_and_keys(
    facet_reader_root: Path, size: tuple[int, int]
) -> None:
    """With no query the title read "Facets of '': N articles"; the footer under the window
    showed the results list's keys (Open, Panel); help listed "OptionList" and
    "FacetsScreen" as places. Also the notes screen's help: no class names."""
    from briefreader.tui.screens.help import NODE_NAMES, HelpScreen, help_rows

    async with _app(facet_reader_root).run_test(size=size) as pilot:
        await settle(pilot)
        await pilot.press("F")
        await settle(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, FacetsScreen)
        text = screen_text(pilot.app)
        assert "Facets of all " in text and "''" not in text, text
        footer = text.rstrip("\n").splitlines()[-1]
        assert "esc Close" in footer and "? Help" in footer, footer
        assert "Open" not in footer and "Panel" not in footer, footer
        names = set(NODE_NAMES.values())
        places = {row.place for row in help_rows(screen)}
        assert places <= names, places - names
        await pilot.press("question_mark")
        await settle(pilot)
        assert isinstance(pilot.app.screen, HelpScreen)
        assert "OptionList" not in screen_text(pilot.app)
        await pilot.press("escape", "escape", "ctrl+n")
        await settle(pilot)
        for _ in range(2):  # the filter box, then the list
            places = {row.place for row in help_rows(pilot.app.screen)}
            assert places <= names, places - names
            await pilot.press("down")
            await settle(pilot)


async def test_help_on_the_notes_screen(facet_reader_root: Path) -> None:
    from briefreader.tui.screens.help import HelpScreen

    async with _app(facet_reader_root).run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+n")
        await settle(pilot)
        await pilot.press("down", "question_mark")
        await settle(pilot)
        assert isinstance(pilot.app.screen, HelpScreen)


def test_the_timeline_heading_says_how_many_have_no_month() -> None:
    """The undated count was a row under the last bucket, out of sight below a long list at
    80x24 (an audit saw the CLI's '8 without a month' and not the reader's)."""
    from briefreader.search.facets import Facets, FacetValue, Timeline
    from briefreader.tui.screens.facets import facet_options

    months = tuple(FacetValue(f"2025-0{m}", m, f"date:2025-0{m}") for m in (1, 2, 3))
    facets = Facets("militia", 1_214, (), {}, Timeline("month", months, 1_208))
    headings = [str(o.prompt) for o in facet_options(facets, []) if o.disabled]
    timeline = [h for h in headings if h.startswith("Timeline per month")]
    assert timeline and timeline[0].endswith("· 1,208 without a month")
