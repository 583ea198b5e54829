"""The index part of the main screen: open (or build) the index, watch it, report progress.

It owns the indexing bar and the placeholder shown while there is nothing to read, and posts
:class:`LibraryOpened` when a library is open (first time, or re-opened after a change).
"""

from __future__ import annotations

import gc
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

from textual import work
from textual.worker import get_current_worker

from briefreader.models import ProgressFn
from briefreader.notes.store import tag_resolver
from briefreader.text.decode import strip_control
from briefreader.text.wording import counted, grouped
from briefreader.tui.messages import (
    EntitiesFinished,
    EntitiesProgress,
    EntitiesWanted,
    IndexProgress,
    LibraryFailed,
    LibraryReady,
)
from briefreader.tui.screens.reader_parts import EntitiesAdded, LibraryOpened, Part, ReaderSession
from briefreader.tui.widgets.article_view import ArticleView
from briefreader.tui.widgets.indexing import IndexingStatus
from briefreader.tui.widgets.search_bar import SearchBar

# After an update, the reader merges the index's segments back into one once it has been
# left this long (``merge_when_idle``); the merge runs at the lowest CPU priority.
MERGE_IDLE_SECONDS = 5.0
# The reader's background entity phase recognises in one process, whatever
# ``[entities] processes`` says: a second one beside the reader would take the core its
# screen needs (the CLI uses them all). With a spaCy model and enough text that process is a
# worker (``search/index/recognising.py``), so the model and its CPU stay out of the reader's
# process; a quit does not wait for the chunk it holds.
READER_ENTITY_PROCESSES = 1
MERGE_COMMAND = ["-m", "briefreader.search.index.full_merge"]  # then the workspace folder
MERGE_POLL_SECONDS = 0.1  # how often the merge worker checks whether it was cancelled


