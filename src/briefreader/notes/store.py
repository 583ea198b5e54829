"""The notes database: SQLite in the workspace (``notes.db``), safe for several processes.

Every write is one short ``BEGIN IMMEDIATE`` transaction, so two readers on one workspace
never lose each other's notes; a writer that finds the database locked waits (``busy_timeout``)
and then retries within a bound. WAL mode with ``synchronous=FULL`` means a process killed
mid-save loses at most the note being saved and never corrupts the file. SQLite errors a user
can act on (disk full, read-only file, not a database) become one-line ``NotesError``s; the
transaction is rolled back so the previous state stays intact.
"""

from __future__ import annotations

import builtins
import getpass
import json
import os
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote

from briefreader.notes.model import (
    ANCHORED,
    ORPHANED,
    REVIEW,
    STATUSES,
    Note,
    NoteNotFound,
    NotesError,
    TextSelector,
    normalize_tag,
    parse_tags,
)

T = TypeVar("T")


def _notes_table(name: str, statuses: tuple[str, ...]) -> str:
    """The ``CREATE TABLE`` of the notes table (migrations copy it to change a CHECK)."""
    allowed = ", ".join(f"'{status}'" for status in statuses)
    return f"""CREATE TABLE {name} (
            id TEXT PRIMARY KEY,
            article_id TEXT NOT NULL,
            passage_id TEXT NOT NULL,
            passage_ids TEXT NOT NULL DEFAULT '[]',
            exact TEXT NOT NULL,
            prefix TEXT NOT NULL DEFAULT '',
            suffix TEXT NOT NULL DEFAULT '',
            start INTEGER NOT NULL,
            "end" INTEGER NOT NULL,
            body TEXT NOT NULL DEFAULT '',
            extra_tags TEXT NOT NULL DEFAULT '[]',
            author TEXT NOT NULL DEFAULT '',
            created TEXT NOT NULL,
            updated TEXT NOT NULL,
            deleted_at TEXT,
            status TEXT NOT NULL DEFAULT 'anchored' CHECK (status IN ({allowed})),
            anchor_score REAL NOT NULL DEFAULT 1.0
        )"""


def _tags_table(name: str, notes: str) -> str:
    """The ``CREATE TABLE`` of the tag table, referring to the notes table ``notes``."""
    return f"""CREATE TABLE {name} (
            note_id TEXT NOT NULL REFERENCES {notes}(id) ON DELETE CASCADE,
            tag TEXT NOT NULL,
            PRIMARY KEY (note_id, tag)
        )"""


_INDEXES = (
    "CREATE INDEX notes_article ON notes(article_id)",
    "CREATE INDEX notes_created ON notes(created)",
    "CREATE INDEX note_tags_tag ON note_tags(tag)",
)

# Each migration is a tuple of statements; migration i brings the schema to version i + 1.
MIGRATIONS: list[tuple[str, ...]] = [
    (
        _notes_table("notes", ("anchored", "fuzzy", "orphaned")),
        _tags_table("note_tags", "notes"),
        *_INDEXES,
    ),
    # 2: the "review" status. A CHECK cannot be altered, so both tables are copied; the tag
    # table is dropped first, so that dropping the notes table cascades to nothing.
    (
        _notes_table("notes_v2", ("anchored", "fuzzy", "orphaned", "review")),
        "INSERT INTO notes_v2 SELECT * FROM notes",
        _tags_table("note_tags_v2", "notes_v2"),
        "INSERT INTO note_tags_v2 SELECT * FROM note_tags",
        "DROP TABLE note_tags",
        "DROP TABLE notes",
        "ALTER TABLE notes_v2 RENAME TO notes",
        "ALTER TABLE note_tags_v2 RENAME TO note_tags",
        *_INDEXES,
    ),
]
SCHEMA_VERSION = len(MIGRATIONS)

_COLUMNS = (
    'id, article_id, passage_id, passage_ids, exact, prefix, suffix, start, "end", body, '
    "extra_tags, author, created, updated, deleted_at, status, anchor_score"
)
_RETRYABLE = ("SQLITE_BUSY", "SQLITE_LOCKED")


