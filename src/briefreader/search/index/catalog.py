"""The catalog: an SQLite database beside the index (``catalog.db``) that lists indexed files,
article summaries and the entity names each article uses.

It makes incremental indexing cheap (size/mtime/hash per file; only the rows of changed articles
are written), the library view instant (no need to read every stored document) and the corpus's
entity names available without reading every article. It is written in one transaction after
each Whoosh commit and tagged with the index generation; a catalog that does not match the
index is rebuilt from the index.
"""

from __future__ import annotations

import functools
import json
import marshal
import sqlite3
import sys
import threading
import zlib
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from briefreader.text.wording import counted

if TYPE_CHECKING:  # the reader imports this module at start: keep it light
    from briefreader.text.entities import EntityForm

CATALOG_NAME = "catalog.db"
_SUMMARIES = "SELECT id, title, source, date, path, passages FROM articles"
CATALOG_FORMAT = 2
_BUSY_TIMEOUT_MS = 10_000

# ``article_forms`` is read by article (its key) or whole: an index by form, which no
# statement used, was 35% of the catalog (14.7 MB at BBC ×16); older catalogs drop it.
_SCHEMA = """
CREATE TABLE IF NOT EXISTS info (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS files (
    path TEXT PRIMARY KEY, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL,
    content_hash TEXT NOT NULL, articles TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS articles (
    id TEXT PRIMARY KEY, title TEXT NOT NULL, source TEXT NOT NULL, date TEXT,
    path TEXT NOT NULL, passages INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS forms (
    id INTEGER PRIMARY KEY, text TEXT NOT NULL, name TEXT NOT NULL, type TEXT NOT NULL,
    mentions INTEGER NOT NULL, articles INTEGER NOT NULL, shared INTEGER NOT NULL DEFAULT 0,
    UNIQUE (text, name, type, shared));
CREATE TABLE IF NOT EXISTS article_forms (
    article_id TEXT NOT NULL, form_id INTEGER NOT NULL, mentions INTEGER NOT NULL,
    PRIMARY KEY (article_id, form_id)) WITHOUT ROWID;
DROP INDEX IF EXISTS article_forms_by_form;
CREATE TABLE IF NOT EXISTS pending (id TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS copies (
    path TEXT PRIMARY KEY, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL,
    content_hash TEXT NOT NULL, reason TEXT NOT NULL, original TEXT NOT NULL);
"""


@dataclass(frozen=True)
class ArticleSummary:
    """What the library list shows for an article."""

    id: str
    title: str
    source: str
    date: str | None
    path: str
    passages: int


class FileEntry(NamedTuple):
    """An indexed file: how to tell it changed, and the articles it produced. (A named
    tuple: a run reads one per file, and a frozen dataclass took 2 µs to make, 134 ms of
    reading the catalog at BBC ×32.)"""

    size: int
    mtime_ns: int
    content_hash: str
    articles: tuple[str, ...]


class KnownCopy(NamedTuple):
    """A file not indexed because it repeats an indexed file, ``original`` (the same bytes,
    or the same text): remembered so that the next run skips it again without reading it,
    while it and its original stay as they are."""

    size: int
    mtime_ns: int
    content_hash: str
    reason: str
    original: str


class PackedForms(Sequence["EntityForm"]):
    """An article's entity name forms kept as compressed ``marshal`` bytes, unpacked each
    time they are read. The entity phase holds every article's forms from one commit to the
    next, about 20 an article: at BBC ×32, 1.2 million forms between its last two commits,
    some 180 MB as objects in the index run's main process; 82 MB as ``marshal`` bytes for
    all 68,021 articles, 24 MB compressed (1.1 CPU s to compress them all, 0.5 to read them
    back)."""

    __slots__ = ("data",)

    def __init__(self, forms: Iterable[EntityForm]) -> None:
        fields = tuple(
            (f.text, f.name, f.type, f.mentions, f.article_ids, f.article_mentions, f.shared)
            for f in forms
        )
        self.data = zlib.compress(marshal.dumps(fields), 1)

    def unpacked(self) -> tuple[EntityForm, ...]:
        """The forms, as they were given."""
        from briefreader.text.entities import EntityForm

        fields = marshal.loads(zlib.decompress(self.data))
        return tuple(EntityForm(*values) for values in fields)

    def __iter__(self) -> Iterator[EntityForm]:
        return iter(self.unpacked())

    def __len__(self) -> int:
        return len(self.unpacked())

    def __getitem__(self, index: Any) -> Any:
        return self.unpacked()[index]


