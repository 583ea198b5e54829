"""Notes in the reader: the part of the main screen that takes, shows and finds notes.

:class:`MainScreen` extends this base. The note store is opened in a worker, every store call
runs in a thread worker (a locked database can make a write wait for seconds) and answers with
a message; the handlers here update the article marks and the *Notes* tab. A 2 s timer polls
``data_version`` so that notes saved by another reader on the same workspace appear.
"""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from textual import work
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.worker import get_current_worker

from briefreader.models import Article, SearchResult
from briefreader.notes import Anchor, Note, NotesError, NoteStore, add_note, notes_for_article
from briefreader.tui.messages import OpenRequest
from briefreader.tui.notes_bridge import note_clip, note_query, notes_result
from briefreader.tui.screens.note_editor import NoteEditor, run_external_editor
from briefreader.tui.screens.polling import PollingScreen
from briefreader.tui.widgets.article_view import ArticleView
from briefreader.tui.widgets.notes_tab import NoteList

if TYPE_CHECKING:
    from briefreader.tui.history import History, Location
    from briefreader.tui.widgets.side_panel import SidePanel
    from briefreader.workspace import Workspace

POLL_SECONDS = 2.0


_NOT_FOUND = {
    "orphaned": "This note's text is no longer in the article (orphaned)",
    "review": "This note's text changed (a number, a name or a rival place): flagged for "
    "review, not moved; check it and save it again",
}


@dataclass
class NotesReady(Message):
    """The note store is open (``store`` None and ``error`` set if it could not be)."""

    store: NoteStore | None
    error: str = ""


@dataclass
class NotesResolved(Message):
    """An article's notes with where they are now in its text."""

    article_id: str
    notes: list[tuple[Note, Anchor]] = field(default_factory=list)
    error: str = ""


@dataclass
class NotesPolled(Message):
    """The store's ``data_version`` (it changes when another process saved)."""

    version: int


@dataclass
class NoteWritten(Message):
    """A delete, undelete or edit finished (``error``: why it did not)."""

    action: str
    note: Note | None
    error: str = ""


