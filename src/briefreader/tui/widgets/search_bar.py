"""The search bar: the query input and a status line (count, error, suggestion)."""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.widgets import Input, Static

from briefreader.search.query import MAX_QUERY_CHARS


class SearchInput(Input):
    """The query box; ↓ or Esc moves to the results.

    Printable keys are gathered and inserted together once the keys already waiting are
    handled (or at once, before a bound key: ``insert_gathered``): a terminal without
    bracketed paste sends a paste as one key per character, and inserting them one by one (a
    new value, a redraw and a ``Changed`` each) froze the reader 2.3 s for 10 KB. Text
    beyond ``max_length`` is cut, not refused whole.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("down", "screen.focus_results", "To results", show=False, id="search.results"),
        Binding("escape", "screen.focus_results", "Leave search", id="search.leave"),
    ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._typed: list[str] = []

    async def _on_key(self, event: events.Key) -> None:
        if not event.is_printable or event.character is None:
            await super()._on_key(event)
            return
        event.stop()
        event.prevent_default()
        self.gather(event.character)

    def gather(self, character: str) -> None:
        """Take a typed character; it is inserted with the others that are waiting."""
        if not self._typed:
            self.call_later(self._insert_typed)  # runs after the keys queued before it
        self._typed.append(character)

    def insert_gathered(self) -> None:
        """Insert the characters waiting now (a bound key comes next and must find them)."""
        if self._typed:
            self._insert_typed()

    def _on_paste(self, event: events.Paste) -> None:
        event.stop()
        if event.text:
            self._insert_bounded(event.text.splitlines()[0])

    def _insert_typed(self) -> None:
        """Insert the keys gathered since the last insert, as one edit (none: nothing)."""
        if not self._typed:
            return  # inserted already, before a bound key
        text = "".join(self._typed)
        self._typed.clear()
        self._restart_blink()
        self._insert_bounded(text)

    def _insert_bounded(self, text: str) -> None:
        """Insert (or replace the selection with) as much of ``text`` as ``max_length``
        leaves room for; the bell rings when some was cut."""
        start, end = sorted(self.selection)
        room = len(text)
        if self.max_length:
            room = max(0, self.max_length - (len(self.value) - (end - start)))
        if room:
            self.replace(text[:room], start, end)
        if room < len(text):
            self.restricted()


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
