"""Keys: the documented remapping examples, and the small habits (did-you-mean caret, the
external editor's newline)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from briefreader.tui.app import ReaderApp
from briefreader.tui.screens.main import MainScreen
from briefreader.tui.settings import load_reader_settings
from tests.tui.helpers import notifications, settle

pytestmark = pytest.mark.anyio


@pytest.fixture
def keys_file(reader_workspace: Any) -> Iterator[Path]:
    path = Path(reader_workspace.root) / "briefreader.toml"
    yield path
    path.unlink(missing_ok=True)


def test_the_documented_keys_tables_are_read_as_written(
    reader_workspace: Any, keys_file: Path
) -> None:
    """docs/reader.md's quoted "F2" and the help screen's unquoted dotted key."""
    keys_file.write_text(
        '[keys]\n"reader.toggle-side" = "F2"\narticle.next-hit = "n, F3"\n'
        '"reader.notes" = "Ctrl+N"\n"article.bottom" = "G,End"\n'
    )
    settings = load_reader_settings(reader_workspace, environ={})
    assert settings.problems == ()
    assert settings.keymap == {
        "reader.toggle-side": "f2",
        "article.next-hit": "n,f3",
        "reader.notes": "ctrl+n",
        "article.bottom": "G,end",  # one character keeps its case: G is shift+g
    }


async def test_f2_toggles_the_side_panel_and_unknown_ids_are_named(
    reader_workspace: Any, keys_file: Path
) -> None:
    keys_file.write_text('[keys]\n"reader.toggle-side" = "F2"\n"reader.toogle" = "x"\n')
    app = ReaderApp(reader_workspace, load_reader_settings(reader_workspace, environ={}))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, MainScreen) and screen.side_visible
        await pilot.press("f2")
        await pilot.pause()
        assert not screen.side_visible
        problems = [n for n in notifications(app) if "reader.toogle" in n]
        assert problems == [
            "[keys] reader.toogle: no such binding (? lists the ids of the focused pane)"
        ]


async def test_accepting_did_you_mean_leaves_the_caret_after_the_word(make_app: Any) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"hezbolah")  # shorter than its correction
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("space", *"iraq")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, MainScreen)
        assert screen.search_bar.input.value == "hezbollah iraq"


def test_the_external_editor_gets_a_file_ending_with_a_newline(tmp_path: Path) -> None:
    """An editor that appends a line glued it to the last word (#figuressecond)."""
    from briefreader.tui.notes_bridge import edit_in_editor

    append = ["sh", "-c", 'echo second >> "$1"', "editor"]
    assert edit_in_editor("first #figures", append) == "first #figures\nsecond"
    assert edit_in_editor("", append) == "second"