def utc_now() -> str:
    """The current time as UTC ISO 8601 with milliseconds (``2025-07-29T10:00:00.000Z``)."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def current_author() -> str:
    """The note author: ``$USER`` (or the login name when unset)."""
    try:
        return os.environ.get("USER") or getpass.getuser()
    except (KeyError, OSError):
        return ""


class NoteStore:
    """Notes in one SQLite file. Thread-safe (one lock per store); open one per process.

    Args:
        path: the database file (``Workspace.notes_db``); created with its schema if missing.
        busy_timeout: seconds SQLite waits for another writer before a retry.
        write_deadline: seconds after which a write that still finds the file locked fails.
    """

    def __init__(
        self,
        path: Path | str,
        busy_timeout: float = 2.0,
        write_deadline: float = 30.0,
        *,
        read_only: bool = False,
    ) -> None:
        self.path = Path(path)
        self.write_deadline = write_deadline
        self._lock = threading.RLock()
        self._conn = (
            _connect_read_only(self.path) if read_only else _connect(self.path, busy_timeout)
        )
        if read_only:
            return  # no WAL switch, no migration: the columns read are the same in every schema
        try:
            self._retrying(self._configure)
            self._retrying(self._migrate)
        except BaseException:
            self._conn.close()
            raise

    @classmethod
    def for_reading(cls, path: Path | str) -> NoteStore:
        """A store for listing and exporting that works on a read-only or full disk: the
        usual store, else a read-only connection to the file as it is.

        Raises:
            NotesError: neither could be opened (the first error is reported).
        """
        try:
            return cls(path)
        except NotesError as error:
            if not Path(path).is_file() or "not a usable" in str(error) or "newer" in str(error):
                raise
            try:
                return cls(path, read_only=True)
            except NotesError:
                raise error from None

    # --- lifecycle -------------------------------------------------------------------------

    def close(self) -> None:
        """Close the connection (pending WAL content stays safe on disk)."""
        with self._lock:
            self._conn.close()

    def __enter__(self) -> NoteStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def schema_version(self) -> int:
        """The schema version of the open database (``PRAGMA user_version``)."""
        return int(self._read(lambda c: c.execute("PRAGMA user_version").fetchone()[0]))

    def data_version(self) -> int:
        """A number that changes when another process commits: poll it to know when to refresh."""
        return int(self._read(lambda c: c.execute("PRAGMA data_version").fetchone()[0]))

    def integrity_check(self) -> str:
        """Run ``PRAGMA integrity_check``; returns ``"ok"`` for a sound database."""
        rows = self._read(lambda c: c.execute("PRAGMA integrity_check").fetchall())
        return "; ".join(str(row[0]) for row in rows)

    # --- writes ----------------------------------------------------------------------------

    def add(
        self,
        article_id: str,
        passage_id: str,
        selector: TextSelector,
        body: str = "",
        tags: Iterable[str] = (),
        author: str | None = None,
        passage_ids: Iterable[str] = (),
    ) -> Note:
        """Save a new note and return it (committed when this returns).

        ``tags`` are explicit tags added to the ``#tags`` found in ``body``.
        """
        if selector.start < 0 or selector.end < selector.start:
            raise NotesError(f"invalid note range {selector.start}..{selector.end}")
        now = utc_now()
        note = Note(
            id=str(uuid.uuid4()),
            article_id=article_id,
            passage_id=passage_id,
            selector=selector,
            body=body,
            extra_tags=_normalize_tags(tags),
            author=current_author() if author is None else author,
            created=now,
            updated=now,
            passage_ids=tuple(passage_ids) or (passage_id,),
        )
        self._write(lambda c: _insert(c, note))
        return note

    def update(
        self, note_id: str, body: str | None = None, tags: Iterable[str] | None = None
    ) -> Note:
        """Change a note's text and/or its explicit tags; returns the updated note."""

        def change(conn: sqlite3.Connection) -> Note:
            note = _get(conn, note_id)
            new = replace(
                note,
                body=note.body if body is None else body,
                extra_tags=note.extra_tags if tags is None else _normalize_tags(tags),
                updated=utc_now(),
            )
            conn.execute(
                "UPDATE notes SET body = ?, extra_tags = ?, updated = ? WHERE id = ?",
                (new.body, json.dumps(list(new.extra_tags)), new.updated, new.id),
            )
            _write_tags(conn, new)
            return new

        return self._write(change)

    def delete(self, note_id: str) -> Note:
        """Soft-delete a note (``undelete`` brings it back); returns it."""
        return self._set_deleted(note_id, utc_now())

    def undelete(self, note_id: str) -> Note:
        """Undo a soft delete; returns the note."""
        return self._set_deleted(note_id, None)

    def set_anchor(
        self,
        note_id: str,
        selector: TextSelector,
        passage_ids: tuple[str, ...],
        status: str,
        score: float,
    ) -> Note:
        """Record where re-anchoring found a note (keeps ``updated``: not a user edit)."""
        if status not in STATUSES:
            raise NotesError(f"unknown note status {status!r}")

        def change(conn: sqlite3.Connection) -> Note:
            note = _get(conn, note_id)
            passage_id = passage_ids[0] if passage_ids else note.passage_id
            new = replace(
                note,
                selector=selector,
                passage_id=passage_id,
                passage_ids=passage_ids or note.passage_ids,
                status=status,
                anchor_score=score,
            )
            conn.execute(
                'UPDATE notes SET exact = ?, prefix = ?, suffix = ?, start = ?, "end" = ?, '
                "passage_id = ?, passage_ids = ?, status = ?, anchor_score = ? WHERE id = ?",
                (
                    *_selector_row(selector),
                    new.passage_id,
                    json.dumps(list(new.passage_ids)),
                    status,
                    score,
                    note_id,
                ),
            )
            return new

        return self._write(change)

    def import_note(self, note: Note) -> bool:
        """Insert a note as it is (id, times, author kept); False if it is a duplicate.

        A duplicate has the same id, or the same article, quote, range and body as a note
        already stored. Its explicit tags are normalised as typed ones are (no escapes).
        """
        note = replace(note, extra_tags=_normalize_tags(note.extra_tags))

        def insert(conn: sqlite3.Connection) -> bool:
            if _find_duplicate(conn, note):
                return False
            _insert(conn, note)
            return True

        return self._write(insert)

    # --- reads -----------------------------------------------------------------------------

    def get(self, note_id: str) -> Note | None:
        """The note with this id (deleted ones too), or None."""
        try:
            return self._read(lambda c: _get(c, note_id))
        except NoteNotFound:
            return None

    def resolve_id(self, prefix: str) -> str:
        """The full id of the one note whose id starts with ``prefix`` (as git does)."""
        pattern = _like_escape(prefix.strip()) + "%"
        rows = self._read(
            lambda c: c.execute(
                "SELECT id FROM notes WHERE id LIKE ? ESCAPE '\\' LIMIT 2", (pattern,)
            ).fetchall()
        )
        if not prefix.strip() or not rows:
            raise NotesError(f"no note with id {prefix!r}")
        if len(rows) > 1:
            raise NotesError(f"note id {prefix!r} is ambiguous; give more characters")
        return str(rows[0][0])

    def list(
        self,
        article_id: str | None = None,
        tag: str | None = None,
        text: str | None = None,
        orphans: bool = False,
        include_deleted: bool = False,
        review: bool = False,
    ) -> builtins.list[Note]:
        """Notes, newest first, filtered by article, tag, text (every word, any case), status."""
        where, params = ["1 = 1"], []
        if not include_deleted:
            where.append("deleted_at IS NULL")
        if article_id is not None:
            where.append("article_id = ?")
            params.append(article_id)
        if orphans or review:
            statuses = [ORPHANED] * orphans + [REVIEW] * review
            where.append(f"status IN ({', '.join('?' * len(statuses))})")
            params.extend(statuses)
        if tag is not None:
            where.append("id IN (SELECT note_id FROM note_tags WHERE tag = ?)")
            params.append(normalize_tag(tag))
        sql = f"SELECT {_COLUMNS} FROM notes WHERE {' AND '.join(where)}"
        sql += " ORDER BY created DESC, rowid DESC"
        rows = self._read(lambda c: c.execute(sql, params).fetchall())
        notes = [_note_from_row(row) for row in rows]
        return [n for n in notes if _matches_text(n, text)] if text else notes

    def tags_by_article(self) -> dict[str, set[str]]:
        """The tags of each article's live notes (for tag facets and ``tag:`` filters)."""
        sql = (
            "SELECT notes.article_id, note_tags.tag FROM note_tags "
            "JOIN notes ON notes.id = note_tags.note_id WHERE notes.deleted_at IS NULL"
        )
        rows = self._read(lambda c: c.execute(sql).fetchall())
        tags: dict[str, set[str]] = {}
        for article_id, tag in rows:
            tags.setdefault(article_id, set()).add(tag)
        return tags

    def search(self, text: str) -> builtins.list[Note]:
        """Live notes whose body, quote, tags or article id contain every word of ``text``."""
        return self.list(text=text)

    # --- plumbing --------------------------------------------------------------------------

    def _set_deleted(self, note_id: str, deleted_at: str | None) -> Note:
        def change(conn: sqlite3.Connection) -> Note:
            note = _get(conn, note_id)
            conn.execute("UPDATE notes SET deleted_at = ? WHERE id = ?", (deleted_at, note_id))
            return replace(note, deleted_at=deleted_at)

        return self._write(change)

    def _configure(self) -> None:
        with self._lock, _domain_errors(self.path):
            mode = self._conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise NotesError(f"cannot use WAL mode for {self.path} (got {mode})")
            self._conn.execute("PRAGMA synchronous = FULL")
            self._conn.execute("PRAGMA foreign_keys = ON")

    def _migrate(self) -> None:
        # Check before taking the write lock, so a read-only database can still be read.
        if self.schema_version() == SCHEMA_VERSION:
            return
        with self._transaction() as conn:
            migrate(conn)

    def _write(self, change: Callable[[sqlite3.Connection], T]) -> T:
        def attempt() -> T:
            with self._transaction() as conn:
                return change(conn)

        return self._retrying(attempt)

    def _read(self, query: Callable[[sqlite3.Connection], T]) -> T:
        def attempt() -> T:
            with self._lock, _domain_errors(self.path):
                return query(self._conn)

        return self._retrying(attempt)

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock, _domain_errors(self.path):
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
                self._conn.execute("COMMIT")
            except BaseException:
                if self._conn.in_transaction:
                    self._conn.execute("ROLLBACK")
                raise

    def _retrying(self, attempt: Callable[[], T]) -> T:
        deadline = time.monotonic() + self.write_deadline
        delay = 0.005
        while True:
            try:
                return attempt()
            except _Busy as busy:
                if time.monotonic() >= deadline:
                    raise NotesError(
                        f"notes database {self.path} is busy (another process keeps it "
                        "locked); try again"
                    ) from busy
                time.sleep(delay)
                delay = min(delay * 2, 0.2)