@dataclass
class Catalog:
    """Indexed files and article summaries, tagged with the index generation and schema.

    Change it through ``put_file``/``drop_file``/``put_article``/``drop_article``: they record
    what changed, so ``write_catalog`` writes only those rows (or everything when ``complete``
    is set: a new index, or a catalog recovered from the index).
    """

    generation: int = -1
    schema_version: int = 0
    files: dict[str, FileEntry] = field(default_factory=dict)
    articles: dict[str, ArticleSummary] = field(default_factory=dict)
    complete: bool = True
    changed_files: set[str] = field(default_factory=set)
    changed_articles: set[str] = field(default_factory=set)
    forms: dict[str, tuple[EntityForm, ...] | PackedForms] = field(default_factory=dict)
    # Articles whose entities are not recognised yet (the entity phase, ``entity_phase.py``).
    pending: set[str] = field(default_factory=set)
    # Files skipped as copies of indexed ones (``KnownCopy``), and those changed this run.
    copies: dict[str, KnownCopy] = field(default_factory=dict)
    changed_copies: set[str] = field(default_factory=set)

    def put_file(self, path: str, entry: FileEntry) -> None:
        """Record an indexed file."""
        self.files[path] = entry
        self.changed_files.add(path)

    def drop_file(self, path: str) -> FileEntry | None:
        """Forget a file and its articles; return its entry."""
        entry = self.files.pop(path, None)
        if entry is not None:
            self.changed_files.add(path)
            for article_id in entry.articles:
                self.drop_article(article_id)
        return entry

    def put_copy(self, path: str, copy: KnownCopy) -> None:
        """Remember a file skipped as a copy of an indexed one."""
        if self.copies.get(path) != copy:
            self.copies[path] = copy
            self.changed_copies.add(path)

    def drop_copy(self, path: str) -> None:
        """Forget a remembered copy (changed, gone, or indexed now)."""
        if self.copies.pop(path, None) is not None:
            self.changed_copies.add(path)

    def put_article(
        self, summary: ArticleSummary, forms: Sequence[EntityForm] = (), *, pending: bool = False
    ) -> None:
        """Record an article's summary and the entity names it uses (``pending``: its
        entities are not recognised yet)."""
        self.articles[summary.id] = summary
        self.forms[summary.id] = forms if isinstance(forms, PackedForms) else tuple(forms)
        self.changed_articles.add(summary.id)
        if pending:
            self.pending.add(summary.id)
        else:
            self.pending.discard(summary.id)

    def drop_article(self, article_id: str) -> None:
        """Forget an article."""
        self.articles.pop(article_id, None)
        self.forms.pop(article_id, None)
        self.pending.discard(article_id)
        self.changed_articles.add(article_id)

    def forget_pending(self, article_id: str) -> None:
        """Take one article off the pending list (it left the index)."""
        self.pending.discard(article_id)
        self.changed_articles.add(article_id)

    def clear_pending(self) -> None:
        """No article waits for entities any more (entities are switched off)."""
        self.changed_articles.update(self.pending)
        for article_id in self.pending:
            self.forms.setdefault(article_id, ())
        self.pending.clear()

    def entity_coverage(self) -> tuple[int, int]:
        """(articles with their entities recognised, articles)."""
        return len(self.articles) - len(self.pending), len(self.articles)

    def newest_first(self) -> list[ArticleSummary]:
        """Summaries, newest date first (undated last), then by title, then by id."""
        return _newest_first(self.articles.values())

    def summary(self, article_id: str) -> ArticleSummary | None:
        """One article's summary, or None."""
        return self.articles.get(article_id)

    def articles_of_file(self, path: str) -> tuple[str, ...]:
        """The ids of the articles a file produced (empty if it is not indexed)."""
        entry = self.files.get(path)
        return entry.articles if entry else ()

    def ids_starting_with(self, prefix: str) -> list[str]:
        """Article ids that start with ``prefix``."""
        return [a for a in self.articles if a.startswith(prefix)]


