"""The resolved entity table is kept in the index folder per generation: a new process does
not resolve it again (seconds at BBC ×16), and a correction or a new generation does."""

from __future__ import annotations

from pathlib import Path

import pytest

from briefreader.cli import main
from briefreader.search import library as library_module
from briefreader.search.index.indexer import update_index
from briefreader.search.library import ENTITY_TABLE_CACHE, Library
from briefreader.workspace import Workspace
from tests.conftest import make_workspace


@pytest.fixture
def resolved(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the resolutions (calls of ``resolve_forms`` by the library)."""
    calls: list[int] = []
    real = library_module.resolve_forms

    def counting(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(library_module, "resolve_forms", counting)
    return calls


def _table_names(root: Path) -> set[str]:
    library = Library.open(Workspace(root))
    try:
        return {entity.name for entity in library.entity_table().entities}
    finally:
        library.close()


def test_a_new_process_reads_the_resolved_table(tmp_path: Path, resolved: list[int]) -> None:
    root = make_workspace(tmp_path / "ws", sample=True)
    update_index(Workspace(root))
    first = _table_names(root)
    assert len(resolved) == 1 and "Kataib Hezbollah" in first
    assert _table_names(root) == first and len(resolved) == 1  # read back, not resolved


def test_corrections_a_new_generation_and_damage_resolve_again(
    tmp_path: Path, resolved: list[int], capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_workspace(tmp_path / "ws", sample=True)
    update_index(Workspace(root))
    _table_names(root)
    assert main(["-w", str(root), "entities", "rename", "Kataib Hezbollah", "KH Brigades"]) == 0
    capsys.readouterr()
    assert "KH Brigades" in _table_names(root)  # the correction applies at once
    count = len(resolved)
    (root / "articles" / "new.txt").write_text("A new title\n\nNouri al-Maliki spoke.\n")
    update_index(Workspace(root))
    _table_names(root)
    assert len(resolved) == count + 1  # a new generation
    cache = next((root / "index").glob(f"*/{ENTITY_TABLE_CACHE}"))
    cache.write_bytes(b"not a pickle")
    assert "KH Brigades" in _table_names(root)  # damaged: resolved again
    assert len(resolved) == count + 2


def test_the_library_keeps_no_reasons_and_finds_the_same_entities(tmp_path: Path) -> None:
    """The reasons for joins are the CLI's (``entities show --why``, which resolves them
    itself): a searcher's table leaves them out (32 MB at BBC ×32), and every form still
    finds the entity it finds in the explained table."""
    from briefreader.search.index.catalog import read_entity_forms
    from briefreader.search.index.store import active_dir
    from briefreader.text.entities import resolve_forms

    root = make_workspace(tmp_path / "ws", sample=True)
    update_index(Workspace(root))
    folder = active_dir(root / "index")
    assert folder is not None
    explained = resolve_forms(read_entity_forms(folder, with_articles=True) or [])
    library = Library.open(Workspace(root))
    try:
        table = library.entity_table()
    finally:
        library.close()
    assert any(explained.why.values()) and not table.why and not table.apart
    assert table.entities == explained.entities and table.keys == explained.keys
    for form in [*explained.in_articles, *((*key, "") for key in explained.forms)]:
        assert table.entity_of_form(*form) == explained.entity_of_form(*form), form
    assert len(table.in_articles) <= len(explained.in_articles)
