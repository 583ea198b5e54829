"""Issue 19: hostile ``notes import`` files (huge numbers, deep nesting) are one-line errors,
nothing is imported and nothing is lost."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from briefreader.cli import main
from tests.conftest import make_workspace

ARTICLE = "Port closes\n\nThe council voted to close the port at night after a long debate.\n"


def _note(start: object) -> dict[str, object]:
    return {
        "id": f"n-{start!s:.10}",
        "article_id": "port",
        "passage_id": "port:p1",
        "selector": {"exact": "council", "start": start, "end": 5},
        "created": "2026-01-01T00:00:00.000Z",
    }


def _hostile_files(rng: random.Random) -> list[str]:
    """Generated hostile exports: offsets far out of range, numbers too long to convert,
    JSON nested deeper than the parser's recursion limit."""
    files = []
    for _ in range(4):
        big = rng.choice([10**30, -(10**19), 2**63, 10 ** rng.randrange(19, 400)])
        files.append(
            json.dumps({"format": "briefreader-notes", "version": 1, "notes": [_note(big)]})
        )
        w3c = {"type": "Annotation", "target": {"selector": [
            {"type": "TextQuoteSelector", "exact": "x"},
            {"type": "TextPositionSelector", "start": big, "end": 1},
        ]}}  # fmt: skip
        files.append(json.dumps([w3c]))
    digits = "9" * rng.randrange(5000, 20000)
    files.append('{"format": "briefreader-notes", "version": 1, "notes": [' + digits + "]}")
    for depth in (rng.randrange(2000, 5000), 200_000):
        files.append("[" * depth + "]" * depth)
        files.append('{"a":' * depth + "1" + "}" * depth)
    return files


def test_hostile_imports_are_one_line_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_workspace(tmp_path / "ws", {"port.txt": ARTICLE})
    assert main(["-w", str(root), "notes", "add", "port:p1", "--text", "keep"]) != 1
    capsys.readouterr()
    source = tmp_path / "in.json"
    for text in _hostile_files(random.Random(19)):
        source.write_text(text)
        code = main(["-w", str(root), "notes", "import", str(source)])
        _out, err = capsys.readouterr()
        assert code == 2 and err.count("\n") == 1 and "Traceback" not in err, (text[:60], err)
    assert main(["-w", str(root), "notes", "list"]) == 0
    assert "keep" in capsys.readouterr().out