def _newest_first(summaries: Iterable[ArticleSummary]) -> list[ArticleSummary]:
    items = list(summaries)
    dated = sorted((a for a in items if a.date), key=lambda a: (a.title, a.id))
    dated.sort(key=lambda a: a.date or "", reverse=True)
    undated = sorted((a for a in items if not a.date), key=lambda a: (a.title, a.id))
    return dated + undated


class AmbiguousArticleId(KeyError):
    """More than one article id starts with what was typed; the message names a few."""

    def __init__(self, text: str, matches: list[str]) -> None:
        super().__init__(text)
        self.text, self.matches = text, matches

    def __str__(self) -> str:
        shown = ", ".join(self.matches[:3])
        more = f" and {len(self.matches) - 3} more" if len(self.matches) > 3 else ""
        return (
            f"{self.text!r} is the start of {counted(len(self.matches), 'article id')} "
            f"({shown}{more}); "
            "give more of the id"
        )


class StoredCatalog:
    """The catalog as a reader uses it: rows read from ``catalog.db`` when asked for.

    Opening it reads one row, so a one-shot ``briefreader search`` does not load 35,000
    summaries to show 20; the library view loads them all once. Thread-safe.
    """

    def __init__(self, db: sqlite3.Connection, generation: int, schema_version: int) -> None:
        self._db = db
        self._lock = threading.Lock()
        self.generation = generation
        self.schema_version = schema_version
        self._summaries: dict[str, ArticleSummary | None] = {}
        self._all: list[ArticleSummary] | None = None

    @classmethod
    def open(cls, folder: Path) -> StoredCatalog | None:
        """Open ``folder``'s catalog (None if it is missing, damaged or of another format)."""
        path = folder / CATALOG_NAME
        if not path.is_file():
            return None
        try:
            db = sqlite3.connect(
                f"file:{path}?mode=ro",
                uri=True,
                timeout=_BUSY_TIMEOUT_MS / 1000,
                check_same_thread=False,
            )
            info = _current_info(db)
            if info is None:
                db.close()
                return None
            return cls(db, int(info.get("generation", -1)), int(info.get("schema_version", 0)))
        except (sqlite3.Error, ValueError):
            return None

    def close(self) -> None:
        """Release the database file."""
        with self._lock:
            self._db.close()

    def _rows(self, sql: str, *args: object) -> list[tuple[Any, ...]]:
        with self._lock:
            try:
                return self._db.execute(sql, args).fetchall()
            except sqlite3.Error:
                return []

    def newest_first(self) -> list[ArticleSummary]:
        """Every summary, newest date first (undated last), then by title, then by id."""
        if self._all is None:
            rows = self._rows(_SUMMARIES)
            self._all = _newest_first(ArticleSummary(*row) for row in rows)
            self._summaries = {a.id: a for a in self._all}
        return self._all

    def summary(self, article_id: str) -> ArticleSummary | None:
        """One article's summary, or None."""
        if article_id not in self._summaries and self._all is None:
            rows = self._rows(
                _SUMMARIES + " WHERE id = ?",
                article_id,
            )
            self._summaries[article_id] = ArticleSummary(*rows[0]) if rows else None
        return self._summaries.get(article_id)

    def entity_coverage(self) -> tuple[int, int]:
        """(articles with their entities recognised, articles); a catalog written before
        the entity phase existed has no pending table: all recognised."""
        articles = self._rows("SELECT count(*) FROM articles")
        pending = self._rows("SELECT count(*) FROM pending")
        total = int(articles[0][0]) if articles else 0
        return total - (int(pending[0][0]) if pending else 0), total

    def articles_of_file(self, path: str) -> tuple[str, ...]:
        """The ids of the articles a file produced (empty if it is not indexed)."""
        rows = self._rows("SELECT articles FROM files WHERE path = ?", path)
        return tuple(json.loads(rows[0][0])) if rows else ()

    def ids_starting_with(self, prefix: str) -> list[str]:
        """Article ids that start with ``prefix``."""
        rows = self._rows(
            "SELECT id FROM articles WHERE substr(id, 1, ?) = ? ORDER BY id", len(prefix), prefix
        )
        return [row[0] for row in rows]


