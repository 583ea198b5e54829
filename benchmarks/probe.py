"""Measurements that need a process of their own (peak memory, cold start).

``python -m benchmarks.probe build WORKSPACE`` builds the index from scratch;
``python -m benchmarks.probe reader WORKSPACE QUERIES.json [COUNT]`` opens the library, runs the
queries (cycled to COUNT) and opens the longest articles. Each prints one JSON object on stdout.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks.phases import EntityPhaseStart, TreeRss
from benchmarks.timing import cpu_seconds, current_rss_mb, peak_rss_mb, resident_parts_mb

HEARTBEAT_S = 30.0  # a long build says where it is on stderr this often


class ProgressLog:
    """Records the progress callback: phases seen and the longest silence between calls;
    every ``heartbeat`` seconds it writes where the build is to stderr (a ×32 build runs for
    half an hour or more)."""

    def __init__(self, heartbeat: float = HEARTBEAT_S) -> None:
        self.start = time.perf_counter()
        self.last = self.start
        self.max_gap = 0.0
        self.max_gap_phase = ""
        self.phases: dict[str, float] = {}
        self.heartbeat = heartbeat
        self.last_said = self.start

    def __call__(self, phase: str, done: int, total: int) -> None:
        now = time.perf_counter()
        if now - self.last > self.max_gap:
            self.max_gap, self.max_gap_phase = now - self.last, phase
        self.last = now
        self.phases.setdefault(phase, round(now - self.start, 3))
        if now - self.last_said >= self.heartbeat:
            self.last_said = now
            elapsed = now - self.start
            print(f"    build: {phase} {done:,}/{total:,} after {elapsed:.0f} s", file=sys.stderr)

    def finish(self) -> None:
        """Count the silence between the last call and the end of the build."""
        now = time.perf_counter()
        if now - self.last > self.max_gap:
            self.max_gap, self.max_gap_phase = now - self.last, "after last progress"


def _mark() -> dict[str, float]:
    return {"wall": time.perf_counter(), "cpu": cpu_seconds(), "load": os.getloadavg()[0]}


def _span(start: dict[str, float], end: dict[str, float]) -> dict[str, Any]:
    """Wall and CPU seconds between two marks, with the 1-minute load at both ends."""
    return {
        "wall_s": round(end["wall"] - start["wall"], 3),
        "cpu_s": round(end["cpu"] - start["cpu"], 2),
        "load": [round(start["load"], 2), round(end["load"], 2)],
    }


def probe_build(workspace_dir: Path) -> dict[str, Any]:
    """Build the index from scratch; timings per phase, progress gaps, peak memory; the text
    phase (until the entity phase starts) and the entity phase apart."""
    from briefreader.workspace import Workspace

    update_index = _update_index_function()
    log = ProgressLog()
    with TreeRss(interval=0.2) as tree, EntityPhaseStart(tree.split) as switch:
        start = _mark()
        report = update_index(Workspace(workspace_dir), rebuild=True, progress=log)
        end = _mark()
    log.finish()
    middle = switch.mark or end
    result = {
        "seconds": round(end["wall"] - start["wall"], 3),
        "timings": {k: round(v, 3) for k, v in report.timings.items()},
        "articles": report.articles,
        "skipped": len(report.skipped),
        "max_progress_gap_s": round(log.max_gap, 3),
        "max_progress_gap_phase": log.max_gap_phase,
        "phase_starts_s": log.phases,
        "peak_rss_mb": peak_rss_mb(),
        "tree_peak_rss_mb": round(tree.peak_kb / 1024, 1),
        "tree_peak_pss_mb": round(tree.peak_pss_kb / 1024, 1) or None,
        "main_pss_at_peak_mb": round(tree.main_pss_at_peak_kb / 1024, 1) or None,
        "phase_peaks": dict(zip(("text", "entities"), tree.phases, strict=False)),
        "cpu_s": round(cpu_seconds(), 2),
        "build_cpu_s": round(end["cpu"] - start["cpu"], 2),
        "load": [round(start["load"], 2), round(end["load"], 2)],
        "text_phase": _span(start, middle),
        "entity_phase": _span(middle, end) if switch.mark else None,
    }
    result["reader_caches_s"] = _reader_caches(workspace_dir)  # after the build's figures
    return result


def _reader_caches(workspace_dir: Path) -> float | None:
    """Build the reader caches the index folder keeps (entity table, facet data), as
    ``briefreader index`` has them built after a run, so that the index size measured next
    counts them; their seconds (None: this version keeps none). Not in the build's time: the
    command builds them after it returns, in a process of its own for a big index."""
    from briefreader.workspace import Workspace

    try:
        from briefreader.pipeline import keep_reader_caches
    except ImportError:
        return None
    seconds = keep_reader_caches(Workspace(workspace_dir), None)
    return round(seconds, 3) if seconds is not None else None


def _update_index_function() -> Any:
    """The whole index run as the app does it, wherever this version keeps it
    (``benchmarks.compare`` runs older commits): a function ``(workspace, rebuild, progress)``
    returning the index report."""
    try:
        from briefreader.pipeline import run_index
    except ImportError:
        from briefreader.search.indexer import update_index  # before the index run had one owner

        return update_index

    def run(workspace: Any, rebuild: bool, progress: Any) -> Any:
        return run_index(workspace, rebuild=rebuild, progress=progress).report

    return run


def probe_reader(workspace_dir: Path, queries_file: Path, count: int = 0) -> dict[str, Any]:
    """Open the library, run the queries (cycled to ``count`` of them when given), then open
    the 20 longest articles: memory after opening, after the queries, and at the peak."""
    from briefreader.search.library import Library
    from briefreader.workspace import Workspace

    library = Library.open(Workspace(workspace_dir))
    opened_mb = current_rss_mb()
    texts = json.loads(queries_file.read_text(encoding="utf-8"))
    asked = count or len(texts)
    started, cpu, load = time.perf_counter(), cpu_seconds(), os.getloadavg()[0]
    for number in range(asked):
        library.search(texts[number % len(texts)], limit=20)
    queries = {
        "queries": asked,
        "queries_wall_s": round(time.perf_counter() - started, 2),
        "queries_cpu_s": round(cpu_seconds() - cpu, 2),
        "after_queries_mb": current_rss_mb(),
        "after_queries_parts": resident_parts_mb(),
        "peak_after_queries_mb": peak_rss_mb(),
        "load": [round(load, 2), round(os.getloadavg()[0], 2)],
    }
    longest = sorted(library.articles(), key=lambda s: -s.passages)[:20]
    for summary in longest:
        library.article(summary.id)
    return {"after_open_mb": opened_mb, **queries, "peak_rss_mb": peak_rss_mb()}


def main(argv: list[str]) -> int:
    """Dispatch to a probe and print its JSON result."""
    mode, workspace = argv[0], Path(argv[1])
    if mode == "build":
        result = probe_build(workspace)
    elif mode == "reader":
        result = probe_reader(workspace, Path(argv[2]), int(argv[3]) if len(argv) > 3 else 0)
    else:
        print(f"unknown probe {mode!r}", file=sys.stderr)
        return 2
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