class _Busy(Exception):
    """SQLite reported the database locked: the write can be retried."""


def migrate(conn: sqlite3.Connection) -> int:
    """Bring the schema to ``SCHEMA_VERSION`` inside the caller's transaction; returns it."""
    version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    if version > SCHEMA_VERSION:
        raise NotesError(
            f"the notes database has schema version {version}, newer than this briefreader "
            f"knows ({SCHEMA_VERSION}); upgrade briefreader"
        )
    for number in range(version, SCHEMA_VERSION):
        for statement in MIGRATIONS[number]:
            conn.execute(statement)
        conn.execute(f"PRAGMA user_version = {number + 1}")
    return SCHEMA_VERSION


def _connect(path: Path, busy_timeout: float) -> sqlite3.Connection:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(
            path, timeout=busy_timeout, isolation_level=None, check_same_thread=False
        )
    except (OSError, sqlite3.Error) as error:
        raise NotesError(f"cannot open notes database {path}: {error}") from error
    conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
    return conn


def _connect_read_only(path: Path) -> sqlite3.Connection:
    """A read-only connection: ``mode=ro`` (sees a pending write-ahead log), else, when there
    is no log to miss, ``immutable`` (needs no -shm file, so a read-only folder is fine)."""
    uri = f"file:{quote(str(path.resolve()))}"
    attempts = [f"{uri}?mode=ro"]
    wal = path.with_name(path.name + "-wal")
    if not wal.exists() or wal.stat().st_size == 0:
        attempts.append(f"{uri}?mode=ro&immutable=1")
    error: Exception | None = None
    for target in attempts:
        try:
            conn = sqlite3.connect(target, uri=True, isolation_level=None, check_same_thread=False)
            conn.execute("SELECT count(*) FROM notes").fetchone()
            return conn
        except sqlite3.Error as failed:
            error = failed
    raise NotesError(f"cannot open notes database {path} even to read it: {error}")