@contextmanager
def _connect(folder: Path, *, create: bool = False) -> Iterator[sqlite3.Connection]:
    path = folder / CATALOG_NAME
    if not create and not path.is_file():
        raise sqlite3.OperationalError("no catalog")
    uri = f"file:{path}?mode={'rwc' if create else 'ro'}"
    with closing(sqlite3.connect(uri, uri=True, timeout=_BUSY_TIMEOUT_MS / 1000)) as db:
        if create:
            db.execute("PRAGMA synchronous = FULL")
        yield db


def read_catalog(folder: Path, *, summaries: bool = True) -> Catalog | None:
    """Read the catalog (files and summaries), or None when it is missing or unreadable.

    Without ``summaries`` its ``articles`` stay empty (an index run needs the files; reading
    every summary was half of reading the catalog): ``read_titles`` reads the few it needs.
    """
    try:
        with _connect(folder) as db:
            info = _current_info(db)
            if info is None:
                return None
            files = _file_entries(db)
            rows = db.execute(_SUMMARIES) if summaries else ()
            articles = {row[0]: ArticleSummary(*row) for row in rows}
            pending = _pending_ids(db)
            copies = _known_copies(db)
    except (sqlite3.Error, ValueError, TypeError):
        return None
    return Catalog(
        int(info.get("generation", -1)),
        int(info.get("schema_version", 0)),
        files,
        articles,
        complete=False,
        pending=pending,
        copies=copies,
    )


# ``FileEntry((size, mtime, hash, ids))`` without the named tuple's ``__new__`` (a Python
# function): one C call for each of the catalog's files.
_new_entry = functools.partial(tuple.__new__, FileEntry)


def _file_entries(db: sqlite3.Connection) -> dict[str, FileEntry]:
    """Every indexed file's entry (68,000 at BBC ×32)."""
    return {
        path: _new_entry((size, mtime, digest, _article_ids(ids)))
        for path, size, mtime, digest, ids in db.execute(
            "SELECT path, size, mtime_ns, content_hash, articles FROM files"
        )
    }


def _known_copies(db: sqlite3.Connection) -> dict[str, KnownCopy]:
    """The remembered copies (none in a catalog from before they were kept)."""
    try:
        rows = db.execute("SELECT path, size, mtime_ns, content_hash, reason, original FROM copies")
        return {row[0]: KnownCopy(*row[1:]) for row in rows}
    except sqlite3.OperationalError:
        return {}


def _current_info(db: sqlite3.Connection) -> dict[str, str] | None:
    """The catalog's ``info`` rows, or None when it is of another format."""
    info = dict(db.execute("SELECT key, value FROM info"))
    return info if int(info.get("format", 0)) == CATALOG_FORMAT else None


def _article_ids(text: str) -> tuple[str, ...]:
    """A file's article ids from their JSON list; the usual one id without the JSON parser
    (a third of reading the files at BBC ×16). Ids hold no quote or backslash
    (``article_base_id``), so ``["id"]`` is one id exactly."""
    inner = text[2:-2]
    if text.startswith('["') and text.endswith('"]') and '"' not in inner and "\\" not in inner:
        return (inner,)
    return tuple(json.loads(text))


def read_titles(folder: Path, ids: Iterable[str]) -> dict[str, str]:
    """The titles of the articles ``ids`` that the catalog holds (empty when unreadable)."""
    return _id_to(folder, "title", "id", ids)


def read_paths_with_titles(folder: Path, titles: Iterable[str]) -> dict[str, str]:
    """Id to file path of the articles the catalog holds whose title is one of ``titles``
    (empty when unreadable)."""
    return _id_to(folder, "path", "title", titles)


def _id_to(folder: Path, wanted: str, column: str, values: Iterable[str]) -> dict[str, str]:
    """Id to ``wanted`` (title or path) of the articles whose ``column`` (id or title) is one
    of ``values``."""
    keys = sorted(set(values))
    found: dict[str, str] = {}
    try:
        with _connect(folder) as db:
            for start in range(0, len(keys), _IDS_PER_QUERY):
                chunk = keys[start : start + _IDS_PER_QUERY]
                marks = ", ".join("?" * len(chunk))
                sql = f"SELECT id, {wanted} FROM articles WHERE {column} IN ({marks})"
                found.update(db.execute(sql, chunk))
    except sqlite3.Error:
        return {}
    return found


