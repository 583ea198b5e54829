"""Two commits side by side in one run: ``python -m benchmarks.compare REF [--scale N]``.

The working tree (HEAD plus uncommitted changes) and ``REF`` (any commit, checked out in a
temporary git worktree) each build their own index over the same corpus files, in a process of
their own (wall, CPU seconds, peak memory, index size). Then one query server per side answers
the same queries, interleaved one by one and alternating who goes first, so load and drift hit
both sides alike. The table gives medians, p95s and ratios (this tree ÷ REF) per query kind,
with the CPU seconds and the load average; the JSON goes to ``benchmarks/results``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from benchmarks.corpus import REPO, build_corpus, read_sources, remove_corpus
from benchmarks.queries import Query, query_sets
from benchmarks.report import RESULTS_DIR, write_results
from benchmarks.timing import summarize_ms


@dataclass
class Side:
    """One version under test: where its code is and the workspace it indexes."""

    name: str
    src: Path
    workspace: Path
    server: subprocess.Popen[str] | None = None

    def env(self) -> dict[str, str]:
        """Environment that imports this side's ``briefreader`` and our ``benchmarks``."""
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join([str(self.src), str(REPO)])
        env["BRIEFREADER_CONFIG"] = ""
        return env


def checkout(ref: str, into: Path) -> str:
    """Check ``ref`` out (detached) in a new worktree at ``into``; returns the full hash."""
    commit = _git("rev-parse", "--verify", f"{ref}^{{commit}}").strip()
    _git("worktree", "add", "--detach", str(into), commit)
    return commit


def run_child(src: Path, code: str, *arguments: str) -> dict[str, Any]:
    """``python -c code arguments`` in a fresh process importing the ``briefreader`` of
    ``src`` (and our ``benchmarks``); the JSON its last line prints, with the 1-minute load
    at its start and end (``load``)."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(src), str(REPO)]))
    env["BRIEFREADER_CONFIG"] = ""
    load = os.getloadavg()[0]
    done = subprocess.run(
        [sys.executable, "-c", code, *arguments],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"{src}: {done.stderr.strip().splitlines()[-1:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    result["load"] = [round(load, 2), round(os.getloadavg()[0], 2)]
    return result


SideRun = Callable[[str, Path, int], dict[str, Any]]


def alternating_runs(ref: str, rounds: int, run: SideRun) -> tuple[str, dict[str, list[Any]]]:
    """``run(side, src, round)`` for ``"ref"`` (commit ``ref``, checked out in a temporary
    worktree, removed at the end) and ``"tree"`` (this checkout), ``rounds`` times each,
    the order flipping every round so that load changes hit both alike. Returns the full
    hash of ``ref`` and each side's results in order."""
    runs: dict[str, list[Any]] = {"tree": [], "ref": []}
    with tempfile.TemporaryDirectory(prefix="briefbench-ab-") as temp:
        ref_tree = Path(temp) / "ref"
        commit = checkout(ref, ref_tree)
        sources = {"tree": REPO / "src", "ref": ref_tree / "src"}
        try:
            for round_ in range(rounds):
                order = ("ref", "tree") if round_ % 2 == 0 else ("tree", "ref")
                for side in order:
                    runs[side].append(run(side, sources[side], round_))
        finally:
            _git("worktree", "remove", "--force", str(ref_tree))
    return commit, runs


def _git(*args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(REPO), *args], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"git {' '.join(args)}: {done.stderr.strip()}")
    return done.stdout


def copy_workspace(source: Path, target: Path) -> Path:
    """A second workspace with the same articles and settings, and no index."""
    (target / "index").mkdir(parents=True)
    shutil.copytree(source / "articles", target / "articles")
    settings = source / "briefreader.toml"
    if settings.exists():
        shutil.copyfile(settings, target / "briefreader.toml")
    return target


