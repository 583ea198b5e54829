"""How much the article ranking moved with ``KindBM25F`` (search/weighting.py), and its speed.

    python -m benchmarks.ranking_change --scale 1 [--per-kind 40] [--repeats 3]
    python -m benchmarks.ranking_change --workspace WS

Runs the query set of ``benchmarks.segments`` (common, rare, AND, phrase, prefix, entity) over
one index with Whoosh's BM25F (statistics over every document: articles and passages) and
with ``KindBM25F`` (an article field's over the articles), interleaved query by query, and
reports per query kind the overlap of the two top 10s and top 20s (articles in both ÷ the
size of the smaller list), the share of queries whose first hit is the same, p50/p95 of each
side and their CPU seconds, with the load average. No judged set exists for article search:
this says how far the ranking moved, not whether it got better. BBC ×N repeats each article N
times, so use ``--scale 1`` for overlaps (copies tie). Writes the JSON to
``benchmarks/results``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Sequence
from typing import Any

from whoosh import scoring

from benchmarks.corpus import build_corpus, remove_corpus
from benchmarks.report import add_query_run_arguments, finish_run
from benchmarks.segments import index_workspace, query_set
from benchmarks.timing import summarize_ms
from briefreader.search.library import Library
from briefreader.search.query import QueryError
from briefreader.search.weighting import KindBM25F
from briefreader.workspace import Workspace

SIDES = {"whoosh": scoring.BM25F(), "kind": KindBM25F()}


def _overlap(first: list[str], second: list[str], depth: int) -> float | None:
    top_a, top_b = first[:depth], second[:depth]
    size = min(len(top_a), len(top_b))
    return len(set(top_a) & set(top_b)) / size if size else None


def compare(workspace: Workspace, per_kind: int, repeats: int) -> dict[str, Any]:
    """Both weightings over one workspace's index, interleaved."""
    library = Library.open(workspace)
    try:
        queries = query_set(library, per_kind)
        samples: dict[str, dict[str, list[float]]] = {side: {} for side in SIDES}
        cpu = dict.fromkeys(SIDES, 0.0)
        moved: dict[str, dict[str, list[float]]] = {}
        load_before = os.getloadavg()[0]
        for position, query in enumerate(queries):
            tops: dict[str, list[str]] = {}
            order = list(SIDES) if position % 2 == 0 else list(SIDES)[::-1]
            for repeat in range(repeats + 1):
                for side in order:
                    library.searcher.weighting = SIDES[side]
                    library.searcher._idf_cache.clear()
                    start_cpu, start = time.process_time(), time.perf_counter()
                    try:
                        hits = [hit.article_id for hit in library.search(query.brief).hits]
                    except QueryError:
                        hits = []
                    elapsed = time.perf_counter() - start
                    if repeat:  # the first round warms both
                        cpu[side] += time.process_time() - start_cpu
                        samples[side].setdefault(query.kind, []).append(elapsed)
                    tops[side] = hits
            row = moved.setdefault(query.kind, {"top10": [], "top20": [], "first": []})
            for depth in (10, 20):
                share = _overlap(tops["whoosh"], tops["kind"], depth)
                if share is not None:
                    row[f"top{depth}"].append(share)
            if tops["whoosh"] and tops["kind"]:
                row["first"].append(float(tops["whoosh"][0] == tops["kind"][0]))
        return {
            "queries": len(queries),
            "repeats": repeats,
            "overlap": {
                kind: {key: round(statistics.fmean(v), 3) if v else None for key, v in row.items()}
                for kind, row in moved.items()
            },
            "times": {
                side: {kind: summarize_ms(v) for kind, v in kinds.items()}
                | {"all": summarize_ms([s for v in kinds.values() for s in v])}
                for side, kinds in samples.items()
            },
            "cpu_s": {side: round(seconds, 3) for side, seconds in cpu.items()},
            "load_before": round(load_before, 2),
            "load_after": round(os.getloadavg()[0], 2),
        }
    finally:
        library.searcher.weighting = SIDES["kind"]
        library.close()


def print_table(result: dict[str, Any]) -> None:
    """Overlaps and times per kind."""
    print(
        f"{result['queries']} queries × {result['repeats']} per side; "
        f"load {result['load_before']} -> {result['load_after']}; CPU s {result['cpu_s']}"
    )
    heads = ("top10 ∩", "top20 ∩", "same 1st", "p50 W", "p50 K", "p95 W", "p95 K")
    print(f"{'kind':<8} " + " ".join(f"{head:>9}" for head in heads))
    times = result["times"]
    for kind in times["whoosh"]:
        row = result["overlap"].get(kind, {})
        cells = [row.get("top10"), row.get("top20"), row.get("first")]
        cells += [times[side][kind].get(key) for key in ("median_ms",) for side in SIDES]
        cells += [times[side][kind].get(key) for key in ("p95_ms",) for side in SIDES]
        print(f"{kind:<8} " + " ".join("        -" if c is None else f"{c:9.3f}" for c in cells))


def main(argv: Sequence[str] | None = None) -> int:
    """Run, print, save."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.ranking_change", description=__doc__
    )
    add_query_run_arguments(parser)
    args = parser.parse_args(argv)
    if args.workspace:
        result = {"workspace": str(args.workspace)}
        result |= compare(Workspace(args.workspace), args.per_kind, args.repeats)
    else:
        corpus = build_corpus(args.scale, entities="rules")
        try:
            index_workspace(corpus.workspace, "tiered", rebuild=True)
            result = {"scale": args.scale, "articles": corpus.files}
            result |= compare(corpus.workspace, args.per_kind, args.repeats)
        finally:
            remove_corpus(corpus)
    finish_run(result, "ranking-change", args.output, print_table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
