"""The find bar under the article: type to mark every match, Enter to go, Esc to stop."""

from __future__ import annotations

from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import Input

from briefreader.tui.find import MAX_FIND_CHARS


class FindBar(Input):
    """A one-line box under the article (hidden until ctrl+f)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Stop finding", id="find.close"),
    ]

    class Closed(Message):
        """Esc in the find bar: stop finding (the search hits are marked again)."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(
            placeholder="Find in this article (Enter: go, then n/N; Esc: stop)",
            id=id,
            max_length=MAX_FIND_CHARS,
        )

    def action_close(self) -> None:
        """Stop finding."""
        self.post_message(self.Closed())