@contextmanager
def _domain_errors(path: Path) -> Iterator[None]:
    """Turn SQLite errors into ``_Busy`` (retry) or a one-line ``NotesError``."""
    try:
        yield
    except sqlite3.Error as error:
        name = getattr(error, "sqlite_errorname", "") or ""
        if name.startswith(_RETRYABLE) or "locked" in str(error):
            raise _Busy(str(error)) from error
        raise NotesError(_explain(path, name, error)) from error


def _explain(path: Path, name: str, error: sqlite3.Error) -> str:
    if name.startswith("SQLITE_FULL"):
        return f"cannot save notes: the disk is full ({path} is unchanged)"
    if name.startswith("SQLITE_READONLY"):
        return f"cannot save notes: {path} is read-only"
    if name.startswith("SQLITE_CANTOPEN"):
        return f"cannot open notes database {path}"
    if name.startswith(("SQLITE_NOTADB", "SQLITE_CORRUPT")):
        return f"{path} is not a usable notes database ({error})"
    if name.startswith("SQLITE_IOERR"):
        return f"cannot read or write {path}: disk error ({error})"
    return f"notes database error in {path}: {error}"


def _insert(conn: sqlite3.Connection, note: Note) -> None:
    conn.execute(
        f"INSERT INTO notes ({_COLUMNS}) VALUES ({', '.join('?' * 17)})",
        (
            note.id,
            note.article_id,
            note.passage_id,
            json.dumps(list(note.passage_ids)),
            *_selector_row(note.selector),
            note.body,
            json.dumps(list(note.extra_tags)),
            note.author,
            note.created,
            note.updated,
            note.deleted_at,
            note.status,
            note.anchor_score,
        ),
    )
    _write_tags(conn, note)


