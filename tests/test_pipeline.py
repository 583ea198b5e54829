"""The index run has one owner: settings read once, embeddings under the lock, and notes
re-anchored only for the articles the run changed."""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

import pytest

from briefreader.models import ProgressFn
from briefreader.notes import ORPHANED, NoteStore, add_note
from briefreader.pipeline import run_index
from briefreader.search.index.store import IndexBusy, write_lock
from briefreader.search.library import Library
from briefreader.workspace import Workspace
from tests.conftest import make_workspace

HARBOUR = "The harbour board met on Monday and approved the dredging plan after a long debate."
MARKET = "Traders at the covered market said rents had doubled since the council sold the hall."


def _noted_workspace(tmp_path: Path) -> tuple[Workspace, dict[str, str]]:
    """Two articles, one note on each; returns the workspace and note id by article id."""
    root = make_workspace(
        tmp_path, {"port.txt": f"Port story\n\n{HARBOUR}", "market.txt": f"Market\n\n{MARKET}"}
    )
    workspace = Workspace(root)
    run = run_index(workspace, keep_open=True)
    assert run.library is not None
    notes = {}
    with NoteStore(workspace.notes_db) as store:
        for article_id, words in (("port", "dredging plan"), ("market", "covered market")):
            article = run.library.article(article_id)
            start = article.text.index(words)
            notes[article_id] = add_note(store, article, start, start + len(words)).id
    run.library.close()
    return workspace, notes


def test_a_run_reanchors_only_the_notes_of_the_articles_it_changed(tmp_path: Path) -> None:
    workspace, notes = _noted_workspace(tmp_path)
    edited = f"Port story\n\nA new first paragraph pushes everything down.\n\n{HARBOUR}"
    (workspace.articles_dir / "port.txt").write_text(edited, encoding="utf-8")

    run = run_index(workspace)

    assert run.report.changed_articles == {"port"}
    assert run.notes is not None
    assert run.notes.checked == 1  # the market note was not even looked at
    assert run.notes.moved == (notes["port"],)
    assert run.notes_notice.startswith("notes re-anchored: 1 moved")


def test_a_removed_article_orphans_its_notes_and_no_other(tmp_path: Path) -> None:
    workspace, notes = _noted_workspace(tmp_path)
    with NoteStore(workspace.notes_db) as store:  # a note the market text no longer holds
        market = store.get(notes["market"])
        store.set_anchor(market.id, market.selector, market.passage_ids, "fuzzy", 0.5)
    (workspace.articles_dir / "port.txt").unlink()

    run = run_index(workspace)

    assert run.notes is not None and run.notes.orphaned == (notes["port"],)
    with NoteStore(workspace.notes_db) as store:
        assert store.get(notes["port"]).status == ORPHANED
        assert store.get(notes["market"]).status == "fuzzy"  # untouched: not in this run


def test_an_unchanged_run_touches_no_notes_and_all_reanchors_every_one(tmp_path: Path) -> None:
    workspace, _ = _noted_workspace(tmp_path)
    assert run_index(workspace).notes is None
    everything = run_index(workspace, reanchor="all")
    assert everything.notes is not None and everything.notes.checked == 2
    rebuilt = run_index(workspace, rebuild=True)
    assert rebuilt.report.changed_articles is None
    assert rebuilt.notes is not None and rebuilt.notes.checked == 2


def test_a_run_reads_the_settings_once(tmp_path: Path, settings_reads: list[Path]) -> None:
    root = make_workspace(tmp_path, {"port.txt": f"Port story\n\n{HARBOUR}"})
    (root / "briefreader.toml").write_text('[cleaning]\nboilerplate = ["share this"]\n')
    run_index(Workspace(root))
    assert len(settings_reads) == 1


def test_the_embedding_step_runs_under_the_index_lock_with_the_changed_articles(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from briefreader.search import semantic

    root = make_workspace(tmp_path, {"port.txt": f"Port story\n\n{HARBOUR}"})
    (root / "briefreader.toml").write_text("[related]\nsemantic = true\n")
    workspace = Workspace(root)
    run_index(workspace)
    (workspace.articles_dir / "market.txt").write_text(f"Market\n\n{MARKET}", encoding="utf-8")
    calls: list[tuple[Collection[str] | None, bool]] = []

    def embed(library: Library, progress: ProgressFn, changed: Collection[str] | None) -> int:
        try:
            with write_lock(workspace.index_dir, []):
                locked = False
        except IndexBusy:
            locked = True
        calls.append((changed, locked))
        return 0

    monkeypatch.setattr(semantic, "available", lambda: None)
    monkeypatch.setattr(semantic, "update_embeddings", embed)
    run = run_index(workspace)
    assert calls == [({"market"}, True)]
    assert "embedding" in run.report.timings


def test_without_the_extra_the_run_says_semantic_is_off(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from briefreader.search import semantic

    monkeypatch.setattr(semantic, "available", lambda: "sentence-transformers is not installed")
    root = make_workspace(tmp_path, {"port.txt": f"Port story\n\n{HARBOUR}"})
    (root / "briefreader.toml").write_text("[related]\nsemantic = true\n")
    report = run_index(Workspace(root)).report
    assert "semantic related passages are off: sentence-transformers is not installed" in (
        report.notices
    )
    assert "embedding" not in report.timings
