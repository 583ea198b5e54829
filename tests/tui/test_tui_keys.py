"""Keys: the documented remapping examples, and the small habits (did-you-mean caret, the
external editor's newline)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from briefreader.tui.app import ReaderApp
from briefreader.tui.screens import main
from briefreader.tui.screens.main import TYPING_WINDOW_SECONDS, MainScreen
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


async def test_counts_and_half_pages_as_in_less_and_vim(make_app: Any) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("enter")  # the newest article
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, MainScreen) and screen.view.has_focus
        view = screen.view
        await pilot.press("g", "5", "j")
        assert view.cursor == 5
        await pilot.press("1", "2", "j", "3", "k")
        assert view.cursor == 14
        await pilot.press("j")  # no count left over
        assert view.cursor == 15
        await pilot.press("g")
        await pilot.press("ctrl+d")
        half = view.scroll_offset.y
        assert 0 < half <= view.scrollable_content_region.height // 2 + 1
        await pilot.press("ctrl+d")
        assert view.scroll_offset.y == 2 * half
        await pilot.press("ctrl+u")
        assert view.scroll_offset.y == half


async def test_t_walks_the_side_panel_tabs_and_help_names_them(make_app: Any) -> None:
    from textual.widgets import TabbedContent
    from textual.widgets._tabbed_content import ContentTabs

    from briefreader.tui.screens.help import HelpScreen

    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:  # the panel starts hidden here
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, MainScreen) and not screen.side_visible
        tabs = screen.side.query_one(TabbedContent)
        seen = []
        for _ in range(3):
            await pilot.press("t")
            await pilot.pause()
            seen.append(tabs.active)
        assert screen.side_visible
        assert seen == ["tab-entities", "tab-notes", "tab-related"]
        screen.set_focus(screen.side.query_one(ContentTabs))
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        assert app.screen.pane_name == "side panel tabs"


def test_every_binding_id_is_documented() -> None:
    """A remappable key no one can find is no use: docs/reader.md names every id."""
    from briefreader.tui.keymap import known_binding_ids

    docs = (Path(__file__).resolve().parents[2] / "docs" / "reader.md").read_text()
    assert [i for i in sorted(known_binding_ids()) if f"`{i}`" not in docs] == []


async def test_a_theme_picked_in_the_palette_is_kept_for_the_next_start(make_app: Any) -> None:
    first = make_app()
    async with first.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert first.theme != "nord"
        first.theme = "nord"  # what the palette's theme picker does
        await settle(pilot)
    second = make_app()
    async with second.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert second.theme == "nord"


def test_a_quotation_is_quoted_once() -> None:
    """The Notes tab showed ““Chehayeb reported …”” for a paragraph that is a quotation."""
    from briefreader.tui.notes_bridge import quoted

    assert quoted("plain words", 50) == "“plain words”"
    assert quoted("“Chehayeb reported from Beirut.”", 50) == "“Chehayeb reported from Beirut.”"
    assert quoted('"Said so," he said', 50) == '“"Said so," he said”'


async def test_toasts_leave_the_status_line_visible(make_app: Any) -> None:
    from textual.widgets._toast import Toast

    app = make_app()
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("enter", "y")  # open, copy: a toast
        await settle(pilot)
        await pilot.pause(0.3)
        status = app.screen.query_one("#article-status").region
        toasts = [toast.region for toast in app.screen.query(Toast) if toast.region]
        assert toasts and status.height == 1
        assert not any(toast.overlaps(status) for toast in toasts)


async def test_a_key_inside_the_typing_window_is_searched_when_the_window_ends(
    make_app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A key 30 ms after the last search waits the 20 ms left of the window, not 50 more."""
    async with make_app().run_test() as pilot:
        await settle(pilot)
        screen: Any = pilot.app.screen
        delays: list[float] = []
        set_timer = screen.set_timer

        def timer(delay: float, callback: Any, **kwargs: Any) -> Any:
            delays.append(delay)
            return set_timer(delay, callback, **kwargs)

        monkeypatch.setattr(screen, "set_timer", timer)
        monkeypatch.setattr(main, "time", SimpleNamespace(monotonic=lambda: 100.0))
        screen._typed_at = 100.0 - 0.03
        screen.search_bar.input.value = "kataib"
        await settle(pilot)
        assert delays == [pytest.approx(TYPING_WINDOW_SECONDS - 0.03)]
        assert screen.results_query == "kataib" and screen.results.entries
