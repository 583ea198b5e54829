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
