"""A large commit's postings written by two processes: this one and a helper.

Most of a large commit is encoding postings into Whoosh's blocks, one field after another,
on one core while the other waits (at BBC ×32, 43 s of a 188 s text phase). When the
writer's pool has spilled runs to disk, they hold every posting sorted by field and term,
and each field's chunks lie together in each run (``TermPool.ranges``). Here a helper
process reads the last fields (by name) from those runs and encodes them into a postings
file of its own, while this process writes the first ones as before. Then this process
appends the helper's postings to the segment's and adds its terms, each term's pointer
moved by where the helper's postings begin. Fields are written in the order a single
process writes them, so the segment's files are the same bytes (tests compare them).

The helper reports how many postings it has written through a small file, which this
process reads every half second, while it writes and while it waits: the commit's progress
counts both. If the helper cannot start or dies, this process encodes its fields itself from
the same runs (a notice says so when it died): nothing is lost.
"""

from __future__ import annotations

import os
import shutil
import struct
import time
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from functools import partial
from typing import Any, TypeVar

from whoosh.codec import whoosh3
from whoosh.filedb.structfile import StructFile
from whoosh.system import pack_int, pack_long, pack_ushort

from briefreader.search.index import workers
from briefreader.search.index.term_pool import (
    TermPool,
    add_block_wise,
    length_table,
    merge_runs,
    run_terms,
    write_terms,
    written_postings,
)

# Bytes of spilled runs below which one process writes the segment: starting the helper
# (about half a second) would cost more than it saves.
SPLIT_FROM_BYTES = 48 * 1024 * 1024
PROGRESS_EVERY = 50_000  # postings the helper writes between two reports
POLL_SECONDS = 0.5  # how often this process reports the helper's progress while it waits
_COUNT = struct.Struct("<q")

# (term bytes, term info bytes before its pointer, pointer, length); a term whose postings
# Whoosh inlined in its info has the whole info as the second item and -1 as pointer.
Row = tuple[bytes, bytes, int, int]
Encoded = list[tuple[str, list[Row]]]  # each field's terms, in order
Note = Callable[[int], None]  # told how many postings the helper has written
_NO_POINTER = -1
_T = TypeVar("_T")


@dataclass(frozen=True)
class FieldsTask:
    """What the helper needs to encode some fields: the runs (file, field ranges), the
    fields (name -> Whoosh field, in order), their length bytes per document, the number
    of documents, the codec's block settings and where to write postings and progress."""

    runs: list[tuple[str, dict[str, tuple[int, int]]]]
    fields: dict[str, Any]
    lengths: dict[str, bytes | None]
    documents: int
    codec: tuple[int, int, int]  # block limit, compression, inline limit
    postings_path: str
    progress_path: str


def write_split(fieldwriter: Any, schema: Any, lengths: Any, pool: Any) -> bool:
    """Write the pool's terms with a helper process for the last fields, if the segment is
    large enough and there is a core for it; False (nothing written) otherwise."""
    if not _worth_splitting(fieldwriter, pool):
        return False
    helper_fields = fields_for_helper(pool.ranges)
    if not helper_fields:
        return False
    task = FieldsTask(
        runs=pool.run_files(),
        fields={name: schema[name] for name in helper_fields},
        lengths={name: lengths.column(name) if lengths else None for name in helper_fields},
        documents=lengths.documents() if lengths else 0,
        codec=_codec_settings(fieldwriter),
        postings_path=os.path.join(pool.tempstore.folder, "helper.pst"),
        progress_path=os.path.join(pool.tempstore.folder, "helper.progress"),
    )
    table = lengths.table if lengths else None
    note = getattr(pool, "written_elsewhere", None) or (lambda postings: None)
    with open(task.progress_path, "wb") as handle:
        handle.write(_COUNT.pack(0))
    helper_progress = partial(_written, task.progress_path)
    with workers.WorkerPool(1, pool.notices) as helper:
        future = helper.submit(encode_fields, task)
        mine = pool.iter_terms(leave=helper_fields)
        write_terms(fieldwriter, schema, table, _noting(mine, helper_progress, note))
        encoded = _awaited(future, task, helper_progress, note, pool)
    note(helper_progress())
    _append_encoded(fieldwriter, schema, task.postings_path, encoded)
    pool.cleanup()
    return True


def _noting(terms: Iterator[_T], helper_progress: Callable[[], int], note: Note) -> Iterator[_T]:
    """``terms``, with the helper's progress noted about every ``POLL_SECONDS`` meanwhile."""
    last = time.monotonic()
    for term in terms:
        yield term
        now = time.monotonic()
        if now - last >= POLL_SECONDS:
            last = now
            note(helper_progress())


def _awaited(
    future: Future[Encoded] | None,
    task: FieldsTask,
    helper_progress: Callable[[], int],
    note: Note,
    pool: Any,
) -> Encoded:
    """What the helper encoded, its progress noted while it works; if it could not start or
    died, the same fields encoded here (in a thread, so its progress is noted too), with a
    notice for the run's report (``pool.notices``)."""
    if future is not None:
        try:
            return _polled(future, helper_progress, note)
        except BrokenProcessPool as error:
            notice = f"the commit's helper process stopped ({error}); this process wrote its part"
            pool.notices.append(notice)
    with ThreadPoolExecutor(1) as here:
        return _polled(here.submit(encode_fields, task), helper_progress, note)


