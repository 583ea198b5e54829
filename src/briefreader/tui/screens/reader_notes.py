"""The notes part of the main screen: take, show and find notes.

The note store is opened in a worker, every store call runs in a thread worker (a locked
database can make a write wait for seconds) and answers with a message; the handlers here
update the article's marks and the *Notes* tab. The screen polls :meth:`NotesPart.poll`
every ``POLL_SECONDS`` so that notes saved by another reader on the same workspace appear.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from enum import Enum

from textual import work
from textual.message import Message
from textual.worker import get_current_worker

from briefreader.models import Article, SearchResult
from briefreader.notes import Anchor, Note, NotesError, NoteStore, add_note, notes_for_article
from briefreader.tui.history import Location
from briefreader.tui.messages import OpenRequest
from briefreader.tui.notes_bridge import note_clip, note_query, notes_result
from briefreader.tui.screens.note_editor import NoteEditor, run_external_editor
from briefreader.tui.screens.reader_parts import ArticleShown, LibraryOpened, OpenWanted, Part
from briefreader.tui.widgets.article_view import ArticleView
from briefreader.tui.widgets.notes_tab import NoteAction, NoteList

POLL_SECONDS = 2.0


_NOT_FOUND = {
    "orphaned": "This note's text is no longer in the article (orphaned)",
    "review": "This note's text changed (a number, a name or a rival place): flagged for "
    "review, not moved; check it and save it again",
}


class NoteChange(Enum):
    """A change written to the store in a worker (and what to say when it is done)."""

    DELETE = "Note deleted · u (in the Notes tab) brings it back"
    RESTORE = "Note restored"
    EDIT = "Note saved"


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
    """A delete, restore or edit finished (``error``: why it did not)."""

    change: NoteChange
    note: Note | None
    error: str = ""


class NotesPart(Part):
    """Notes on the main screen: editor, marks, the *Notes* tab, the notes screen, refresh."""

    notes_store: NoteStore | None = None
    _notes_version: int | None = None
    _pending_note: str | None = None

    @property
    def view(self) -> ArticleView:
        return self.screen.query_one(ArticleView)

    @property
    def note_list(self) -> NoteList:
        return self.screen.query_one(NoteList)

    def start(self) -> None:
        """Open the store in a worker."""
        self._deleted: list[str] = []
        self.open_notes_worker()

    @work(thread=True, exclusive=True, group="notes-open")
    def open_notes_worker(self) -> None:
        """Open (or create) ``notes.db``; a locked file can take a while."""
        try:
            self.post_message(NotesReady(NoteStore(self.session.workspace.notes_db)))
        except NotesError as error:
            self.post_message(NotesReady(None, str(error)))

    def on_notes_ready(self, message: NotesReady) -> None:
        """Notes can be taken now (or say why not)."""
        self.notes_store = message.store
        if message.error:
            self.notify(f"Notes unavailable: {message.error}", severity="error", markup=False)
        self.load_notes()

    def on_unmount(self) -> None:
        """Close the store (on the way out)."""
        if self.notes_store is not None:
            self.notes_store.close()
            self.notes_store = None

    # ------------------------------------------------------------------ marks and the tab

    def on_article_shown(self, _message: ArticleShown) -> None:
        """A new article is on screen: mark its notes."""
        self.load_notes()

    def on_library_opened(self, message: LibraryOpened) -> None:
        """The index was re-opened: the articles may have changed, find the notes again."""
        if not message.first:
            self.load_notes(reanchor=True)

    def load_notes(self, reanchor: bool = False) -> None:
        """Resolve the open article's notes in a worker (``reanchor`` after re-indexing)."""
        article = self.view.article
        if self.notes_store is not None and article is not None:
            self.notes_worker(self.notes_store, article, reanchor)

    @work(thread=True, exclusive=True, group="notes-resolve")
    def notes_worker(self, store: NoteStore, article: Article, reanchor: bool) -> None:
        """Find each note of the article in its text; save new anchors after a re-index."""
        library = self.session.library
        try:
            if reanchor and library is not None:
                from briefreader.notes import reanchor_all

                with suppress(KeyError):  # the article left the index: nothing to move
                    reanchor_all(store, [library.article(article.id)])
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
        self.note_list.show_notes(message.notes)
        if self._pending_note is not None:
            note_id, self._pending_note = self._pending_note, None
            self.jump_to_note(note_id, remember=False)

    def jump_to_note(self, note_id: str, *, remember: bool = True) -> None:
        """Put the cursor on a note's text in the open article."""
        view = self.view
        found = [(note, anchor) for note, anchor in view.notes if note.id == note_id]
        article = view.article
        if not found or article is None:
            return
        anchor = found[0][1]
        self.note_list.select_note(note_id)
        if not anchor.found:
            self.notify(_NOT_FOUND.get(anchor.status, _NOT_FOUND["orphaned"]), markup=False)
            return
        if remember and self.session.article_id is not None:
            self.session.history.push(Location(self.session.article_id, view.cursor))
        starts = [i for i, p in enumerate(article.passages) if p.end > anchor.start]
        view.move_cursor(starts[0] if starts else 0, top=True)
        view.focus()

    # ------------------------------------------------------------------ refresh

    def poll(self) -> None:
        """Check whether another reader saved notes (the screen calls this periodically)."""
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
        store = self.notes_store
        if store is None:
            return
        text = run_external_editor(self.app, note.body)
        if text is not None and text != note.body:
            self.write_worker(NoteChange.EDIT, lambda: store.update(note.id, body=text))

    @work(thread=True, group="notes-write")
    def write_worker(self, change: NoteChange, write: Callable[[], Note | None]) -> None:
        """Write one change to the store off the UI thread."""
        try:
            self.post_message(NoteWritten(change, write()))
        except NotesError as error:
            self.post_message(NoteWritten(change, None, str(error)))

    def on_note_written(self, message: NoteWritten) -> None:
        """Say what happened and refresh the marks."""
        if message.error:
            self.notify(f"Note not changed: {message.error}", severity="error", markup=False)
            return
        if message.change is NoteChange.DELETE and message.note is not None:
            self._deleted.append(message.note.id)
        self.notify(message.change.value)
        self.load_notes()

    def on_note_list_action(self, message: NoteList.Action) -> None:
        """A key on a note in the *Notes* tab."""
        action, note, store = message.action, message.note, self.notes_store
        if store is None:
            return
        if action is NoteAction.UNDO:
            self._undo_delete(store)
        elif note is None:
            return
        elif action is NoteAction.JUMP:
            self.jump_to_note(note.id)
        elif action is NoteAction.EDIT:
            self.edit_note(note)
        elif action is NoteAction.EXTERNAL:
            self.edit_note_externally(note)
        elif action is NoteAction.DELETE:
            self.write_worker(NoteChange.DELETE, lambda: store.delete(note.id))
        elif action is NoteAction.COPY:
            self._copy_note(note)

    def _undo_delete(self, store: NoteStore) -> None:
        if not self._deleted:
            self.notify("No deleted note to bring back")
            return
        note_id = self._deleted.pop()
        self.write_worker(NoteChange.RESTORE, lambda: store.undelete(note_id))

    def _copy_note(self, note: Note) -> None:
        article = self.view.article
        found = [anchor for n, anchor in self.view.notes if n.id == note.id]
        if article is not None and found:
            self.app.copy_to_clipboard(note_clip(note, article, found[0]))
            self.notify("Note copied with its citation")

    # ------------------------------------------------------------------ finding notes

    def show_all(self) -> None:
        """Every note of the workspace: filter, then Enter opens the article at the note."""
        from briefreader.tui.screens.notes import NotesScreen

        if self.notes_store is None:
            self.notify("Notes are not available (yet)", severity="warning")
            return
        self.app.push_screen(NotesScreen(self.notes_store, self._title_of), self.open_note)

    def _title_of(self, article_id: str) -> str:
        library = self.session.library
        summary = library.summary(article_id) if library is not None else None
        return (summary.title or article_id) if summary is not None else article_id

    def open_note(self, note: Note | None) -> None:
        """Open a note's article at the note (a jump: backspace comes back)."""
        if note is None:
            return
        if self.view.article is not None and self.view.article.id == note.article_id:
            self.jump_to_note(note.id)
            return
        self._pending_note = note.id
        self.post_message(OpenWanted(OpenRequest(note.article_id, passage_id=note.passage_id)))

    def note_search(self, query: str) -> SearchResult:
        """A ``note:`` query (in a search worker): matching notes as results.

        Raises:
            NotesError: when the store is not open or cannot be read.
        """
        store, library = self.notes_store, self.session.library
        if store is None:
            raise NotesError("notes are not available (yet)")
        words = note_query(query) or ""
        notes = store.search(words) if words else store.list()

        def titles(article_id: str) -> tuple[str, str, str | None]:
            summary = library.summary(article_id)
            if summary is None:
                return article_id, "", None
            return summary.title or article_id, summary.source, summary.date

        return notes_result(query, notes, titles)
