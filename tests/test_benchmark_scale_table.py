"""The pieces of issue 15's scale table (``python -m benchmarks``): targets with the CPU
seconds and load behind each figure, the build probe's phases and heartbeat, and the probe
runner's timeout. No corpus and no timing asserts."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest

from benchmarks import measures, phases, probe
from benchmarks.report import QUERY_KINDS, SCALE_TARGETS, Target, check_targets


def _results() -> dict:
    return {
        "entities": "rules",
        "files": 2225,
        "mb": 5.04,
        "build": {
            "text_phase": {"mb_per_s": 2.0, "mb_per_cpu_s": 0.5, "cpu_s": 10.0, "load": [1, 2]},
            "seconds": 100.0,
            "build_cpu_s": 60.0,
            "load": [1.0, 3.0],
        },
        "queries": {"kinds": {"rare": {"briefreader": {"p95_ms": 60.0}, "x_whoosh_p95": 0.8}}},
        "cpu_s": {"queries": 4.5, "tui": 2.0},
        "load_start": {"queries": [1.5, 1.0, 1.0], "tui": [2.0, 1.0, 1.0]},
        "load": {"queries": [2.5, 1.0, 1.0], "tui": [3.0, 1.0, 1.0]},
    }


def test_every_target_of_issue_15_has_a_row() -> None:
    names = [target.name.strip() for target in SCALE_TARGETS]
    for kind in QUERY_KINDS:
        assert f"query p95, {kind}" in names
        assert f"÷ plain Whoosh's p95, {kind}" in names
    for words in (
        "text phase",
        "per CPU-second",
        "everything",
        "index size",
        "build peak memory",
        "20 one-file updates",
        "re-index one changed file",
        "1,000 queries",
        "keystroke",
    ):
        assert any(words in name for name in names), words


def test_rows_carry_verdict_cpu_and_load() -> None:
    rows = {row["target"].strip(): row for row in check_targets(_results(), SCALE_TARGETS)}
    wall = rows["text phase (searchable, readable), wall"]
    assert (wall["sign"], wall["verdict"], wall["cpu_s"], wall["load"]) == (
        "≥",
        "met",
        10.0,
        [1, 2],
    )
    assert rows["text phase, per CPU-second"]["verdict"].startswith("missed")
    rare = rows["query p95, rare"]
    assert rare["verdict"].startswith("missed") and rare["sign"] == "≤"
    # No CPU of its own for this class: the queries measurement's, with its load start → end.
    assert (rare["cpu_s"], rare["load"]) == (4.5, [1.5, 2.5])
    assert rows["÷ plain Whoosh's p95, rare"]["verdict"] == "met"
    assert rows["query p95, entity"]["verdict"] == "not measured"
    assert rows["keystroke → results painted, p95"]["cpu_s"] == 2.0
    # Met with the rules recogniser, which is not what the target is set for: it says so.
    everything = rows["everything (text + entity phases), wall"]
    assert everything["verdict"] == "met (entities: rules; the target is for spaCy)"
    assert (everything["cpu_s"], everything["load"]) == (60.0, [1.0, 3.0])


def test_a_target_without_its_cost_says_so() -> None:
    target = Target("x", ("a",), 1.0, "s", measure="absent")
    assert target.cost({"a": 0.5}) == (None, None)
    assert check_targets({"a": 0.5}, (target,))[0]["verdict"] == "met"


def test_the_markdown_has_the_scale_table() -> None:
    from benchmarks.markdown import scale_targets_md

    text = "\n".join(scale_targets_md("1", _results()))
    assert "Issue 15 targets" in text and "| query p95, rare | 60 ms | ≤ 50 ms |" in text
    assert "'everything' target is for spaCy" in text


def test_heartbeat_says_where_the_build_is(capsys: pytest.CaptureFixture[str]) -> None:
    log = probe.ProgressLog(heartbeat=0.0)
    log("indexing", 1200, 71200)
    assert "build: indexing 1,200/71,200 after" in capsys.readouterr().err
    quiet = probe.ProgressLog()
    quiet("indexing", 1, 2)
    assert capsys.readouterr().err == ""


def test_entity_phase_start_is_marked_and_restored(monkeypatch: pytest.MonkeyPatch) -> None:
    from briefreader import pipeline

    calls: list[str] = []
    monkeypatch.setattr(pipeline, "run_entities", lambda *a, **k: calls.append("ran") or "done")
    stub = pipeline.run_entities
    with phases.EntityPhaseStart(lambda: calls.append("start")) as switch:
        assert switch.mark is None
        assert pipeline.run_entities() == "done"
    assert calls == ["start", "ran"] and switch.mark is not None and switch.mark["cpu"] > 0
    assert pipeline.run_entities is stub


def test_tree_memory_counts_this_process() -> None:
    with phases.TreeRss(interval=0.01) as tree:
        bytearray(8 << 20)
        import time

        time.sleep(0.1)
    assert tree.peak_kb > 0
    if Path("/proc/self/smaps_rollup").exists():
        assert 0 < tree.peak_pss_kb <= tree.peak_kb * 1.01
        assert tree.main_pss_at_peak_kb == tree.peak_pss_kb  # no children here


def test_tree_memory_is_kept_per_phase() -> None:
    import time

    with phases.TreeRss(interval=0.01, pss_every=1) as tree:
        time.sleep(0.1)
        tree.split()
        held = bytearray(64 << 20)
        held[::4096] = b"x" * len(held[::4096])  # touched: resident
        time.sleep(0.1)
    first, second = tree.phases
    assert second["rss_mb"] >= first["rss_mb"] + 50
    assert tree.peak_kb / 1024 >= second["rss_mb"] - 0.1
    del held


def _fake_probe(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, body: str) -> str:
    (tmp_path / "fake_probe.py").write_text(textwrap.dedent(body), encoding="utf-8")
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    return "fake_probe"


def test_probe_runner_passes_the_heartbeat_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    module = _fake_probe(
        tmp_path,
        monkeypatch,
        """
        import sys
        print("    build: indexing 1/2 after 30 s", file=sys.stderr)
        print("a warning", file=sys.stderr)
        print('{"seconds": 1.5}')
        """,
    )
    assert measures._run_probe(module, echo="    build:") == {"seconds": 1.5}
    err = capsys.readouterr().err
    assert "build: indexing 1/2" in err and "a warning" not in err


def test_probe_runner_reports_a_failure_and_a_timeout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    module = _fake_probe(
        tmp_path, monkeypatch, "import sys\nprint('disk full', file=sys.stderr)\nsys.exit(3)\n"
    )
    with pytest.raises(RuntimeError, match="disk full"):
        measures._run_probe(module)
    (tmp_path / "slow_probe.py").write_text("import time\ntime.sleep(30)\n", encoding="utf-8")
    with pytest.raises(TimeoutError, match="within 0 s"):
        measures._run_probe("slow_probe", timeout=0.3)


def test_the_build_may_take_hours_at_x32() -> None:
    assert measures.build_timeout(160) > 5 * 3600 > measures.build_timeout(5) >= 3600
    assert sys.executable
