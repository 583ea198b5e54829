"""The entity phase of an index run: recognise the entities of the articles the text phase
left pending, batch by batch, and rewrite their documents with their entity fields.

The text phase (``indexer.update_index``) makes every article searchable and readable at
once and marks those whose entities are not in the entity cache as pending in the catalog.
Here each batch is recognised (and cached), its articles' documents are deleted and added
again with the entity fields (Whoosh cannot update a field in place), the catalog's entity
names and pending marks are updated, and the batches are committed. A kill loses at most the
recognition of the batch in hand; the next run starts again from the articles still pending
(those recognised but not yet committed come back from the entity cache).

Writing costs more than recognising with the rules recogniser: a Whoosh commit flushes a
segment, and a merge rewrites every posting of the segments it takes in, as dear as writing
them. Committing every batch of a full build merged ever-larger segments again and again (232
of 259 CPU s of the phase at BBC ×2: docs/performance.md); committing eight equal shares and
merging them at the end still spent half the phase on the merge. So recognition batches stay
small (progress, kills) while one writer takes them in, and the phase commits at
``COMMIT_POINTS``: once about 1% of its articles are done (the newest: entity search and
highlights reach them within seconds; the first batch is a tenth of the others, so that a small
phase commits early too), again at about 10%, and at the end, each share about ten times the
one before. The last commit's merge (``merging.tiered_merge``) then copies only
the small early segments, about a tenth of what the phase wrote, and the text phase's
segment, emptied by the rewrites of a full build, is dropped without being copied.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import sys
import time
from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from briefreader.models import Article, ProgressFn
from briefreader.search.index.analysed import (
    Group,
    add_analysed,
    analysed_groups,
    without_passage_texts,
)
from briefreader.search.index.catalog import (
    ArticleSummary,
    Catalog,
    PackedForms,
    read_pending_catalog,
    write_catalog,
)
from briefreader.search.index.collector import collector_paused
from briefreader.search.index.committing import commit_reporting
from briefreader.search.index.documents import catalog_from_index, stored_article, summarize
from briefreader.search.index.enrich import (
    Enricher,
    Enrichment,
    default_enricher,
    remove_legacy_cache,
)
from briefreader.search.index.merging import sparing_emptied, tiered_merge
from briefreader.search.index.store import IndexUnavailable, open_active, write_lock
from briefreader.search.index.workers import WorkerPool

# A batch ends at this much text (or this many articles): about 15 CPU s of spaCy NER on one
# core, the most a kill or a quit can lose; big enough for a process pool to pay for itself.
BATCH_CHARS = 1_000_000
BATCH_ARTICLES = 2_000
WRITER_LIMIT_MB = 128
# The shares of its articles after which a phase commits (and at the end): each commit makes
# the batches so far searchable by entity in the reader; each share is about ten times the
# one before, so the last commit's merge copies only about a tenth of what the phase wrote.
COMMIT_POINTS = (0.01, 0.1)
# The first batch is this much smaller than the others, and committed at once when more
# follow: the newest articles get entity search and highlights within seconds, even in a
# phase too small to reach a commit point between full batches.
FIRST_BATCH_SHARE = 10

# A phase this long starts by giving back the memory the text phase freed; a shorter one does
# not pay for the full garbage collection (in the reader, a pause of the screen's thread too).
TRIM_MIN_ARTICLES = 1_000

_T = TypeVar("_T")
StopFn = Callable[[], bool]
MergePolicy = Callable[[Any, list[Any]], list[Any]]
# Called after each committed batch: articles done, articles pending at the start, batch ids.
AfterBatch = Callable[[int, int, tuple[str, ...]], None]


class EntityPhaseStopped(Exception):
    """The caller asked the entity phase to stop (the reader quits)."""


@dataclass
class EntityReport:
    """What an entity phase did: articles recognised and written, commits made, and
    how many articles still wait (non-zero when it was stopped)."""

    recognised: int = 0
    commits: int = 0
    total: int = 0
    left: int = 0
    stopped: bool = False
    recogniser: str = ""
    notices: list[str] = field(default_factory=list)
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)


def give_back_freed_memory() -> None:
    """Return to the system the memory this process freed but glibc's allocator kept (the
    text phase's parsed articles and postings): at BBC ×4, 53 MB of the 184 MB the main
    process held after the text phase, for the whole entity phase. Elsewhere, nothing."""
    gc.collect()
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):  # not glibc (musl…)
            ctypes.CDLL("libc.so.6").malloc_trim(0)


def _never() -> bool:
    return False


def _no_progress(phase: str, done: int, total: int) -> None:
    return None


def recognise_pending(
    workspace: Any,
    *,
    enricher: Enricher | None = None,
    progress: ProgressFn | None = None,
    should_stop: StopFn | None = None,
    after_batch: AfterBatch | None = None,
    batch_chars: int | None = None,
    merge_policy: MergePolicy = tiered_merge,
) -> EntityReport:
    """Recognise the entities of every pending article, batch by batch, committing at
    ``COMMIT_POINTS`` and at the end.

    ``progress("entities", done, total)`` reports articles; ``after_batch(done, total, ids)``
    is called after each commit with the ids of the articles it wrote (the reader refreshes
    its library, and the open article if it was among them); ``should_stop`` is asked between
    articles (between chunks of about 50,000 characters when worker processes recognise, as
    ``EntityEnricher.stream`` decides): a stop gives up what is not committed (the entity
    cache keeps what was recognised) and returns. A batch ends at ``batch_chars`` of text
    (``BATCH_CHARS``).
    ``merge_policy`` is the last commit's ``mergetype`` (the indexer's ``MERGE_POLICY``);
    the others merge nothing. The rewritten documents are analysed in this process: with
    worker processes here the build at BBC ×32 peaked at 966 MB against 758 without, for
    a phase 17% shorter (docs/performance.md).

    Raises:
        IndexBusy: another process holds the index lock.
        OSError: the disk is full or not writable (committed batches stay).
    """
    report = EntityReport()
    started = time.perf_counter()
    enricher = enricher if enricher is not None else default_enricher(workspace)
    with write_lock(workspace.index_dir, report.notices):
        try:
            ix, stored = open_active(workspace.index_dir, read_pending_catalog, mapped=False)
        except IndexUnavailable:
            return report  # nothing indexed: nothing to recognise
        catalog = stored
        if catalog is None or catalog.generation != ix.latest_generation():
            catalog = catalog_from_index(ix)
        phase = _Phase(ix, catalog, enricher, progress or _no_progress, should_stop or _never)
        phase.merge_policy = sparing_emptied(merge_policy)
        phase.run(report, after_batch, batch_chars or BATCH_CHARS)
        remove_legacy_cache(workspace.index_dir)
    report.seconds = time.perf_counter() - started
    return report


@dataclass
class _Phase:
    ix: Any
    catalog: Catalog
    enricher: Enricher
    progress: ProgressFn
    should_stop: StopFn
    merge_policy: MergePolicy = tiered_merge
    _writes: _Writes | None = None

    @property
    def folder(self) -> Path:
        return Path(self.ix.storage.folder)

    def run(
        self,
        report: EntityReport,
        after_batch: AfterBatch | None,
        batch_chars: int,
    ) -> None:
        """Every batch in turn, newest articles first (they are the likeliest to be read)."""
        order = {a.id: n for n, a in enumerate(self.catalog.newest_first())}
        waiting = sorted(self.catalog.pending, key=lambda i: order.get(i, len(order)))
        if getattr(self.enricher, "cached", None) is None:  # entities are switched off
            if waiting:
                self.catalog.clear_pending()
                self._save_catalog()
            return
        report.total = len(waiting)
        if len(waiting) >= TRIM_MIN_ARTICLES:
            give_back_freed_memory()
        points = [share * len(waiting) for share in (0.0, *COMMIT_POINTS)]  # 0: the first
        batches = self._batches(iter(waiting), batch_chars)
        recognised = self._recognised(batches, report)
        try:
            for batch, enrichments in _timed(recognised, report, "recognising"):
                if self.should_stop():
                    break
                self._write(batch, enrichments, report)
                if points and points[0] <= report.recognised < report.total:  # more follow
                    self._commit(report, after_batch, final=False)
                    points = [point for point in points if point > report.recognised]
            if not self.should_stop():
                self._commit(report, after_batch, final=True)
        except EntityPhaseStopped:
            pass
        finally:
            recognised.close()  # stops the workers, if any
            self._cancel()  # stopped: what was not committed comes back from the cache
        report.recogniser = str(getattr(self.enricher, "recogniser", ""))
        finish = getattr(self.enricher, "finish", None)
        if finish is not None:
            report.notices.extend(finish())
        report.left = len(self.catalog.pending)
        report.stopped = report.left > 0

    def _batches(self, ids: Iterator[str], batch_chars: int) -> Iterator[list[Article]]:
        """The pending articles in batches of ``batch_chars`` of text, the first a tenth of
        that (``FIRST_BATCH_SHARE``)."""
        batch = self._next_batch(ids, max(1, batch_chars // FIRST_BATCH_SHARE))
        while batch:
            yield batch
            batch = self._next_batch(ids, batch_chars)

    def _recognised(
        self, batches: Iterator[list[Article]], report: EntityReport
    ) -> Generator[tuple[list[Article], dict[str, Enrichment]], None, None]:
        """Each batch with its enrichments (``EntityEnricher.stream``: worker processes may
        recognise a batch ahead). Progress counts the articles done before the batch."""

        def progress(phase: str, count: int, total: int) -> None:
            if self.should_stop():
                raise EntityPhaseStopped
            self.progress("entities", report.recognised + count, report.total)

        stream = getattr(self.enricher, "stream", None)
        if stream is not None:
            yield from stream(batches, progress)
            return
        for batch in batches:
            yield batch, self.enricher(batch, progress)

    def _next_batch(self, ids: Iterator[str], batch_chars: int) -> list[Article]:
        """The next pending articles, read from the index, up to ``batch_chars`` of text."""
        batch: list[Article] = []
        size = 0
        with self.ix.searcher() as searcher:
            for article_id in ids:
                article = stored_article(searcher, article_id)
                if article is None:  # gone from the index: nothing to recognise
                    self.catalog.forget_pending(article_id)
                    continue
                batch.append(article)
                size += len(article.text)
                if size >= batch_chars or len(batch) >= BATCH_ARTICLES:
                    break
        return batch

    def _write(
        self, batch: Sequence[Article], enrichments: dict[str, Enrichment], report: EntityReport
    ) -> None:
        """Hand a recognised batch to the open writer, and count it done."""
        timer = time.perf_counter()
        with collector_paused():  # a reader's screen thread gets it back between batches
            self._rewrite(batch, enrichments)
        _add_timing(report, "writing", timer)
        report.recognised += len(batch)
        self.progress("entities", report.recognised, report.total)

    def _rewrite(self, batch: Sequence[Article], enrichments: dict[str, Enrichment]) -> None:
        """Delete and add again the batch's documents with their entity fields (in the
        phase's open writer; nothing is visible before ``_commit``)."""
        if self._writes is None:
            self._writes = _Writes(self.ix.writer(limitmb=WRITER_LIMIT_MB))
        writes = self._writes

        def group_of(article: Article) -> Group:
            return [(without_passage_texts(article), enrichments.get(article.id, Enrichment()))]

        try:
            for article, (documents,) in analysed_groups(batch, group_of, WorkerPool(0)):
                writes.writer.delete_by_term("article_id", article.id)
                for document in documents:
                    add_analysed(writes.writer, document)
                extra = enrichments.get(article.id, Enrichment())
                writes.articles.append((summarize(article), PackedForms(extra.forms)))
        except BaseException:
            self._cancel()
            raise

    def _commit(self, report: EntityReport, after_batch: AfterBatch | None, final: bool) -> None:
        """Commit the open writer (merging only on the phase's last commit), then write the
        catalog (entity names, pending marks) for the new generation."""
        writes, self._writes = self._writes, None
        if writes is None:
            return
        timer = time.perf_counter()
        try:
            mergetype = self.merge_policy if final else _no_merge
            with collector_paused():
                notices = commit_reporting(
                    writes.writer, self.progress, mergetype, "saving entities"
                )
        except BaseException:
            writes.writer.cancel()
            raise
        report.notices.extend(notices)
        for summary, forms in writes.articles:
            self.catalog.put_article(summary, forms)
        self._save_catalog()
        _add_timing(report, "writing", timer)
        report.commits += 1
        if after_batch is not None:
            ids = tuple(summary.id for summary, _ in writes.articles)
            after_batch(report.recognised, report.total, ids)

    def _cancel(self) -> None:
        """Give up the open writer, if any (its temporary files are removed)."""
        writes, self._writes = self._writes, None
        if writes is not None:
            writes.writer.cancel()

    def _save_catalog(self) -> None:
        self.catalog.generation = self.ix.latest_generation()
        write_catalog(
            self.folder, self.catalog, lambda done, total: self.progress("catalog", done, total)
        )


@dataclass
class _Writes:
    """The phase's open writer and the articles written to it since the last commit."""

    writer: Any
    articles: list[tuple[ArticleSummary, PackedForms]] = field(default_factory=list)


def _no_merge(writer: Any, segments: list[Any]) -> list[Any]:
    """A Whoosh ``mergetype`` that keeps every segment (the phase's commits but its last)."""
    return segments


def _timed(items: Iterator[_T], report: EntityReport, name: str) -> Iterator[_T]:
    """The items, with the time spent waiting for each added to ``report.timings[name]``."""
    while True:
        timer = time.perf_counter()
        try:
            item = next(items)
        except StopIteration:
            return
        finally:
            _add_timing(report, name, timer)
        yield item


def _add_timing(report: EntityReport, name: str, since: float) -> None:
    report.timings[name] = report.timings.get(name, 0.0) + time.perf_counter() - since
