"""Where the Whoosh index lives on disk, and the guarantees around it.

``index/CURRENT`` names the active index folder (``index/ix-<n>``). Full builds write a new
folder and switch ``CURRENT`` atomically, so a killed build never breaks the index a reader
uses; incremental updates rely on Whoosh's own atomic commit. ``index/.lock`` (flock, with the
owner's pid) keeps two indexers apart and lets us report a lock left by a dead process.
"""

from __future__ import annotations

import errno
import fcntl
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from whoosh import index as whoosh_index
from whoosh.filedb.filestore import FileStorage

from briefreader.search.index import whoosh_patches  # noqa: F401 - applied on import
from briefreader.search.index.catalog import Catalog, StoredCatalog
from briefreader.search.index.schema import SCHEMA_VERSION, build_schema

CURRENT_FILE = "CURRENT"
LOCK_FILE = ".lock"


class IndexUnavailable(Exception):
    """The index cannot be used as it is (missing, corrupt, old schema); message says why."""


class IndexBusy(Exception):
    """Another process is writing the index."""


def active_dir(index_root: Path) -> Path | None:
    """The folder of the active index, or None if there is none yet."""
    try:
        name = (index_root / CURRENT_FILE).read_text(encoding="utf-8").strip()
    except (OSError, ValueError):  # unreadable, or not text
        return None
    if not name or len(name) > 255 or any(c in name for c in "/\n\0") or name.startswith("."):
        return None  # CURRENT overwritten by something else: the index is rebuilt
    path = index_root / name
    try:
        return path if path.is_dir() else None
    except OSError:
        return None


def snapshot_id(index_root: Path) -> tuple[str, int] | None:
    """The active index folder's name and its Whoosh generation (None: no usable index).
    Two equal ids mean that nothing was committed in between."""
    folder = active_dir(index_root)
    if folder is None:
        return None
    try:
        return folder.name, int(whoosh_index.open_dir(str(folder)).latest_generation())
    except Exception:  # Whoosh raises many types for damaged files
        return None


C = TypeVar("C", Catalog, StoredCatalog)


def open_index(folder: Path, *, mapped: bool = True) -> whoosh_index.Index:
    """Open the Whoosh index in ``folder``. Readers and one-file updates map its segments
    into memory (``mapped``: only the pages they touch are read, without a system call per
    read); the entity phase and the full merge read them with system calls instead, for they
    read every stored article or every posting once, and the mapped pages stayed in their
    resident memory to the end (a full merge at BBC ×32: 685 MB peak RSS mapped, 407 not)."""
    return FileStorage(str(folder), supports_mmap=mapped).open_index()


def open_active(
    index_root: Path, open_catalog: Callable[[Path], C | None], *, mapped: bool = True
) -> tuple[whoosh_index.Index, C | None]:
    """Open the active index and its catalog (read with ``open_catalog``: ``read_catalog``
    for the indexer, ``StoredCatalog.open`` for readers); the entity phase and the full
    merge pass ``mapped`` False (``open_index``).

    Raises:
        IndexUnavailable: no index yet, a corrupt index, or one from another schema version.
    """
    folder = active_dir(index_root)
    if folder is None:
        raise IndexUnavailable("no index yet")
    try:
        ix = open_index(folder, mapped=mapped)
        ix.reader().close()  # reads every segment's table of contents: 1-2 ms at BBC ×4
    except Exception as error:  # Whoosh raises many types for damaged files
        raise IndexUnavailable(f"the index could not be opened ({type(error).__name__})") from error
    catalog = open_catalog(folder)
    if set(ix.schema.names()) != set(build_schema().names()) or (
        catalog is not None and catalog.schema_version != SCHEMA_VERSION
    ):
        found = catalog.schema_version if catalog is not None else "unknown"
        raise IndexUnavailable(
            f"the index was made by another version of briefreader "
            f"(index format {found}; this version uses format {SCHEMA_VERSION})"
        )
    return ix, catalog


