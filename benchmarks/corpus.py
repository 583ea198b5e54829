"""The benchmark corpus: BBC News extracted into a fresh workspace, replicated for 4×/16×/32×.

Copy 0 is the original article; copy ``k`` (k ≥ 1) gets a distinct file name, ``(copy k)``
appended to its title and two adjacent body paragraphs swapped (which pair depends on ``k``),
so documents are not identical but the text and its size stay the same.
"""

from __future__ import annotations

import shutil
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

from briefreader.workspace import Workspace, init_workspace

REPO = Path(__file__).resolve().parent.parent
BBC_TARBALL = REPO.parent / "shared" / "corpora" / "bbc-news.tar.gz"


class CorpusMissing(Exception):
    """The shared corpus is not available; the message says where it was looked for."""


@dataclass(frozen=True)
class Source:
    """One original article file: its name and text."""

    name: str
    text: str


@dataclass(frozen=True)
class BenchCorpus:
    """A workspace holding the replicated corpus, plus facts about it."""

    workspace: Workspace
    files: int
    text_bytes: int
    scale: int
    limit: int | None
    entities: str = "spacy"

    @property
    def megabytes(self) -> float:
        return self.text_bytes / 1e6


def read_sources(tarball: Path = BBC_TARBALL, limit: int | None = None) -> list[Source]:
    """The original articles from the tarball, sorted by name (the first ``limit`` only).

    Raises:
        CorpusMissing: the tarball is not there (the ``../shared`` folder is absent).
    """
    if not tarball.is_file():
        raise CorpusMissing(f"{tarball} not found (the ../shared corpora folder is absent)")
    sources: list[Source] = []
    with tarfile.open(tarball, "r:gz") as archive:
        for member in archive.getmembers():
            if not (member.isfile() and member.name.endswith(".txt")):
                continue
            handle = archive.extractfile(member)
            if handle is None:
                continue
            sources.append(Source(Path(member.name).name, handle.read().decode("utf-8")))
    sources.sort(key=lambda s: s.name)
    return sources[:limit] if limit else sources


def variant(text: str, copy: int) -> str:
    """The text of copy ``copy`` of an article (copy 0 is the original)."""
    if copy == 0:
        return text
    blocks = text.strip("\n").split("\n\n")
    blocks[0] = f"{blocks[0]} (copy {copy})"
    body = blocks[1:]
    if len(body) >= 2:
        first = copy % (len(body) - 1)
        body[first], body[first + 1] = body[first + 1], body[first]
    return "\n\n".join([blocks[0], *body]) + "\n"


def copy_name(name: str, copy: int) -> str:
    """The file name of copy ``copy`` (the original name for copy 0)."""
    if copy == 0:
        return name
    stem, _, suffix = name.rpartition(".")
    return f"{stem}-c{copy:02d}.{suffix}"


ENTITY_SETTINGS = {
    "spacy": "",
    "rules": '[entities]\nrecogniser = "rules"\n',
    "off": "[entities]\nenabled = false\n",
}


def build_corpus(
    scale: int,
    limit: int | None = None,
    root: Path | None = None,
    tarball: Path = BBC_TARBALL,
    entities: str = "spacy",
) -> BenchCorpus:
    """Create a fresh workspace (under ``root`` or a new temp folder) with ``scale`` copies.

    ``entities``: "spacy" (the default recogniser), "rules" (the fast fallback) or "off",
    written to the workspace's ``briefreader.toml``.
    """
    sources = read_sources(tarball, limit)
    base = Path(tempfile.mkdtemp(prefix=f"briefbench-x{scale}-", dir=root))
    workspace = init_workspace(base / "ws")
    if ENTITY_SETTINGS[entities]:
        workspace.settings_path.write_text(ENTITY_SETTINGS[entities], encoding="utf-8")
    total = 0
    for copy in range(scale):
        for source in sources:
            data = variant(source.text, copy).encode("utf-8")
            (workspace.articles_dir / copy_name(source.name, copy)).write_bytes(data)
            total += len(data)
    return BenchCorpus(workspace, len(sources) * scale, total, scale, limit, entities)


def remove_corpus(corpus: BenchCorpus) -> None:
    """Delete the corpus's temporary folder."""
    shutil.rmtree(corpus.workspace.root.parent, ignore_errors=True)
