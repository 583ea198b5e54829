"""The index run, owned in one place: the CLI and the reader both call ``run_index``.

One run reads the settings once, moves legacy data, updates the index (with the entity
enricher), embeds new passages (``[related] semantic = true``), opens or refreshes the library
and re-anchors the notes of the articles the run changed. Progress goes through one callback,
``ProgressFn``. Lives above ``search`` and ``notes`` (it uses both) and below the CLI and the
reader; no Textual here.
"""

from __future__ import annotations

import pickle
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Literal

from briefreader.models import ProgressFn
from briefreader.notes import NotesError, ReanchorReport
from briefreader.search.index import indexer
from briefreader.search.index.enrich import (
    Enricher,
    EntityEnricher,
    default_enricher,
    load_options_for,
)
from briefreader.search.index.entity_phase import AfterBatch, EntityReport, recognise_pending
from briefreader.search.index.indexer import IndexReport, LockedStep, update_index
from briefreader.search.index.pending import clear_reanchor_pending
from briefreader.search.index.store import IndexBusy, IndexUnavailable, snapshot_id
from briefreader.search.library import Library
from briefreader.sync import describe, needs_reanchoring, reanchor_workspace_notes
from briefreader.workspace import Workspace

# Which notes a run re-anchors: those of the articles it changed (nothing if it changed
# nothing), or every note (``briefreader notes reanchor``).
Reanchor = Literal["changed", "all"]


@dataclass
class IndexRun:
    """What a run did: the index report, the library (when kept open), the notes' report,
    and the entity phase's report (when it ran).

    ``notes_notice`` is one line for the user when re-anchoring changed anything or failed.
    """

    report: IndexReport
    library: Library | None = None
    notes: ReanchorReport | None = None
    notes_notice: str = ""
    entities: EntityReport | None = None


def run_index(
    workspace: Workspace,
    *,
    rebuild: bool = False,
    progress: ProgressFn | None = None,
    library: Library | None = None,
    keep_open: bool = False,
    reanchor: Reanchor = "changed",
    entities: bool = True,
    should_stop: Callable[[], bool] | None = None,
) -> IndexRun:
    """Bring the index up to date, then embed and re-anchor notes as the settings ask, then
    (``entities``) recognise the entities the text phase left pending. ``should_stop`` (the
    reader quitting) stops the text phase before its commit (``IndexStopped``).

    ``library`` is a library already open on this workspace (the reader's): it is refreshed
    if the index changed. ``keep_open`` returns an open library in ``IndexRun.library`` (the
    caller closes it); otherwise one opened here is closed before returning. The reader
    passes ``entities=False`` and runs ``run_entities`` in the background.

    Raises:
        IndexBusy: another process holds the index lock.
        IndexStopped: ``should_stop`` said so (the previous index stays as it was).
        OSError: the disk is full or not writable (the previous index stays intact).
        ValueError: bad settings (an invalid boilerplate pattern).
        IndexUnavailable: the updated index could not be opened.
    """
    settings = workspace.settings()
    semantic = bool(settings.section("related").get("semantic", False))
    enricher = default_enricher(workspace, settings)
    report = update_index(
        workspace,
        rebuild=rebuild,
        progress=progress,
        options=load_options_for(workspace, settings),
        enricher=enricher,
        before=_move_legacy_vectors(workspace) if semantic else None,
        after=_embed(workspace) if semantic else None,
        entities=False,
        should_stop=should_stop,
    )
    run = IndexRun(report)
    _open_and_reanchor(workspace, run, library, keep_open, reanchor)
    if entities and report.pending:
        del report  # set aside below: ``run.report`` is the one reference
        with _report_set_aside(run):
            run.entities = run_entities(workspace, progress=progress, enricher=enricher)
        run.report.entities = run.entities
        if run.library is not None and run.entities.commits:
            run.library.refresh()
    return run


@contextmanager
def _report_set_aside(run: IndexRun) -> Iterator[None]:
    """Keep the text phase's report as one pickled string meanwhile. Its lists (every
    file's path, every article's id, every skipped file) were made as the files were
    parsed, among the objects the text phase has freed since, and they kept Python's
    allocator from giving back the memory around them: 85 MB of an entity phase at BBC ×32
    (docs/performance.md, "Where the entity phase's memory goes")."""
    packed = pickle.dumps(run.report, pickle.HIGHEST_PROTOCOL)
    del run.report
    try:
        yield
    finally:
        run.report = pickle.loads(packed)


