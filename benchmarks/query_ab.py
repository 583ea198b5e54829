"""Two commits' read side over the same index: ``python -m benchmarks.query_ab REF WS``.

For a change that leaves the index as it is (ranking, matching, snippets): the working tree
and ``REF`` (checked out in a temporary git worktree) each open the indexed workspace ``WS``
in a fresh process, warm every query once, then time the query set of
``benchmarks.segments`` (common, rare, AND, phrase, prefix, entity; ``--per-kind`` each, top
20 with snippets) ``--repeats`` times; the two sides alternate, ``--rounds`` runs each, the
order flipping every round. Prints each run (p50, p95, CPU seconds, load) and the medians of
the runs per query kind; writes the JSON to ``benchmarks/results``. ``WS`` must be an index
both commits read (the same index format).

    python -m benchmarks.query_ab ec49bce /path/to/ws --rounds 4
"""

from __future__ import annotations

import argparse
import statistics
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks.compare import alternating_runs, run_child
from benchmarks.report import finish_run

CHILD = """
import json, sys, time
from pathlib import Path
from benchmarks import segments
from benchmarks.timing import summarize_ms
from briefreader.search.library import Library
from briefreader.workspace import Workspace
library = Library.open(Workspace(Path(sys.argv[1])))
queries = segments.query_set(library, int(sys.argv[2]))
for query in queries:
    library.search(query.brief, limit=20)
samples = {}
start = time.process_time()
for _ in range(int(sys.argv[3])):
    for query in queries:
        began = time.perf_counter()
        library.search(query.brief, limit=20)
        samples.setdefault(query.kind, []).append(time.perf_counter() - began)
cpu = time.process_time() - start
result = {kind: summarize_ms(times) for kind, times in samples.items()}
result["all"] = summarize_ms([t for times in samples.values() for t in times])
print(json.dumps({"kinds": result, "cpu_s": round(cpu, 3)}))
"""


def one_run(src: Path, workspace: Path, per_kind: int, repeats: int) -> dict[str, Any]:
    """The query set over ``workspace`` with the code in ``src``, in a fresh process."""
    return run_child(src, CHILD, str(workspace), str(per_kind), str(repeats))


def medians(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Per query kind, the median over the runs of each run's p50 and p95; CPU seconds."""
    kinds = runs[0]["kinds"]
    return {
        kind: {
            key: round(statistics.median(run["kinds"][kind][key] for run in runs), 3)
            for key in ("median_ms", "p95_ms")
        }
        for kind in kinds
    } | {"cpu_s": round(statistics.median(run["cpu_s"] for run in runs), 3)}


def print_table(result: dict[str, Any]) -> None:
    """Medians of the runs, REF → this tree."""
    ref, tree = result["sides"]["ref"], result["sides"]["tree"]
    print(f"{result['ref']} → this tree, {result['rounds']} runs each, loads {result['loads']}")
    print(f"{'kind':<8} {'p50 ref':>9} {'p50 tree':>9} {'p95 ref':>9} {'p95 tree':>9}")
    for kind in (k for k in ref if k != "cpu_s"):
        cells = [ref[kind]["median_ms"], tree[kind]["median_ms"]]
        cells += [ref[kind]["p95_ms"], tree[kind]["p95_ms"]]
        print(f"{kind:<8} " + " ".join(f"{cell:9.2f}" for cell in cells))
    print(f"CPU s (median run): ref {ref['cpu_s']}, tree {tree['cpu_s']}")


def main(argv: Sequence[str] | None = None) -> int:
    """Run, print, save."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.query_ab", description=__doc__)
    parser.add_argument("ref", help="the commit to compare the working tree with")
    parser.add_argument("workspace", type=Path, help="an indexed workspace both can read")
    parser.add_argument("--rounds", type=int, default=2, help="runs of each side (2)")
    parser.add_argument("--per-kind", type=int, default=40, help="queries per kind (40)")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs of each query (3)")
    parser.add_argument("--output", type=Path, help="folder for the JSON (benchmarks/results)")
    args = parser.parse_args(argv)

    def run(side: str, src: Path, _round: int) -> dict[str, Any]:
        result = one_run(src, args.workspace, args.per_kind, args.repeats)
        every = result["kinds"]["all"]
        print(
            f"{side}: p50 {every['median_ms']:.2f} p95 {every['p95_ms']:.2f} ms, "
            f"CPU {result['cpu_s']} s, load {result['load']}",
            flush=True,
        )
        return result

    commit, runs = alternating_runs(args.ref, args.rounds, run)
    result = {
        "ref": args.ref,
        "ref_commit": commit,
        "workspace": str(args.workspace),
        "rounds": args.rounds,
        "runs": runs,
        "sides": {side: medians(side_runs) for side, side_runs in runs.items()},
        "loads": [run["load"] for side_runs in runs.values() for run in side_runs],
    }
    finish_run(result, f"query-ab-{args.ref}", args.output, print_table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