class IndexPart(Part):
    """Opens the library in a worker, brings it up to date, and picks up outside changes."""

    building = "Building the index for the first time…"  # or why it is rebuilt
    coverage = (0, 0)  # (articles with entities, articles) while the entity phase runs
    entity_phase = False  # this reader runs the entity phase (it holds the index lock)
    merging = False  # this reader's background merge runs (it refreshes the library itself)
    merge_timer: Any = None

    def __init__(self, session: ReaderSession) -> None:
        super().__init__(session)
        self.merge_child = MergeChild()

    def on_unmount(self) -> None:
        """The reader is closing (Textual unmounts every screen's widgets on any exit):
        kill the merge now, not at the worker's next poll, which may come after exit."""
        self.merge_child.close()

    @work(thread=True, exclusive=True, group="library")
    def load_library(self) -> None:
        """Open the index at once if there is one, then bring it up to date; quitting stops
        the update before its commit (what it wrote is given up, the index stays as it was)."""
        from briefreader.pipeline import run_index
        from briefreader.search.index.indexer import IndexStopped
        from briefreader.search.index.store import IndexBusy, IndexUnavailable, active_dir
        from briefreader.search.library import Library

        workspace, library, worker = self.session.workspace, None, get_current_worker()
        try:
            library = Library.open(workspace)
            self.post_message(LibraryReady(library, final=False))
        except IndexUnavailable as reason:
            if active_dir(workspace.index_dir) is not None:  # there, but unusable: say why
                self.building = f"Rebuilding the index ({reason}); notes are kept…"
        try:
            run = run_index(
                workspace,
                progress=self._progress_poster(),
                library=library,
                keep_open=True,
                entities=False,
                should_stop=lambda: worker.is_cancelled,
            )
        except IndexStopped:  # the reader quits: the run gave up what it had not committed
            return
        except IndexUnavailable as error:
            self.post_message(LibraryFailed(f"Cannot open the index: {error}"))
            return
        except (IndexBusy, OSError, ValueError) as error:
            if library is None:
                self.post_message(LibraryFailed(f"Cannot build the index: {error}"))
            else:
                self.post_message(LibraryReady(library, f"Index not updated: {error}"))
            return
        notice = " · ".join(x for x in (report_notice(run.report), run.notes_notice) if x)
        first = "Index ready" if library is None else ""  # a reader already open says nothing
        self.post_message(LibraryReady(run.library, notice or first))
        if run.report.pending:
            self.post_message(EntitiesWanted())
        elif run.report.changed:
            self.call_later(self.merge_when_idle)

    def on_entities_wanted(self, _message: EntitiesWanted) -> None:
        """The text phase left articles without entities: recognise them in the background."""
        self.coverage = self.session.library.entity_coverage()
        self.entity_phase = True
        self.recognise_entities()

    @work(thread=True, exclusive=True, group="entities")
    def recognise_entities(self) -> None:
        """The entity phase, batch by batch, while the reader is used, in one process;
        quitting stops it after the article in hand (what was not committed is given up, the
        next run resumes, the entity cache keeps what was recognised)."""
        from briefreader.pipeline import run_entities

        worker = get_current_worker()
        try:
            report = run_entities(
                self.session.workspace,
                progress=self._entity_progress_poster(),
                should_stop=lambda: worker.is_cancelled,
                after_batch=self._batch_committed,
                processes=READER_ENTITY_PROCESSES,
            )
        except OSError as error:
            self.post_message(EntitiesFinished(f"Entities not recognised: {error}"))
            return
        notice = " · ".join(report.notices)
        if not report.stopped and report.recognised:
            notice = notice or f"Entities recognised in {counted(report.recognised, 'article')}"
        self.post_message(EntitiesFinished(notice))

    def _batch_committed(self, done: int, total: int, batch: tuple[str, ...]) -> None:
        """A batch is in the index: refresh the library here (off the UI thread), resolve
        the entity table again, then tell the screen."""
        library = self.session.library
        try:
            library.refresh()
            coverage = library.entity_coverage()
            library.entity_table()
        except index_failures():
            return  # the next batch tries again
        self.post_message(EntitiesProgress(done, total, batch, coverage))

    def _entity_progress_poster(self) -> ProgressFn:
        """Article by article progress of the entity phase, at most ~4 messages a second."""
        last = [0.0]

        def report(phase: str, done: int, total: int) -> None:
            now = time.monotonic()
            if now - last[0] > 0.25:
                last[0] = now
                saving = phase != "entities"  # a commit's postings
                self.post_message(EntitiesProgress(done, total, saving=saving))

        return report

    def on_entities_progress(self, message: EntitiesProgress) -> None:
        """Show the entity phase's progress; after a batch, search and read again in place."""
        if message.coverage is not None:
            self.coverage = message.coverage
        indexing = self.screen.query_one(IndexingStatus)
        indexing.display = True
        indexing.show_entities(message.done, message.total, self.coverage, message.saving)
        if message.batch:
            self.post_message(EntitiesAdded(frozenset(message.batch)))

    def on_entities_finished(self, message: EntitiesFinished) -> None:
        """The phase ended: hide its line, say so."""
        self.entity_phase = False
        self.screen.query_one(IndexingStatus).end_entities()
        if message.notice:
            self.notify(message.notice, markup=False)
        self.merge_when_idle()

    def merge_when_idle(self, delay: float | None = None) -> None:
        """An index run left new segments: merge them into one once the reader has been
        idle for ``MERGE_IDLE_SECONDS`` (each call starts the wait again)."""
        if self.merge_timer is not None:
            self.merge_timer.stop()
        wait = MERGE_IDLE_SECONDS if delay is None else delay
        self.merge_timer = self.set_timer(wait, self.merge_segments)

    @work(thread=True, exclusive=True, group="merge")
    def merge_segments(self) -> None:
        """Merge the segments in a process of its own at the lowest priority (no GIL shared
        with the reader, which keeps searching its snapshot), then refresh the library on
        the merged generation without a toast. Quitting kills the merge (``on_unmount``): the
        index keeps its previous generation."""
        from briefreader.search.index.full_merge import needs_merge

        workspace, worker = self.session.workspace, get_current_worker()
        if self.entity_phase or not needs_merge(workspace):
            return
        self.merging = True
        try:
            if self.merge_child.run(str(workspace.root), lambda: worker.is_cancelled) == 0:
                self._refresh_quietly()
        finally:
            self.merging = False

    def _refresh_quietly(self) -> None:
        """Read the merged generation (same results, one segment): no toast."""
        library = self.session.library
        if library is None:
            return
        try:
            changed = library.refresh()
        except index_failures():
            return  # the screen's poll tries again
        if changed:
            self.post_message(LibraryReady(library))

    def watch_index(self) -> None:
        """Pick up an index that another process has updated (the screen polls this); not
        while this reader's entity phase holds the index (it refreshes after each batch)."""
        if self.session.library is not None and not (self.entity_phase or self.merging):
            self.refresh_library()

    @work(thread=True, exclusive=True, group="library-refresh")
    def refresh_library(self) -> None:
        """Refresh the searcher if the index changed on disk (another ``briefreader index``)."""
        from briefreader.search.index.store import IndexUnavailable

        library = self.session.library
        try:
            changed = library.refresh()
        except (IndexUnavailable, OSError):
            return  # mid-swap or gone: the next tick tries again; the old snapshot stays usable
        if changed:
            self.post_message(LibraryReady(library, "The index was updated; results refreshed"))

    def _progress_poster(self) -> ProgressFn:
        """A progress callback that posts at most ~10 messages a second."""
        last: dict[str, Any] = {"phase": "", "time": 0.0}

        def report(phase: str, done: int, total: int) -> None:
            now = time.monotonic()
            if phase != last["phase"] or done >= total or now - float(last["time"]) > 0.1:
                last.update(phase=phase, time=now)
                self.post_message(IndexProgress(phase, done, total))

        return report

    def on_index_progress(self, message: IndexProgress) -> None:
        """Show indexing progress (first run, or new files)."""
        if message.phase == "scanning" and self.session.library is not None:
            return  # checking unchanged files: showing and hiding the bar repainted the body
        indexing = self.screen.query_one(IndexingStatus)
        indexing.display = True
        indexing.update_progress(message.phase, message.done, message.total)
        if self.session.library is None:
            self.screen.query_one(ArticleView).set_placeholder(self.building)

    def on_library_ready(self, message: LibraryReady) -> None:
        """The index is open: say what indexing did, then tell the screen."""
        first = self.session.library is None
        library = self.session.library = message.library
        library.tag_articles = tag_resolver(self.session.workspace.notes_db)  # ``tag:`` filters
        if message.notice:
            self.notify(message.notice, markup=False)
        if message.final:
            self.screen.query_one(IndexingStatus).display = False
            self.warm_entity_table()
        self.post_message(LibraryOpened(first))

    @work(thread=True, exclusive=True, group="entity-table")
    def warm_entity_table(self) -> None:
        """Resolve the corpus's entities off the UI thread, so that the first ``entity:``
        search (typed, or Enter in the Entities tab) does not wait for it; then freeze what
        exists for the garbage collector."""
        if self.session.library is not None:
            self.session.library.entity_table()
        _freeze_long_lived()

    def on_library_failed(self, message: LibraryFailed) -> None:
        """Say in plain words why there is nothing to read."""
        self.screen.query_one(IndexingStatus).display = False
        self.screen.query_one(SearchBar).set_status(message.reason, problem=True)
        self.screen.query_one(ArticleView).set_placeholder(message.reason)


