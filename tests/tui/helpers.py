"""Helpers for driving the reader in tests (imported as ``tests.tui.helpers``)."""

from __future__ import annotations

import contextlib
import io

from rich.console import Console
from textual.app import App
from textual.pilot import Pilot
from textual.worker import WorkerCancelled


async def settle(pilot: Pilot[object], rounds: int = 3) -> None:
    """Let workers finish and their messages be handled (workers start more workers)."""
    for _ in range(rounds):
        await pilot.pause()
        # A cancelled exclusive worker was replaced by a newer one: that is what the app wants.
        with contextlib.suppress(WorkerCancelled):
            await pilot.app.workers.wait_for_complete()
    await pilot.pause()


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
