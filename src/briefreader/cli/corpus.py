"""Subcommands about the corpus: init, index, articles, show."""

from __future__ import annotations

import argparse
import sys
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from briefreader.cli.common import (
    CommandError,
    err_console,
    given_id,
    out_console,
    print_json,
    printable,
    query_budget,
    summary,
    verbosity,
    workspace_from,
)
from briefreader.models import Article, Skipped
from briefreader.text.decode import NotText, decode_bytes, strip_control
from briefreader.text.wording import counted, grouped
from briefreader.workspace import Workspace, WorkspaceError, init_workspace

if TYPE_CHECKING:  # the index modules are imported by the commands that use them
    from rich.text import Text

    from briefreader.search.budget import Budget
    from briefreader.search.index.entity_phase import EntityReport
    from briefreader.search.index.full_merge import MergeReport
    from briefreader.search.index.indexer import IndexReport
    from briefreader.search.library import Library


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add init, index, articles and show."""
    init = subparsers.add_parser(
        "init",
        help="create a workspace folder",
        description="Create a workspace: DIR/articles and DIR/index.",
    )
    init.add_argument("directory", metavar="DIR")
    init.add_argument("--sample", action="store_true", help="copy the sample articles in")
    init.set_defaults(handler=cmd_init)

    index = subparsers.add_parser(
        "index",
        help="build or update the search index",
        description="Index new files, re-index changed ones, drop deleted ones; says what it did.",
        epilog="A run of 400 files or more parses and analyses them in worker processes, one "
        "per core, and a large commit encodes about half its postings in one more; "
        "BRIEFREADER_WORKERS=N sets how many (0: none; at most one per core).",
    )
    index.add_argument("--rebuild", action="store_true", help="start over from scratch")
    index.add_argument(
        "--merge",
        action="store_true",
        help="then merge the index's segments into one, dropping what removed files left "
        "(faster searches after updates; done without asking when the index is small)",
    )
    index.add_argument("-q", "--quiet", action="store_true", help="no progress bar or summary")
    index.set_defaults(handler=cmd_index)

    articles = subparsers.add_parser(
        "articles",
        help="list the corpus",
        description="List articles: id, date, source, title, passages.",
    )
    articles.add_argument("--json", action="store_true", help="JSON output")
    articles.set_defaults(handler=cmd_articles)

    show = subparsers.add_parser(
        "show",
        help="print an article as cleaned (or raw)",
        description="Print the cleaned article so you can see what "
        "cleaning did. ID may be an id, a unique id prefix or a path.",
    )
    show.add_argument("article_id", metavar="ID")
    show.add_argument("--raw", action="store_true", help="print the file as it is on disk")
    show.add_argument("--json", action="store_true", help="JSON output (article with passages)")
    show.set_defaults(handler=cmd_show)


def cmd_init(args: argparse.Namespace) -> int:
    try:
        workspace = init_workspace(Path(args.directory), sample=args.sample)
    except WorkspaceError as error:  # a file where a folder goes: one line, exit 2
        raise CommandError(printable(str(error))) from error
    count = sum(1 for p in workspace.articles_dir.iterdir() if p.is_file())
    summary(f"workspace ready at {workspace.root} ({counted(count, 'article file')})")
    return 0


def cmd_index(args: argparse.Namespace) -> int:
    from briefreader.cli.progress import run_index
    from briefreader.search.index.store import snapshot_id

    workspace = workspace_from(args)
    before = snapshot_id(workspace.index_dir)
    report = run_index(workspace, rebuild=args.rebuild, quiet=args.quiet)
    if not args.quiet:
        print_report(report)
    merged = run_merge(workspace, asked=args.merge, quiet=args.quiet)
    if merged is not None and not args.quiet:
        print_merge(merged)
    elif args.merge and not args.quiet:
        err_console().print(
            "index: one segment already, with no deleted index entries in it: nothing to merge",
            markup=False,
        )
    keep_reader_caches(workspace, before)
    return 0


def keep_reader_caches(workspace: Workspace, before: tuple[str, int] | None) -> None:
    """Build what the index folder keeps per generation for readers, if the index moved on
    from ``before``: here for a small index, in the background for a big one (``-v``: how
    long it took, or the background process)."""
    from briefreader.cli.caches import keep_reader_caches_soon

    seconds, pid = keep_reader_caches_soon(workspace, before)
    if verbosity() <= 0:
        return
    if seconds is not None:
        err_console().print(f"reader caches kept ({seconds:.1f}s)", markup=False)
    elif pid is not None:
        err_console().print(f"reader caches: building in the background (pid {pid})", markup=False)


def run_merge(workspace: Workspace, *, asked: bool, quiet: bool = False) -> MergeReport | None:
    """Merge the index's segments into one when asked, or without asking when that is cheap
    (``full_merge.cheap_to_merge``), with a progress bar on a terminal; None when nothing was
    merged. IndexBusy and disk errors are CommandError."""
    from briefreader.cli.progress import progress_reporter
    from briefreader.search.index import full_merge
    from briefreader.search.index.store import IndexBusy

    if not (asked and full_merge.needs_merge(workspace)) and not full_merge.cheap_to_merge(
        workspace
    ):
        return None
    try:
        with progress_reporter(not quiet and sys.stderr.isatty()) as progress:
            return full_merge.merge_segments(workspace, progress)
    except IndexBusy as error:
        raise CommandError(str(error), 75) from error
    except OSError as error:
        raise CommandError(
            f"could not merge the index: {error.strerror or error} (the previous index is "
            "unchanged)",
            74,
        ) from error


def print_merge(report: MergeReport) -> None:
    """Say what a merge did, on stderr."""
    console = err_console()
    for notice in report.notices:
        console.print(f"note: {printable(notice)}", markup=False)
    # Whoosh's documents: an article's own and one per passage, hence "entries".
    dropped = counted(report.dropped, "deleted index entry", "deleted index entries")
    if report.segments_before == 1:
        what = f"rewrote the index's one segment without its {dropped}"
    else:
        what = f"merged {counted(report.segments_before, 'segment')} into "
        what += f"{grouped(report.segments_after)}"
        what += f", {dropped} dropped" if report.dropped else ""
    console.print(f"{what} ({report.seconds:.1f}s, {report.cpu_seconds:.1f} CPU s)", markup=False)


def print_report(report: IndexReport) -> None:
    """Say what an index run did, on stderr."""
    console = err_console()
    if report.rebuilt:
        console.print(f"index: {report.rebuilt}", markup=False)
    for notice in report.notices:
        console.print(f"note: {printable(notice)}", markup=False)
    print_skipped(console, report.skipped)
    for notice in report.entities.notices if report.entities else ():
        console.print(f"note: {printable(notice)}", markup=False)
    recogniser = report.recogniser or (report.entities.recogniser if report.entities else "")
    if recogniser:
        console.print(f"entities: {recogniser}", markup=False)
    articles, added = counted(report.articles, "article"), counted(len(report.added), "file")
    console.print(
        f"indexed {articles}: {added} added, "
        f"{grouped(len(report.updated))} updated, {grouped(len(report.removed))} removed, "
        f"{grouped(report.unchanged)} unchanged, {grouped(len(report.skipped))} skipped "
        f"({report.seconds:.1f}s)",
        markup=False,
    )
    if report.entities is not None:
        console.print(entity_phase_line(report.entities), markup=False)
    elif report.recognised_now:
        recognised = counted(report.recognised_now, "article")
        console.print(f"entities recognised in {recognised} (with the text)", markup=False)
    if verbosity() > 0 and report.timings:
        phases = ", ".join(f"{name} {seconds:.2f}s" for name, seconds in report.timings.items())
        console.print(f"timings: {phases}", markup=False)


def print_skipped(console: Any, skipped: list[Skipped]) -> None:
    """A line per file skipped; the copies an earlier run found and reported, in one line
    unless ``-v`` (an archive's duplicates are thousands of lines on every run)."""
    again = [entry for entry in skipped if entry.again]
    listed = skipped if verbosity() > 0 else [entry for entry in skipped if not entry.again]
    for entry in listed:
        console.print(f"skipped {printable(entry.path)}: {entry.reason}", markup=False)
    if again and len(listed) < len(skipped):
        copies = counted(len(again), "copy", "copies")
        console.print(
            f"skipped {copies} of indexed files, as in earlier runs (-v lists them)",
            markup=False,
        )


def entity_phase_line(entities: EntityReport) -> str:
    """What the entity phase did, in one line."""
    done = f"entities recognised in {counted(entities.recognised, 'article')}"
    if entities.left:
        return f"{done}; {grouped(entities.left)} still to do (the next run goes on)"
    return f"{done} ({counted(entities.commits, 'commit')}, {entities.seconds:.1f}s)"


def open_library_for_query(workspace: Workspace) -> tuple[Library, Budget]:
    """The library and the time budget of a command's query (``common.query_budget``:
    start-up and opening count), unless the index had to be built first: that is not the
    query's time."""
    import time

    from briefreader.search.budget import Budget

    budget = query_budget()
    started = time.monotonic()
    library = open_library(workspace)
    if time.monotonic() - started > budget.seconds:
        budget = Budget()
    return library, budget


def open_library(workspace: Workspace, quiet: bool | None = None) -> Library:
    """Open the index, building or repairing it first when needed (with a progress bar on a
    terminal, unless ``-q``; an index that exists but cannot be used is named first). Only
    the text phase runs: ``briefreader index`` (or the reader) recognises the entities."""
    from briefreader.cli.progress import run_index
    from briefreader.search.index.store import IndexUnavailable, active_dir
    from briefreader.search.library import Library

    try:
        return with_note_tags(Library.open(workspace))
    except IndexUnavailable as reason:
        if active_dir(workspace.index_dir) is not None:
            err_console().print(
                f"index: {reason}; rebuilding it from articles/ (notes are kept)", markup=False
            )
        quiet = verbosity() < 0 if quiet is None else quiet
        report = run_index(workspace, quiet=quiet, entities=False)  # the text phase: at once
        if report.rebuilt or report.added:
            err_console().print(f"index built: {counted(report.articles, 'article')}", markup=False)
        return with_note_tags(Library.open(workspace))


def with_note_tags(library: Library) -> Library:
    """Let the library's queries filter by note tags (``tag:name``) from the workspace's notes."""
    from briefreader.notes.store import tag_resolver

    library.tag_articles = tag_resolver(library.workspace.notes_db)
    return library


def cmd_articles(args: argparse.Namespace) -> int:
    from rich.text import Text

    library = open_library(workspace_from(args))
    summaries = library.articles()
    if args.json:
        print_json({"articles": [asdict(s) for s in summaries]})
        return 0
    console = out_console()
    for s in summaries:
        line = Text(f"{s.id:<28} {s.date or '—':<10} {s.source or '—':<10} ")
        line.append(strip_control(s.title), style="bold")
        line.append(f"  ({counted(s.passages, 'paragraph')})", style="dim")
        console.print(line)
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    from briefreader.search.backend import AmbiguousArticleId

    library = open_library(workspace_from(args))
    try:
        article = library.article(library.resolve_article_id(given_id(args.article_id)))
    except AmbiguousArticleId as error:
        raise CommandError(f"{error}, or list them with 'briefreader articles'") from None
    except KeyError as error:
        raise CommandError(
            f"no article {error.args[0]!r}; list them with 'briefreader articles'"
        ) from None
    if args.raw:
        return _show_raw(library.workspace, article)
    if args.json:
        data = asdict(article)
        data["extra"] = library.extra(article.id)
        print_json(data)
        return 0
    out_console().print(render_article(article))
    return 0


def _show_raw(workspace: Workspace, article: Article) -> int:
    from rich.text import Text

    path = workspace.articles_dir / article.path
    try:
        data = path.read_bytes()
    except OSError as error:
        raise CommandError(f"cannot read {article.path}: {error.strerror or error}") from error
    out_console().print(Text(strip_control(raw_text(data))))
    return 0


def raw_text(data: bytes) -> str:
    """A file's text as the loader decodes it (UTF-16 by its byte-order mark, cp1252 when
    not UTF-8), with every kind of line end as a newline; undecodable data as UTF-8 with
    replacement characters."""
    try:
        text = decode_bytes(data).text
    except NotText:
        text = data.decode("utf-8", errors="replace")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def render_article(article: Article) -> Text:
    """The cleaned article as rich Text (plain strings only: article text is never markup)."""
    from rich.text import Text

    text = Text()
    text.append(strip_control(article.title) + "\n", style="bold")
    meta = " · ".join(
        x
        for x in (
            article.source,
            article.date or "",
            counted(len(article.passages), "paragraph"),
            article.id,
        )
        if x
    )
    text.append(meta + "\n", style="dim")
    for line in article.deck:
        text.append(f"  • {strip_control(line)}\n", style="italic")
    heading_starts = {h.start: h.text for h in article.headings}
    for block_start, block in _blocks(article):
        if block_start in heading_starts:
            text.append(f"\n{strip_control(block)}\n", style="bold underline")
        else:
            text.append(f"\n{strip_control(block)}\n")
    if article.references:
        text.append("\nReferences\n", style="bold underline")
        for ref in article.references:
            text.append(f"[{ref.label}] {strip_control(ref.text)}\n", style="dim")
    return text


def _blocks(article: Article) -> list[tuple[int, str]]:
    blocks = []
    offset = 0
    for block in article.text.split("\n\n"):
        blocks.append((offset, block))
        offset += len(block) + 2
    return blocks