class MergeChild:
    """The background merge's child processes, killable from any thread: the merge worker
    waits on its own, and the app's exit path (``IndexPart.on_unmount``) kills and reaps
    them at once, so a reader that quits never leaves a merge running behind it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running: set[subprocess.Popen[bytes]] = set()
        self._closed = False

    def run(self, root: str, cancelled: Callable[[], bool]) -> int | None:
        """Run ``full_merge`` on the workspace at ``root``; kill it when ``cancelled()``.
        Its exit code (None when killed, or not started because the reader is closing)."""
        with self._lock:
            if self._closed:
                return None
            command = [sys.executable, *MERGE_COMMAND, root]
            process = subprocess.Popen(
                command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
            self._running.add(process)
        try:
            while True:
                try:
                    code = process.wait(timeout=MERGE_POLL_SECONDS)
                except subprocess.TimeoutExpired:
                    if cancelled():
                        _kill(process)
                        return None
                    continue
                return None if code < 0 else code
        finally:
            with self._lock:
                self._running.discard(process)

    def close(self) -> None:
        """Kill and reap every merge running, and start none after this."""
        with self._lock:
            self._closed = True
            running, self._running = self._running, set()
        for process in running:
            _kill(process)


def _kill(process: subprocess.Popen[bytes]) -> None:
    """Kill a child process and reap it (no zombie left behind)."""
    if process.poll() is None:
        process.kill()
    process.wait()


def _freeze_long_lived() -> None:
    """Move what exists now (the index, catalog and entity table, which live as long as the
    reader) out of the garbage collector's way. Its full collections walked them all, which
    made one page-down in fifteen take 130-180 ms instead of 13 ms (benchmarks, 16×). What an
    earlier freeze kept and is garbage now (a replaced index) is collected first."""
    gc.unfreeze()
    gc.collect()
    gc.freeze()


def report_notice(report: Any) -> str:
    """What an index run changed, for a toast ("" when nothing changed)."""
    if not report.changed:
        return ""
    if report.rebuilt:
        reason = report.rebuilt.removesuffix("; rebuilding it")
        return f"Index rebuilt ({reason}): {counted(report.articles, 'article')}"
    parts = [f"{grouped(len(report.added))} added", f"{grouped(len(report.updated))} updated"]
    parts.append(f"{grouped(len(report.removed))} removed")
    notice = f"Indexed {counted(report.articles, 'article')} ({', '.join(parts)})"
    if report.skipped:  # the CLI names them; say so here too, with the first one's reason
        first = report.skipped[0]
        notice += (
            f"; {counted(len(report.skipped), 'file')} skipped"
            f" ({strip_control(str(first.path))}: {strip_control(first.reason)}"
            f"{', …' if len(report.skipped) > 1 else ''})"
        )
    return notice


def index_failures() -> tuple[type[Exception], ...]:
    """What reading the index can raise when another process replaces or damages it."""
    from briefreader.search.index.store import IndexUnavailable

    return (IndexUnavailable, OSError)


def index_failure_text(error: Exception) -> str:
    """The message for :func:`index_failures` (the reader goes on)."""
    return f"the index could not be read ({error}); try again in a moment"
