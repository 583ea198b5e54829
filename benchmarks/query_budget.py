"""``python -m benchmarks.query_budget [--scale N] [--limit N] [--workspace DIR] [--calibrate]``:
the query budget measured (issue 19: any query answered within 2 s or refused in one line
before 2 s have passed).

Builds a workspace from the BBC corpus (entities off: only the search index matters here),
or reads the index of an existing one (``--workspace``, e.g. a ×16 build; nothing in it is
written but the caches an index folder keeps per generation, when they are missing), then
runs the most expensive queries of each class the static rules accept (40 common words, 2
fuzzy ``~2`` words, 2 two-letter wildcards, 1,000 characters…) and queries over those rules,
several times each, through the library (what the reader's search box runs), through
``briefreader search`` in this process (opening the index included) and through
``briefreader search --facets`` (the same, with the counts over every match).
Each class: how many runs were answered and refused (up front, by their cost, or at the
deadline), median/p95/max time to the answer and to the refusal, CPU seconds, the load;
after the runs, the threads left and the CPU burned in the next half second (a refused
query must leave nothing running).

``--calibrate`` prints, for each query, its cost (``search/budget.py``: documents visited
× posting lists) against the CPU seconds it takes without a budget: the ratio is what
``MAX_WORK`` is derived from.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import shutil
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks.corpus import build_corpus
from benchmarks.timing import summarize_ms
from briefreader.search.budget import Budget, QueryTooSlow, query_cost
from briefreader.search.index.indexer import update_index
from briefreader.search.library import Library
from briefreader.search.query import QueryError
from briefreader.workspace import Workspace

COMMON = [
    *("said", "year", "people", "government", "would", "also", "first"),
    *("last", "told", "world", "new", "time", "two"),
]
EDGE = {
    "20 common words OR-ed": " OR ".join((COMMON * 4)[:20]),
    "40 common words": " ".join((COMMON * 4)[:40]),
    "2 fuzzy ~2 + 38 words": " ".join(["government~2", "minister~2", *(COMMON * 3)[:38]]),
    "1 fuzzy ~2": "government~2",
    "2 fuzzy ~2 OR-ed": "government~2 OR minister~2",
    "2 wildcards (2 letters)": "th* co*",
    "1 wildcard (2 letters)": "st*",
    "2 wildcards OR-ed": "pre* OR pro*",
    "40 long words (~1,000 characters)": " ".join(["internationalisation"] * 40),
    "2 plain words": "prime minister",
}
OVER = {
    "20,000 words": "said " * 20_000,
    "x~9": "x~9",
    "120 KB paste": "harbour " * 15_000,
    "3 wildcards": "th* st* co*",
}


class _BudgetRefusal(Exception):
    """``briefreader search`` refused a query over its budget (exit 2, one line)."""


def _cpu() -> float:
    times = os.times()
    return times.user + times.system


def _outcome(run: Callable[[], Any]) -> tuple[str, float]:
    """What one run did ("answered", "refused up front", "refused at the deadline",
    "refused by a rule") and its wall-clock seconds."""
    start = time.perf_counter()
    try:
        run()
        kind = "answered"
    except QueryTooSlow as error:
        kind = "refused up front" if error.up_front else "refused at the deadline"
    except _BudgetRefusal:
        kind = "refused by the budget"
    except QueryError:
        kind = "refused by a rule"
    return kind, time.perf_counter() - start


def _time(run: Callable[[], Any], repeat: int) -> dict[str, Any]:
    """Wall-clock statistics per outcome and CPU seconds of ``run`` repeated."""
    by_kind: dict[str, list[float]] = {}
    cpu = _cpu()
    for _ in range(repeat):
        kind, seconds = _outcome(run)
        by_kind.setdefault(kind, []).append(seconds)
    return {
        "cpu_s": round(_cpu() - cpu, 3),
        **{kind: summarize_ms(walls) for kind, walls in by_kind.items()},
    }


def _cli(workspace: Workspace, text: str, *options: str) -> Callable[[], None]:
    """``briefreader search TEXT [OPTIONS]`` in this process (index opened each time, so
    ``--facets`` reads the facet data and entity table its index folder keeps), output
    dropped; a refusal (exit 2) raised again as the library's error."""
    from briefreader.cli import main

    def run() -> None:
        err = io.StringIO()
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
            code = main(["-w", str(workspace.root), "search", text, *options])
        if code == 2:
            message = err.getvalue()
            raise (_BudgetRefusal if "would take longer" in message else QueryError)(message)

    return run


