"""The catalog: a JSON file beside the index listing indexed files and article summaries.

It makes incremental indexing cheap (size/mtime/hash per file) and the library view instant
(no need to read every stored document). It is written atomically after each commit and tagged
with the index generation; a catalog that does not match the index is rebuilt from the index.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

CATALOG_NAME = "catalog.json"


@dataclass(frozen=True)
class ArticleSummary:
    """What the library list shows for an article."""

    id: str
    title: str
    source: str
    date: str | None
    path: str
    passages: int


@dataclass(frozen=True)
class FileEntry:
    """An indexed file: how to tell it changed, and the articles it produced."""

    size: int
    mtime_ns: int
    content_hash: str
    articles: tuple[str, ...]


@dataclass
class Catalog:
    """Indexed files and article summaries, tagged with the index generation and schema."""

    generation: int = -1
    schema_version: int = 0
    files: dict[str, FileEntry] = field(default_factory=dict)
    articles: dict[str, ArticleSummary] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "generation": self.generation,
            "schema_version": self.schema_version,
            "files": {path: asdict(entry) for path, entry in self.files.items()},
            "articles": [asdict(summary) for summary in self.articles.values()],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Catalog:
        files = {
            path: FileEntry(e["size"], e["mtime_ns"], e["content_hash"], tuple(e["articles"]))
            for path, e in data.get("files", {}).items()
        }
        articles = {a["id"]: ArticleSummary(**a) for a in data.get("articles", [])}
        return cls(
            int(data.get("generation", -1)), int(data.get("schema_version", 0)), files, articles
        )

    def newest_first(self) -> list[ArticleSummary]:
        """Summaries, newest date first (undated last), then by title."""
        dated = sorted((a for a in self.articles.values() if a.date), key=lambda a: a.title)
        dated.sort(key=lambda a: a.date or "", reverse=True)
        undated = sorted((a for a in self.articles.values() if not a.date), key=lambda a: a.title)
        return dated + undated


def read_catalog(index_dir: Path) -> Catalog | None:
    """Read the catalog, or None when it is missing or unreadable."""
    try:
        data = json.loads((index_dir / CATALOG_NAME).read_text(encoding="utf-8"))
        return Catalog.from_json(data)
    except (OSError, ValueError, KeyError, TypeError):
        return None


def write_catalog(index_dir: Path, catalog: Catalog) -> None:
    """Write the catalog atomically (temp file, fsync, rename)."""
    payload = json.dumps(catalog.to_json())
    fd, temp = tempfile.mkstemp(prefix=".catalog-", dir=index_dir)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, index_dir / CATALOG_NAME)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
