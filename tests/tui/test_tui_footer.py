"""Pilot: the footer fits the terminal: the focused part's keys that fit, never cut, and always
how to quit and get help (by the key that works there)."""

from __future__ import annotations

from typing import Any

import pytest

from briefreader.tui.screens.main import MainScreen
from tests.tui.helpers import screen_text, settle

pytestmark = pytest.mark.anyio

# Focus → (keys the footer must show there, keys for quit and help).
PLACES = {
    "results": (["⏎ Open"], ["q Quit", "? Help"]),
    "search": (["esc Leave search"], ["^q Quit", "f1 Help"]),
    "article": (["j/k Paragraph", "n Next hit"], ["q Quit", "? Help"]),
}


def footer_line(pilot: Any) -> str:
    """The footer as the terminal shows it (the screen's last line)."""
    return screen_text(pilot.app).rstrip("\n").splitlines()[-1]


async def go(pilot: Any, place: str) -> None:
    screen = pilot.app.screen
    assert isinstance(screen, MainScreen)
    if screen.focused is screen.search_bar.input:
        await pilot.press("escape")  # leave the box: o and i would be typed in it
    if place == "search":
        await pilot.press("slash")
    elif place == "results":
        await pilot.press("o")
    else:
        await pilot.press("i")
    await settle(pilot)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_the_footer_shows_quit_help_and_the_focused_keys_uncut(
    make_app: Any, size: tuple[int, int]
) -> None:
    async with make_app().run_test(size=size) as pilot:
        await settle(pilot)
        screen = pilot.app.screen
        screen.search_bar.input.value = "kataib"
        await settle(pilot)
        await pilot.press("escape", "enter")  # an article open: its keys are the most
        await settle(pilot)
        for place in ("article", "results", "search", "article"):
            await go(pilot, place)
            line = footer_line(pilot)
            wanted, always = PLACES[place]
            for label in [*wanted, *always]:
                assert f"{label} " in f"{line} ", (size, place, line)


async def test_a_narrow_footer_drops_the_least_useful_keys_first(make_app: Any) -> None:
    async with make_app().run_test(size=(40, 20)) as pilot:
        await settle(pilot)
        screen = pilot.app.screen
        screen.search_bar.input.value = "kataib"
        await settle(pilot)
        await pilot.press("escape", "enter")
        await settle(pilot)
        line = footer_line(pilot)
        assert "q Quit" in line and "? Help" in line, line
        assert "j/k Paragraph" in line and "palette" not in line, line


async def test_the_footer_chooses_again_when_the_terminal_narrows(make_app: Any) -> None:
    async with make_app().run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        pilot.app.screen.search_bar.input.value = "kataib"
        await settle(pilot)
        await pilot.press("escape", "enter")
        await settle(pilot)
        assert "palette" in footer_line(pilot)
        await pilot.resize_terminal(44, 20)
        await settle(pilot)
        line = footer_line(pilot)
        assert "q Quit" in line and "? Help" in line and "palette" not in line, line


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_dialogs_with_a_text_box_show_their_own_keys(
    make_app: Any, size: tuple[int, int]
) -> None:
    """The note editor and the notes list showed the reader's footer under them ('q Quit ?
    Help', keys typed into their text boxes there); their own footer shows their keys and
    the way out (Esc)."""
    from briefreader.tui.screens.note_editor import NoteEditor
    from briefreader.tui.screens.notes import NotesScreen

    async with make_app().run_test(size=size) as pilot:
        await settle(pilot)
        pilot.app.screen.search_bar.input.value = "kataib"
        await settle(pilot)
        await pilot.press("escape", "enter")
        await settle(pilot)
        await pilot.press("i", "a")
        await settle(pilot)
        assert isinstance(pilot.app.screen, NoteEditor)
        line = f" {footer_line(pilot)}"
        assert "^s Save" in line and "esc Cancel" in line, line
        assert " q Quit" not in line and " ? Help" not in line, line
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("ctrl+n")
        await settle(pilot)
        assert isinstance(pilot.app.screen, NotesScreen)
        line = f" {footer_line(pilot)}"
        assert "esc" in line and " q Quit" not in line and " ? Help" not in line, line


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_with_no_article_open_the_footer_offers_only_keys_that_act(
    make_app: Any, size: tuple[int, int]
) -> None:
    """At 80x24 with no article open the list's footer offered r Panel (the panel shows only
    while reading: r did nothing), the empty pane's offered paragraph and reference keys,
    and t showed an Entities tab 'for this article' with no article. r and t now say why in
    one line, and no footer offers them or the empty pane's dead keys."""
    from tests.tui.helpers import notifications

    async with make_app().run_test(size=size) as pilot:
        await settle(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, MainScreen) and screen.article_id is None
        screen.search_bar.input.value = "kataib"
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        narrow = size[0] < 110  # from 110 columns r hides the (empty) panel beside the list
        assert ("r Panel" in footer_line(pilot)) is not narrow
        await pilot.press("i")
        await settle(pilot)
        line = footer_line(pilot)
        for dead in ("j/k Paragraph", "f Refs"):
            assert dead not in line, line
        assert ("r Panel" in line) is not narrow, line
        assert "n Next hit" in line, line  # n opens the first result at its first hit
        for key in ("r", "t") if narrow else ("t",):
            pilot.app.clear_notifications()
            await pilot.press(key)
            await settle(pilot)
            said = notifications(pilot.app)
            assert len(said) == 1 and "No article open" in said[0], said
            assert screen.side_visible is not narrow and screen.view.has_focus
        await pilot.press("n")
        await settle(pilot)
        assert screen.article_id is not None
        assert "r Panel" in footer_line(pilot) and "j/k Paragraph" in footer_line(pilot)


async def test_r_from_the_list_at_80x24_shows_the_panel(make_app: Any) -> None:
    """At 80x24 the side panel shows only while reading: r from the list toggled a class
    that changed nothing. It now shows the panel with the focus in it."""
    async with make_app().run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, MainScreen)
        screen.search_bar.input.value = "kataib"
        await settle(pilot)
        await pilot.press("escape", "enter", "o")
        await settle(pilot)
        assert screen.results.has_focus and "r Panel" in footer_line(pilot)
        await pilot.press("r")
        await settle(pilot)
        assert screen.side_visible and screen.side.region.width > 0
        focused = pilot.app.focused
        assert focused is not None and screen.side in focused.ancestors
