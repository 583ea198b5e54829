"""Nothing below tui/ imports Textual: every capability works without a terminal."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src" / "briefreader"


def test_no_textual_outside_tui() -> None:
    offenders = []
    for path in SRC.rglob("*.py"):
        if "tui" in path.relative_to(SRC).parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            if any(name.split(".")[0] == "textual" for name in names):
                offenders.append(str(path.relative_to(SRC)))
    assert offenders == []


def test_sample_copy_in_package_matches_articles() -> None:
    articles = SRC.parent.parent / "articles"
    for path in articles.iterdir():
        assert (SRC / "sample" / path.name).read_bytes() == path.read_bytes()
