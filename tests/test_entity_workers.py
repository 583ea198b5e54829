"""The entity phase's worker processes (``search/index/recognising.py``): with a spaCy model
and enough text, they recognise the batches a batch ahead of the writer, load the model
themselves (the main process never does), and give the same entities as one process."""

from __future__ import annotations

from pathlib import Path

import pytest

from briefreader.search.index import recognising
from briefreader.search.index.catalog import read_entity_forms
from briefreader.search.index.enrich import EntityEnricher
from briefreader.search.index.entity_phase import recognise_pending
from briefreader.search.index.indexer import update_index
from briefreader.search.index.store import active_dir
from briefreader.search.library import Library
from briefreader.text.entities import extract
from briefreader.text.entities.recogniser import SpacyRecogniser, choose_recogniser
from briefreader.workspace import Workspace
from tests.conftest import make_workspace


@pytest.fixture(autouse=True)
def _spacy_model() -> None:
    if not isinstance(choose_recogniser({}).recogniser, SpacyRecogniser):
        pytest.skip("the spaCy model is not installed")


def _workspace(tmp_path: Path, settings: str = "") -> Workspace:
    root = make_workspace(tmp_path, sample=True)
    (root / "briefreader.toml").write_text(f"[entities]\n{settings}", encoding="utf-8")
    return Workspace(root)


def _forms(workspace: Workspace) -> list[tuple[str, str, str, int, tuple[str, ...]]]:
    folder = active_dir(workspace.index_dir)
    assert folder is not None
    forms = read_entity_forms(folder, with_articles=True) or []
    return sorted((f.text, f.name, f.type, f.mentions, tuple(sorted(f.article_ids))) for f in forms)


def _pooled(monkeypatch: pytest.MonkeyPatch, on: bool) -> None:
    """Workers for any phase (the sample is far below ``POOL_MIN_CHARS``), or none."""
    monkeypatch.setattr(recognising, "POOL_MIN_CHARS", 1 if on else 10**12)
    monkeypatch.setattr(recognising.workers, "available_cores", lambda: 2)


def test_workers_find_the_entities_one_process_finds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    alone = _workspace(tmp_path / "alone")
    _pooled(monkeypatch, on=False)
    update_index(alone, entities=False)
    assert recognise_pending(alone, batch_chars=4_000).left == 0

    pooled = _workspace(tmp_path / "pooled")
    _pooled(monkeypatch, on=True)
    update_index(pooled, entities=False)
    extract._LOADED.clear()
    enricher = EntityEnricher(pooled)
    committed: list[int] = []
    report = recognise_pending(
        pooled,
        enricher=enricher,
        batch_chars=4_000,
        after_batch=lambda done, total, ids: committed.append(done),
    )
    total = report.total
    assert report.recognised == total > 2 and report.left == 0
    assert report.recogniser.startswith("spaCy") and not report.notices
    assert committed[0] < total and committed[-1] == total  # the small first batch first
    assert _forms(pooled) == _forms(alone) and _forms(pooled)
    # the model was loaded in the workers only
    assert extract._LOADED == {} and enricher._choice is not None
    assert isinstance(enricher._choice.recogniser, SpacyRecogniser)
    assert enricher._choice.recogniser._nlp is None
    library = Library.open(pooled)
    try:
        assert library.entity_coverage() == (total, total)
    finally:
        library.close()


def test_a_stop_keeps_what_the_workers_handed_over(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A stop after the first commit: the phase ends at once with its workers, and the next
    run finishes from the entity cache and the workers."""
    workspace = _workspace(tmp_path)
    _pooled(monkeypatch, on=True)
    update_index(workspace, entities=False)
    committed: list[int] = []
    report = recognise_pending(
        workspace,
        batch_chars=4_000,
        after_batch=lambda done, total, ids: committed.append(done),
        should_stop=lambda: bool(committed),
    )
    assert report.stopped and report.commits == 1 and 0 < report.left < report.total
    report = recognise_pending(workspace, batch_chars=4_000)
    assert report.left == 0 and not report.stopped


def test_a_model_that_does_not_load_in_the_workers_gives_way_to_the_rules(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = tmp_path / "not-a-model"
    broken.mkdir()
    workspace = _workspace(tmp_path / "ws", f"model = '{broken.as_posix()}'\n")
    _pooled(monkeypatch, on=True)
    update_index(workspace, entities=False)
    report = recognise_pending(workspace, batch_chars=4_000)
    assert report.left == 0 and report.recogniser.startswith("rules")
    assert len(report.notices) == 1 and "could not be loaded" in report.notices[0]
    assert _forms(workspace)  # the rules found entities
