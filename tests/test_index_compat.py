"""Indexes written by earlier versions: an old analyzer module path still loads; an older
format is named and rebuilt, and no note is lost."""

from __future__ import annotations

import json
import pickle
import sqlite3
from pathlib import Path

import pytest

from briefreader.cli import main
from briefreader.search.index.schema import DottedAcronymFilter
from tests.conftest import make_workspace


def test_old_pickled_analyzer_path_still_loads() -> None:
    blob = pickle.dumps(DottedAcronymFilter(), protocol=0)  # text: names can be replaced
    old = blob.replace(b"briefreader.search.index.schema", b"briefreader.search.schema")
    assert b"briefreader.search.schema" in old
    assert isinstance(pickle.loads(old), DottedAcronymFilter)


def _made_by_format_7(root: Path) -> None:
    """Turn an index into one an earlier briefreader wrote (format 7: its catalog says so)."""
    from briefreader.search.index.store import active_dir

    folder = active_dir(root / "index")
    assert folder is not None
    with sqlite3.connect(folder / "catalog.db") as db:
        db.execute("UPDATE info SET value = '7' WHERE key = 'schema_version'")


def test_an_older_index_is_named_and_rebuilt_by_search_and_no_note_is_lost(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_workspace(tmp_path, sample=True)
    assert main(["-w", str(root), "-q", "index"]) == 0
    passage = "001_d3326cb8ef4ea649:p3"
    assert main(["-w", str(root), "-q", "notes", "add", passage, "--text", "kept #old"]) == 0
    _made_by_format_7(root)
    capsys.readouterr()
    assert main(["-w", str(root), "search", "--json", "waiver"]) == 0
    out, err = capsys.readouterr()
    assert "index format 7; this version uses format" in err and "rebuilding it" in err
    assert json.loads(out)["hits"]
    assert main(["-w", str(root), "notes", "list", "--json"]) == 0
    (note,) = json.loads(capsys.readouterr().out)["notes"]
    assert note["passage_id"] == passage and note["status"] != "orphaned"
