"""Snapshot tests of the main screen (query + open article) and the help screen.

Deterministic: no cursor blink, no animation, a fixed corpus indexed without entities, and
the related-passages answer pinned (its ranking belongs to another module and its own tests).
Update with ``pytest tests/tui/test_tui_snapshots.py --snapshot-update`` after a deliberate
visual change.
"""

from __future__ import annotations

from typing import Any

import pytest

from briefreader.search.related import RelatedItem
from briefreader.tui.related import RelatedAnswer
from tests.tui.helpers import settle

PINNED_RELATED = RelatedAnswer(
    [
        RelatedItem(
            passage_id="000_4b7c8a7470fbc100:p17",
            article_id="000_4b7c8a7470fbc100",
            title="Iraq’s prime minister seeks closer US ties while keeping armed groups at bay",
            score=0.5,
            text="Her family believes she is being held by the Iraqi militia Kataib Hezbollah.",
            why="terms: Kataib, Hezbollah",
        )
    ]
)


@pytest.fixture(autouse=True)
def _pinned_related(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        "briefreader.tui.screens.main.find_related_items", lambda *a, **k: PINNED_RELATED
    )


async def _query_and_open(pilot: Any) -> None:
    await settle(pilot)
    pilot.app.screen.search_bar.input.value = "kataib"
    await settle(pilot)
    await pilot.press("escape", "enter")
    await settle(pilot)
    await pilot.press("j")
    await pilot.pause(0.4)
    await settle(pilot)


@pytest.mark.parametrize("size", [(120, 40), (80, 24)])
def test_main_screen_with_query_and_article(
    snap_compare: Any, make_app: Any, size: tuple[int, int]
) -> None:
    assert snap_compare(make_app(), terminal_size=size, run_before=_query_and_open)


def test_help_screen(snap_compare: Any, make_app: Any) -> None:
    async def open_help(pilot: Any) -> None:
        await _query_and_open(pilot)
        await pilot.press("question_mark")
        await pilot.pause()

    assert snap_compare(make_app(), terminal_size=(120, 40), run_before=open_help)
