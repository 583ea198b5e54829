"""Smoke test for ``python -m benchmarks --quick``: it runs and writes well-shaped JSON.

Uses the rules entity recogniser so it stays well under a minute (spaCy is benchmarked by the
real runs).

No timing asserts: benchmarks live in ``benchmarks/``, never as timed unit tests.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.corpus import BBC_TARBALL

REPO = Path(__file__).resolve().parent.parent


def _run_quick(output: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    command = [sys.executable, "-m", "benchmarks", "--quick", "--entities", "rules"]
    command += ["--output", str(output)]
    return subprocess.run(
        command, cwd=REPO, env=env, capture_output=True, text=True, timeout=300, check=False
    )


@pytest.mark.skipif(not BBC_TARBALL.is_file(), reason="../shared/corpora is absent")
def test_quick_run_writes_results(tmp_path: Path) -> None:
    done = _run_quick(tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    files = list(tmp_path.glob("*-quick-x1-entities-rules.json"))
    assert len(files) == 1, done.stdout[-2000:]
    payload = json.loads(files[0].read_text(encoding="utf-8"))
    assert payload["quick"] is True
    assert {"machine", "python", "cpus", "git_commit"} <= set(payload["info"])
    scale = payload["scales"]["1"]
    assert scale["files"] == 200
    assert scale["entities"] == "rules"
    assert set(scale["build"]["timings"]) >= {"parsing", "indexing", "commit"}
    assert scale["build"]["mb_per_s"] > 0
    assert scale["build"]["mb_per_cpu_s"] > 0
    assert scale["cpu_s"]["queries"] > 0 and len(scale["load"]["queries"]) == 3
    queries = scale["queries"]
    assert queries["all"]["briefreader"]["n"] >= 25
    assert {"common", "rare", "and", "phrase", "prefix"} <= set(queries["kinds"])
    for stats in queries["kinds"].values():
        assert {"median_ms", "p95_ms"} <= set(stats["briefreader"])
    assert "fts5" in queries["all"]
    # Plain Whoosh, same files, same text queries (no entity fields): built and timed.
    assert scale["whoosh_build"]["index_mb"] > 0 and scale["whoosh_build"]["cpu_s"] > 0
    assert queries["all"]["whoosh"]["n"] == queries["all"]["briefreader_text"]["n"] > 0
    assert queries["all"]["x_whoosh_p95"] > 0
    verdicts = {row["target"]: row["verdict"] for row in scale["targets"]}
    assert len(verdicts) >= 10
    for name in ("related", "tui", "incremental", "cli_search"):
        assert name in scale or name in scale["skipped"], name
    assert "Targets" in done.stdout
    _check_scale_table(scale, payload, done.stdout)


def _check_scale_table(scale: dict, payload: dict, stdout: str) -> None:
    """Issue 15's targets, all in one table, each with the CPU seconds and load behind it."""
    from benchmarks.markdown import to_markdown

    build = scale["build"]
    text = build["text_phase"]
    assert text["cpu_s"] > 0 and text["mb_per_cpu_s"] > 0 and text["mb_per_s"] > 0
    assert build["entity_phase"]["wall_s"] >= 0 and build["x_text"] > 0
    assert build["tree_peak_rss_mb"] >= build["tree_peak_pss_mb"] > 0
    entity = scale["queries"]["kinds"]["entity"]
    assert entity["whoosh"]["n"] == entity["briefreader"]["n"] > 0  # the name as a phrase
    assert entity["x_whoosh_p95"] > 0 and entity["briefreader_cpu_s"] > 0
    updates = scale["updates"]
    assert updates["updates"] == 20 and len(updates["segments"]) == 20
    assert updates["updated"]["x_p95"]["all"] > 0 and updates["merged"]["x_p95"]["all"] > 0
    assert updates["merge"]["segments_after"] == 1 and scale["library"]["segments"] >= 1
    assert scale["reader_memory"]["queries"] == 1000
    rows = scale["targets_scale"]
    assert len(rows) == 23
    assert not [row["target"] for row in rows if row["verdict"] == "not measured"]
    assert all(row["cpu_s"] is not None and len(row["load"]) == 2 for row in rows)
    assert scale["wall_s"] > 0 and scale["cpu_total_s"] > 0
    assert "Issue 15 targets" in stdout and "Whole run" in stdout
    assert "Issue 15 targets" in to_markdown(payload)