def run_json(side: Side, what: str, *command: str) -> dict[str, Any]:
    """Run ``python -m <command>`` with the side's code; its last line of output, as JSON.

    Raises:
        SystemExit: the command failed (``what`` and the end of its output say how).
    """
    done = subprocess.run(
        [sys.executable, "-m", *command],
        capture_output=True,
        text=True,
        env=side.env(),
        check=False,
    )
    if done.returncode != 0:
        tail = " | ".join((done.stderr or done.stdout).strip().splitlines()[-3:])
        raise SystemExit(f"{side.name}: {what} failed: {tail}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def build(side: Side) -> dict[str, Any]:
    """Index the side's workspace from scratch in a fresh process."""
    started = time.perf_counter()
    result = run_json(side, "build", "benchmarks.probe", "build", str(side.workspace))
    result["wall_s"] = round(time.perf_counter() - started, 2)
    result["index_mb"] = round(
        sum(p.stat().st_size for p in (side.workspace / "index").rglob("*") if p.is_file()) / 1e6,
        1,
    )
    result["load"] = [round(x, 2) for x in os.getloadavg()]
    return result


def start_server(side: Side) -> None:
    """Start the side's query server and wait until its library is open."""
    side.server = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.query_server", str(side.workspace)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=side.env(),
    )
    _read(side)


def ask(side: Side, text: str) -> dict[str, Any]:
    """One query to a side's server; its answer."""
    assert side.server is not None and side.server.stdin is not None
    side.server.stdin.write(text.replace("\n", " ") + "\n")
    side.server.stdin.flush()
    return _read(side)


def _read(side: Side) -> dict[str, Any]:
    assert side.server is not None and side.server.stdout is not None
    line = side.server.stdout.readline()
    if not line:
        raise SystemExit(f"{side.name}: the query server stopped")
    answer: dict[str, Any] = json.loads(line)
    return answer


def interleave(sides: list[Side], queries: list[Query]) -> dict[str, Any]:
    """Every query to both sides, alternating which goes first; stats per kind and side."""
    for query in queries[:20]:  # warm-up
        for side in sides:
            ask(side, query.brief)
    samples: dict[str, dict[str, list[float]]] = {}
    cpu = {side.name: 0.0 for side in sides}
    errors: dict[str, int] = {side.name: 0 for side in sides}
    for number, query in enumerate(queries):
        order = sides if number % 2 == 0 else sides[::-1]
        for side in order:
            answer = ask(side, query.brief)
            samples.setdefault(query.kind, {}).setdefault(side.name, []).append(answer["ms"] / 1000)
            samples.setdefault("all", {}).setdefault(side.name, []).append(answer["ms"] / 1000)
            cpu[side.name] += answer["cpu_ms"] / 1000
            errors[side.name] += bool(answer["error"])
    samples["all"] = samples.pop("all")  # the summary row last
    memory = {side.name: ask(side, "#rss")["rss_mb"] for side in sides}
    return {
        "kinds": {k: {n: summarize_ms(v) for n, v in row.items()} for k, row in samples.items()},
        "cpu_s": {k: round(v, 2) for k, v in cpu.items()},
        "errors": errors,
        "rss_mb": memory,
        "load": [round(x, 2) for x in os.getloadavg()],
    }


