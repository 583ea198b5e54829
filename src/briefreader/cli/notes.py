"""``briefreader notes``: list, add, search, delete, export, import and re-anchor notes."""

from __future__ import annotations

import argparse
import functools
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from briefreader.cli.common import (
    CommandError,
    given_id,
    print_json,
    refuse_own_file,
    summary,
    workspace_from,
    write_file,
)
from briefreader.models import Article
from briefreader.notes.anchor import selector_for_passage
from briefreader.notes.export import (
    FORMATS,
    ImportReport,
    export_notes,
    import_notes,
    note_to_dict,
)
from briefreader.notes.model import (
    Note,
    NotesError,
    article_id_from_passage_id,
    display_note,
    with_clean_tags,
)
from briefreader.notes.store import NoteStore
from briefreader.text.decode import strip_control
from briefreader.text.wording import counted, grouped
from briefreader.workspace import Workspace

Handler = Callable[[argparse.Namespace], int]
ArticleLookup = Callable[[str], Article | None]


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``notes`` and its actions to the command line."""
    parser = subparsers.add_parser(
        "notes",
        help="list, add, search, export and import notes",
        description="Notes anchored to passages of the articles (stored in notes.db).",
    )
    actions = parser.add_subparsers(dest="notes_action", metavar="ACTION", required=True)
    _register_list(actions)
    _register_add(actions)
    search = actions.add_parser("search", help="find notes whose text, quote or tags match")
    search.add_argument("text", help="words that must all occur (any case)")
    search.add_argument("--json", action="store_true", help="print JSON")
    search.set_defaults(handler=_search)
    for name, verb in (("delete", "soft-delete (undo with undelete)"), ("undelete", "restore")):
        action = actions.add_parser(name, help=f"{verb} a note")
        action.add_argument("id", help="note id (a unique prefix is enough)")
        action.set_defaults(handler=_delete if name == "delete" else _undelete)
    _register_export(actions)
    imp = actions.add_parser(
        "import",
        help="import a json, w3c or Hypothesis export (duplicates skipped)",
        description="Import notes: a briefreader json or w3c export, W3C annotations of other "
        "tools whose target is an article id or the web address of a saved article, or a "
        "Hypothesis JSON export. Duplicates are skipped.",
    )
    imp.add_argument("file", help="export file to read ('-' for stdin)")
    imp.set_defaults(handler=_import)
    reanchor = actions.add_parser(
        "reanchor", help="find every note again in the current articles (after edits)"
    )
    reanchor.set_defaults(handler=_reanchor)


def _register_list(actions: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    listing = actions.add_parser("list", help="list notes, newest first")
    listing.add_argument("--tag", help="only notes with this tag")
    listing.add_argument("--article", metavar="ID", help="only notes on this article")
    listing.add_argument(
        "--orphans", action="store_true", help="only notes whose text is no longer found"
    )
    listing.add_argument(
        "--review",
        action="store_true",
        help="only notes re-anchoring did not move: the text changed (a number, a name, "
        "a rival place); check and re-save them",
    )
    listing.add_argument("--deleted", action="store_true", help="include deleted notes")
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(handler=_list)


def _register_add(actions: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    add = actions.add_parser("add", help="add a note to a passage (for scripts)")
    add.add_argument("passage_id", metavar="PASSAGE_ID", help="passage id, ARTICLE-ID:pN")
    add.add_argument("--text", default="", help="the note; #words in it are tags")
    add.add_argument("--quote", help="anchor to this text of the passage (default: all of it)")
    add.add_argument("--tag", action="append", default=[], help="add a tag (repeatable)")
    add.add_argument("--json", action="store_true", help="print the new note as JSON")
    add.set_defaults(handler=_add)


def _register_export(actions: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    export = actions.add_parser(
        "export", help="export notes as a brief (md), json, w3c, csv or ris (Zotero)"
    )
    export.add_argument(
        "--format",
        choices=FORMATS,
        default="md",
        help="md: a brief with a source link per quote; json: backup; w3c: Web Annotations; "
        "csv: a row per note; ris: a record per article, notes as N1 (Zotero)",
    )
    export.add_argument("--tag", help="only notes with this tag")
    export.add_argument("-o", "--output", metavar="FILE", help="write to FILE (default stdout)")
    export.set_defaults(handler=_export)


# --- shared --------------------------------------------------------------------------------


def _domain_errors(handler: Handler) -> Handler:
    """Report notes errors as one line, exit 2 (the CLI prints CommandErrors)."""

    @functools.wraps(handler)
    def run(args: argparse.Namespace) -> int:
        try:
            return handler(args)
        except NotesError as error:
            raise CommandError(str(error)) from error

    return run


@contextmanager
def _store(args: argparse.Namespace) -> Iterator[NoteStore]:
    workspace = workspace_from(args)
    with NoteStore(workspace.notes_db) as store:
        yield store


@contextmanager
def _reading_store(args: argparse.Namespace) -> Iterator[NoteStore]:
    """The store for commands that only read (list, search, export): they work on a
    read-only or full disk too."""
    with NoteStore.for_reading(workspace_from(args).notes_db) as store:
        yield store


def article_source(workspace: Workspace) -> ArticleLookup:
    """A lookup from article id to the ``Article`` the reader shows (from the index).

    Without an index, the articles are loaded from ``articles/`` directly (same cleaning).
    """
    from briefreader.search.index.store import IndexUnavailable
    from briefreader.search.library import Library

    try:
        library = Library.open(workspace)
    except IndexUnavailable:
        return {article.id: article for article in _load_corpus(workspace)}.get

    def lookup(article_id: str) -> Article | None:
        try:
            return library.article(article_id)
        except KeyError:
            return None

    return lookup


def _load_corpus(workspace: Workspace) -> list[Article]:
    from briefreader.search.index.enrich import load_options_for
    from briefreader.text.load import load_corpus

    results, _skipped = load_corpus(workspace.articles_dir, load_options_for(workspace))
    return [article for result in results for article in result.articles]


def _clean(text: str) -> str:
    """One display line: control characters and escapes removed, whitespace collapsed."""
    return " ".join(strip_control(text, " ").split())


def _short(text: str, width: int) -> str:
    text = _clean(text)
    return text if len(text) <= width else text[: width - 1] + "…"


def _print_notes(notes: list[Note], as_json: bool) -> None:
    if as_json:  # exact text, control characters JSON-escaped (print_json), tags clean
        print_json({"notes": [note_to_dict(with_clean_tags(note)) for note in notes]})
        return
    notes = [display_note(note) for note in notes]  # tags, bodies, ids: never raw
    if not notes:
        print("no notes")
        return
    for note in notes:
        flags = " ".join(
            flag
            for flag in (
                "[orphaned]" if note.orphaned else "",
                "[review: the text changed]" if note.status == "review" else "",
                f"[fuzzy {note.anchor_score:.2f}]" if note.status == "fuzzy" else "",
                "[deleted]" if note.deleted else "",
                " ".join(f"#{tag}" for tag in note.tags),
            )
            if flag
        )
        print(f"{note.id[:8]}  {note.created[:16]}  {_clean(note.passage_id)}  {_clean(flags)}")
        print(f"    “{_short(note.selector.exact, 70)}”")
        if note.body.strip():
            print(f"    {_short(note.body, 100)}")


# --- actions -------------------------------------------------------------------------------


@_domain_errors
def _list(args: argparse.Namespace) -> int:
    with _reading_store(args) as store:
        notes = store.list(
            article_id=None if args.article is None else given_id(args.article),
            tag=args.tag,
            orphans=args.orphans,
            review=args.review,
            include_deleted=args.deleted,
        )
    _print_notes(notes, args.json)
    return 0


@_domain_errors
def _search(args: argparse.Namespace) -> int:
    with _reading_store(args) as store:
        notes = store.search(args.text)
    _print_notes(notes, args.json)
    return 0


@_domain_errors
def _add(args: argparse.Namespace) -> int:
    workspace = workspace_from(args)
    article_id = article_id_from_passage_id(args.passage_id)
    article = article_source(workspace)(article_id)
    if article is None:
        raise CommandError(f"no article {article_id!r} in {workspace.articles_dir}")
    selector = selector_for_passage(article, args.passage_id, args.quote)
    with NoteStore(workspace.notes_db) as store:
        note = store.add(article.id, args.passage_id, selector, body=args.text, tags=args.tag)
    if args.json:
        print_json(note_to_dict(with_clean_tags(note)))
    else:
        summary(f"added note {note.id}")
    return 0


@_domain_errors
def _delete(args: argparse.Namespace) -> int:
    with _store(args) as store:
        note = store.delete(store.resolve_id(args.id))
    summary(f"deleted note {note.id} (undo: briefreader notes undelete {note.id[:8]})")
    return 0


@_domain_errors
def _undelete(args: argparse.Namespace) -> int:
    with _store(args) as store:
        note = store.undelete(store.resolve_id(args.id))
    summary(f"restored note {note.id}")
    return 0


@_domain_errors
def _export(args: argparse.Namespace) -> int:
    workspace = workspace_from(args)
    if args.output and args.output != "-":
        refuse_own_file(workspace, args.output)
    with _reading_store(args) as store:
        # The json backup keeps deleted notes too, so restoring it loses nothing.
        notes = store.list(tag=args.tag, include_deleted=args.format == "json")
    lookup = article_source(workspace) if args.format != "json" else None
    text = export_notes(notes, args.format, lookup, workspace.articles_dir)
    if args.output and args.output != "-":
        write_file(args.output, text)
        summary(f"exported {counted(len(notes), 'note')} to {args.output}", stderr=True)
    else:
        sys.stdout.write(text)
    return 0


@_domain_errors
def _import(args: argparse.Namespace) -> int:
    text = _read_input(args.file)
    workspace = workspace_from(args)
    resolver = _UrlResolver(workspace)
    try:
        with _store(args) as store:
            report = import_notes(store, text, resolver)
        orphaned = _reanchor_imported(workspace, resolver, report) if report.added else 0
    finally:
        resolver.close()
    added, duplicates = counted(report.added, "note"), counted(report.duplicates, "duplicate")
    summary(f"imported {added}, skipped {duplicates}{_orphan_clause(orphaned)}")
    return 0


def _orphan_clause(orphaned: int | None) -> str:
    """What the import summary adds about notes whose article is not in the index."""
    if orphaned is None:
        return "; not anchored yet: no index (run 'briefreader index')"
    if not orphaned:
        return ""
    listing = "briefreader notes list --orphans"
    return f"; {counted(orphaned, 'note')} orphaned (article not in the index; see '{listing}')"


def _reanchor_imported(
    workspace: Workspace, resolver: _UrlResolver, report: ImportReport
) -> int | None:
    """Anchor the imported notes in the indexed text (web quotes find their passages) and
    orphan those whose article is not in the index, so ``notes list --orphans`` shows them;
    how many were orphaned so. Without an index yet (None), the first ``index`` run (a full
    build) does it."""
    from briefreader.sync import reanchor_workspace_notes

    library = resolver.open_library()
    if library is None:
        return None
    reanchor_workspace_notes(workspace, library, report.article_ids)
    return sum(library.summary(article_id) is None for article_id in report.note_articles)


class _UrlResolver:
    """The article saved from a web address (``url`` in its front matter or page), read from
    the index on the first web-page target (W3C annotations of other tools, Hypothesis)."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self.library: Any = None
        self.urls: dict[str, str] | None = None

    def __call__(self, url: str) -> str | None:
        from briefreader.text.web import normalize_url

        if self.urls is None:
            self.urls = self._read()
        return self.urls.get(normalize_url(url))

    def _read(self) -> dict[str, str]:
        from briefreader.search.index.store import IndexUnavailable
        from briefreader.search.library import Library
        from briefreader.text.web import normalize_url

        try:
            self.library = Library.open(self.workspace)
        except IndexUnavailable as error:
            raise CommandError(f"web-page notes need the index: {error}") from error
        urls: dict[str, str] = {}
        for listed in self.library.articles():
            url = self.library.article(listed.id).url
            if url:
                urls.setdefault(normalize_url(url), listed.id)
        return urls

    def open_library(self) -> Any:
        """The workspace's index (opened once), or None when there is none yet."""
        from briefreader.search.index.store import IndexUnavailable
        from briefreader.search.library import Library

        if self.library is None:
            try:
                self.library = Library.open(self.workspace)
            except IndexUnavailable:
                return None
        return self.library

    def close(self) -> None:
        if self.library is not None:
            self.library.close()


@_domain_errors
def _reanchor(args: argparse.Namespace) -> int:
    from briefreader.cli.progress import run_indexing

    workspace = workspace_from(args)
    NoteStore(workspace.notes_db).close()  # create the database if there is none yet
    run = run_indexing(workspace, quiet=True, reanchor="all")
    if run.notes is None:
        raise CommandError(run.notes_notice or "notes were not re-anchored")
    report = run.notes
    print(
        f"checked {counted(report.checked, 'note')}: {grouped(len(report.moved))} moved, "
        f"{grouped(len(report.fuzzy))} re-attached to similar text, "
        f"{grouped(len(report.orphaned))} orphaned, {grouped(len(report.restored))} found again"
    )
    return 0


def _read_input(name: str) -> str:
    if name == "-":
        return sys.stdin.read()
    try:
        return Path(name).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        if isinstance(error, OSError):
            raise CommandError(f"cannot read {name!r}: {error.strerror or error}") from error
        raise CommandError(f"cannot read {name!r}: not UTF-8 text ({error.reason})") from error