def test_missing_corpus_is_a_clear_skip(tmp_path: Path) -> None:
    from benchmarks.corpus import CorpusMissing, read_sources

    with pytest.raises(CorpusMissing, match="not found"):
        read_sources(tmp_path / "absent.tar.gz")


@pytest.mark.skipif(not BBC_TARBALL.is_file(), reason="../shared/corpora is absent")
def test_compare_runs_two_commits_side_by_side(tmp_path: Path) -> None:
    """``benchmarks.compare HEAD --quick``: both sides build and answer every query."""
    from benchmarks import compare

    result = compare.compare("HEAD", 1, 2, 60, "rules")
    tree, ref = result["sides"]
    assert set(result["build"]) == {tree, ref}
    for side in (tree, ref):
        assert result["build"][side]["cpu_s"] > 0 and result["build"][side]["index_mb"] > 0
        assert result["queries"]["kinds"]["all"][side]["n"] == 10
        assert result["queries"]["errors"][side] == 0
    assert list(result["queries"]["kinds"])[-1] == "all"


def test_compare_without_the_corpus_registers_no_worktree(monkeypatch, tmp_path: Path) -> None:
    """Run without ../shared: a clear CorpusMissing, and no temporary worktree left behind."""
    import subprocess

    from benchmarks import compare
    from benchmarks.corpus import CorpusMissing, read_sources

    def absent(tarball: Path = tmp_path / "absent.tar.gz", limit: int | None = None) -> list:
        return read_sources(tmp_path / "absent.tar.gz", limit)

    monkeypatch.setattr("benchmarks.corpus.read_sources", absent)

    def worktrees() -> str:
        return subprocess.run(
            ["git", "-C", str(compare.REPO), "worktree", "list"], capture_output=True, text=True
        ).stdout

    with pytest.raises(CorpusMissing):
        compare.compare("HEAD", 1, 2, 60, "rules")
    assert "briefcompare-" not in worktrees()


def test_index_sizes_accounts_for_the_folder(sample_workspace: Path, capsys) -> None:
    from benchmarks import index_sizes
    from briefreader.search.index.store import active_dir
    from briefreader.workspace import Workspace

    folder = active_dir(Workspace(sample_workspace).index_dir)
    assert folder is not None
    result = index_sizes.measure(folder)
    inside = sum(result["files"].values()) + result["catalog_bytes"]
    assert 0.9 * result["total_bytes"] <= inside <= result["total_bytes"]
    assert result["fields"]["body"]["postings_bytes"] > 0
    assert "entity" not in result["fields"]  # answered by the typed entity fields
    assert index_sizes.main([str(folder)]) == 0
    assert "| `body` |" in capsys.readouterr().out


def test_benchmark_entity_fields_match_the_schema() -> None:
    from benchmarks import queries
    from briefreader.search.index.schema import entity_index_fields

    assert entity_index_fields("entity") == queries._TYPED_ENTITY_FIELDS