_IDS_PER_QUERY = 500  # under SQLite's limit of bound parameters


def read_pending_catalog(folder: Path) -> Catalog | None:
    """The catalog as the entity phase needs it: the pending ids and their summaries, no
    files and no other article (a one-file update read all 71,200 summaries and files at BBC
    ×32 to rewrite one article). ``write_catalog`` writes only what changes in it. None when
    it is missing or unreadable."""
    try:
        with _connect(folder) as db:
            info = _current_info(db)
            if info is None:
                return None
            pending = _pending_ids(db)
            rows = db.execute(_SUMMARIES + _OF_PENDING) if pending else ()
            articles = {row[0]: ArticleSummary(*row) for row in rows}
    except (sqlite3.Error, ValueError, TypeError):
        return None
    return Catalog(
        int(info.get("generation", -1)),
        int(info.get("schema_version", 0)),
        articles=articles,
        complete=False,
        pending=pending,
    )


_OF_PENDING = " WHERE id IN (SELECT id FROM pending)"


def _pending_ids(db: sqlite3.Connection) -> set[str]:
    """The ids of the articles waiting for entities (none in a catalog from before the
    entity phase)."""
    try:
        return {row[0] for row in db.execute("SELECT id FROM pending")}
    except sqlite3.OperationalError:
        return set()


def write_catalog(
    folder: Path, catalog: Catalog, progress: Callable[[int, int], None] | None = None
) -> None:
    """Write what changed in the catalog, in one transaction (all of it if ``complete``).
    ``progress(done, total)``: articles written, every ``REPORT_ARTICLES`` (the entity
    phase's last write, every article's entity names, is seconds long at BBC ×32).

    A complete write over a file that is not a database (damaged, truncated) replaces
    the file: every row is being written anyway.

    Raises:
        OSError: the database could not be written (disk full, read-only…); the previous
            catalog is unchanged, and a generation mismatch makes readers recover it.
    """
    try:
        _write(folder, catalog, progress)
    except sqlite3.DatabaseError as error:
        if not (catalog.complete and _damaged(error)):
            raise OSError(f"catalog not written: {error}") from error
        for suffix in ("", "-wal", "-shm", "-journal"):
            (folder / f"{CATALOG_NAME}{suffix}").unlink(missing_ok=True)
        try:
            _write(folder, catalog, progress)
        except sqlite3.Error as again:
            raise OSError(f"catalog not written: {again}") from again
    except sqlite3.Error as error:
        raise OSError(f"catalog not written: {error}") from error
    catalog.complete = False
    catalog.changed_files.clear()
    catalog.changed_articles.clear()
    catalog.changed_copies.clear()
    catalog.forms.clear()


def _damaged(error: sqlite3.DatabaseError) -> bool:
    """Is this SQLite's "not a database" or "malformed" (not a full disk or a lock)?"""
    text = str(error).lower()
    return "not a database" in text or "malformed" in text


def _write(
    folder: Path, catalog: Catalog, progress: Callable[[int, int], None] | None = None
) -> None:
    """One transaction writing the catalog's changed rows (all of them if ``complete``)."""
    with _connect(folder, create=True) as db, db:
        db.executescript("BEGIN IMMEDIATE;" + _drop_old_forms(db) + _SCHEMA)
        if catalog.complete:
            _write_everything(db, catalog)
        else:
            _write_files(db, catalog, catalog.changed_files)
            _write_copies(db, catalog, catalog.changed_copies)
            _write_articles(db, catalog, catalog.changed_articles, progress)
            # Names no article uses any more, once (per article, this scan of every name made
            # the entity phase's last catalog write quadratic: 37 s at BBC x32).
            db.execute("DELETE FROM forms WHERE articles <= 0")
        db.executemany(
            "INSERT OR REPLACE INTO info VALUES (?, ?)",
            [
                ("format", str(CATALOG_FORMAT)),
                ("generation", str(catalog.generation)),
                ("schema_version", str(catalog.schema_version)),
            ],
        )


def _drop_old_forms(db: sqlite3.Connection) -> str:
    """SQL dropping the name form tables of an older format (no ``shared`` column), or ""."""
    columns = {row[1] for row in db.execute("PRAGMA table_info(forms)")}
    if not columns or "shared" in columns:
        return ""
    return "DROP TABLE IF EXISTS article_forms; DROP TABLE IF EXISTS forms;"


