"""A Whoosh commit that reports its progress: most of a commit is copying the postings of
the segments it merges into the writer's pool, then writing the pool's postings, so both are
counted as they go by (a commit at BBC ×32 is minutes of work, and none of it may be silent).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from itertools import islice
from typing import Any

from whoosh.filedb import compound

from briefreader.models import ProgressFn
from briefreader.search.index import segment_postings
from briefreader.search.index.schema import VOCABULARY_FIELDS
from briefreader.search.index.whoosh_patches import pool_size

COMMIT_REPORT_EVERY = 50_000  # postings
COPY_CHUNK = 8 * 1024 * 1024  # bytes copied into the compound file between two reports


def commit_reporting(
    writer: Any, progress: ProgressFn, mergetype: Any, phase: str = "committing"
) -> list[str]:
    """Commit, reporting progress as ``phase`` through the postings Whoosh writes, and as
    ``"merging"`` through those it copies from the segments ``mergetype`` merges; return the
    notices the commit left for the run's report."""
    pool = getattr(writer, "pool", None)
    total = pool_size(pool) if pool is not None else 0
    progress(phase, 0, total + 1)
    if pool is not None:
        per_document = total / writer.docnum if writer.docnum else 0.0
        writer.add_postings_to_pool = _merge_reporting(writer, progress, per_document)
        if hasattr(pool, "iter_terms"):  # a TermPool (whoosh_patches makes every pool one)
            pool.iter_terms = _terms_reporting(pool, progress, phase, total)
    if hasattr(writer, "_assemble_segment"):
        writer._assemble_segment = _assembly_reporting(writer, progress)
    writer.commit(mergetype=mergetype)
    if pool is not None:  # merged segments' postings were added to the pool (and written)
        total = max(total, pool_size(pool))
    progress(phase, total + 1, total + 1)
    return list(getattr(pool, "notices", ()))


def _terms_reporting(pool: Any, progress: ProgressFn, phase: str, total: int) -> Any:
    """``TermPool.iter_terms`` (what the commit writes, term by term) with a step of
    progress after about every ``COMMIT_REPORT_EVERY`` postings, out of the pool's postings
    when it writes them (merged segments' included: a full merge has no others). The
    postings a helper process writes (``split_commit``) count as it reports them
    (``pool.written_elsewhere``)."""
    terms = pool.iter_terms
    done = [0, 0]  # postings written here, and by the helper

    def report() -> None:
        total_now = max(total, pool_size(pool))
        progress(phase, min(sum(done), total_now), total_now + 1)

    def counted(**options: Any) -> Iterator[Any]:
        reported = 0
        for term in terms(**options):
            yield term
            done[0] += len(term[2])
            if done[0] - reported >= COMMIT_REPORT_EVERY:
                reported = done[0]
                report()

    def written_elsewhere(postings: int) -> None:
        done[1] = postings
        report()

    pool.written_elsewhere = written_elsewhere
    return counted


def _merge_reporting(writer: Any, progress: ProgressFn, per_document: float) -> Any:
    """``writer.add_postings_to_pool`` (a merge copying one segment's postings into the
    pool) as Whoosh has it, with a step of ``"merging"`` progress every
    ``COMMIT_REPORT_EVERY`` postings; the total is estimated from the segment's documents
    and the postings per document of the writer's own, or counted in the segment's terms
    when it has none (a full merge)."""

    def add_postings_to_pool(reader: Any, startdoc: int, docmap: Any) -> None:
        if per_document:
            estimate = int(reader.doc_count_all() * per_document)
        else:
            estimate = postings_in(reader)
        progress("merging", 0, max(estimate, 1))
        if hasattr(writer.pool, "add_term") and segment_postings.readable(reader):
            done = _copy_terms(writer, reader, (startdoc, docmap), progress, estimate)
        else:  # Whoosh's walk, one posting at a time
            items = writer._process_posts(reader.iter_postings(), startdoc, docmap)
            add, done = writer.pool.add, 0
            for chunk in _chunks(items):
                for item in chunk:
                    add(item)
                done += len(chunk)
                progress("merging", done, max(estimate, done + 1))
        progress("merging", done, done)

    return add_postings_to_pool


def _copy_terms(
    writer: Any, reader: Any, numbering: tuple[int, Any], progress: ProgressFn, estimate: int
) -> int:
    """Copy a segment's postings into the writer's ``TermPool`` a term at a time
    (``segment_postings``), reporting every ``COMMIT_REPORT_EVERY`` postings; how many."""
    startdoc, docmap = numbering
    add_term, done, reported = writer.pool.add_term, 0, 0
    for fieldname, btext, ids, weights, values in segment_postings.live_terms(
        reader, writer.schema
    ):
        if fieldname in VOCABULARY_FIELDS:  # a word of the segment: no document to renumber
            add_term(fieldname, btext, [(0, 1.0, values[0])])
        else:
            docnums = segment_postings.renumbered(ids, startdoc, docmap)
            add_term(fieldname, btext, list(zip(docnums, weights, values, strict=True)))
        done += len(ids)
        if done - reported >= COMMIT_REPORT_EVERY:
            reported = done
            progress("merging", done, max(estimate, done + 1))
    return done


def postings_in(reader: Any) -> int:
    """A segment's postings, summed from its terms' document frequencies (about a tenth of
    the CPU of reading the postings: 0.22 s for 3.45 million at BBC x4); 0 if unknown."""
    terms = getattr(reader, "_terms", None)
    if terms is None:
        return 0
    return sum(info.doc_frequency() for _key, info in terms.items())


def _chunks(items: Any) -> Iterator[list[Any]]:
    """``items`` a list of ``COMMIT_REPORT_EVERY`` at a time (a Python step per posting for
    progress cost 3% of a text phase)."""
    items = iter(items)
    while chunk := list(islice(items, COMMIT_REPORT_EVERY)):
        yield chunk


def _assembly_reporting(writer: Any, progress: ProgressFn) -> Callable[[], None]:
    """``writer._assemble_segment`` (Whoosh copying the new segment's files into one compound
    file, after its last posting is written: 390 MB and the longest silence of a build at BBC
    ×32) reporting ``"finishing"``: bytes copied out of the files' total."""
    assemble = writer._assemble_segment

    def assemble_reporting() -> None:
        if not writer.compound:
            assemble()
            return
        storage = writer.storage
        names = writer.get_segment().list_files(storage)
        total = sum(storage.file_length(name) for name in names) + 1
        progress("finishing", 0, total)
        with _copies_reported(lambda copied: progress("finishing", copied, total)):
            assemble()
        progress("finishing", total, total)

    return assemble_reporting


@contextmanager
def _copies_reported(report: Callable[[int], None]) -> Iterator[None]:
    """Whoosh's compound-file copy in ``COPY_CHUNK`` pieces, ``report``-ing the bytes copied
    so far after each (the index run is the only writer: the swap is not seen elsewhere)."""
    original, copied = compound.copyfileobj, 0

    def copy(source: Any, target: Any, length: int = 0) -> None:
        nonlocal copied
        while chunk := source.read(COPY_CHUNK):
            target.write(chunk)
            copied += len(chunk)
            report(copied)

    compound.copyfileobj = copy
    try:
        yield
    finally:
        compound.copyfileobj = original
