"""``python -m briefreader.cli.caches WORKSPACE``: build the reader caches of the workspace's
active index generation (entity table, facet data), at the lowest CPU priority.

``briefreader index`` and ``add`` start it, detached, after a run that changed a big index
(``keep_reader_caches_soon``), so that they return at once while the first reader
after them still finds the caches built. It prints nothing and exits 0 whatever happens: it
is an optimisation, and a reader builds what it does not find.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from briefreader.pipeline import keep_reader_caches
from briefreader.search.index.store import snapshot_id
from briefreader.workspace import Workspace

# Up to this many articles an index run builds the reader caches itself (about 0.1 CPU s per
# 1,000 articles); above, in a process of its own at the lowest priority, so that a one-file
# re-index of a big archive returns at once (they cost 2.9 CPU s at BBC ×16).
INLINE_CACHE_ARTICLES = 5_000


def keep_reader_caches_soon(
    workspace: Workspace, before: tuple[str, int] | None
) -> tuple[float | None, int | None]:
    """``keep_reader_caches`` now for a small index, else in a detached process at the
    lowest priority (``python -m briefreader.cli.caches``), which the command does not wait for.
    Returns (seconds taken here or None, the background process's pid or None)."""
    if snapshot_id(workspace.index_dir) in (before, None):
        return None, None
    if indexed_articles(workspace) <= INLINE_CACHE_ARTICLES:
        return keep_reader_caches(workspace, before), None
    process = subprocess.Popen(
        [sys.executable, "-m", "briefreader.cli.caches", str(workspace.root)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # a Ctrl-C in the terminal is for the command, not for it
    )
    return None, process.pid


def indexed_articles(workspace: Workspace) -> int:
    """How many articles the active index holds, from its catalog (0 if it has none)."""
    from briefreader.search.index.catalog import StoredCatalog
    from briefreader.search.index.store import active_dir

    folder = active_dir(workspace.index_dir)
    catalog = StoredCatalog.open(folder) if folder is not None else None
    if catalog is None:
        return 0
    try:
        return catalog.entity_coverage()[1]
    finally:
        catalog.close()


def main(argv: list[str]) -> int:
    """Build the caches of the workspace named in ``argv``."""
    try:
        os.nice(19)
        keep_reader_caches(Workspace(Path(argv[0])), None)
    except Exception:
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