def new_index_dir(index_root: Path) -> Path:
    """Create an empty Whoosh index in a fresh folder beside the active one."""
    index_root.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="ix-", dir=index_root))
    whoosh_index.create_in(str(folder), build_schema())
    return folder


def activate(index_root: Path, folder: Path) -> None:
    """Make ``folder`` the active index (atomic rename of CURRENT), then remove old ones."""
    temp = index_root / f".{CURRENT_FILE}.{os.getpid()}"
    with open(temp, "w", encoding="utf-8") as handle:
        handle.write(folder.name)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temp, index_root / CURRENT_FILE)
    remove_stale_dirs(index_root)


STALE_GRACE_SECONDS = 300.0


def remove_stale_dirs(index_root: Path, grace: float = STALE_GRACE_SECONDS) -> None:
    """Delete index folders that are not active (left by replaced or killed builds).

    A folder replaced less than ``grace`` seconds ago is kept: a reader open elsewhere may
    still be reading it until its next refresh moves it to the new one.
    """
    active = active_dir(index_root)
    now = time.time()
    for path in index_root.glob("ix-*"):
        if path.is_dir() and path != active and now - _last_change(path) > grace:
            shutil.rmtree(path, ignore_errors=True)


def _last_change(path: Path) -> float:
    try:
        return max((p.stat().st_mtime for p in path.iterdir()), default=path.stat().st_mtime)
    except OSError:
        return 0.0


@contextmanager
def write_lock(index_root: Path, notices: list[str]) -> Iterator[None]:
    """Hold the workspace's index lock; refuse at once if another live process holds it."""
    index_root.mkdir(parents=True, exist_ok=True)
    path = index_root / LOCK_FILE
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as error:
            if error.errno not in (errno.EAGAIN, errno.EACCES):
                raise
            owner = _read_pid(fd)
            who = f" (pid {owner})" if owner else ""
            raise IndexBusy(
                f"another briefreader process{who} is updating this index; "
                "try again when it has finished"
            ) from None
        previous = _read_pid(fd)
        if previous and previous != os.getpid() and not _alive(previous):
            notices.append(f"cleared a stale index lock left by process {previous}")
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        folder = active_dir(index_root)
        if folder is not None and remove_leftovers(folder):
            notices.append("removed the unfinished files of an interrupted index write")
        try:
            yield
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def remove_leftovers(folder: Path, indexname: str = "MAIN") -> int:
    """Remove what a killed writer left in an index folder, with the write lock held (no
    other writer can be at work): Whoosh's temporary folder (``MAIN.tmp``) and the segment
    files no table of contents names. Whoosh removes them only at the next commit, which an
    index run with nothing to do never makes. Files any generation names stay; nothing is
    removed when a table of contents cannot be read. The number of paths removed."""
    storage = FileStorage(str(folder))
    toc_name = whoosh_index.TOC._pattern(indexname)
    generations = [int(m.group(1)) for name in storage if (m := toc_name.match(name))]
    if not generations:  # not an index (yet): nothing is a leftover
        return 0
    named: set[str] = set()
    try:
        for generation in generations:
            toc = whoosh_index.TOC.read(storage, indexname, generation)
            named.update(segment.segment_id() for segment in toc.segments)
    except Exception:  # damaged or cut short: the recovery of the index run decides
        return 0
    segment_file = whoosh_index.TOC._segment_pattern(indexname)
    orphans = [
        folder / name
        for name in storage
        if (m := segment_file.match(name)) and m.group(1) not in named
    ]
    temporary = folder / f"{indexname}.tmp"
    for path in orphans:
        path.unlink(missing_ok=True)
    if temporary.is_dir():
        shutil.rmtree(temporary, ignore_errors=True)
        orphans.append(temporary)
    return len(orphans)


def _read_pid(fd: int) -> int | None:
    try:
        text = os.pread(fd, 32, 0).decode("ascii", "ignore").strip()
        return int(text) if text else None
    except (OSError, ValueError):
        return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
