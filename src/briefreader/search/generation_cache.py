"""Data derived from one index generation, kept in the index folder for the next process.

Building it (the resolved entity table, the facet data) took seconds at BBC ×16 in every new
process. Each cache is one file in the active index folder holding ``(stamp, payload)``: the
stamp names what the payload was built from (the index generation, the code that built it…),
and a file whose stamp differs is ignored. Any file that cannot be read back — missing,
truncated, garbage, another format — is only a cache miss: the caller builds the data again.
Writing is atomic (a temporary file renamed over the old one) and best effort: a read-only
index folder or a full disk skips it. Files are zlib-compressed (level 1): at BBC ×16 the
entity table's 12.2 MB became 2.3 MB and the facet data's 5.1 MB 0.7 MB, for 34 and 8 ms
more to read back (the index is held to 2.5× the text, issue 15).

Trust: these files are read only from the workspace's own index folder, which holds the index
itself; whoever can write there can already change what every search returns. A pickled
cache (the entity table) is therefore trusted as the index is; the facet data is kept as
plain values with ``marshal``, which builds no objects of other types and runs no code.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
import zlib
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

COMPRESSION_LEVEL = 1  # levels 3-6 made the files 1-10% smaller, and 2-4x slower to write


def code_stamp(*modules: ModuleType) -> tuple[object, ...]:
    """This package's version and each module's file size and time: cached data is built
    again when the code that built it changes (an upgrade, or an edit in a checkout)."""
    from briefreader import __version__

    stamp: list[object] = [__version__]
    for module in modules:
        path = Path(module.__file__ or "")
        stamp += [file_mtime(path), _size(path)]
    return tuple(stamp)


def read_cache(path: Path, stamp: tuple[object, ...], loads: Callable[[bytes], Any]) -> Any:
    """The payload kept at ``path`` for ``stamp``, else None (absent, stale, damaged, or
    not a ``(stamp, payload)`` pair)."""
    try:
        kept = loads(zlib.decompress(path.read_bytes()))
    except Exception:  # any unreadable cache is only a cache miss: build it again
        return None
    if not (isinstance(kept, tuple) and len(kept) == 2 and kept[0] == stamp):
        return None
    return kept[1]


def write_cache(
    path: Path, stamp: tuple[object, ...], payload: object, dumps: Callable[[Any], bytes]
) -> None:
    """Keep ``(stamp, payload)`` at ``path`` for the next process: atomically (a reader sees
    the old file or the new one, never half of one); a read-only or full disk skips it."""
    prefix = f".{path.stem}-"
    _remove_leftovers(path.parent, prefix)
    try:
        data = zlib.compress(dumps((stamp, payload)), COMPRESSION_LEVEL)
        handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed by the with below
            dir=path.parent, prefix=prefix, delete=False
        )
    except (OSError, ValueError):  # ValueError: marshal refused a value it cannot keep
        return
    try:
        with handle:
            handle.write(data)
        os.replace(handle.name, path)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(handle.name)


LEFTOVER_SECONDS = 600.0


def _remove_leftovers(folder: Path, prefix: str) -> None:
    """Delete temporary files a killed writer left (older than ``LEFTOVER_SECONDS``: a
    younger one may be another process's write in progress)."""
    now = time.time()
    for leftover in folder.glob(f"{prefix}*"):
        with contextlib.suppress(OSError):
            if now - leftover.stat().st_mtime > LEFTOVER_SECONDS:
                leftover.unlink()


def file_mtime(path: Path | None) -> float:
    """A file's modification time in nanoseconds, 0.0 when it is absent or unreadable."""
    try:
        return path.stat().st_mtime_ns if path else 0.0
    except OSError:
        return 0.0


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0
