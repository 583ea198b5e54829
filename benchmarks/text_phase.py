"""The text phase of an index run alone (``update_index(..., entities=False)``) on a fresh
BBC copy: MB of text per CPU-second and per wall second, CPU seconds, peak RSS, load average;
with ``--profile``, a cProfile listing of it.

    python -m benchmarks.text_phase --scale 1 [--profile]
    python -m benchmarks.text_phase --scale 4 --compare main [--rounds 2]

``--compare REF`` checks commit ``REF`` out in a temporary git worktree and times this tree
and ``REF`` on the same corpus, each run in a fresh process (its own peak RSS), in the order
tree, REF, REF, tree, tree, REF… so that load changes hit both alike; it prints every run, the
medians and the ratios (tree ÷ REF), and writes the JSON to ``benchmarks/results``.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import resource
import shutil
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks.compare import Side, checkout, copy_workspace, run_json
from benchmarks.corpus import build_corpus, remove_corpus
from benchmarks.report import write_results

COMPARED = ("cpu_s", "wall_s", "mb_per_cpu_s", "mb_per_s", "peak_rss_mb")


def _cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def measure_workspace(root: Path, profile: bool = False) -> dict[str, object]:
    """Index the articles of workspace ``root`` from scratch (its index removed first)."""
    from briefreader.search.index.indexer import update_index
    from briefreader.workspace import Workspace

    workspace = Workspace(root)
    shutil.rmtree(workspace.index_dir, ignore_errors=True)
    workspace.index_dir.mkdir()
    megabytes = sum(p.stat().st_size for p in workspace.articles_dir.iterdir()) / 1e6
    profiler = cProfile.Profile() if profile else None
    load, cpu, wall = os.getloadavg()[0], _cpu(), time.perf_counter()
    if profiler is not None:
        profiler.enable()
    report = update_index(workspace, entities=False)
    if profiler is not None:
        profiler.disable()
    cpu, wall = _cpu() - cpu, time.perf_counter() - wall
    if profiler is not None:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(50)
    return {
        "mb": round(megabytes, 2),
        "cpu_s": round(cpu, 2),
        "wall_s": round(wall, 2),
        "mb_per_cpu_s": round(megabytes / cpu, 3),
        "mb_per_s": round(megabytes / wall, 3),
        "peak_rss_mb": _peak_rss_mb(),
        "load": [round(load, 2), round(os.getloadavg()[0], 2)],
        "timings": {k: round(v, 2) for k, v in report.timings.items()},
    }


def measure(scale: int, profile: bool = False, limit: int | None = None) -> dict[str, object]:
    """Index a fresh copy of BBC × ``scale`` (rules recogniser, entity phase not run).
    The peak RSS includes making the copy."""
    corpus = build_corpus(scale, limit, entities="rules")
    try:
        return measure_workspace(corpus.workspace.root, profile)
    finally:
        remove_corpus(corpus)


def _run_side(side: Side) -> dict[str, Any]:
    """One timed text phase of ``side`` on its workspace, in a fresh process."""
    command = ("benchmarks.text_phase", "--workspace", str(side.workspace))
    return run_json(side, "text phase", *command)


def _order(rounds: int) -> list[int]:
    """Side indexes in ABBA order: 0, 1, 1, 0, 0, 1…"""
    return [side for n in range(rounds) for side in ((0, 1) if n % 2 == 0 else (1, 0))]


def summarize(runs: dict[str, list[dict[str, Any]]], names: list[str]) -> dict[str, Any]:
    """Medians per side of every compared figure, and tree ÷ REF."""
    medians = {
        name: {key: round(statistics.median(r[key] for r in runs[name]), 3) for key in COMPARED}
        for name in names
    }
    tree, ref = names
    ratios = {
        key: round(medians[tree][key] / medians[ref][key], 3)
        for key in COMPARED
        if medians[ref][key]
    }
    return {"medians": medians, "ratios": ratios}


def compare(ref: str, scale: int, rounds: int, limit: int | None) -> dict[str, Any]:
    """Time this tree and commit ``ref`` on the same corpus, interleaved."""
    from benchmarks.compare import REPO, _git

    scratch = Path(tempfile.mkdtemp(prefix="brieftext-"))
    corpus = build_corpus(scale, limit=limit, root=scratch, entities="rules")
    ref_tree = scratch / "ref"
    try:
        commit = checkout(ref, ref_tree)
        sides = [
            Side("tree", REPO / "src", corpus.workspace.root),
            Side(ref, ref_tree / "src", copy_workspace(corpus.workspace.root, scratch / "ws-ref")),
        ]
        runs: dict[str, list[dict[str, Any]]] = {side.name: [] for side in sides}
        for index in _order(rounds):
            result = _run_side(sides[index])
            runs[sides[index].name].append(result)
            print(sides[index].name, json.dumps(result), flush=True)
        names = [side.name for side in sides]
        return {
            "ref": commit,
            "scale": scale,
            "files": corpus.files,
            "mb": round(corpus.megabytes, 2),
            "order": [names[i] for i in _order(rounds)],
            "runs": runs,
            **summarize(runs, names),
        }
    finally:
        if ref_tree.exists():
            _git("worktree", "remove", "--force", str(ref_tree))
        remove_corpus(corpus)
        shutil.rmtree(scratch, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--scale", type=int, default=1)
    parser.add_argument("--limit", type=int, help="only this many BBC articles (a smoke run)")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--workspace", type=Path, help="time this workspace's articles instead")
    parser.add_argument("--compare", metavar="REF", help="this tree against commit REF")
    parser.add_argument("--rounds", type=int, default=2, help="runs per side with --compare")
    args = parser.parse_args(argv)
    if args.compare:
        result = compare(args.compare, args.scale, args.rounds, args.limit)
        print(json.dumps({"medians": result["medians"], "ratios": result["ratios"]}))
        stamp = datetime.now(UTC).strftime("%Y-%m-%d")
        name = f"{stamp}-text-phase-{args.compare}-x{args.scale}"
        print(write_results(result, name))
    elif args.workspace:
        print(json.dumps(measure_workspace(args.workspace, args.profile)))
    else:
        print(json.dumps(measure(args.scale, args.profile, args.limit)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
