"""Query time over an index with deleted documents: Whoosh's filtered postings against ours.

    python -m benchmarks.deletions --scale 4 [--updates 20] [--per-kind 40] [--repeats 3]
    python -m benchmarks.deletions --workspace WS   # an index that already has deletions

Every one-file update leaves the old version of the file's article and passages in the big
segment, marked deleted, until a full merge. Whoosh then wraps every term's postings in that
segment in a ``FilterMatcher``; ``search.index.live_postings`` drops the deleted documents
inside the leaf matcher instead. This runs the query set of ``benchmarks.segments`` (common,
rare, AND, phrase, prefix, entity; top 20 with snippets) over the same index both ways,
interleaved query by query, the order alternating, ``--repeats`` times each (once untimed
first, to warm both). ``--scale`` builds BBC ×scale (``recogniser = "rules"``), makes
``--updates`` one-file changes, measures and removes it. Prints p50/p95 per query kind, the
CPU seconds of each side, the load average before and after; writes the JSON to
``benchmarks/results``.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from whoosh.reading import SegmentReader

from benchmarks.corpus import build_corpus, remove_corpus
from benchmarks.report import add_query_run_arguments, finish_run
from benchmarks.segments import (
    index_workspace,
    pick_files,
    query_set,
    summarize_queries,
    update_files,
)
from briefreader.search.index import live_postings
from briefreader.search.library import Library
from briefreader.workspace import Workspace

SIDES = ("whoosh", "live")


@contextmanager
def postings_of(side: str) -> Iterator[None]:
    """Segment readers give Whoosh's own postings (``whoosh``) or ours (``live``)."""
    SegmentReader.postings = (
        live_postings.WHOOSH_POSTINGS if side == "whoosh" else live_postings.live_postings
    )
    try:
        yield
    finally:
        SegmentReader.postings = live_postings.live_postings


def deleted_documents(library: Library) -> tuple[int, int]:
    """(deleted, all) documents of the index's segments."""
    reader = library.searcher.reader()
    return reader.doc_count_all() - reader.doc_count(), reader.doc_count_all()


def time_sides(library: Library, per_kind: int, repeats: int) -> dict[str, Any]:
    """Wall seconds per search and CPU seconds per side, interleaved query by query."""
    queries = query_set(library, per_kind)
    for query in queries:
        for side in SIDES:
            with postings_of(side):
                library.search(query.brief, limit=20)
    samples: dict[str, dict[str, list[float]]] = {side: {} for side in SIDES}
    cpu = dict.fromkeys(SIDES, 0.0)
    load_before = os.getloadavg()[0]
    for position, query in enumerate(queries):
        for repeat in range(repeats):
            order = SIDES if (position + repeat) % 2 == 0 else SIDES[::-1]
            for side in order:
                with postings_of(side):
                    cpu_start, start = time.process_time(), time.perf_counter()
                    library.search(query.brief, limit=20)
                    elapsed = time.perf_counter() - start
                    cpu[side] += time.process_time() - cpu_start
                samples[side].setdefault(query.kind, []).append(elapsed)
    return {
        "queries": summarize_queries(samples),
        "query_count": len(queries),
        "repeats": repeats,
        "cpu_s": {side: round(seconds, 3) for side, seconds in cpu.items()},
        "load_before": round(load_before, 2),
        "load_after": round(os.getloadavg()[0], 2),
    }


def measure(workspace: Workspace, per_kind: int, repeats: int) -> dict[str, Any]:
    """Both sides over one workspace's index."""
    library = Library.open(workspace)
    try:
        deleted, documents = deleted_documents(library)
        segments = len(list(library.searcher.reader().leaf_readers()))
        result = {"deleted_docs": deleted, "documents": documents, "segments": segments}
        return result | time_sides(library, per_kind, repeats)
    finally:
        library.close()


def built_and_updated(scale: int, updates: int, per_kind: int, repeats: int) -> dict[str, Any]:
    """Build BBC ×scale, make ``updates`` one-file changes, measure, remove it."""
    corpus = build_corpus(scale, entities="rules")
    try:
        workspace = corpus.workspace
        build = index_workspace(workspace, "tiered", rebuild=True)
        rounds = update_files(workspace, "tiered", pick_files(workspace, updates))
        result = {"scale": scale, "articles": corpus.files, "updates": updates, "build": build}
        result["rounds"] = rounds
        return result | measure(workspace, per_kind, repeats)
    finally:
        remove_corpus(corpus)


def print_table(result: dict[str, Any]) -> None:
    """p50/p95 per kind for both sides, their ratio, CPU seconds and load."""
    print(
        f"{result['documents']} documents, {result['deleted_docs']} deleted, "
        f"{result['segments']} segments; {result['query_count']} queries × "
        f"{result['repeats']} per side; load {result['load_before']} -> {result['load_after']}"
    )
    queries = result["queries"]
    kinds = list(queries["whoosh"])
    heads = ("whoosh p50", "live p50", "whoosh p95", "live p95")
    print(f"{'kind':<8} " + " ".join(f"{head:>11}" for head in heads) + "  ratio p95")
    for kind in kinds:
        old, new = queries["whoosh"][kind], queries["live"][kind]
        print(
            f"{kind:<8} {old['median_ms']:11.2f} {new['median_ms']:11.2f} "
            f"{old['p95_ms']:11.2f} {new['p95_ms']:11.2f}  ×{new['p95_ms'] / old['p95_ms']:.3f}"
        )
    cpu = result["cpu_s"]
    print(f"CPU s: whoosh {cpu['whoosh']}, live {cpu['live']} (×{cpu['live'] / cpu['whoosh']:.3f})")


def main(argv: Sequence[str] | None = None) -> int:
    """Run, print, save."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.deletions", description=__doc__)
    add_query_run_arguments(parser)
    parser.add_argument("--updates", type=int, default=20, help="one-file updates (20)")
    args = parser.parse_args(argv)
    if args.workspace:
        result = {"workspace": str(args.workspace)}
        result |= measure(Workspace(args.workspace), args.per_kind, args.repeats)
    else:
        result = built_and_updated(args.scale, args.updates, args.per_kind, args.repeats)
    finish_run(result, "deletions", args.output, print_table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