def _write_everything(db: sqlite3.Connection, catalog: Catalog) -> None:
    """Replace every row (a new index, or a recovered catalog), in bulk."""
    for table in ("files", "articles", "forms", "article_forms", "pending", "copies"):
        db.execute(f"DELETE FROM {table}")
    db.executemany("INSERT INTO pending VALUES (?)", [(i,) for i in sorted(catalog.pending)])
    _write_copies(db, catalog, catalog.copies)
    db.executemany(
        "INSERT INTO files VALUES (?, ?, ?, ?, ?)",
        [
            (path, e.size, e.mtime_ns, e.content_hash, json.dumps(e.articles))
            for path, e in catalog.files.items()
        ],
    )
    db.executemany(
        "INSERT INTO articles VALUES (?, ?, ?, ?, ?, ?)",
        [(a.id, a.title, a.source, a.date, a.path, a.passages) for a in catalog.articles.values()],
    )
    form_ids: dict[tuple[str, str, str, int], int] = {}
    totals: dict[int, list[int]] = {}
    uses = []
    for article_id, forms in catalog.forms.items():
        if article_id not in catalog.articles:
            continue
        for form in forms:
            key = (form.text, form.name, form.type, int(form.shared))
            form_id = form_ids.setdefault(key, len(form_ids) + 1)
            total = totals.setdefault(form_id, [0, 0])
            total[0] += form.mentions
            total[1] += 1
            uses.append((article_id, form_id, form.mentions))
    db.executemany(
        "INSERT INTO forms (id, text, name, type, shared, mentions, articles) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        [(form_id, *key, *totals[form_id]) for key, form_id in form_ids.items()],
    )
    db.executemany("INSERT INTO article_forms VALUES (?, ?, ?)", uses)


def _write_files(db: sqlite3.Connection, catalog: Catalog, paths: Iterable[str]) -> None:
    def row(path: str) -> tuple[Any, ...] | None:
        entry = catalog.files.get(path)
        if entry is None:
            return None
        return (path, entry.size, entry.mtime_ns, entry.content_hash, json.dumps(entry.articles))

    _write_rows(db, "files", paths, row)


def _write_copies(db: sqlite3.Connection, catalog: Catalog, paths: Iterable[str]) -> None:
    def row(path: str) -> tuple[Any, ...] | None:
        copy = catalog.copies.get(path)
        return None if copy is None else (path, *copy)

    _write_rows(db, "copies", paths, row)


def _write_rows(
    db: sqlite3.Connection,
    table: str,
    paths: Iterable[str],
    row_of: Callable[[str], tuple[Any, ...] | None],
) -> None:
    """Replace the rows of ``table`` (keyed by path) for ``paths``; delete those whose
    ``row_of`` is None."""
    for path in paths:
        row = row_of(path)
        if row is None:
            db.execute(f"DELETE FROM {table} WHERE path = ?", (path,))
        else:
            marks = ", ".join("?" * len(row))
            db.execute(f"INSERT OR REPLACE INTO {table} VALUES ({marks})", row)


REPORT_ARTICLES = 1_000


def _write_articles(
    db: sqlite3.Connection,
    catalog: Catalog,
    ids: Collection[str],
    progress: Callable[[int, int], None] | None = None,
) -> None:
    for done, article_id in enumerate(ids):
        if progress is not None and done % REPORT_ARTICLES == 0:
            progress(done, len(ids))
        _forget_forms(db, article_id)
        db.execute("DELETE FROM pending WHERE id = ?", (article_id,))
        if article_id in catalog.pending:
            db.execute("INSERT INTO pending VALUES (?)", (article_id,))
        summary = catalog.articles.get(article_id)
        if summary is None:
            db.execute("DELETE FROM articles WHERE id = ?", (article_id,))
            continue
        db.execute(
            "INSERT OR REPLACE INTO articles VALUES (?, ?, ?, ?, ?, ?)",
            (
                summary.id,
                summary.title,
                summary.source,
                summary.date,
                summary.path,
                summary.passages,
            ),
        )
        for form in catalog.forms.get(article_id, ()):
            _add_form(db, article_id, form)
    if progress is not None:
        progress(len(ids), len(ids))