@pytest.mark.skipif(not BBC_TARBALL.is_file(), reason="../shared/corpora is absent")
def test_text_phase_reports_mb_per_cpu_second() -> None:
    """``python -m benchmarks.text_phase``: one JSON line with the text phase's rates."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    command = [sys.executable, "-m", "benchmarks.text_phase", "--limit", "10"]
    done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    row = json.loads(done.stdout.strip().splitlines()[-1])
    assert row["cpu_s"] > 0 and row["mb_per_cpu_s"] > 0 and row["peak_rss_mb"] > 0
    assert {"parsing", "indexing", "commit"} <= set(row["timings"])


def test_text_phase_compare_interleaves_and_gives_ratios() -> None:
    """``--compare REF`` runs the two sides ABBA and reports medians and tree ÷ REF."""
    from benchmarks.text_phase import _order, summarize

    assert _order(3) == [0, 1, 1, 0, 0, 1]
    runs = {
        "tree": [{key: 2.0 for key in ("cpu_s", "wall_s", "mb_per_cpu_s", "mb_per_s")}],
        "main": [{key: 4.0 for key in ("cpu_s", "wall_s", "mb_per_cpu_s", "mb_per_s")}],
    }
    for name, value in (("tree", 100.0), ("main", 200.0)):
        runs[name][0]["peak_rss_mb"] = value
    result = summarize(runs, ["tree", "main"])
    assert result["medians"]["tree"]["cpu_s"] == 2.0
    assert result["ratios"] == dict.fromkeys(
        ("cpu_s", "wall_s", "mb_per_cpu_s", "mb_per_s", "peak_rss_mb"), 0.5
    )


@pytest.mark.skipif(not BBC_TARBALL.is_file(), reason="../shared/corpora is absent")
def test_the_deletions_benchmark_runs_both_sides(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``benchmarks.deletions --workspace`` on the sample after a one-file update: its
    queries timed with Whoosh's postings and ours, the deletions counted (none are left
    here: the update's merge takes in the sample's one small segment)."""
    import shutil

    from benchmarks import deletions
    from briefreader.search.index.indexer import update_index
    from briefreader.workspace import Workspace
    from tests.conftest import make_workspace

    root = make_workspace(tmp_path / "ws", sample=True)
    update_index(Workspace(root))
    changed = sorted((root / "articles").iterdir())[0]
    changed.write_text(changed.read_text(encoding="utf-8") + "\nA late correction.\n", "utf-8")
    update_index(Workspace(root))
    output = tmp_path / "out"
    arguments = ["--workspace", str(root), "--per-kind", "2", "--repeats", "1"]
    assert deletions.main([*arguments, "--output", str(output)]) == 0
    payload = json.loads(next(output.glob("*-deletions-xws.json")).read_text("utf-8"))
    assert payload["deleted_docs"] == 0 and payload["documents"] > 0
    assert set(payload["cpu_s"]) == {"whoosh", "live"}
    assert payload["queries"]["whoosh"]["all"]["n"] == payload["queries"]["live"]["all"]["n"] > 0
    assert "ratio p95" in capsys.readouterr().out
    shutil.rmtree(root)


@pytest.mark.skipif(not BBC_TARBALL.is_file(), reason="../shared/corpora is absent")
def test_the_query_ab_runs_both_trees_over_one_index(
    tmp_path: Path, sample_workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``benchmarks.query_ab HEAD WS``: both sides answer the same queries over the same
    index, in processes of their own; the temporary worktree is removed."""
    from benchmarks import query_ab

    output = tmp_path / "out"
    arguments = ["HEAD", str(sample_workspace), "--rounds", "1", "--per-kind", "2"]
    assert query_ab.main([*arguments, "--repeats", "1", "--output", str(output)]) == 0
    payload = json.loads(next(output.glob("*-query-ab-HEAD-xws.json")).read_text("utf-8"))
    assert set(payload["sides"]) == {"tree", "ref"}
    assert payload["runs"]["tree"][0]["kinds"]["all"]["n"] > 0
    assert "p95 tree" in capsys.readouterr().out
    worktrees = subprocess.run(
        ["git", "-C", str(REPO), "worktree", "list"], capture_output=True, text=True, check=True
    )
    assert "briefbench-ab-" not in worktrees.stdout


def test_the_reindex_ab_times_both_trees_on_copies_of_one_index(
    tmp_path: Path, sample_workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``benchmarks.reindex_ab HEAD WS``: each side re-indexes its own copy of the workspace
    after one-file changes, in processes of its own; the workspace given is left as it was
    and the temporary worktree is removed."""
    from benchmarks import reindex_ab

    before = {p.name: p.read_bytes() for p in (sample_workspace / "articles").iterdir()}
    output = tmp_path / "out"
    arguments = ["HEAD", str(sample_workspace), "--rounds", "1", "--updates", "2"]
    assert reindex_ab.main([*arguments, "--output", str(output)]) == 0
    payload = json.loads(next(output.glob("*-reindex-ab-HEAD-xws.json")).read_text("utf-8"))
    assert set(payload["sides"]) == {"tree", "ref"}
    assert payload["sides"]["tree"]["updates"] == payload["sides"]["ref"]["updates"] == 2
    assert all(seconds > 0 for seconds in payload["runs"]["ref"][0]["wall_s"])
    assert "CPU ms, median" in capsys.readouterr().out
    assert {p.name: p.read_bytes() for p in (sample_workspace / "articles").iterdir()} == before
    worktrees = subprocess.run(
        ["git", "-C", str(REPO), "worktree", "list"], capture_output=True, text=True, check=True
    )
    assert "briefbench-reindex-" not in worktrees.stdout
    assert "briefbench-ab-" not in worktrees.stdout
