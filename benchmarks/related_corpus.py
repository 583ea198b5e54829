"""The corpus of the related-passage judged set: BBC News (2004–05) plus the sample.

Both go into one workspace (indexed as a default install indexes it: stored entities from the
default recogniser, and with ``semantic=True`` the MiniLM vectors), so queries of either part
may find candidates in the other. Built once into a cache folder and reused: indexing the
2,231 articles with spaCy takes minutes on the shared machine.
"""

from __future__ import annotations

import shutil
import tarfile
from pathlib import Path

from briefreader.search.index.indexer import update_index
from briefreader.search.library import Library
from briefreader.workspace import Workspace, init_workspace

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "src" / "briefreader" / "sample"
BBC = REPO.parent / "shared" / "corpora" / "bbc-news.tar.gz"
DEFAULT_CACHE = Path("/tmp/briefreader-related-eval")


class CorpusMissing(Exception):
    """The shared BBC corpus is absent (the message says where it was looked for)."""


def eval_workspace(cache: Path = DEFAULT_CACHE, semantic: bool = False) -> Workspace:
    """The indexed evaluation workspace under ``cache`` (built on first use).

    With ``semantic`` the workspace's ``[related] semantic`` setting is on and the index run
    stores the MiniLM vectors of every passage.

    Raises:
        CorpusMissing: ``../shared/corpora/bbc-news.tar.gz`` is not there.
    """
    root = cache / ("ws-semantic" if semantic else "ws")
    if not (root / "index").is_dir() or not (root / ".complete").exists():
        _fill(root, semantic)
    return Workspace(root)


def _fill(root: Path, semantic: bool) -> None:
    """Copy BBC and the sample into a fresh workspace and index it."""
    if not BBC.is_file():
        raise CorpusMissing(f"{BBC} not found (the ../shared corpora folder is absent)")
    shutil.rmtree(root, ignore_errors=True)
    workspace = init_workspace(root)
    if semantic:
        workspace.settings_path.write_text("[related]\nsemantic = true\n", encoding="utf-8")
    with tarfile.open(BBC, "r:gz") as archive:
        for member in archive.getmembers():
            handle = archive.extractfile(member) if member.isfile() else None
            if handle is not None and member.name.endswith(".txt"):
                (workspace.articles_dir / Path(member.name).name).write_bytes(handle.read())
    for path in sorted(SAMPLE.glob("*.txt")):
        shutil.copy(path, workspace.articles_dir / path.name)
    update_index(workspace)
    (root / ".complete").write_text("ok\n", encoding="utf-8")


def open_eval_library(cache: Path = DEFAULT_CACHE, semantic: bool = False) -> Library:
    """The evaluation workspace's library."""
    return Library.open(eval_workspace(cache, semantic))
