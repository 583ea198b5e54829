"""The text phase of an index run alone (``update_index(..., entities=False)``) on a fresh
BBC copy: MB of text per CPU-second and per wall second, CPU seconds, load average; with
``--profile``, a cProfile listing of it.

    python -m benchmarks.text_phase --scale 1 [--profile]

To compare two commits, run it with ``PYTHONPATH=<other checkout>/src:<other checkout>``
and without, one after the other, a few times (docs/performance.md).
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import resource
import time

from benchmarks.corpus import build_corpus, remove_corpus


def _cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def measure(scale: int, profile: bool = False, limit: int | None = None) -> dict[str, object]:
    """Index a fresh copy of BBC × ``scale`` (rules recogniser, entity phase not run)."""
    from briefreader.search.index.indexer import update_index

    corpus = build_corpus(scale, limit, entities="rules")
    megabytes = corpus.text_bytes / 1e6
    profiler = cProfile.Profile() if profile else None
    try:
        load, cpu, wall = os.getloadavg()[0], _cpu(), time.perf_counter()
        if profiler is not None:
            profiler.enable()
        report = update_index(corpus.workspace, entities=False)
        if profiler is not None:
            profiler.disable()
        cpu, wall = _cpu() - cpu, time.perf_counter() - wall
    finally:
        remove_corpus(corpus)
    if profiler is not None:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(50)
    return {
        "mb": round(megabytes, 2),
        "cpu_s": round(cpu, 2),
        "wall_s": round(wall, 2),
        "mb_per_cpu_s": round(megabytes / cpu, 3),
        "mb_per_s": round(megabytes / wall, 3),
        "load": round(load, 2),
        "timings": {k: round(v, 2) for k, v in report.timings.items()},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--scale", type=int, default=1)
    parser.add_argument("--limit", type=int, help="only this many BBC articles (a smoke run)")
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args(argv)
    print(json.dumps(measure(args.scale, args.profile, args.limit)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
