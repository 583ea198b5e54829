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


def test_reader_starts_without_the_heavy_modules() -> None:
    """First paint comes before the index is opened: importing the reader must not pull in
    spaCy, torch, the entity pipeline or the search library (each is imported when used)."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "import briefreader.tui.app\n"
        "heavy = ('spacy', 'torch', 'briefreader.text.entities', 'briefreader.search.library')\n"
        "print(sorted(m for m in heavy if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "[]", done.stdout + done.stderr
