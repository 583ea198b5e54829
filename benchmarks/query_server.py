"""A process that answers benchmark queries for ``benchmarks.compare``, one JSON line each.

``python -m benchmarks.query_server WORKSPACE`` opens the library of whichever briefreader is
first on ``sys.path`` (``benchmarks.compare`` points ``PYTHONPATH`` at a commit's ``src``), then
reads one query per line on stdin and answers ``{"ms": …, "cpu_ms": …, "hits": …}``; a line
``"#rss"`` answers the resident memory. It stops at the end of stdin.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from benchmarks.timing import cpu_seconds, current_rss_mb


def serve(workspace_dir: Path) -> int:
    """Answer queries until stdin ends."""
    from briefreader.search.library import Library
    from briefreader.workspace import Workspace

    library = Library.open(Workspace(workspace_dir))
    print(json.dumps({"ready": True, "rss_mb": current_rss_mb()}), flush=True)
    for line in sys.stdin:
        text = line.rstrip("\n")
        if text == "#rss":
            print(json.dumps({"rss_mb": current_rss_mb()}), flush=True)
            continue
        print(json.dumps(answer(library, text)), flush=True)
    library.close()
    return 0


def answer(library: object, text: str) -> dict[str, object]:
    """Run one query (top 20 with snippets) and time it, wall and CPU."""
    started, cpu = time.perf_counter(), cpu_seconds()
    try:
        hits = len(library.search(text, limit=20).hits)  # type: ignore[attr-defined]
        error = ""
    except Exception as failure:  # a query one version rejects: report it, keep serving
        hits, error = 0, f"{type(failure).__name__}: {failure}"
    return {
        "ms": (time.perf_counter() - started) * 1000,
        "cpu_ms": (cpu_seconds() - cpu) * 1000,
        "hits": hits,
        "error": error,
    }


if __name__ == "__main__":
    sys.exit(serve(Path(sys.argv[1])))
