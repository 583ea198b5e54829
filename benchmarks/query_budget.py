"""``python -m benchmarks.query_budget [--scale N] [--limit N] [--workspace DIR]``: the
query budget measured.

Builds a workspace from the BBC corpus (entities off: only the search index matters here),
or reads the index of an existing one (``--workspace``, e.g. a ×16 build; nothing in it is
written), then times the most expensive queries the budget still accepts (40 common words,
2 fuzzy ``~2`` words, 2 two-letter wildcards, 1,000 characters) and the refusal of queries
over it (20,000 words, ``~9``, a 120 KB paste), each several times, with CPU seconds and the
load.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks.corpus import build_corpus
from benchmarks.timing import summarize_ms
from briefreader.search.index.indexer import update_index
from briefreader.search.library import Library
from briefreader.search.query import QueryError
from briefreader.workspace import Workspace

COMMON = [
    *("said", "year", "people", "government", "would", "also", "first"),
    *("last", "told", "world", "new", "time", "two"),
]
EDGE = {
    "40 common words OR-ed": " OR ".join((COMMON * 4)[:20]),
    "40 common words": " ".join((COMMON * 4)[:40]),
    "2 fuzzy ~2 + 38 words": " ".join(["government~2", "minister~2", *(COMMON * 3)[:38]]),
    "1 fuzzy ~2": "government~2",
    "2 wildcards (2 letters)": "th* co*",
    "40 long words (~1,000 characters)": " ".join(["internationalisation"] * 40),
}
OVER = {
    "20,000 words": "said " * 20_000,
    "x~9": "x~9",
    "120 KB paste": "harbour " * 15_000,
    "3 wildcards": "th* st* co*",
}


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _time(run: Callable[[], Any], repeat: int) -> dict[str, Any]:
    """Wall-clock statistics and CPU seconds of ``run`` repeated, and what it answered."""
    walls, outcome, cpu = [], "", _cpu()
    for _ in range(repeat):
        start = time.perf_counter()
        try:
            outcome = f"{run().total} matches"
        except QueryError as error:
            outcome = f"refused: {error}"
        walls.append(time.perf_counter() - start)
    return {**summarize_ms(walls), "cpu_s": round(_cpu() - cpu, 3), "outcome": outcome}


def main() -> None:
    """Build, measure, print JSON (and keep it in benchmarks/results/)."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.query_budget")
    parser.add_argument("--scale", type=int, default=1, help="copies of the BBC corpus (1)")
    parser.add_argument("--limit", type=int, default=None, help="first N articles only")
    parser.add_argument("--repeat", type=int, default=5, help="runs of each query (5)")
    parser.add_argument(
        "--workspace", type=Path, default=None, help="measure this workspace's index (no build)"
    )
    args = parser.parse_args()
    if args.workspace is not None:
        results = _measure(Workspace(args.workspace.resolve()), args.repeat)
        results.update(scale=args.scale, workspace=str(args.workspace))
    else:
        results = _build_and_measure(args.scale, args.limit, args.repeat)
    text = json.dumps(results, indent=2)
    print(text)
    out = os.path.join(os.path.dirname(__file__), "results", f"query_budget-x{args.scale}.json")
    with open(out, "w", encoding="utf-8") as handle:
        handle.write(text + "\n")


def _build_and_measure(scale: int, limit: int | None, repeat: int) -> dict[str, Any]:
    """A fresh BBC workspace (entities off), built, measured and deleted."""
    corpus = build_corpus(scale, limit, entities="off")
    try:
        started = time.perf_counter()
        update_index(corpus.workspace)
        built = time.perf_counter() - started
        results = _measure(corpus.workspace, repeat)
        results.update(
            scale=scale,
            megabytes=round(corpus.megabytes, 1),
            build_s=round(built, 1),
        )
    finally:
        shutil.rmtree(corpus.workspace.root.parent, ignore_errors=True)
    return results


def _measure(workspace: Workspace, repeat: int) -> dict[str, Any]:
    """Every query of ``EDGE`` and ``OVER`` timed ``repeat`` times on the workspace's index."""
    library = Library.open(workspace)
    try:
        return {
            "articles": len(library.articles()),
            "load_before": os.getloadavg(),
            "accepted": {k: _time(lambda q=q: library.search(q), repeat) for k, q in EDGE.items()},
            "refused": {k: _time(lambda q=q: library.search(q), repeat) for k, q in OVER.items()},
            "load_after": os.getloadavg(),
            "cpus": os.cpu_count(),
        }
    finally:
        library.close()


if __name__ == "__main__":
    main()
