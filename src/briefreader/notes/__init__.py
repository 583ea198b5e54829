"""Notes: a SQLite store, anchoring of notes to text, export and import. No Textual here."""

from briefreader.notes.anchor import (
    Anchor,
    ReanchorReport,
    add_note,
    make_selector,
    notes_for_article,
    passages_covering,
    reanchor,
    reanchor_all,
    resolve,
    selector_for_passage,
)
from briefreader.notes.export import ImportReport, export_notes, import_notes, parse_export
from briefreader.notes.model import (
    ANCHORED,
    FUZZY,
    ORPHANED,
    REVIEW,
    Note,
    NoteNotFound,
    NotesError,
    TextSelector,
    display_note,
    parse_tags,
)
from briefreader.notes.store import NoteStore

__all__ = [
    "ANCHORED",
    "FUZZY",
    "ORPHANED",
    "REVIEW",
    "Anchor",
    "ImportReport",
    "Note",
    "NoteNotFound",
    "NoteStore",
    "NotesError",
    "ReanchorReport",
    "TextSelector",
    "add_note",
    "display_note",
    "export_notes",
    "import_notes",
    "make_selector",
    "notes_for_article",
    "parse_export",
    "parse_tags",
    "passages_covering",
    "reanchor",
    "reanchor_all",
    "resolve",
    "selector_for_passage",
]