def _forget_forms(db: sqlite3.Connection, article_id: str) -> None:
    """Take an article's entity names out of the corpus totals."""
    db.execute(
        "UPDATE forms SET mentions = forms.mentions - af.used, articles = forms.articles - 1 "
        "FROM (SELECT form_id, mentions AS used FROM article_forms WHERE article_id = ?) AS af "
        "WHERE forms.id = af.form_id",
        (article_id,),
    )
    db.execute("DELETE FROM article_forms WHERE article_id = ?", (article_id,))


def _add_form(db: sqlite3.Connection, article_id: str, form: EntityForm) -> None:
    db.execute(
        "INSERT INTO forms (text, name, type, shared, mentions, articles) "
        "VALUES (?, ?, ?, ?, ?, 1) ON CONFLICT (text, name, type, shared) DO UPDATE SET "
        "mentions = forms.mentions + excluded.mentions, articles = forms.articles + 1",
        (form.text, form.name, form.type, int(form.shared), form.mentions),
    )
    (form_id,) = db.execute(
        "SELECT id FROM forms WHERE text = ? AND name = ? AND type = ? AND shared = ?",
        (form.text, form.name, form.type, int(form.shared)),
    ).fetchone()
    db.execute(
        "INSERT OR REPLACE INTO article_forms VALUES (?, ?, ?)",
        (article_id, form_id, form.mentions),
    )


def read_entity_forms(folder: Path, *, with_articles: bool = False) -> list[EntityForm] | None:
    """The corpus's entity names with mention totals (and the articles using each, if asked).

    None when the catalog is missing or unreadable.
    """
    from briefreader.text.entities import EntityForm

    try:
        with _connect(folder) as db:
            rows = db.execute(
                "SELECT id, text, name, type, mentions, shared FROM forms WHERE articles > 0 "
                "ORDER BY id"
            ).fetchall()
            articles: dict[int, dict[str, int]] = {}
            ids: dict[str, str] = {}  # one string per article id, however many forms use it
            if with_articles:
                for form_id, article_id, used in db.execute(
                    "SELECT form_id, article_id, mentions FROM article_forms ORDER BY article_id"
                ):
                    article_id = ids.setdefault(article_id, article_id)
                    articles.setdefault(form_id, {})[article_id] = used
    except sqlite3.Error:
        return None
    return [
        EntityForm(
            sys.intern(text),
            sys.intern(name),
            sys.intern(kind),
            mentions,
            *_uses(articles.get(form_id, {})),
            bool(shared),
        )
        for form_id, text, name, kind, mentions, shared in rows
    ]


def _uses(used: dict[str, int]) -> tuple[tuple[str, ...], tuple[int, ...]]:
    """A form's articles and its mentions in each (the two tuples of an ``EntityForm``)."""
    return tuple(used), tuple(used.values())


@dataclass(frozen=True)
class ArticleForms:
    """The entity name forms each article uses, as one generation of the catalog holds them."""

    generation: int
    forms: dict[int, tuple[str, str]]  # form id -> (surface text, the name it stands for)
    articles: dict[str, tuple[int, ...]]  # article id -> its form ids


def read_article_forms(folder: Path) -> ArticleForms | None:
    """Each article's entity name forms (by id) and the catalog's generation, read in one
    transaction so that an index run writing meanwhile cannot mix two generations.

    One row per article (its form ids joined by SQLite), not one per (article, form): a
    third of the CPU at BBC ×16. None when the catalog is missing or unreadable.
    """
    try:
        with _connect(folder) as db:
            db.execute("BEGIN")
            info = dict(db.execute("SELECT key, value FROM info"))
            forms = {row[0]: (row[1], row[2]) for row in db.execute(_FORM_NAMES)}
            articles = {
                article_id: tuple(int(form_id) for form_id in ids.split(","))
                for article_id, ids in db.execute(_ARTICLE_FORM_IDS)
            }
    except (sqlite3.Error, ValueError):
        return None
    return ArticleForms(int(info.get("generation", -1)), forms, articles)


_FORM_NAMES = "SELECT id, text, name FROM forms"
_ARTICLE_FORM_IDS = (
    "SELECT article_id, group_concat(form_id) FROM article_forms GROUP BY article_id"
)