class ReaderNotes(PollingScreen):
    """Notes on the main screen: editor, marks, the *Notes* tab, the notes screen, refresh."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+n", "notes", "Notes", id="reader.notes"),
    ]

    if TYPE_CHECKING:
        workspace: Workspace
        library: Any
        history: History

        @property
        def view(self) -> ArticleView: ...
        @property
        def side(self) -> SidePanel: ...
        @property
        def location(self) -> Location | None: ...
        def open_article(self, request: OpenRequest, *, jump: bool = True) -> None: ...

    notes_store: NoteStore | None = None
    _notes_version: int | None = None
    _pending_note: str | None = None

    def start_notes(self) -> None:
        """Open the store in a worker and start polling for other readers' notes."""
        self._deleted: list[str] = []
        self.open_notes_worker()
        self.poll_every(POLL_SECONDS, self._poll_notes)

    @work(thread=True, exclusive=True, group="notes-open")
    def open_notes_worker(self) -> None:
        """Open (or create) ``notes.db``; a locked file can take a while."""
        try:
            self.post_message(NotesReady(NoteStore(self.workspace.notes_db)))
        except NotesError as error:
            self.post_message(NotesReady(None, str(error)))

    def on_notes_ready(self, message: NotesReady) -> None:
        """Notes can be taken now (or say why not)."""
        self.notes_store = message.store
        if message.error:
            self.notify(f"Notes unavailable: {message.error}", severity="error", markup=False)
        self.load_notes()

    def close_notes(self) -> None:
        """Close the store (on the way out)."""
        if self.notes_store is not None:
            self.notes_store.close()
            self.notes_store = None

    # ------------------------------------------------------------------ marks and the tab

    def load_notes(self, reanchor: bool = False) -> None:
        """Resolve the open article's notes in a worker (``reanchor`` after re-indexing)."""
        article = self.view.article
        if self.notes_store is not None and article is not None:
            self.notes_worker(self.notes_store, article, reanchor)

    @work(thread=True, exclusive=True, group="notes-resolve")
    def notes_worker(self, store: NoteStore, article: Article, reanchor: bool) -> None:
        """Find each note of the article in its text; save new anchors after a re-index."""
        try:
            if reanchor and self.library is not None:
                from briefreader.notes import reanchor_all

                with suppress(KeyError):  # the article left the index: nothing to move
                    reanchor_all(store, [self.library.article(article.id)])
            message = NotesResolved(article.id, notes_for_article(store, article))
        except NotesError as error:
            message = NotesResolved(article.id, error=str(error))
        if not get_current_worker().is_cancelled:
            self.post_message(message)

    def on_notes_resolved(self, message: NotesResolved) -> None:
        """Mark the notes in the article and list them in the *Notes* tab."""
        article = self.view.article
        if article is None or article.id != message.article_id:
            return
        if message.error:
            self.notify(f"Notes: {message.error}", severity="error", markup=False)
            return
        self.view.set_notes(message.notes)
        self.side.note_list.show_notes(message.notes)
        if self._pending_note is not None:
            note_id, self._pending_note = self._pending_note, None
            self.jump_to_note(note_id, remember=False)

    def jump_to_note(self, note_id: str, *, remember: bool = True) -> None:
        """Put the cursor on a note's text in the open article."""
        found = [(note, anchor) for note, anchor in self.view.notes if note.id == note_id]
        article = self.view.article
        if not found or article is None:
            return
        anchor = found[0][1]
        self.side.note_list.select_note(note_id)
        if not anchor.found:
            self.notify(_NOT_FOUND.get(anchor.status, _NOT_FOUND["orphaned"]), markup=False)
            return
        if remember:
            self.history.push(self.location)
        starts = [i for i, p in enumerate(article.passages) if p.end > anchor.start]
        self.view.move_cursor(starts[0] if starts else 0, top=True)
        self.view.focus()

    # ------------------------------------------------------------------ refresh

    def _poll_notes(self) -> None:
        if self.notes_store is not None:
            self.poll_worker(self.notes_store)

    @work(thread=True, exclusive=True, group="notes-poll")
    def poll_worker(self, store: NoteStore) -> None:
        """Read ``data_version`` (cheap) off the UI thread."""
        with suppress(NotesError):  # a busy store: the next poll tries again
            self.post_message(NotesPolled(store.data_version()))

    def on_notes_polled(self, message: NotesPolled) -> None:
        """Another reader saved: show its notes."""
        changed = self._notes_version is not None and message.version != self._notes_version
        self._notes_version = message.version
        if changed:
            self.load_notes()

    # ------------------------------------------------------------------ writing notes

    def on_article_view_note_wanted(self, message: ArticleView.NoteWanted) -> None:
        """``a``: open the editor on the paragraph or the selection."""
        store = self.notes_store
        if store is None:
            self.notify("Notes are not available (yet)", severity="warning")
            return
        article, start, end = message.article, message.start, message.end

        def save(body: str) -> Note:
            return add_note(store, article, start, end, body=body)

        self.app.push_screen(NoteEditor(article.text[start:end], save), self._note_saved)

    def edit_note(self, note: Note) -> None:
        """``e``: edit a note's text in the editor."""
        store = self.notes_store
        if store is None:
            return

        def save(body: str) -> Note:
            return store.update(note.id, body=body)

        editor = NoteEditor(note.selector.exact, save, body=note.body)
        self.app.push_screen(editor, self._note_saved)

    def _note_saved(self, note: Note | None) -> None:
        if note is not None:
            self.notify("Note saved" + (" (highlight)" if not note.body else ""))
            self.load_notes()

    def on_article_view_note_edit_wanted(self, message: ArticleView.NoteEditWanted) -> None:
        """``E`` on a noted paragraph: edit the note in ``$EDITOR``."""
        self.edit_note_externally(message.note)

    def edit_note_externally(self, note: Note) -> None:
        """Hand the note's text to the user's editor, then save what comes back."""
        if self.notes_store is None:
            return
        text = run_external_editor(self.app, note.body)
        if text is not None and text != note.body:
            self.write_worker(self.notes_store, "edit", note.id, text)

    @work(thread=True, group="notes-write")
    def write_worker(self, store: NoteStore, action: str, note_id: str, body: str = "") -> None:
        """Delete, undelete or change a note off the UI thread."""
        try:
            if action == "delete":
                result = store.delete(note_id)
            elif action == "undo":
                result = store.undelete(note_id)
            else:
                result = store.update(note_id, body=body)
            self.post_message(NoteWritten(action, result))
        except NotesError as error:
            self.post_message(NoteWritten(action, None, str(error)))

    def on_note_written(self, message: NoteWritten) -> None:
        """Say what happened and refresh the marks."""
        if message.error:
            self.notify(f"Note not changed: {message.error}", severity="error", markup=False)
            return
        if message.action == "delete" and message.note is not None:
            self._deleted.append(message.note.id)
            self.notify("Note deleted · u (in the Notes tab) brings it back")
        elif message.action == "undo":
            self.notify("Note restored")
        else:
            self.notify("Note saved")
        self.load_notes()

    def on_note_list_action(self, message: NoteList.Action) -> None:
        """A key on a note in the *Notes* tab."""
        note, store = message.note, self.notes_store
        if store is None:
            return
        if message.action == "undo":
            self._undo_delete(store)
        elif note is None:
            return
        elif message.action == "jump":
            self.jump_to_note(note.id)
        elif message.action == "edit":
            self.edit_note(note)
        elif message.action == "external":
            self.edit_note_externally(note)
        elif message.action == "delete":
            self.write_worker(store, "delete", note.id)
        elif message.action == "copy":
            self._copy_note(note)

    def _undo_delete(self, store: NoteStore) -> None:
        if not self._deleted:
            self.notify("No deleted note to bring back")
            return
        self.write_worker(store, "undo", self._deleted.pop())

    def _copy_note(self, note: Note) -> None:
        article = self.view.article
        found = [anchor for n, anchor in self.view.notes if n.id == note.id]
        if article is not None and found:
            self.app.copy_to_clipboard(note_clip(note, article, found[0]))
            self.notify("Note copied with its citation")

    # ------------------------------------------------------------------ finding notes

    def action_notes(self) -> None:
        """Every note of the workspace: filter, then Enter opens the article at the note."""
        from briefreader.tui.screens.notes import NotesScreen

        if self.notes_store is None:
            self.notify("Notes are not available (yet)", severity="warning")
            return
        self.app.push_screen(NotesScreen(self.notes_store, self._title_of), self.open_note)

    def _title_of(self, article_id: str) -> str:
        summary = self.library.summary(article_id) if self.library is not None else None
        return (summary.title or article_id) if summary is not None else article_id

    def open_note(self, note: Note | None) -> None:
        """Open a note's article at the note (a jump: backspace comes back)."""
        if note is None:
            return
        if self.view.article is not None and self.view.article.id == note.article_id:
            self.jump_to_note(note.id)
            return
        self._pending_note = note.id
        self.open_article(OpenRequest(note.article_id, passage_id=note.passage_id))
        self.view.focus()

    def note_search(self, query: str) -> SearchResult:
        """A ``note:`` query (in a search worker): matching notes as results.

        Raises:
            NotesError: when the store is not open or cannot be read.
        """
        store = self.notes_store
        if store is None:
            raise NotesError("notes are not available (yet)")
        words = note_query(query) or ""
        notes = store.search(words) if words else store.list()

        def titles(article_id: str) -> tuple[str, str, str | None]:
            summary = self.library.summary(article_id)
            if summary is None:
                return article_id, "", None
            return summary.title or article_id, summary.source, summary.date

        return notes_result(query, notes, titles)
