"""Over SSH nothing is sent while the reader sits idle: no blinking cursor in any text box,
and no poll repainting the screen under a dialog (the byte counts: benchmarks/ssh_bytes.py)."""

from __future__ import annotations

from typing import Any

import pytest
from textual.widget import Widget

from briefreader.tui.app import ReaderApp
from briefreader.tui.screens.polling import PollingScreen
from tests.tui.helpers import settle

pytestmark = pytest.mark.anyio


def blinking(app: ReaderApp) -> bool:
    focused: Widget | None = app.focused
    return bool(getattr(focused, "cursor_blink", False))


async def test_over_ssh_no_animation_and_no_text_cursor_blinks(
    reader_workspace: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The note editor, the notes filter and the palette blinked (~19 KB every 0.7 s)."""
    monkeypatch.setenv("SSH_CONNECTION", "10.0.0.1 5000 10.0.0.2 22")
    app = ReaderApp(reader_workspace)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert app.animation_level == "none"
        steps = [("slash",), ("escape", "enter"), ("a",), ("escape",), ("ctrl+n",)]
        steps += [("escape", "ctrl+p")]
        for keys in steps:
            await pilot.press(*keys)
            await settle(pilot)
            assert not blinking(app), (keys, app.focused)
        assert type(app.focused).__name__ == "CommandInput"


async def test_polls_pause_under_a_dialog(make_app: Any) -> None:
    """Under a dialog each poll of the reader repainted the whole terminal (~19 KB)."""
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        main = app.screen
        assert isinstance(main, PollingScreen) and main._polls
        assert all(timer._active.is_set() for timer in main._polls)
        await pilot.press("ctrl+n")
        await settle(pilot)
        assert app.screen is not main
        assert not any(timer._active.is_set() for timer in main._polls)
        await pilot.press("escape")
        await settle(pilot)
        assert all(timer._active.is_set() for timer in main._polls)
