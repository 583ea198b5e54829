"""``python -m briefreader.cli.caches WORKSPACE``: build the reader caches of the workspace's
active index generation (entity table, facet data), at the lowest CPU priority.

``briefreader index`` and ``add`` start it, detached, after a run that changed a big index
(``pipeline.keep_reader_caches_soon``), so that they return at once while the first reader
after them still finds the caches built. It prints nothing and exits 0 whatever happens: it
is an optimisation, and a reader builds what it does not find.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    """Build the caches of the workspace named in ``argv``."""
    from briefreader.pipeline import keep_reader_caches
    from briefreader.workspace import Workspace

    try:
        os.nice(19)
        keep_reader_caches(Workspace(Path(argv[0])), None)
    except Exception:
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