def keep_reader_caches(workspace: Workspace, before: tuple[str, int] | None) -> float | None:
    """Build the active generation's entity table and facet data, which the index folder
    keeps (``search/generation_cache.py``), so that the first reader after an index run
    does not: they were 3.7 of the 4.3 CPU s of the first ``search --facets`` after an index
    change at BBC ×16. Only when the index moved on from ``before`` (``snapshot_id`` taken
    at the start of the run). Best effort: an index that cannot be opened now is left to
    the reader. Returns the seconds taken, None when nothing was built.
    """
    from briefreader.search.facets import facet_data_and_table

    if snapshot_id(workspace.index_dir) in (before, None):
        return None
    started = time.perf_counter()
    try:
        library = Library.open(workspace)
    except IndexUnavailable:
        return None
    try:
        facet_data_and_table(library)
    except OSError:  # the index became unreadable meanwhile: the reader will say so
        return None
    finally:
        library.close()
    return time.perf_counter() - started


def run_entities(
    workspace: Workspace,
    *,
    progress: ProgressFn | None = None,
    should_stop: Callable[[], bool] | None = None,
    after_batch: AfterBatch | None = None,
    enricher: Enricher | None = None,
    processes: int | None = None,
) -> EntityReport:
    """The entity phase (``search/index/entity_phase.py``): recognise the pending articles
    batch by batch. Another process holding the index lock is not an error here: it runs
    the phase itself (a notice says so). ``processes`` overrides ``[entities] processes``
    for the default enricher (the reader asks for 1).

    Raises:
        OSError: the disk is full or not writable (committed batches stay).
    """
    if enricher is None and processes is not None:
        enricher = default_enricher(workspace)
        if isinstance(enricher, EntityEnricher):
            enricher.options = {**enricher.options, "processes": processes}
    try:
        return recognise_pending(
            workspace,
            enricher=enricher,
            progress=progress,
            should_stop=should_stop,
            after_batch=after_batch,
            merge_policy=indexer.MERGE_POLICY,
        )
    except IndexBusy as error:
        return EntityReport(notices=[f"entities not recognised now: {error}"], stopped=True)


def _open_and_reanchor(
    workspace: Workspace,
    run: IndexRun,
    library: Library | None,
    keep_open: bool,
    reanchor: Reanchor,
) -> None:
    """Refresh (or open) the library and re-anchor the notes the text phase moved."""
    report = run.report
    wanted = _notes_to_reanchor(workspace, report, reanchor)
    has_notes_to_move = wanted != frozenset()
    if library is None and not (keep_open or has_notes_to_move):
        return  # nothing needs the index open
    opened = library is None
    library = Library.open(workspace) if library is None else library
    try:
        if not opened and report.changed:
            library.refresh()
        if has_notes_to_move:
            _reanchor(workspace, library, wanted, run)
    finally:
        if opened and not keep_open:
            library.close()
    run.library = library if keep_open or not opened else None


def _notes_to_reanchor(
    workspace: Workspace, report: IndexReport, reanchor: Reanchor
) -> frozenset[str] | None:
    """The article ids whose notes to re-anchor: None for all, empty for none.

    Re-anchoring is the last step of an index run's commit protocol: the indexer marks it
    pending before it commits, so a run killed before this step leaves every note to be
    re-anchored by the next run, even one with nothing to index.
    """
    if not workspace.notes_db.exists():
        clear_reanchor_pending(workspace.index_dir)
        return frozenset()
    if reanchor == "all" or report.reanchor_everything:
        return None
    if not needs_reanchoring(workspace, report):
        return frozenset()
    return frozenset(report.touched)


def _reanchor(
    workspace: Workspace, library: Library, wanted: frozenset[str] | None, run: IndexRun
) -> None:
    """Re-anchor notes, then clear the pending mark; a failure here never loses the index
    update (it becomes a notice, and the mark stays for the next run)."""
    try:
        run.notes = reanchor_workspace_notes(workspace, library, wanted)
    except NotesError as error:
        run.notes_notice = f"notes were not re-anchored: {error}"
        return
    clear_reanchor_pending(workspace.index_dir)
    run.notes_notice = describe(run.notes) or ""


def _move_legacy_vectors(workspace: Workspace) -> LockedStep:
    """The step before an update: move vectors an earlier version kept in the index folder
    (before a rebuild can delete them)."""

    def step(report: IndexReport, progress: ProgressFn) -> None:
        from briefreader.search.semantic import move_legacy_store

        move_legacy_store(workspace.index_dir)

    return step


def _embed(workspace: Workspace) -> LockedStep:
    """The step after an update (semantic extra): embed the passages that have no vector yet,
    so related passages never wait for the model. Only the changed articles and those
    missing from the store are read."""

    def step(report: IndexReport, progress: ProgressFn) -> None:
        from briefreader.search import semantic

        reason = semantic.available()
        if reason is not None:
            report.notices.append(f"semantic related passages are off: {reason}")
            return
        timer = time.perf_counter()
        library = Library.open(workspace)
        try:
            semantic.update_embeddings(library, progress, report.changed_articles)
        finally:
            library.close()
        report.timings["embedding"] = time.perf_counter() - timer

    return step