def _left_running() -> dict[str, Any]:
    """Threads still alive and CPU seconds this process burns in the next half second."""
    cpu = _cpu()
    time.sleep(0.5)
    return {"threads": threading.active_count(), "cpu_s_in_next_0.5_s": round(_cpu() - cpu, 3)}


def main() -> None:
    """Build, measure, print JSON (and keep it in benchmarks/results/)."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.query_budget")
    parser.add_argument("--scale", type=int, default=1, help="copies of the BBC corpus (1)")
    parser.add_argument("--limit", type=int, default=None, help="first N articles only")
    parser.add_argument("--repeat", type=int, default=5, help="runs of each query (5)")
    parser.add_argument(
        "--workspace", type=Path, default=None, help="measure this workspace's index (no build)"
    )
    parser.add_argument(
        "--calibrate", action="store_true", help="cost against CPU per query, no budget"
    )
    args = parser.parse_args()
    measure = _calibrate if args.calibrate else _measure
    if args.workspace is not None:
        results = measure(Workspace(args.workspace.resolve()), args.repeat)
        results.update(scale=args.scale, workspace=str(args.workspace))
    else:
        results = _build_and_measure(args.scale, args.limit, args.repeat, measure)
    text = json.dumps(results, indent=2)
    print(text)
    name = f"query_budget{'-calibrate' if args.calibrate else ''}-x{args.scale}.json"
    out = os.path.join(os.path.dirname(__file__), "results", name)
    with open(out, "w", encoding="utf-8") as handle:
        handle.write(text + "\n")


def _build_and_measure(
    scale: int, limit: int | None, repeat: int, measure: Callable[[Workspace, int], dict]
) -> dict[str, Any]:
    """A fresh BBC workspace (entities off), built, measured and deleted."""
    corpus = build_corpus(scale, limit, entities="off")
    try:
        started = time.perf_counter()
        update_index(corpus.workspace)
        built = time.perf_counter() - started
        results = measure(corpus.workspace, repeat)
        results.update(
            scale=scale,
            megabytes=round(corpus.megabytes, 1),
            build_s=round(built, 1),
        )
    finally:
        shutil.rmtree(corpus.workspace.root.parent, ignore_errors=True)
    return results


def _measure(workspace: Workspace, repeat: int) -> dict[str, Any]:
    """Every query of ``EDGE`` and ``OVER`` run ``repeat`` times through the library and the
    command line, each class's outcomes timed."""
    library = Library.open(workspace)
    try:
        results: dict[str, Any] = {
            "articles": len(library.articles()),
            "load_before": os.getloadavg(),
        }
        queries = {**EDGE, **OVER}
        results["library"] = {
            k: _time(lambda q=q: library.search(q), repeat) for k, q in queries.items()
        }
        results["library_left_running"] = _left_running()
    finally:
        library.close()
    results["cli"] = {k: _time(_cli(workspace, q), repeat) for k, q in queries.items()}
    results["cli_left_running"] = _left_running()
    results["cli_facets"] = {
        k: _time(_cli(workspace, q, "--facets"), repeat) for k, q in queries.items()
    }
    results["cli_facets_left_running"] = _left_running()
    results.update(load_after=os.getloadavg(), cpus=os.cpu_count())
    return results


def _calibrate(workspace: Workspace, repeat: int) -> dict[str, Any]:
    """Each ``EDGE`` query's cost and its best CPU seconds of ``repeat`` runs, no budget."""
    import briefreader.search.budget as budget

    library = Library.open(workspace)
    budget.MAX_TERMS = budget.MAX_WORK = 10**18  # measure what the limits would refuse
    try:
        rows = {}
        for name, text in EDGE.items():
            with library.lock:
                parsed = library.article_query(text)
                cost = query_cost(parsed, library.searcher)
            cpus = []
            for _ in range(repeat):
                started = time.thread_time()
                library.search(text, budget=Budget(seconds=10**6))
                cpus.append(time.thread_time() - started)
            rows[name] = {
                "visits": cost.visits,
                "terms": cost.terms,
                "work": cost.work,
                "cpu_s": round(min(cpus), 3),
                "us_per_step": round(min(cpus) / max(cost.work, 1) * 1e6, 3),
            }
        return {"articles": len(library.articles()), "load": os.getloadavg(), "queries": rows}
    finally:
        library.close()


if __name__ == "__main__":
    main()
