"""Index with a progress bar on a terminal, quietly otherwise."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from briefreader.cli.common import CommandError, check_index_folder, err_console, printable
from briefreader.models import INDEX_PHASES, ProgressFn
from briefreader.pipeline import IndexRun, Reanchor
from briefreader.pipeline import run_index as run_pipeline
from briefreader.search.index.indexer import IndexReport
from briefreader.search.index.store import IndexBusy
from briefreader.workspace import Workspace


@contextmanager
def progress_reporter(enabled: bool) -> Iterator[ProgressFn]:
    """A progress callback drawing a rich bar on stderr (a no-op when disabled)."""
    if not enabled:
        yield lambda phase, done, total: None
        return
    columns = (
        TextColumn("{task.description:<18}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=err_console(), transient=True) as bar:
        tasks: dict[str, TaskID] = {}

        def report(phase: str, done: int, total: int) -> None:
            if phase not in tasks:
                tasks[phase] = bar.add_task(
                    INDEX_PHASES.get(phase, phase.capitalize()), total=total
                )
            bar.update(tasks[phase], completed=done, total=total)

        yield report


def run_index(
    workspace: Workspace, *, rebuild: bool = False, quiet: bool = False, entities: bool = True
) -> IndexReport:
    """Update the index, showing progress on a terminal; user-facing errors as CommandError.
    ``entities=False``: the text phase only (a search on a new workspace answers at once)."""
    run = run_indexing(workspace, rebuild=rebuild, quiet=quiet, entities=entities)
    if run.notes_notice:
        run.report.notices.append(run.notes_notice)
    return run.report


def run_indexing(
    workspace: Workspace,
    *,
    rebuild: bool = False,
    quiet: bool = False,
    reanchor: Reanchor = "changed",
    entities: bool = True,
) -> IndexRun:
    """The whole index run (``briefreader.pipeline``) with a progress bar on a terminal;
    user-facing errors as CommandError."""
    check_index_folder(workspace)
    show = not quiet and sys.stderr.isatty()
    try:
        with progress_reporter(show) as progress:
            return run_pipeline(
                workspace, rebuild=rebuild, progress=progress, reanchor=reanchor, entities=entities
            )
    except IndexBusy as error:
        raise CommandError(str(error), 75) from error
    except OSError as error:
        if _damaged_database(error):
            raise CommandError(
                f"could not write the index: it is damaged ({error.strerror or error}); "
                f"rebuild it with: briefreader -w {printable(str(workspace.root))} index --rebuild",
                74,
            ) from error
        raise CommandError(
            f"could not write the index: {error.strerror or error} "
            "(the previous index is unchanged)",
            74,
        ) from error
    except ValueError as error:  # bad settings such as an invalid boilerplate pattern
        raise CommandError(str(error)) from error


def _damaged_database(error: BaseException) -> bool:
    """Whether an error comes from an SQLite file of the index that is garbage or truncated."""
    import sqlite3

    damaged = {sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB}
    cause: BaseException | None = error
    while cause is not None:
        code = getattr(cause, "sqlite_errorcode", None)
        if isinstance(cause, sqlite3.DatabaseError) and code is not None and code & 0xFF in damaged:
            return True
        cause = cause.__cause__ or cause.__context__
    return False
