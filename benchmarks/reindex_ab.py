"""Two commits' one-file re-index on copies of one indexed workspace:
``python -m benchmarks.reindex_ab REF WS``.

The working tree and ``REF`` (checked out in a temporary git worktree) each get a copy of the
indexed workspace ``WS`` (articles, settings, index). A run is a fresh process that changes
one file and indexes (warming up: imports, the entity model), then ``--updates`` times
appends a sentence to another file and times ``update_index()`` in process, as the ×32
table's row does (wall and CPU seconds of each update). The sides alternate, ``--rounds``
runs each, the order flipping every round; each side keeps its copy, so both see their small
segment grow alike. Prints each run and the medians over all updates of a side; writes the
JSON to ``benchmarks/results``. ``WS`` must be an index both commits read.

    python -m benchmarks.reindex_ab 9b7dbd1 /path/to/ws --rounds 3 --updates 6
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks.compare import alternating_runs, run_child
from benchmarks.report import finish_run

CHILD = """
import json, sys, time
from pathlib import Path
from briefreader.search.index.indexer import update_index
from briefreader.workspace import Workspace
workspace = Workspace(Path(sys.argv[1]))
first, count = int(sys.argv[2]), int(sys.argv[3])
files = sorted(workspace.articles_dir.glob("*.txt"))
def change(number):
    path = files[(number * 7919 + 17) % len(files)]
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(f"\\nUpdate {number}: this story was corrected after publication.\\n")
change(10_000 + first)  # warm-up: imports, the catalog, the entity model
update_index(workspace)
walls, cpus = [], []
for number in range(first, first + count):
    change(number)
    began, cpu = time.perf_counter(), time.process_time()
    update_index(workspace)
    walls.append(time.perf_counter() - began)
    cpus.append(time.process_time() - cpu)
print(json.dumps({"wall_s": walls, "cpu_s": cpus}))
"""


def one_run(src: Path, workspace: Path, first: int, updates: int) -> dict[str, Any]:
    """``updates`` one-file re-indexes of ``workspace`` with the code in ``src``."""
    return run_child(src, CHILD, str(workspace), str(first), str(updates))


def summary(runs: list[dict[str, Any]]) -> dict[str, float]:
    """Median wall and CPU milliseconds over every update of a side's runs."""
    walls = [seconds for run in runs for seconds in run["wall_s"]]
    cpus = [seconds for run in runs for seconds in run["cpu_s"]]
    return {
        "median_ms": round(statistics.median(walls) * 1000, 1),
        "cpu_median_ms": round(statistics.median(cpus) * 1000, 1),
        "updates": len(walls),
    }


def print_table(result: dict[str, Any]) -> None:
    """Medians over all updates, REF → this tree."""
    ref, tree = result["sides"]["ref"], result["sides"]["tree"]
    print(f"{result['ref']} → this tree, {result['rounds']} runs each, loads {result['loads']}")
    print(f"{'':<22} {'ref':>9} {'tree':>9} {'ratio':>7}")
    for key, label in (("median_ms", "wall ms, median"), ("cpu_median_ms", "CPU ms, median")):
        ratio = tree[key] / ref[key] if ref[key] else float("nan")
        print(f"{label:<22} {ref[key]:9.1f} {tree[key]:9.1f} {ratio:7.3f}")


def main(argv: Sequence[str] | None = None) -> int:
    """Run, print, save."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.reindex_ab", description=__doc__)
    parser.add_argument("ref", help="the commit to compare the working tree with")
    parser.add_argument("workspace", type=Path, help="an indexed workspace both can read")
    parser.add_argument("--rounds", type=int, default=3, help="runs of each side (3)")
    parser.add_argument("--updates", type=int, default=6, help="timed updates per run (6)")
    parser.add_argument("--output", type=Path, help="folder for the JSON (benchmarks/results)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="briefbench-reindex-") as temp:
        copies = {side: Path(temp) / f"ws-{side}" for side in ("tree", "ref")}
        for copy in copies.values():
            shutil.copytree(args.workspace, copy, symlinks=True)

        def run(side: str, src: Path, round_: int) -> dict[str, Any]:
            result = one_run(src, copies[side], round_ * args.updates, args.updates)
            walls = ", ".join(f"{seconds * 1000:.0f}" for seconds in result["wall_s"])
            print(f"{side}: {walls} ms, load {result['load']}", flush=True)
            return result

        commit, runs = alternating_runs(args.ref, args.rounds, run)
    result = {
        "ref": args.ref,
        "ref_commit": commit,
        "workspace": str(args.workspace),
        "rounds": args.rounds,
        "updates_per_run": args.updates,
        "runs": runs,
        "sides": {side: summary(side_runs) for side, side_runs in runs.items()},
        "loads": [run["load"] for side_runs in runs.values() for run in side_runs],
    }
    finish_run(result, f"reindex-ab-{args.ref}", args.output, print_table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
