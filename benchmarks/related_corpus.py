"""The corpus of the related-passage judged set: BBC News (2004–05) plus the sample.

Both go into one workspace (indexed as a default install indexes it: stored entities from the
default recogniser, and with ``semantic=True`` the MiniLM vectors), so queries of either part
may find candidates in the other. Built once into a cache folder and reused: indexing the
2,231 articles with spaCy takes minutes on the shared machine.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import tarfile
from pathlib import Path

from briefreader.pipeline import run_index
from briefreader.search.index.store import IndexBusy
from briefreader.search.library import Library
from briefreader.workspace import Workspace, init_workspace

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "src" / "briefreader" / "sample"
BBC = REPO.parent / "shared" / "corpora" / "bbc-news.tar.gz"
DEFAULT_CACHE = Path("/tmp/briefreader-related-eval")
MOVES = REPO / "benchmarks" / "data" / "related_passage_moves.json"


class CorpusMissing(Exception):
    """The shared BBC corpus is absent (the message says where it was looked for)."""


def eval_workspace(cache: Path = DEFAULT_CACHE, semantic: bool = False) -> Workspace:
    """The indexed evaluation workspace under ``cache`` (built on first use).

    With ``semantic`` the workspace's ``[related] semantic`` setting is on and the index run
    (``pipeline.run_index``, as ``briefreader index`` runs it) stores the MiniLM vectors of
    every passage. A workspace built while the index run left embedding out (``.complete``
    but no vectors) is brought up to date on opening.

    Raises:
        CorpusMissing: ``../shared/corpora/bbc-news.tar.gz`` is not there.
    """
    root = cache / ("ws-semantic" if semantic else "ws")
    if not (root / "index").is_dir() or not (root / ".complete").exists():
        _fill(root, semantic)
    elif semantic:
        # Nothing to index; embeds what has no vector yet. IndexBusy: another evaluation
        # process is running it on the same workspace.
        with contextlib.suppress(IndexBusy):
            run_index(Workspace(root))
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
    run_index(workspace)  # as `briefreader index` runs it: with the semantic setting, embeds
    (root / ".complete").write_text("ok\n", encoding="utf-8")


def open_eval_library(cache: Path = DEFAULT_CACHE, semantic: bool = False) -> Library:
    """The evaluation workspace's library."""
    return Library.open(eval_workspace(cache, semantic))


def copy_aliases(library: Library) -> dict[str, str]:
    """Article id of each file the index skipped as a copy -> the id of the article it copies.

    The index keeps one of two files with the same title and text (``text/duplicates.py``,
    added after the judged set was drawn on a corpus indexed with its copies): a judged
    passage of a dropped copy is the same text, at the same position, in the kept article.
    """
    folder = library.workspace.articles_dir
    indexed = {summary.id for summary in library.articles()}
    first: dict[str, str] = {}
    aliases = {}
    for path in sorted(folder.glob("*.txt")):
        text = " ".join(path.read_text(encoding="utf-8", errors="replace").split()).casefold()
        kept = first.setdefault(text, path.stem)
        if path.stem not in indexed and kept in indexed:
            aliases[path.stem] = kept
    return aliases | passage_moves()


def passage_moves(path: Path = MOVES) -> dict[str, str]:
    """Judged sample passage id -> its id now, for passages that cleaning renumbered.

    A passage that cleaning removed maps to an id no index holds (``…#removed``): its old
    number now belongs to another paragraph.
    """
    data = json.loads(path.read_text(encoding="utf-8"))
    removed = {passage_id: f"{passage_id}#removed" for passage_id in data["removed"]}
    return dict(data["moves"]) | removed


def resolve_copy(passage_id: str, aliases: dict[str, str]) -> str:
    """The passage id now: moved by cleaning, or in the kept article when its article was
    dropped as a copy."""
    if passage_id in aliases:
        return aliases[passage_id]
    article_id, _, number = passage_id.rpartition(":p")
    return f"{aliases[article_id]}:p{number}" if article_id in aliases else passage_id
