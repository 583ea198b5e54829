"""Re-anchoring notes is part of an index run's commit protocol.

Before an index run commits anything it writes ``index/REANCHOR-PENDING`` (durably); the notes
are re-anchored after the commit and only then is the marker removed. A run killed between its
commit and the re-anchoring leaves the marker, so the next run re-anchors every note even when
it finds no file to index.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

PENDING_FILE = "REANCHOR-PENDING"


def reanchor_pending(index_root: Path) -> bool:
    """Whether an earlier index run committed without re-anchoring the notes afterwards."""
    try:
        return (index_root / PENDING_FILE).is_file()
    except OSError:
        return False


def mark_reanchor_pending(index_root: Path) -> None:
    """Record, durably, that notes need re-anchoring (called before an index commit).

    Raises:
        OSError: the marker could not be written (then nothing is committed either).
    """
    index_root.mkdir(parents=True, exist_ok=True)
    with open(index_root / PENDING_FILE, "w", encoding="utf-8") as handle:
        handle.write("notes must be re-anchored against this index\n")
        handle.flush()
        os.fsync(handle.fileno())


def clear_reanchor_pending(index_root: Path) -> None:
    """The notes were re-anchored: remove the marker (a read-only workspace keeps it)."""
    with contextlib.suppress(OSError):
        (index_root / PENDING_FILE).unlink(missing_ok=True)
