"""A newcomer's first keys: the reader starts on the list; q, ? and / work from there;
Escape leaves the search box; the footer always says how to quit; NO_COLOR starts."""

from __future__ import annotations

from typing import Any

import pytest

from briefreader.tui.screens.help import HelpScreen
from briefreader.tui.screens.main import MainScreen
from briefreader.tui.widgets.results import ResultsList
from briefreader.tui.widgets.search_bar import SearchInput
from tests.tui.helpers import screen_text, settle
from tests.tui.terminal_cells import replay, sent_bytes

pytestmark = pytest.mark.anyio


def footer(app: Any) -> str:
    return screen_text(app).splitlines()[-1]


async def test_q_on_the_first_screen_quits_with_status_0(make_app: Any) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert isinstance(app.focused, ResultsList)
        assert "Quit" in footer(app)
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0
    assert app._exit_renderables == []


async def test_help_search_and_escape_from_the_first_screen(make_app: Any) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, MainScreen)
        await pilot.press("slash")
        assert isinstance(app.focused, SearchInput)
        assert "Quit" in footer(app)  # typed q is a letter here; the footer shows another way
        await pilot.press("q", "escape")
        await settle(pilot)
        assert isinstance(app.focused, ResultsList)
        assert screen.search_bar.input.value == "q"
        await pilot.press("ctrl+q")
        await pilot.pause()
    assert app.return_code == 0


async def test_no_color_starts_reads_and_quits(
    make_app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """NO_COLOR crashed the reader at its first paint ("Opening the index…")."""
    monkeypatch.setenv("NO_COLOR", "1")
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert "articles, newest first" in screen_text(app)
        await pilot.press("enter")
        await settle(pilot)
        cells = replay(sent_bytes(app, "truecolor"))
        colours = {c.fg for c in cells if c.fg} | {c.bg for c in cells if c.bg}
        assert all(r == g == b for r, g, b in colours), "NO_COLOR sends greys only"
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0
