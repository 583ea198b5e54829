"""The search bar: the query input and a status line (count, error, suggestion)."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.widgets import Input, Static

from briefreader.search.query import MAX_QUERY_CHARS


class SearchInput(Input):
    """The query box; ↓ or Esc moves to the results."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("down", "screen.focus_results", "To results", show=False, id="search.results"),
        Binding("escape", "screen.focus_results", "Leave search", id="search.leave"),
    ]


class SearchBar(Horizontal):
    """Query input with the hit count or the problem with the query beside it."""

    def compose(self) -> ComposeResult:
        yield SearchInput(
            placeholder='Search: words, "phrases", title:…, date:2024 (empty = library)',
            id="query",
            select_on_focus=False,
            max_length=MAX_QUERY_CHARS,  # a pasted article stops here, cheaply, key by key
        )
        yield Static(Text("Opening the index…"), id="search-status")

    @property
    def input(self) -> SearchInput:
        """The query input."""
        return self.query_one(SearchInput)

    def set_status(self, message: str, *, problem: bool = False) -> None:
        """Show a plain-text status (never parsed as markup)."""
        status = self.query_one("#search-status", Static)
        status.update(Text(message))
        status.set_class(problem, "-problem")
