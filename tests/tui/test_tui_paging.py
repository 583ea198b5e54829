"""Pilot tests of the paged results list: one page per keystroke, more as the reader nears the end.

The corpus: 60 small articles that all say "lighthouse" (one hit each), every sixth also
"harbour", and 30 that do not (so Whoosh's estimate of the count is too high), indexed
without entities.
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from textual import events
from textual.widgets.option_list import OptionDoesNotExist

from briefreader.search.library import Library
from briefreader.tui.app import ReaderApp
from briefreader.tui.messages import ResultsPage
from briefreader.tui.paging import PAGE_SIZE
from briefreader.tui.screens.main import MainScreen
from briefreader.tui.settings import ReaderSettings
from briefreader.tui.widgets.article_view import ArticleView
from briefreader.tui.widgets.results import MORE_ID
from briefreader.workspace import Workspace
from tests.tui.helpers import indexed_workspace, screen_text, settle

pytestmark = pytest.mark.anyio
ARTICLES = 60


@pytest.fixture(scope="module")
def paged_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A workspace with three pages of "lighthouse" hits, indexed once."""
    files: dict[str, str | bytes] = {}
    for number in range(ARTICLES):
        harbour = " The harbour master agreed." if number % 6 == 0 else ""
        files[f"dispatch{number:02d}.txt"] = (
            f"Dispatch {number:02d} from the coast\n\n"
            f"The lighthouse keeper filed report number {number} about the night storm and "
            f"the ships that passed the point.{harbour}\n\n"
            "Later the town council met to discuss repairs to the pier and the road.\n"
        )
    for number in range(ARTICLES // 2):
        files[f"notice{number:02d}.txt"] = (
            f"Notice {number:02d}\n\nThe pier and the road are closed for repairs.\n"
        )
    return indexed_workspace(tmp_path_factory.mktemp("paged"), files)


@pytest.fixture
def paged_app(paged_root: Path) -> Iterator[ReaderApp]:
    """The reader on that workspace, with no remembered state."""
    workspace = Workspace(paged_root)
    shutil.rmtree(workspace.state_dir, ignore_errors=True)
    yield ReaderApp(workspace, ReaderSettings(animations=False, cursor_blink=False))
    shutil.rmtree(workspace.state_dir, ignore_errors=True)


class PageGate:
    """Holds back every page after the first until ``release`` is set (a slow corpus)."""

    def __init__(self, library: Library) -> None:
        self.original = library.search
        self.waiting = threading.Event()
        self.release = threading.Event()

    def search(self, text: str, limit: int = 20, offset: int = 0, **options: Any) -> Any:
        if offset:
            self.waiting.set()
            self.release.wait(10)
        return self.original(text, limit=limit, offset=offset, **options)


async def ready(pilot: Any) -> MainScreen:
    """Let the reader open the index; its main screen."""
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, MainScreen)
    return screen


async def search(pilot: Any, query: str) -> MainScreen:
    """Settle, put a query in the search bar, and wait for its first page."""
    screen = await ready(pilot)
    screen.search_bar.input.value = query
    await settle(pilot)
    return screen


async def pause_until(pilot: Any, condition: Callable[[], bool]) -> None:
    """Pause until ``condition`` holds (settle would wait for a held-back worker)."""
    for _ in range(200):
        if condition():
            return
        await pilot.pause(0.05)
    raise AssertionError("condition never held")


def gate_pages(screen: MainScreen, monkeypatch: pytest.MonkeyPatch) -> PageGate:
    gate = PageGate(screen.library)
    monkeypatch.setattr(screen.library, "search", gate.search)
    return gate


def ranked(screen: MainScreen, query: str) -> list[str]:
    return [hit.article_id for hit in screen.library.search(query, limit=ARTICLES).hits]


async def test_a_keystroke_lists_one_page_and_the_total(paged_app: ReaderApp) -> None:
    async with paged_app.run_test(size=(120, 40)) as pilot:
        screen = await search(pilot, "lighthouse")
        results = screen.results
        assert len(results.entries) == PAGE_SIZE
        await pause_until(pilot, lambda: screen.result is not None and screen.result.exact)
        assert "60 articles match; showing 20" in screen_text(pilot.app)
        assert results.more and "more…" in str(results.get_option(MORE_ID).prompt)
        assert results.highlighted_position == 0


