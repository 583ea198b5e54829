"""Pilot tests of the query budget in the reader: a query over it is refused in one line in
the search bar, and a slow search is dropped at the next keystroke, leaving nothing running."""

from __future__ import annotations

import time
from typing import Any

import pytest

from briefreader.tui.screens.main import MainScreen
from tests.tui.helpers import screen_text, settle

pytestmark = pytest.mark.anyio


def main(app: Any) -> MainScreen:
    screen = app.screen
    assert isinstance(screen, MainScreen)
    return screen


async def test_a_query_over_its_budget_is_refused_in_the_search_bar(
    make_app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import briefreader.search.budget as budget

    async with make_app().run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        monkeypatch.setattr(budget, "MAX_WORK", 0)
        main(pilot.app).search_bar.input.value = "kataib"
        await settle(pilot)
        lines = [line for line in screen_text(pilot.app).splitlines() if "longer than" in line]
        assert len(lines) == 1 and "the query would take longer than 2 s; make it" in lines[0]
        monkeypatch.setattr(budget, "MAX_WORK", 12_000_000)
        main(pilot.app).search_bar.input.value = "kataib hezbollah"
        await settle(pilot)
        assert "articles match" in screen_text(pilot.app)


async def test_the_next_keystroke_drops_a_slow_search(
    make_app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fuzzy word whose walk of the vocabulary is slow (a big index on a busy machine): the
    next query does not wait for it to reach its deadline, and once the answer is shown no
    search thread is left walking."""
    from whoosh.codec.whoosh3 import W3FieldCursor

    find = W3FieldCursor.find
    steps: list[float] = []

    def slow_find(self: W3FieldCursor, term: object) -> object:
        steps.append(time.monotonic())
        time.sleep(0.01)
        return find(self, term)

    async with make_app().run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        monkeypatch.setattr(W3FieldCursor, "find", slow_find)
        screen = main(pilot.app)
        screen.search_bar.input.value = "tsurkov~2"
        while not steps:  # the walk has begun
            await pilot.pause(0.02)
        before = len(steps)
        screen.search_bar.input.value = "kataib"
        await settle(pilot)
        for _ in range(100):  # the answer is shown once the library is free
            if "3 articles match" in screen_text(pilot.app):
                break
            await pilot.pause(0.05)
        assert "3 articles match" in screen_text(pilot.app)
        # The stale walk stops at its next check (every 16 steps), not at its deadline
        # (~1.7 s of 10 ms steps: 166 more without the cancellation check).
        walked = len(steps)
        assert walked - before <= 40, walked - before
        await pilot.pause(0.3)
        assert len(steps) == walked  # nothing walks on in the background
        searching = [w for w in pilot.app.workers if w.group == "search" and not w.is_finished]
        assert not searching, searching
