"""A Whoosh commit that reports its progress: most of a commit is writing the postings the
writer pooled (and those of the segments it merges), so they are counted as they go by."""

from __future__ import annotations

from itertools import islice
from typing import Any

from briefreader.models import ProgressFn
from briefreader.search.index.whoosh_patches import pool_size

COMMIT_REPORT_EVERY = 50_000  # postings


def commit_reporting(
    writer: Any, progress: ProgressFn, mergetype: Any, phase: str = "committing"
) -> None:
    """Commit, reporting progress as ``phase`` through the postings Whoosh writes (most of a
    commit)."""
    pool = getattr(writer, "pool", None)
    total = pool_size(pool) if pool is not None else 0
    progress(phase, 0, total + 1)
    if pool is not None and total:
        postings = pool.iter_postings

        def counted() -> Any:
            """The postings, a step of progress after every ``COMMIT_REPORT_EVERY`` (handed
            on a list at a time: a Python step per posting cost 3% of a text phase)."""
            items, done = iter(postings()), 0
            while chunk := list(islice(items, COMMIT_REPORT_EVERY)):
                yield from chunk
                done += len(chunk)
                if len(chunk) == COMMIT_REPORT_EVERY:  # merged segments add postings: cap
                    progress(phase, min(done, total), total + 1)

        pool.iter_postings = counted
    writer.commit(mergetype=mergetype)
    progress(phase, total + 1, total + 1)
