"""Measurements that need a process of their own (peak memory, cold start).

``python -m benchmarks.probe build WORKSPACE`` builds the index from scratch;
``python -m benchmarks.probe reader WORKSPACE QUERIES.json`` opens the library, runs the queries
and opens the longest articles. Each prints one JSON object on stdout.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks.timing import cpu_seconds, current_rss_mb, peak_rss_mb


class ProgressLog:
    """Records the progress callback: phases seen and the longest silence between calls."""

    def __init__(self) -> None:
        self.start = time.perf_counter()
        self.last = self.start
        self.max_gap = 0.0
        self.max_gap_phase = ""
        self.phases: dict[str, float] = {}

    def __call__(self, phase: str, done: int, total: int) -> None:
        now = time.perf_counter()
        if now - self.last > self.max_gap:
            self.max_gap, self.max_gap_phase = now - self.last, phase
        self.last = now
        self.phases.setdefault(phase, round(now - self.start, 3))

    def finish(self) -> None:
        """Count the silence between the last call and the end of the build."""
        now = time.perf_counter()
        if now - self.last > self.max_gap:
            self.max_gap, self.max_gap_phase = now - self.last, "after last progress"


def probe_build(workspace_dir: Path) -> dict[str, Any]:
    """Build the index from scratch; timings per phase, progress gaps, peak memory."""
    from briefreader.workspace import Workspace

    update_index = _update_index_function()
    log = ProgressLog()
    started = time.perf_counter()
    report = update_index(Workspace(workspace_dir), rebuild=True, progress=log)
    log.finish()
    return {
        "seconds": round(time.perf_counter() - started, 3),
        "timings": {k: round(v, 3) for k, v in report.timings.items()},
        "articles": report.articles,
        "skipped": len(report.skipped),
        "max_progress_gap_s": round(log.max_gap, 3),
        "max_progress_gap_phase": log.max_gap_phase,
        "phase_starts_s": log.phases,
        "peak_rss_mb": peak_rss_mb(),
        "cpu_s": round(cpu_seconds(), 2),
    }


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


def probe_reader(workspace_dir: Path, queries_file: Path) -> dict[str, Any]:
    """Open the library, run every query, open the 20 longest articles: peak memory."""
    from briefreader.search.library import Library
    from briefreader.workspace import Workspace

    library = Library.open(Workspace(workspace_dir))
    opened_mb = current_rss_mb()
    for text in json.loads(queries_file.read_text(encoding="utf-8")):
        library.search(text, limit=20)
    longest = sorted(library.articles(), key=lambda s: -s.passages)[:20]
    for summary in longest:
        library.article(summary.id)
    return {"after_open_mb": opened_mb, "peak_rss_mb": peak_rss_mb()}


def main(argv: list[str]) -> int:
    """Dispatch to a probe and print its JSON result."""
    mode, workspace = argv[0], Path(argv[1])
    if mode == "build":
        result = probe_build(workspace)
    elif mode == "reader":
        result = probe_reader(workspace, Path(argv[2]))
    else:
        print(f"unknown probe {mode!r}", file=sys.stderr)
        return 2
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