def _selector_row(selector: TextSelector) -> tuple[str, str, str, int, int]:
    return (selector.exact, selector.prefix, selector.suffix, selector.start, selector.end)


def _write_tags(conn: sqlite3.Connection, note: Note) -> None:
    conn.execute("DELETE FROM note_tags WHERE note_id = ?", (note.id,))
    conn.executemany(
        "INSERT INTO note_tags (note_id, tag) VALUES (?, ?)", [(note.id, t) for t in note.tags]
    )


def _get(conn: sqlite3.Connection, note_id: str) -> Note:
    row = conn.execute(f"SELECT {_COLUMNS} FROM notes WHERE id = ?", (note_id,)).fetchone()
    if row is None:
        raise NoteNotFound(f"no note with id {note_id!r}")
    return _note_from_row(row)


def _find_duplicate(conn: sqlite3.Connection, note: Note) -> bool:
    row = conn.execute(
        "SELECT 1 FROM notes WHERE id = ? OR (article_id = ? AND exact = ? AND start = ? "
        'AND "end" = ? AND body = ?) LIMIT 1',
        (
            note.id,
            note.article_id,
            note.selector.exact,
            note.selector.start,
            note.selector.end,
            note.body,
        ),
    ).fetchone()
    return row is not None


def _note_from_row(row: tuple[Any, ...]) -> Note:
    (note_id, article_id, passage_id, passage_ids, exact, prefix, suffix, start, end, body,
     extra_tags, author, created, updated, deleted_at, status, score) = row  # fmt: skip
    return Note(
        id=note_id,
        article_id=article_id,
        passage_id=passage_id,
        passage_ids=tuple(json.loads(passage_ids)) or (passage_id,),
        selector=TextSelector(exact, prefix, suffix, int(start), int(end)),
        body=body,
        extra_tags=tuple(json.loads(extra_tags)),
        author=author,
        created=created,
        updated=updated,
        deleted_at=deleted_at,
        status=status or ANCHORED,
        anchor_score=float(score),
    )


def _normalize_tags(tags: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted({t for t in (normalize_tag(tag) for tag in tags) if t}))


def _matches_text(note: Note, text: str) -> bool:
    haystack = " ".join(
        (note.body, note.selector.exact, " ".join(note.tags), note.article_id)
    ).casefold()
    return all(word in haystack for word in text.casefold().split())


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


__all__ = ["SCHEMA_VERSION", "NoteStore", "NotesError", "migrate", "parse_tags", "utc_now"]


def read_tags_by_article(notes_db: Path) -> dict[str, set[str]]:
    """The tags of each article's live notes; empty when there is no notes database yet
    (it is not created)."""
    if not notes_db.exists():
        return {}
    with NoteStore(notes_db) as store:
        return store.tags_by_article()


def articles_with_tag(notes_db: Path, tag: str) -> set[str]:
    """The articles whose live notes carry ``tag`` (any case, with or without ``#``)."""
    wanted = normalize_tag(tag)
    return {a for a, tags in read_tags_by_article(notes_db).items() if wanted in tags}


def tag_resolver(notes_db: Path) -> Callable[[str], set[str]]:
    """``articles_with_tag`` bound to a notes database: what a library's ``tag:`` filter asks."""
    return partial(articles_with_tag, notes_db)
