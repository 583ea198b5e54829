"""Helpers for driving the reader in tests (imported as ``tests.tui.helpers``)."""

from __future__ import annotations

import contextlib
import io
import os
from pathlib import Path
from typing import Any

from rich.console import Console
from textual.app import App
from textual.pilot import Pilot
from textual.worker import WorkerCancelled


async def settle(pilot: Pilot[object], rounds: int = 3) -> None:
    """Let workers finish and their messages be handled (workers start more workers); first,
    if a search is waiting for the end of a typing window, let the window pass."""
    from briefreader.tui.screens.main import TYPING_WINDOW_SECONDS

    await pilot.pause()
    if getattr(pilot.app.screen, "_typing_timer", None) is not None:
        await pilot.pause(TYPING_WINDOW_SECONDS * 1.5)
    for _ in range(rounds):
        await pilot.pause()
        # A cancelled exclusive worker was replaced by a newer one: that is what the app wants.
        with contextlib.suppress(WorkerCancelled):
            await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def open_first_result(pilot: Pilot[object], query: str = "kataib") -> Any:
    """Search ``query`` in the reader and open the first result (the article has focus);
    the main screen."""
    from briefreader.tui.screens.main import MainScreen

    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, MainScreen)
    screen.search_bar.input.value = query
    await settle(pilot)
    await pilot.press("escape", "enter")
    await settle(pilot)
    return screen


def screen_text(app: App[object]) -> str:
    """The plain text of the whole screen as the terminal would show it."""
    width, height = app.size
    console = Console(
        width=width, height=height, file=io.StringIO(), force_terminal=True, record=True
    )
    console.print(app.screen._compositor.render_update(full=True))
    return console.export_text()


def notifications(app: App[object]) -> list[str]:
    """The messages of the notifications (toasts) the app has raised and still shows."""
    return [str(notification.message) for notification in app._notifications]


def indexed_workspace(root: Path, files: dict[str, str | bytes]) -> Path:
    """A workspace in ``root`` with these article files, indexed without entity enrichment
    and with no user config file in the way."""
    from briefreader.search.index.indexer import update_index
    from briefreader.workspace import Workspace

    old = os.environ.get("BRIEFREADER_CONFIG")
    os.environ["BRIEFREADER_CONFIG"] = ""
    try:
        (root / "articles").mkdir(parents=True, exist_ok=True)
        (root / "index").mkdir(exist_ok=True)
        for name, content in files.items():
            data = content if isinstance(content, bytes) else content.encode("utf-8")
            (root / "articles" / name).write_bytes(data)
        update_index(Workspace(root), enricher=lambda articles, progress: {})
    finally:
        if old is None:
            os.environ.pop("BRIEFREADER_CONFIG", None)
        else:
            os.environ["BRIEFREADER_CONFIG"] = old
    return root
