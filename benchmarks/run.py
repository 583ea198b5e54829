"""Run every measurement for each scale, print the tables and write the JSON."""

from __future__ import annotations

import datetime as dt
import os
import platform
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console

from benchmarks import measures
from benchmarks.corpus import CorpusMissing, build_corpus, read_sources, remove_corpus
from benchmarks.queries import query_sets
from benchmarks.report import (
    RESULTS_DIR,
    SCALE_TARGETS,
    check_targets,
    print_scale,
    write_results,
)
from benchmarks.timing import Skip, cpu_seconds

Measure = Callable[[measures.Bench], dict[str, Any]]

# In order: the build first, the corpus-changing incremental re-index last.
PLAN: tuple[tuple[str, Measure], ...] = (
    ("build", measures.measure_build),
    ("fts5_build", measures.measure_fts5_build),
    ("whoosh_build", measures.measure_whoosh_build),
    ("library", measures.open_library),
    ("queries", measures.measure_queries),
    ("related", measures.measure_related),
    ("open_article", measures.measure_open_article),
    ("cli_search", measures.measure_cli_search),
    ("reader_memory", measures.measure_reader_memory),
    ("tui", measures.measure_tui),
    ("updates", measures.measure_updates),
    ("incremental", measures.measure_incremental),
)
NEEDS_LIBRARY = {"queries", "related", "open_article", "updates", "incremental"}


@dataclass(frozen=True)
class Options:
    """Command-line choices."""

    scales: tuple[int, ...]
    quick: bool
    queries: int
    keep: bool
    output: Path
    only: frozenset[str]
    entities: str = "spacy"


def machine_info() -> dict[str, Any]:
    """Where and when the run happened (load average: the machine is shared)."""
    return {
        "machine": platform.node(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "load_avg_start": [round(x, 2) for x in os.getloadavg()],
        "git_commit": _git_commit(),
        "rg": shutil.which("rg") is not None,
        "started": dt.datetime.now().isoformat(timespec="seconds"),
    }


def _git_commit() -> str:
    try:
        done = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            cwd=Path(__file__).parent,
            check=False,
        )
    except OSError:
        return "unknown"
    return done.stdout.strip() or "unknown"


def run_scale(scale: int, options: Options, console: Console) -> dict[str, Any]:
    """Build the corpus for one scale and run the plan on it."""
    limit = 200 if options.quick else None
    per_kind = max(1, options.queries // 5)
    sources = read_sources(limit=limit)
    corpus = build_corpus(scale, limit=limit, entities=options.entities)
    console.print(
        f"[bold]{scale}×[/bold]: {corpus.files} files, {corpus.megabytes:.1f} MB "
        f"in {corpus.workspace.root}"
    )
    bench = measures.Bench(corpus, query_sets(sources, per_kind), options.quick)
    results: dict[str, Any] = {
        "entities": options.entities,
        "files": corpus.files,
        "mb": round(corpus.megabytes, 2),
        "skipped": {},
        "seconds": {},
    }
    try:
        for name, measure in PLAN:
            _run_one(name, measure, bench, results, options, console)
    finally:
        if bench.library is not None:
            bench.library.close()
        if bench.fts is not None:
            bench.fts.close()
        if bench.whoosh is not None:
            bench.whoosh.close()
        if not options.keep:
            remove_corpus(corpus)
    results["targets"] = check_targets(results)
    results["targets_scale"] = check_targets(results, SCALE_TARGETS)
    return results


def _run_one(
    name: str,
    measure: Measure,
    bench: measures.Bench,
    results: dict[str, Any],
    options: Options,
    console: Console,
) -> None:
    if options.only and name not in options.only and name not in ("build", "library"):
        return
    if name in NEEDS_LIBRARY and bench.library is None:
        results["skipped"][name] = "the library could not be opened"
        return
    own_lines = name == "build"  # the build probe's heartbeat prints lines of its own
    console.print(f"  {name}…", end="\n" if own_lines else "")
    results.setdefault("load_start", {})[name] = [round(x, 2) for x in os.getloadavg()]
    started, cpu_started = time.perf_counter(), cpu_seconds()
    try:
        results[name] = measure(bench)
        done = f"  {name} done in" if own_lines else ""
        console.print(f"{done} {time.perf_counter() - started:.1f} s")
    except Skip as reason:
        results["skipped"][name] = str(reason)
        console.print(f" [yellow]skipped[/yellow]: {reason}")
    except Exception as error:  # one broken feature must not stop the suite
        results["skipped"][name] = f"failed: {type(error).__name__}: {error}"
        console.print(f" [red]failed[/red]: {type(error).__name__}: {error}")
    results["seconds"][name] = round(time.perf_counter() - started, 2)
    # CPU seconds (this process and the probes it ran) and the load: with them a reader can
    # tell a loaded machine from a regression.
    results.setdefault("cpu_s", {})[name] = round(cpu_seconds() - cpu_started, 2)
    results.setdefault("load", {})[name] = [round(x, 2) for x in os.getloadavg()]


def run(options: Options) -> int:
    """Run every scale; print tables; write ``<date>-<machine>.json``. Exit code for the shell."""
    console = Console()
    if not console.is_terminal:
        console = Console(width=150)
    try:
        read_sources(limit=1)
    except CorpusMissing as reason:
        console.print(f"[yellow]benchmarks skipped[/yellow]: {reason}")
        return 0
    payload: dict[str, Any] = {"info": machine_info(), "quick": options.quick, "scales": {}}
    for scale in options.scales:
        started, cpu_started = time.perf_counter(), cpu_seconds()
        results = run_scale(scale, options, console)
        results["wall_s"] = round(time.perf_counter() - started, 1)
        results["cpu_total_s"] = round(cpu_seconds() - cpu_started, 1)
        payload["scales"][str(scale)] = results
        print_scale(console, scale, results)
    payload["info"]["load_avg_end"] = [round(x, 2) for x in os.getloadavg()]
    name = f"{dt.date.today().isoformat()}-{platform.node() or 'machine'}"
    if options.quick:
        name += "-quick"
    if len(options.scales) == 1:
        name += f"-x{options.scales[0]}"
    if options.entities != "spacy":
        name += f"-entities-{options.entities}"
    path = write_results(payload, name, options.output)
    console.print(f"results written to {path}")
    return 0


def default_output() -> Path:
    return RESULTS_DIR


def python() -> str:
    return sys.executable