async def test_a_page_of_results_is_laid_out_once(
    paged_app: ReaderApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The "more…" row goes in with the results: added after them (a divider before it
    changes the row above), it made the list lay every row out again."""
    async with paged_app.run_test(size=(120, 40)) as pilot:
        screen = await search(pilot, "lighthouse")
        results, result = screen.results, screen.result
        assert result is not None
        relaid: list[bool] = []
        original = results._clear_caches
        monkeypatch.setattr(results, "_clear_caches", lambda: (relaid.append(True), original()))
        results.show_results(result, more=True)
        assert not relaid
        last = results.get_option_at_index(results.option_count - 1)
        assert last.id == MORE_ID and results.get_option_at_index(results.option_count - 2)._divider
        assert results.highlighted_position == 0 and results.more


def _recorded_statuses(screen: Any, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every text the search bar's status is set to, from now on."""
    statuses: list[str] = []
    set_status = screen.search_bar.set_status
    monkeypatch.setattr(
        screen.search_bar,
        "set_status",
        lambda text, **kw: (statuses.append(text), set_status(text, **kw))[-1],
    )
    return statuses


async def test_an_estimated_count_is_replaced_by_the_exact_one(
    paged_app: ReaderApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with paged_app.run_test(size=(120, 40)) as pilot:
        screen = await ready(pilot)
        # a negation goes through Whoosh's collector: its estimate (an over-estimate under a
        # filter) is never shown as the count until the walk confirms it
        negated = "lighthouse NOT zzzqqq"
        first = screen.library.search(negated)
        assert not first.exact and first.total >= ARTICLES
        statuses = _recorded_statuses(screen, monkeypatch)
        await search(pilot, negated)
        assert statuses[0] == "at least 20 articles match (counting…); showing 20"
        await pause_until(pilot, lambda: len(statuses) > 1)
        assert statuses[-1] == "60 articles match; showing 20"
        assert screen.result is not None and screen.result.exact and screen.result.total == 60
        screen.results.focus()
        await pilot.press("end")
        await settle(pilot)
        await pilot.press("end")
        await settle(pilot)
        assert len(screen.results.entries) == ARTICLES and not screen.results.more
        assert screen.result.total == ARTICLES and screen.result.exact


async def test_a_word_query_is_counted_with_its_first_page(
    paged_app: ReaderApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Words, phrases, AND and OR score every match (``search/bulk.py``): the first page
    comes with the exact count, and no count runs after it."""
    async with paged_app.run_test(size=(120, 40)) as pilot:
        screen = await ready(pilot)
        statuses = _recorded_statuses(screen, monkeypatch)
        await search(pilot, "lighthouse")
        await settle(pilot)
        assert statuses == ["60 articles match; showing 20"]  # no "counting…" first
        assert screen.result is not None and screen.result.exact and screen.result.total == 60


async def test_end_appends_pages_and_keeps_highlight_and_scroll(
    paged_app: ReaderApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with paged_app.run_test(size=(120, 40)) as pilot:
        screen = await search(pilot, "lighthouse")
        results = screen.results
        first_page = list(results.entries)
        scrolls: list[tuple[float, float]] = []
        append = results.append_results

        def recording_append(hits: Any, *, more: bool) -> None:
            before = results.scroll_y
            append(hits, more=more)
            scrolls.append((before, results.scroll_y))

        monkeypatch.setattr(results, "append_results", recording_append)
        results.focus()
        await pilot.press("end")
        await settle(pilot)
        assert len(results.entries) == 2 * PAGE_SIZE
        assert results.entries[:PAGE_SIZE] == first_page
        assert results.highlighted_position == PAGE_SIZE - 1
        assert "60 articles match; showing 40" in screen_text(pilot.app)
        await pilot.press("end")
        await settle(pilot)
        assert len(results.entries) == ARTICLES
        assert results.highlighted_position == 2 * PAGE_SIZE - 1
        assert len(scrolls) == 2 and all(before == after for before, after in scrolls)
        await pilot.press("end")
        await settle(pilot)
        assert results.highlighted_position == ARTICLES - 1
        assert not results.more
        with pytest.raises(OptionDoesNotExist):
            results.get_option(MORE_ID)
        text = screen_text(pilot.app)
        assert "60 articles match" in text and "showing" not in text
        assert [entry.article_id for entry in results.entries] == ranked(screen, "lighthouse")


async def test_moving_down_loads_the_next_page_on_the_way(paged_app: ReaderApp) -> None:
    async with paged_app.run_test(size=(120, 40)) as pilot:
        screen = await search(pilot, "lighthouse")
        results = screen.results
        results.focus()
        for _ in range(PAGE_SIZE + 5):
            await pilot.press("down")
            await settle(pilot, rounds=1)
        assert results.highlighted_position == PAGE_SIZE + 5
        assert len(results.entries) == 2 * PAGE_SIZE
        ids = [entry.article_id for entry in results.entries]
        assert ids == ranked(screen, "lighthouse")[: 2 * PAGE_SIZE]


async def test_mouse_wheel_to_the_bottom_loads_more(paged_app: ReaderApp) -> None:
    async with paged_app.run_test(size=(120, 40)) as pilot:
        screen = await search(pilot, "lighthouse")
        results = screen.results
        wheel = events.MouseScrollDown(results, 1, 1, 0, 1, 0, False, False, False)
        for _ in range(200):
            if screen.pager.pending is not None or len(results.entries) > PAGE_SIZE:
                break  # the wheel reached the bottom
            results.post_message(wheel)
            await pilot.pause()
        assert results.scroll_y == results.max_scroll_y or len(results.entries) > PAGE_SIZE
        bottom = results.scroll_y
        await settle(pilot)
        assert len(results.entries) == 2 * PAGE_SIZE
        assert results.highlighted_position == 0 and results.scroll_y == bottom
        assert results.max_scroll_y > bottom  # the new page lies below, to scroll on to


async def test_a_changed_query_discards_the_pending_page(
    paged_app: ReaderApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with paged_app.run_test(size=(120, 40)) as pilot:
        screen = await search(pilot, "lighthouse")
        results = screen.results
        gate = gate_pages(screen, monkeypatch)
        results.focus()
        await pilot.press("end")
        await pause_until(pilot, gate.waiting.is_set)
        stale = screen.pager.pending
        assert stale is not None
        assert "loading more…" in str(results.get_option(MORE_ID).prompt)
        await pilot.press("down")  # the last loaded result: wait for the page, do not wrap
        assert results.highlighted_position == PAGE_SIZE - 1
        screen.search_bar.input.value = "harbour"
        await pause_until(pilot, lambda: screen.results_query == "harbour")
        gate.release.set()
        await settle(pilot)
        harbour = ranked(screen, "harbour")
        assert len(harbour) == ARTICLES // 6
        assert [entry.article_id for entry in results.entries] == harbour
        assert not results.more and "10 articles match" in screen_text(pilot.app)
        # a page of the old query that still arrives is dropped
        page = gate.original("lighthouse", limit=PAGE_SIZE, offset=PAGE_SIZE)
        screen.post_message(ResultsPage(stale, result=page))
        await settle(pilot)
        assert [entry.article_id for entry in results.entries] == harbour


async def test_n_carries_on_into_the_next_page(
    paged_app: ReaderApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with paged_app.run_test(size=(120, 40)) as pilot:
        screen = await search(pilot, "lighthouse")
        results = screen.results
        view = screen.query_one(ArticleView)
        gate = gate_pages(screen, monkeypatch)
        results.focus()
        await pilot.press("end")
        await pause_until(pilot, gate.waiting.is_set)
        last = results.entries[PAGE_SIZE - 1].article_id
        await pilot.press("enter")
        await pause_until(pilot, lambda: screen.article_id == last and bool(view.hits))
        assert view.hit_index == 0 and len(view.hits) == 1
        assert f"article {PAGE_SIZE} of 60" in screen_text(pilot.app)
        await pilot.press("n")  # past the last hit of the last loaded result
        gate.release.set()
        await settle(pilot)
        assert len(results.entries) == 2 * PAGE_SIZE
        assert screen.article_id == results.entries[PAGE_SIZE].article_id
        assert view.hit_index == 0
        assert results.highlighted_position == PAGE_SIZE
        assert f"article {PAGE_SIZE + 1} of 60" in screen_text(pilot.app)
        await pilot.press("N")
        await settle(pilot)
        assert screen.article_id == last


async def test_the_library_list_grows_as_the_reader_scrolls(
    paged_app: ReaderApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    from briefreader.tui.widgets import results as results_module

    monkeypatch.setattr(results_module, "LIBRARY_PAGE", 25)
    total = ARTICLES + ARTICLES // 2
    async with paged_app.run_test(size=(120, 40)) as pilot:
        screen = await search(pilot, "")
        results = screen.results
        assert len(results.entries) == 25 and results.more
        assert f"{total} articles, newest first" in screen_text(pilot.app)
        results.focus()
        await pilot.press("end")
        await settle(pilot)
        assert len(results.entries) == 50 and results.highlighted_position == 24
        for _ in range(30):
            await pilot.press("down")
        await settle(pilot)
        assert len(results.entries) >= 75 and results.highlighted_position == 54
        await pilot.press("end", "end", "end")
        await settle(pilot)
        assert len(results.entries) == total and not results.more
        everything = screen.library.articles()
        assert [e.article_id for e in results.entries] == [a.id for a in everything]


async def test_the_count_waits_for_typing_to_pause(
    paged_app: ReaderApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each keystroke would otherwise start a full count that competes with the next search."""
    from briefreader.tui.screens import main as main_module

    async with paged_app.run_test(size=(120, 40)) as pilot:
        screen = await ready(pilot)
        counted: list[str] = []
        count = screen.library.count
        monkeypatch.setattr(
            screen.library, "count", lambda text, **kw: (counted.append(text), count(text, **kw))[1]
        )
        monkeypatch.setattr(main_module, "COUNT_DELAY", 2.0)
        negated = "lighthouse NOT zzzqqq"  # Whoosh's collector: not exact, a count is due in 2 s
        screen.search_bar.input.value = negated
        await pause_until(pilot, lambda: screen.results_query == negated)
        await pilot.pause(0.3)
        assert counted == []  # still waiting for typing to pause
        screen.search_bar.input.value = "harbour"  # typed on: that count never starts
        await pause_until(pilot, lambda: screen.results_query == "harbour")
        await pilot.pause(2.3)
        assert counted == [] and screen.result is not None and screen.result.total == 10
        monkeypatch.setattr(main_module, "COUNT_DELAY", 0.05)
        screen.search_bar.input.value = negated
        await pause_until(
            pilot,
            lambda: (
                screen.results_query == negated
                and screen.result is not None
                and screen.result.exact
            ),
        )
        assert counted == [negated] and screen.result.total == ARTICLES


@pytest.mark.parametrize("query", ["lighthouse", ""])
async def test_an_index_refresh_keeps_the_place_in_the_list(
    paged_app: ReaderApp, monkeypatch: pytest.MonkeyPatch, query: str
) -> None:
    """Another process updated the index: the list is fetched again as long as it was, and
    the highlight stays on the same entry (not back at the top)."""
    from briefreader.tui.messages import LibraryReady
    from briefreader.tui.widgets import results as results_module

    monkeypatch.setattr(results_module, "LIBRARY_PAGE", 25)
    async with paged_app.run_test(size=(120, 40)) as pilot:
        screen = await search(pilot, query)
        results = screen.results
        results.focus()
        for _ in range(PAGE_SIZE + 10):
            await pilot.press("down")
            await settle(pilot, rounds=1)
        await settle(pilot)
        before = results.highlighted_entry
        listed = len(results.entries)
        assert before is not None and results.highlighted_position == PAGE_SIZE + 10
        screen.post_message(LibraryReady(screen.library, "The index was updated"))
        await settle(pilot)
        assert results.highlighted_entry == before
        assert len(results.entries) >= min(listed, PAGE_SIZE + 11)
        await pilot.press("down")
        assert results.highlighted_position == PAGE_SIZE + 11  # moves on from there
