"""A screen whose periodic checks pause while a dialog covers it.

Under a modal screen (note editor, notes list, palette, help) every update of the screen
beneath repaints the whole terminal: the index watch and the notes poll cost ~19 KB each
over SSH while the reader sat idle. Nothing they find is visible until the dialog closes.
"""

from __future__ import annotations

from collections.abc import Callable

from textual.screen import Screen
from textual.timer import Timer


class PollingScreen(Screen[None]):
    """``poll_every`` starts a check that runs only while this screen is on top."""

    _polls: list[Timer]

    def poll_every(self, seconds: float, check: Callable[[], object]) -> None:
        """Run ``check`` every ``seconds`` while the screen is showing."""
        if not hasattr(self, "_polls"):
            self._polls = []
        self._polls.append(self.set_interval(seconds, check))

    def on_screen_suspend(self) -> None:
        """A dialog (or another screen) covers this one: stop checking."""
        for timer in getattr(self, "_polls", []):
            timer.pause()

    def on_screen_resume(self) -> None:
        """On top again: check again."""
        for timer in getattr(self, "_polls", []):
            timer.resume()