def _polled(future: Future[Encoded], helper_progress: Callable[[], int], note: Note) -> Encoded:
    while not wait([future], timeout=POLL_SECONDS).done:
        note(helper_progress())
    return future.result()


def _worth_splitting(fieldwriter: Any, pool: Any) -> bool:
    """A pool of spilled runs on disk, at least ``SPLIT_FROM_BYTES`` of them, Whoosh's own
    field writer, and a second core (``BRIEFREADER_WORKERS=0`` keeps one process)."""
    if not isinstance(pool, TermPool) or type(fieldwriter) is not whoosh3.W3FieldWriter:
        return False
    if type(fieldwriter._codec) is not whoosh3.W3Codec:
        return False
    if not pool.finish_runs() or not pool.run_files():
        return False
    spilled = sum(end - start for ranges in pool.ranges.values() for start, end in ranges.values())
    if spilled < SPLIT_FROM_BYTES or workers.available_cores() < 2:
        return False
    return workers.default_workers(workers.MIN_PARALLEL_FILES) >= 1


def fields_for_helper(ranges: Mapping[str, Mapping[str, tuple[int, int]]]) -> list[str]:
    """The last fields by name whose runs' bytes come nearest half of all (at least one
    field stays here): this process writes the first ones meanwhile, in order."""
    sizes: dict[str, int] = {}
    for spans in ranges.values():
        for name, (start, end) in spans.items():
            sizes[name] = sizes.get(name, 0) + end - start
    names = sorted(sizes)
    total = sum(sizes.values())
    best, best_gap, tail = len(names), total, 0
    for position in range(len(names) - 1, 0, -1):
        tail += sizes[names[position]]
        gap = abs(2 * tail - total)
        if gap < best_gap:
            best, best_gap = position, gap
    return names[best:]


def _codec_settings(fieldwriter: Any) -> tuple[int, int, int]:
    codec = fieldwriter._codec
    return codec._blocklimit, codec._compression, codec._inlinelimit


def encode_fields(task: FieldsTask) -> Encoded:
    """In the helper: encode the task's fields from the runs, in order, into
    ``task.postings_path``; each field's terms with their info and pointer into that file."""
    from briefreader.search.index import block_writer  # noqa: F401  (the block writer)

    blocklimit, compression, inlinelimit = task.codec
    encoded: Encoded = []
    written = reported = 0
    handles = [open(path, "rb") for path, _spans in task.runs]  # noqa: SIM115
    try:
        with open(task.postings_path, "wb") as raw, open(task.progress_path, "r+b") as progress:
            postfile = StructFile(raw)
            for name, field in task.fields.items():
                runs = [
                    run_terms(handle, [spans[name]])
                    for handle, (_path, spans) in zip(handles, task.runs, strict=True)
                    if name in spans
                ]
                table = length_table(task.lengths.get(name), task.documents)
                postwriter = whoosh3.W3PostingsWriter(
                    postfile, blocklimit, compression=compression, inlinelimit=inlinelimit
                )
                rows: list[Row] = []
                for _name, btext, all_postings in merge_runs(runs):
                    postings = written_postings(all_postings)
                    if not postings:
                        continue
                    postwriter.start_postings(field.format, whoosh3.W3TermInfo())
                    add_block_wise(postwriter, postings, table)
                    rows.append(_row(btext, postwriter.finish_postings()))
                    written += len(postings)
                    if written - reported >= PROGRESS_EVERY:
                        reported = _report(progress, written)
                encoded.append((name, rows))
            postfile.flush()
            _report(progress, written)
    finally:
        for handle in handles:
            handle.close()
    return encoded


def _row(btext: bytes, info: Any) -> Row:
    """A term's row: its info's bytes without the pointer, which moves when appended."""
    if info.is_inlined():
        return btext, info.to_bytes(), _NO_POINTER, 0
    offset, length = info.extent()
    whole = info.to_bytes()
    return btext, whole[: len(whole) - len(pack_long(0)) - len(pack_int(0))], offset, length


def _report(progress: Any, written: int) -> int:
    progress.seek(0)
    progress.write(_COUNT.pack(written))
    progress.flush()
    return written


def _written(progress_path: str) -> int:
    """How many postings the helper says it has written."""
    try:
        with open(progress_path, "rb") as handle:
            return int(_COUNT.unpack(handle.read(_COUNT.size))[0])
    except (OSError, struct.error):
        return 0


def _append_encoded(fieldwriter: Any, schema: Any, postings_path: str, encoded: Encoded) -> None:
    """Append the helper's postings to the segment's and add its terms, each pointer moved
    by where they now begin; then end the field writer's last field."""
    postfile = fieldwriter._postfile
    base = postfile.tell()
    with open(postings_path, "rb") as source:
        shutil.copyfileobj(source, postfile, 8 * 1024 * 1024)
    add: Callable[[bytes, bytes], None] = fieldwriter._tindex.add
    for name, rows in encoded:
        fieldwriter.start_field(name, schema[name])
        prefix = pack_ushort(fieldwriter._fieldid)
        for btext, head, offset, length in rows:
            if offset == _NO_POINTER:
                add(prefix + btext, head)
            else:
                add(prefix + btext, head + pack_long(base + offset) + pack_int(length))
        fieldwriter.finish_field()
    os.remove(postings_path)