def print_tables(result: dict[str, Any], console: Console) -> None:
    """The build table and the query table, this tree against REF."""
    head, ref = result["sides"]
    table = Table(title=f"Build: {head} vs {ref} ({result['files']} files, {result['mb']} MB)")
    for column in ("side", "wall s", "CPU s", "MB/CPU-s", "peak RSS MB", "index MB", "load"):
        table.add_column(column)
    for name in (head, ref):
        row = result["build"][name]
        table.add_row(
            name,
            str(row["wall_s"]),
            str(row.get("cpu_s")),
            str(round(result["mb"] / row["cpu_s"], 3) if row.get("cpu_s") else "-"),
            str(row.get("peak_rss_mb")),
            str(row["index_mb"]),
            " ".join(str(x) for x in row["load"]),
        )
    console.print(table)
    queries = result["queries"]
    table = Table(title=f"Queries, top 20 + snippets, interleaved (ms); ratio = {head} ÷ {ref}")
    for column in (
        "kind",
        "n",
        f"{head} p50",
        f"{head} p95",
        f"{ref} p50",
        f"{ref} p95",
        "ratio p50",
        "ratio p95",
    ):
        table.add_column(column, justify="left" if column == "kind" else "right")
    for kind, row in queries["kinds"].items():
        mine, theirs = row[head], row[ref]
        table.add_row(
            kind,
            str(mine["n"]),
            f"{mine['median_ms']:.1f}",
            f"{mine['p95_ms']:.1f}",
            f"{theirs['median_ms']:.1f}",
            f"{theirs['p95_ms']:.1f}",
            f"{mine['median_ms'] / theirs['median_ms']:.2f}×",
            f"{mine['p95_ms'] / theirs['p95_ms']:.2f}×",
        )
    console.print(table)
    console.print(
        f"query CPU s: {queries['cpu_s']}; library RSS MB after the queries: "
        f"{queries['rss_mb']}; errors: {queries['errors']}; load {queries['load']}"
    )


def compare(
    ref: str, scale: int, per_kind: int, limit: int | None, entities: str
) -> dict[str, Any]:
    """Run the whole comparison; the results as a dict (also printed)."""
    scratch = Path(tempfile.mkdtemp(prefix="briefcompare-"))
    ref_tree = scratch / "ref"
    sides: list[Side] = []
    try:
        # The corpus first: without ../shared it stops here, before a worktree is registered.
        corpus = build_corpus(scale, limit=limit, root=scratch, entities=entities)
    except BaseException:
        shutil.rmtree(scratch, ignore_errors=True)
        raise
    try:
        commit = checkout(ref, ref_tree)
        head_name = "tree"
        ref_name = ref if len(ref) <= 12 else commit[:10]
        sides = [
            Side(head_name, REPO / "src", corpus.workspace.root),
            Side(
                ref_name,
                ref_tree / "src",
                copy_workspace(corpus.workspace.root, scratch / "ws-ref"),
            ),
        ]
        result: dict[str, Any] = {
            "ref": commit,
            "sides": [head_name, ref_name],
            "scale": scale,
            "files": corpus.files,
            "mb": round(corpus.megabytes, 2),
            "entities": entities,
            "build": {side.name: build(side) for side in sides},
        }
        for side in sides:
            start_server(side)
        queries = query_sets(read_sources(limit=limit), per_kind)
        result["queries"] = interleave(sides, queries)
        return result
    finally:
        for side in sides:
            if side.server is not None:
                side.server.kill()
        if ref_tree.exists():
            _git("worktree", "remove", "--force", str(ref_tree))
        remove_corpus(corpus)
        shutil.rmtree(scratch, ignore_errors=True)


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line, compare, print, write the JSON."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.compare", description=__doc__)
    parser.add_argument("ref", help="the commit to compare the working tree with (e.g. main~3)")
    parser.add_argument("--scale", type=int, default=1, help="copies of the BBC corpus (1)")
    parser.add_argument("--queries", type=int, default=250, help="queries over five kinds (250)")
    parser.add_argument("--quick", action="store_true", help="200 articles, 30 queries")
    parser.add_argument("--entities", choices=["spacy", "rules", "off"], default="rules")
    args = parser.parse_args(argv)
    limit = 200 if args.quick else None
    per_kind = max(1, (30 if args.quick else args.queries) // 5)
    console = Console(width=150)
    result = compare(args.ref, args.scale, per_kind, limit, args.entities)
    result["date"] = dt.datetime.now().isoformat(timespec="seconds")
    print_tables(result, console)
    name = f"{dt.date.today().isoformat()}-compare-{result['sides'][1]}-x{args.scale}"
    console.print(f"results written to {write_results(result, name, RESULTS_DIR)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
