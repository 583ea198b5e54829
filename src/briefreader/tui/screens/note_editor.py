"""The note editor: the quoted passage above a TextArea; ctrl+s saves, Esc cancels.

Saving runs in a thread worker (a locked database can make a write wait); on failure the
editor stays open with the text as typed and the error in a notification, so nothing typed
is ever lost.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import App, ComposeResult, SuspendNotSupported
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Static, TextArea

from briefreader.notes import Note, NotesError
from briefreader.tui.notes_bridge import NoEditor, edit_in_editor, editor_command, excerpt
from briefreader.tui.screens.confirm import ConfirmScreen
from briefreader.tui.widgets.footer import ReaderFooter

QUOTE_CHARS = 400


class NoteEditor(ModalScreen[Note | None]):
    """Write or edit a note's text (``#tags`` are tags; empty text is a highlight)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Save", priority=True, id="note-editor.save"),
        Binding("escape", "cancel", "Cancel", priority=True, id="note-editor.cancel"),
        Binding("ctrl+g", "external", "$EDITOR", priority=True, id="note-editor.external"),
    ]

    @dataclass
    class Saved(Message):
        """The save worker stored the note."""

        note: Note

    @dataclass
    class SaveFailed(Message):
        """The save worker could not store the note (one-line reason)."""

        reason: str

    def __init__(self, quote: str, save: Callable[[str], Note], body: str = "") -> None:
        super().__init__()
        self.quote = quote
        self.save = save
        self.original = body
        self.saving = False

    def compose(self) -> ComposeResult:
        with Vertical(id="note-editor-dialog"):
            yield Static(Text("Note on:", style="bold"), id="note-editor-title")
            yield Static(Text(excerpt(self.quote, QUOTE_CHARS)), id="note-editor-quote")
            yield TextArea(self.original, id="note-editor-text", soft_wrap=True)
            hint = "ctrl+s save · Esc cancel · ctrl+g $EDITOR · #tags are tags · empty = highlight"
            yield Static(Text(hint), id="note-editor-keys")
        # Its own footer over the reader's: the keys of this dialog, and ctrl+q / F1 to quit
        # and for help while the cursor is in its text box (q and ? are typed there).
        yield ReaderFooter()

    def on_mount(self) -> None:
        """Type at once."""
        area = self.text_area
        area.focus()
        area.move_cursor(area.document.end)

    @property
    def text_area(self) -> TextArea:
        """The note's text."""
        return self.query_one(TextArea)

    @property
    def changed(self) -> bool:
        """Has the text been changed since the editor opened?"""
        return self.text_area.text != self.original

    def action_save(self) -> None:
        """Store the note in a worker (the editor closes only once it is stored)."""
        if not self.saving:
            self.saving = True
            self.save_worker(self.text_area.text.strip())

    @work(thread=True, exclusive=True, group="note-save")
    def save_worker(self, body: str) -> None:
        """Call the store off the UI thread; report back with a message."""
        try:
            self.post_message(self.Saved(self.save(body)))
        except NotesError as error:
            self.post_message(self.SaveFailed(str(error)))

    def on_note_editor_saved(self, message: Saved) -> None:
        """Stored: close with the note."""
        self.dismiss(message.note)

    def on_note_editor_save_failed(self, message: SaveFailed) -> None:
        """Not stored: keep the editor and the text, say why."""
        self.saving = False
        self.notify(f"Note not saved: {message.reason}", severity="error", markup=False, timeout=8)

    def action_cancel(self) -> None:
        """Close without saving (asking first when text was typed)."""
        if not self.changed:
            self.dismiss(None)
            return

        def answered(discard: bool | None) -> None:
            if discard:
                self.dismiss(None)

        self.app.push_screen(ConfirmScreen("Discard the text you typed?"), answered)

    def action_external(self) -> None:
        """Continue the note in ``$VISUAL``/``$EDITOR`` (the app suspends meanwhile)."""
        text = run_external_editor(self.app, self.text_area.text)
        if text is not None:
            self.text_area.text = text


def run_external_editor(app: App[object], text: str) -> str | None:
    """Edit ``text`` in the user's editor with the app suspended; None (and a message) if not."""
    try:
        command = editor_command()
        with app.suspend():
            return edit_in_editor(text, command)
    except NoEditor as error:
        app.notify(str(error), severity="warning", markup=False)
    except SuspendNotSupported:
        app.notify("This terminal cannot hand over to an editor here", severity="warning")
    except OSError as error:
        app.notify(f"Editor failed: {error}", severity="error", markup=False)
    return None
