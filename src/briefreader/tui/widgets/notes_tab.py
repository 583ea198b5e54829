"""The side panel's *Notes* tab: this article's notes (quote, text, tags, status).

Enter jumps to the note's text, ``e`` edits it, ``E`` edits it in ``$EDITOR``, ``d`` deletes
it (soft) and ``u`` brings the last deleted note back, ``y`` copies it with its citation.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from briefreader.notes import ORPHANED, REVIEW, Anchor, Note
from briefreader.tui.notes_bridge import excerpt, quoted, tag_line

QUOTE_CHARS = 120
BODY_CHARS = 200


_STATUS_LABELS = {
    ORPHANED: "orphaned: text gone",
    REVIEW: "review: the text changed here (a number, a name or a rival place); not moved",
}


class NoteAction(Enum):
    """What a key in the *Notes* tab asks for (the values are the bindings' parameters)."""

    JUMP = "jump"
    EDIT = "edit"
    EXTERNAL = "external"
    DELETE = "delete"
    UNDO = "undo"
    COPY = "copy"


class NoteList(OptionList):
    """The notes of the article shown; the keys act on the highlighted note."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "note-list--quote",
        "note-list--tags",
        "note-list--status",
        "note-list--muted",
    }

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "cursor_down", "Down", show=False, id="notes-tab.down"),
        Binding("k", "cursor_up", "Up", show=False, id="notes-tab.up"),
        Binding("enter", "select", "Go to note", id="notes-tab.jump"),
        Binding("e", "act('edit')", "Edit", id="notes-tab.edit"),
        Binding("E", "act('external')", "Edit in $EDITOR", show=False, id="notes-tab.editor"),
        Binding("d", "act('delete')", "Delete", id="notes-tab.delete"),
        Binding("u", "act('undo')", "Undo delete", id="notes-tab.undo"),
        Binding("y", "act('copy')", "Copy", show=False, id="notes-tab.copy"),
    ]

    @dataclass
    class Action(Message):
        """A key on a note (``note`` None only for :attr:`NoteAction.UNDO`)."""

        action: NoteAction
        note: Note | None

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.notes: list[tuple[Note, Anchor]] = []

    def on_mount(self) -> None:
        """Start empty, saying how to take a note."""
        self.show_notes([])

    def _rich(self, name: str) -> Style:
        return self.get_component_rich_style(name, partial=True)

    def show_notes(self, notes: list[tuple[Note, Anchor]]) -> None:
        """List the notes in text order (orphans last), keeping the highlight if possible."""
        kept = self.highlighted_note
        self.notes = notes
        self.clear_options()
        if not notes:
            hint = "No notes on this article. In the article: a notes the paragraph, v selects."
            self.add_option(Option(Text(hint, style=self._rich("note-list--muted")), disabled=True))
            return
        options: list[Option | None] = []
        for index, (note, anchor) in enumerate(notes):
            if index:
                options.append(None)
            options.append(Option(self._prompt(note, anchor), id=f"note{index}"))
        self.add_options(options)
        ids = [note.id for note, _ in notes]
        position = ids.index(kept.id) if kept is not None and kept.id in ids else 0
        self.highlighted = self.get_option_index(f"note{position}")

    def _prompt(self, note: Note, anchor: Anchor) -> Text:
        quote = quoted(note.selector.exact, QUOTE_CHARS)
        text = Text(quote, style=self._rich("note-list--quote"))
        text.append("\n" + (excerpt(note.body, BODY_CHARS) if note.body.strip() else "(highlight)"))
        if note.tags:
            text.append("\n")
            text.append(tag_line(note), style=self._rich("note-list--tags"))
        if anchor.status != "anchored":
            label = _STATUS_LABELS.get(anchor.status, "fuzzy: text changed")
            text.append("\n" + label, style=self._rich("note-list--status"))
        return text

    @property
    def highlighted_note(self) -> Note | None:
        """The note under the list cursor."""
        if self.highlighted is None or not self.notes:
            return None
        option = self.get_option_at_index(self.highlighted)
        if option.id is None or not option.id.startswith("note"):
            return None
        return self.notes[int(option.id[4:])][0]

    def select_note(self, note_id: str) -> None:
        """Put the list cursor on a note."""
        ids = [note.id for note, _ in self.notes]
        if note_id in ids:
            self.highlighted = self.get_option_index(f"note{ids.index(note_id)}")

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        """Enter: jump to the note's text."""
        event.stop()
        self.action_act("jump")

    def action_act(self, action: str) -> None:
        """Tell the screen what to do with the highlighted note (``action``: a
        :class:`NoteAction` value, as the bindings spell it)."""
        kind = NoteAction(action)
        note = self.highlighted_note
        if note is None and kind is not NoteAction.UNDO:
            self.notify("No note here")
            return
        self.post_message(self.Action(kind, note))
