"""Entity queries through the index: aliases resolve, corrections apply without re-indexing."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from briefreader.cli import main
from briefreader.search.library import Library
from briefreader.workspace import Workspace


@pytest.fixture
def workspace(sample_workspace: Path, tmp_path: Path) -> Workspace:
    root = tmp_path / "ws"
    shutil.copytree(sample_workspace, root)
    return Workspace(root)


def _articles(library: Library, text: str) -> list[str]:
    return sorted(hit.article_id[:3] for hit in library.search(text, limit=50).hits)


def test_entity_fields_and_aliases(sample_workspace: Path) -> None:
    library = Library.open(Workspace(sample_workspace))
    assert _articles(library, "entity:PMF") == _articles(
        library, 'entity:"Popular Mobilization Forces"'
    )
    assert "003" in _articles(library, "entity:PMF")
    assert _articles(library, 'entity:"Kataib Hezbollah"') == ["000", "003", "004"]
    sudani = _articles(library, 'person:"Mohammed Shia al-Sudani"')
    assert len(sudani) >= 5 and sudani == _articles(library, "person:Sudani")
    assert _articles(library, "entity:Daesh") == _articles(library, 'entity:"Islamic State"')
    assert _articles(library, "place:Baghdad")
    hit = library.search("org:PMF").hits[0]
    _article, passage = library.passage(hit.passage_id)
    assert "PMF" in passage.text or "Popular Mobilization" in passage.text


def test_merge_then_unmerge_changes_search_without_reindex(workspace: Workspace, capsys) -> None:
    library = Library.open(workspace)
    before = _articles(library, "entity:Tsurkov")
    assert before == ["000"]
    assert (
        main(["-w", str(workspace.root), "entities", "merge", "Elizabeth Tsurkov", "Renad Mansour"])
        == 0
    )
    merged = _articles(library, "entity:Tsurkov")
    assert merged == ["000", "002", "004"]
    assert main(["-w", str(workspace.root), "entities", "unmerge", "Renad Mansour"]) == 0
    assert _articles(library, "entity:Tsurkov") == before
    capsys.readouterr()


def test_entity_is_answered_by_the_typed_fields(sample_workspace: Path) -> None:
    """The index keeps no ``entity`` field of its own (it repeated the typed ones):
    ``entity:`` finds the union of the typed fields, ``other`` holding the untyped keys."""
    from briefreader.search.index.schema import indexed_entity_terms

    library = Library.open(Workspace(sample_workspace))
    with library.lock:
        reader = library.searcher.reader()
        assert not list(reader.lexicon("entity")) and "p_entity" not in library.schema
    for name in ("Baghdad", '"Kataib Hezbollah"', "PMF", "Sudani"):
        typed = {
            hit
            for field in ("person", "org", "place", "group", "when")
            for hit in _articles(library, f"{field}:{name}")
        }
        assert _articles(library, f"entity:{name}") == sorted(typed)
    fields = {"entity": ["geneva convention", "iraq", "sudani"], "person": ["sudani"]}
    assert indexed_entity_terms(fields) == {
        "person": ["sudani"],
        "other": ["geneva convention", "iraq"],
    }
