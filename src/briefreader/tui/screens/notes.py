"""Every note of the workspace, newest first; filter by words, ``#tag`` and ``article:ID``.

ctrl+o switches to the orphans and the notes to review (not on their words). Enter opens
the article at the note, through the reader's history (backspace comes back). Notes saved by
another process while the list is open appear within ``POLL_SECONDS`` (the highlight stays
on its note).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option
from textual.worker import get_current_worker

from briefreader.notes import ORPHANED, REVIEW, Note, NotesError, NoteStore
from briefreader.text.wording import counted
from briefreader.tui.notes_bridge import NoteFilter, excerpt, filter_notes, quoted, tag_line
from briefreader.tui.widgets.footer import ReaderFooter

LIMIT = 500
POLL_SECONDS = 2.0  # how often the open list looks for notes saved by another process


class NotesFilter(Input):
    """The filter box; ↓ goes to the list."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("down", "screen.focus_list", "To the list", show=False, id="notes.to-list"),
    ]


class AllNotesList(OptionList):
    """The notes found; Enter opens one."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "cursor_down", "Down", show=False, id="notes.down"),
        Binding("k", "cursor_up", "Up", show=False, id="notes.up"),
        Binding("enter", "select", "Open", id="notes.open"),
        Binding("slash", "screen.focus_filter", "Filter", id="notes.filter"),
        # The notes screen is modal: keys do not reach the app's bindings, help is asked here.
        Binding("question_mark,f1", "app.help", "Help", show=False, id="notes.help"),
    ]


class NotesScreen(ModalScreen[Note | None]):
    """Find a note anywhere in the workspace and open its article there."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close", id="notes.close"),
        Binding("ctrl+o", "toggle_orphans", "Orphans", id="notes.orphans"),
    ]

    @dataclass
    class Found(Message):
        """The list worker's answer for one filter."""

        key: tuple[str, bool]
        notes: list[Note]
        error: str = ""
        keep_place: bool = False  # a poll's refresh: the highlight stays on its note

    @dataclass
    class Polled(Message):
        """The store's ``data_version`` (it changes when another process saved)."""

        version: int

    def __init__(self, store: NoteStore, title_of: Callable[[str], str], query: str = "") -> None:
        super().__init__()
        self.store = store
        self.title_of = title_of
        self.initial = query
        self.orphans = False
        self.notes: list[Note] = []
        self._version: int | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="notes-dialog"):
            yield Static(Text("Notes", style="bold"), id="notes-title")
            yield NotesFilter(
                self.initial,
                placeholder="Filter: words, #tag, article:ID (empty = every note)",
                id="notes-filter",
            )
            yield AllNotesList(id="notes-list")
            yield Static(id="notes-status")
        # Its own footer over the reader's: the keys of this dialog, and ctrl+q / F1 to quit
        # and for help while the cursor is in its text box (q and ? are typed there).
        yield ReaderFooter()

    def on_mount(self) -> None:
        """List every note (or those matching the filter given)."""
        self.query_one(NotesFilter).focus()
        self.refresh_list()
        self.set_interval(POLL_SECONDS, self.poll_worker)

    @on(Input.Changed, "#notes-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.refresh_list()

    @on(Input.Submitted, "#notes-filter")
    def _filter_submitted(self, event: Input.Submitted) -> None:
        self._open(0)

    def refresh_list(self, keep_place: bool = False) -> None:
        """Ask the store again (in a worker) for the current filter."""
        self.list_worker(self.query_one(NotesFilter).value, self.orphans, keep_place)

    @work(thread=True, exclusive=True, group="notes-list")
    def list_worker(self, text: str, orphans: bool, keep_place: bool = False) -> None:
        """Read the matching notes off the UI thread; the latest filter wins."""
        wanted = NoteFilter.parse(text)
        try:
            tag = wanted.tags[0] if wanted.tags else None
            found = self.store.list(
                article_id=wanted.article_id,
                tag=tag,
                text=wanted.words or None,
                orphans=orphans,
                review=orphans,  # notes to review are not on their words either
            )
            notes = filter_notes(found, wanted)[:LIMIT]
            message = self.Found((text, orphans), notes, keep_place=keep_place)
        except NotesError as error:
            message = self.Found((text, orphans), [], str(error))
        if not get_current_worker().is_cancelled:
            self.post_message(message)

    @work(thread=True, exclusive=True, group="notes-poll")
    def poll_worker(self) -> None:
        """Read ``data_version`` (cheap) off the UI thread."""
        try:
            self.post_message(self.Polled(self.store.data_version()))
        except NotesError:
            return  # a busy store: the next poll tries again

    def on_notes_screen_polled(self, message: Polled) -> None:
        """Another process saved notes: list again."""
        changed = self._version is not None and message.version != self._version
        self._version = message.version
        if changed:
            self.refresh_list(keep_place=True)

    def on_notes_screen_found(self, message: Found) -> None:
        """Show the notes (unless the filter changed since); the highlight stays on its note."""
        if message.key != (self.query_one(NotesFilter).value, self.orphans):
            return
        listing = self.query_one(AllNotesList)
        before = listing.highlighted if message.keep_place else None
        kept = self.notes[before].id if before is not None and before < len(self.notes) else None
        self.notes = message.notes
        listing.clear_options()
        for index, note in enumerate(message.notes):
            listing.add_option(Option(self._prompt(note), id=f"n{index}"))
        if message.notes:
            ids = [note.id for note in message.notes]
            listing.highlighted = ids.index(kept) if kept in ids else 0
        self._set_status(message.error)

    def _set_status(self, error: str) -> None:
        count = len(self.notes)
        if self.orphans:
            found = counted(count, "note orphaned or to review", "notes orphaned or to review")
        else:
            found = counted(count, "note")
        status = error or f"{found}, newest first · Enter opens · ctrl+o orphans"
        self.query_one("#notes-status", Static).update(Text(status))

    def _prompt(self, note: Note) -> Text:
        text = Text(excerpt(self.title_of(note.article_id), 90), style="bold")
        text.append(f"  {note.created[:10]}", style="dim")
        text.append("\n" + quoted(note.selector.exact, 110), style="italic")
        body = excerpt(note.body, 160) if note.body.strip() else "(highlight)"
        text.append("\n" + body)
        if note.tags:
            text.append("\n" + tag_line(note), style="dim")
        if note.status == ORPHANED:
            text.append("\norphaned: the text is no longer in the article", style="italic")
        elif note.status == REVIEW:
            text.append("\nreview: the text changed; the note was not moved", style="italic")
        return text

    @on(OptionList.OptionSelected, "#notes-list")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self._open(event.option_index)

    def _open(self, index: int) -> None:
        if 0 <= index < len(self.notes):
            self.dismiss(self.notes[index])

    def action_toggle_orphans(self) -> None:
        """Show only the orphans, or every note again."""
        self.orphans = not self.orphans
        self.refresh_list()

    def action_focus_list(self) -> None:
        """Move to the list."""
        self.query_one(AllNotesList).focus()

    def action_focus_filter(self) -> None:
        """Move to the filter box."""
        self.query_one(NotesFilter).focus()

    def action_close(self) -> None:
        """Close without opening anything."""
        self.dismiss(None)
