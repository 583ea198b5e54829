"""Merge the index's segments back into one, as a commit of its own.

The tiered policy (``merging.py``) keeps a one-file update cheap by leaving the big segment
alone, so after an update the index reads two segments; a query on two segments costs about
×1.16 at p95 of one on a fresh index at BBC ×1 (docs/scale.md). ``merge_segments`` rewrites
every segment into one (Whoosh's ``optimize``) under the workspace's index lock; it is what
``briefreader index --merge`` and the reader's idle merge run. A single segment that holds
deleted documents (files removed since it was written) is rewritten too: until then Whoosh
counts them in each word's document frequency, which spelling suggestions and BM25 read.

Kill-safe like any commit: Whoosh writes the new segment's files first and the table of
contents last, so a process killed before that keeps the previous generation (readers never
see a half-written segment; the next writer to take the index lock removes the orphaned
files, see ``store.remove_leftovers``). The catalog is then
tagged with the new generation; a kill between the two makes readers rebuild it, as after
any commit.
"""

from __future__ import annotations

import resource
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from whoosh.writing import OPTIMIZE

from briefreader.models import ProgressFn
from briefreader.search.index.catalog import read_catalog, write_catalog
from briefreader.search.index.committing import commit_reporting
from briefreader.search.index.documents import catalog_from_index
from briefreader.search.index.store import IndexUnavailable, open_active, write_lock
from briefreader.workspace import Workspace

WRITER_LIMIT_MB = 256
# Merge after an index run without being asked when the index is this small: a full merge
# rewrites every document (about 1 CPU s per 1,000 documents at BBC ×1), cheap up to here.
AUTO_MERGE_DOCUMENTS = 3_000


@dataclass
class MergeReport:
    """What a merge did: segments before and after, wall and CPU seconds."""

    segments_before: int = 0
    segments_after: int = 0
    documents: int = 0
    dropped: int = 0  # deleted documents the merge left out
    seconds: float = 0.0
    cpu_seconds: float = 0.0
    notices: list[str] = field(default_factory=list)

    @property
    def merged(self) -> bool:
        return self.segments_after < self.segments_before or self.dropped > 0


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _segments(ix: Any) -> tuple[int, int, int]:
    """The latest generation's segment count, live documents and deleted documents."""
    with ix.reader() as reader:
        live = reader.doc_count()
        return len(list(reader.leaf_readers())), live, reader.doc_count_all() - live


def segment_figures(workspace: Workspace) -> tuple[int, int, int]:
    """Segments, live documents and deleted documents of the workspace's active index
    ((0, 0, 0) if none)."""
    try:
        ix, _ = open_active(workspace.index_dir, lambda folder: None, mapped=False)
    except IndexUnavailable:
        return 0, 0, 0
    return _segments(ix)


def _worth_merging(segments: int, deleted: int) -> bool:
    """More than one segment, or one that still holds deleted documents."""
    return segments > 1 or (segments == 1 and deleted > 0)


def needs_merge(workspace: Workspace) -> bool:
    """Whether the active index has more than one segment, or deleted documents."""
    segments, _live, deleted = segment_figures(workspace)
    return _worth_merging(segments, deleted)


def cheap_to_merge(workspace: Workspace) -> bool:
    """``needs_merge``, and few enough documents (``AUTO_MERGE_DOCUMENTS``) that merging
    takes a few seconds at most."""
    segments, live, deleted = segment_figures(workspace)
    return _worth_merging(segments, deleted) and live <= AUTO_MERGE_DOCUMENTS


def merge_segments(workspace: Workspace, progress: ProgressFn | None = None) -> MergeReport:
    """Merge the active index's segments into one, under the index lock (nothing to do with
    none, or one without deleted documents), reporting ``merging`` then ``committing``
    progress.

    Raises:
        IndexBusy: another process holds the index lock.
        OSError: the disk is full or not writable (the previous generation stays).
    """
    report = MergeReport()
    started, cpu = time.perf_counter(), _cpu_seconds()
    with write_lock(workspace.index_dir, report.notices):
        try:
            ix, catalog = open_active(workspace.index_dir, read_catalog, mapped=False)
        except IndexUnavailable:
            return report
        report.segments_before, report.documents, deleted = _segments(ix)
        report.segments_after = report.segments_before
        if _worth_merging(report.segments_before, deleted):
            if catalog is None or catalog.generation != ix.latest_generation():
                catalog = catalog_from_index(ix)
            report.notices.extend(_optimize(ix, progress or (lambda phase, done, total: None)))
            catalog.generation = ix.latest_generation()
            write_catalog(Path(ix.storage.folder), catalog)
            report.segments_after = _segments(ix)[0]
            report.dropped = deleted
    report.seconds = time.perf_counter() - started
    report.cpu_seconds = _cpu_seconds() - cpu
    return report


def _optimize(ix: Any, progress: ProgressFn) -> list[str]:
    """One commit that rewrites every segment into one (deleted documents dropped); its
    notices."""
    writer = ix.writer(limitmb=WRITER_LIMIT_MB)
    try:
        return commit_reporting(writer, progress, OPTIMIZE)
    except BaseException:
        writer.cancel()
        raise


def main(argv: list[str] | None = None) -> int:
    """``python -m briefreader.search.index.full_merge WORKSPACE``: the reader's idle merge,
    in a process of its own (no GIL shared with the reader; a kill keeps the old generation).
    Exit 0 when merged or nothing to do, 75 when the index is busy, 74 on a disk error."""
    import os
    import sys

    from briefreader.search.index.store import IndexBusy

    args = sys.argv[1:] if argv is None else argv
    os.nice(19)  # the lowest priority: the reader and other work come first
    try:
        merge_segments(Workspace(Path(args[0])))
    except IndexBusy:
        return 75
    except OSError as error:
        print(f"could not merge the index: {error}", file=sys.stderr)
        return 74
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
