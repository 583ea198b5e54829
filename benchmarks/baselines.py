"""What a user would otherwise reach for: SQLite FTS5, plain Whoosh and ripgrep.

All see the same files as briefreader. FTS5 answers top 20 by bm25 with ``snippet()``;
plain Whoosh is the engine under briefreader used as its tutorial shows it (one writer, title
and body with Whoosh's stemming analyzer, both stored; top 20 by BM25F with ``highlights()``);
ripgrep scans the files with no index and prints the first matching line of each matching
file (an AND runs one scan per word and intersects the file sets).
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

from benchmarks.queries import Query
from benchmarks.timing import Skip


class Fts5:
    """An FTS5 index of the workspace's article files (title, body)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.db = sqlite3.connect(path)

    @classmethod
    def build(cls, articles_dir: Path, path: Path) -> Fts5:
        """Index every ``*.txt`` file (first line the title, the rest the body).

        Raises:
            Skip: this Python's SQLite was built without FTS5.
        """
        fts = cls(path)
        try:
            fts.db.execute(
                "CREATE VIRTUAL TABLE docs USING fts5("
                "name UNINDEXED, title, body, tokenize='porter unicode61')"
            )
        except sqlite3.OperationalError as error:
            raise Skip(f"SQLite has no FTS5 ({error})") from error
        rows = (_row(file) for file in sorted(articles_dir.glob("*.txt")))
        with fts.db:
            fts.db.executemany("INSERT INTO docs(name, title, body) VALUES (?, ?, ?)", rows)
        return fts

    def search(self, query: Query, limit: int = 20) -> list[tuple[str, str]]:
        """Top ``limit`` (name, snippet) pairs by bm25."""
        sql = (
            "SELECT name, snippet(docs, 2, '[', ']', '…', 32) FROM docs "
            "WHERE docs MATCH ? ORDER BY rank LIMIT ?"
        )
        return self.db.execute(sql, (query.fts, limit)).fetchall()

    def close(self) -> None:
        self.db.close()


class PlainWhoosh:
    """A plain Whoosh index of the workspace's article files (name, title, body)."""

    def __init__(self, ix: Any) -> None:
        from whoosh.qparser import MultifieldParser

        self.ix = ix
        self.searcher = ix.searcher()
        self.parser = MultifieldParser(["title", "body"], ix.schema)

    @classmethod
    def build(cls, articles_dir: Path, folder: Path) -> PlainWhoosh:
        """Index every ``*.txt`` file (first line the title, the rest the body), one writer."""
        from whoosh import fields, index
        from whoosh.analysis import StemmingAnalyzer

        schema = fields.Schema(
            name=fields.ID(stored=True),
            title=fields.TEXT(stored=True, analyzer=StemmingAnalyzer()),
            body=fields.TEXT(stored=True, analyzer=StemmingAnalyzer()),
        )
        folder.mkdir(parents=True, exist_ok=True)
        ix = index.create_in(str(folder), schema)
        writer = ix.writer(limitmb=256)
        for file in sorted(articles_dir.glob("*.txt")):
            name, title, body = _row(file)
            writer.add_document(name=name, title=title, body=body)
        writer.commit()
        return cls(ix)

    def search(self, query: Query, limit: int = 20) -> list[tuple[str, str]]:
        """Top ``limit`` (name, highlighted body) pairs; entity queries have no field here.

        Raises:
            Skip: the query names a field plain Whoosh does not have (entity queries).
        """
        if query.kind == "entity":
            raise Skip("plain Whoosh has no entity fields")
        results = self.searcher.search(self.parser.parse(query.brief), limit=limit)
        return [(hit["name"], hit.highlights("body")) for hit in results]

    def search_text(self, query: Query, limit: int = 20) -> list[tuple[str, str]]:
        """As ``search``; an entity query becomes its name as a phrase over title and body
        (what a plain Whoosh user without entity fields would type)."""
        if query.kind != "entity":
            return self.search(query, limit)
        results = self.searcher.search(self.parser.parse(query.fts), limit=limit)
        return [(hit["name"], hit.highlights("body")) for hit in results]

    def close(self) -> None:
        self.searcher.close()


def _row(file: Path) -> tuple[str, str, str]:
    text = file.read_text(encoding="utf-8")
    title, _, body = text.partition("\n")
    return file.name, title, body


class Ripgrep:
    """Run ``rg`` over the articles folder (no index)."""

    def __init__(self, articles_dir: Path) -> None:
        binary = shutil.which("rg")
        if binary is None:
            raise Skip("ripgrep is not installed (apt-get install -y ripgrep)")
        self.binary = binary
        self.articles_dir = articles_dir

    def search(self, query: Query) -> set[str]:
        """Names of the files that contain every pattern of the query."""
        found: set[str] | None = None
        for pattern in query.rg_patterns:
            names = self._scan(pattern, query.rg_words)
            found = names if found is None else found & names
        return found or set()

    def _scan(self, pattern: str, words: bool) -> set[str]:
        command = [self.binary, "-i", "-m", "1", "--no-heading", "--with-filename"]
        command += ["-w"] if words else []
        command += ["-e", pattern, str(self.articles_dir)]
        output = subprocess.run(command, capture_output=True, text=True, check=False).stdout
        return {line.split(":", 1)[0] for line in output.splitlines()}

    def version(self) -> str:
        result = subprocess.run([self.binary, "--version"], capture_output=True, text=True)
        return result.stdout.splitlines()[0] if result.stdout else "unknown"
