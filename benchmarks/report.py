"""Targets from issue 7 and issue 15 (the ×32 scale table), the printed tables (rich) and the
JSON results file."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

RESULTS_DIR = Path(__file__).resolve().parent / "results"
RECOGNISERS = {"spacy": "spaCy", "rules": "rules recogniser", "off": "none"}


@dataclass(frozen=True)
class Target:
    """One target: how to read the value from a scale's results, the bound, the unit; where
    the CPU seconds and the load behind the figure are (``cpu``, ``load`` paths, else those
    of the whole ``measure``)."""

    name: str
    path: tuple[str, ...]
    bound: float
    unit: str
    higher_is_better: bool = False
    measure: str = ""
    cpu: tuple[str, ...] = ()
    load: tuple[str, ...] = ()
    entities: str = ""  # the recogniser the target is set for, if it depends on one

    def value(self, results: dict[str, Any]) -> float | None:
        node = _walk(results, self.path)
        return float(node) if isinstance(node, int | float) else None

    def verdict(self, value: float | None) -> str:
        if value is None or math.isnan(value):
            return "not measured"
        good = value >= self.bound if self.higher_is_better else value <= self.bound
        if good:
            return "met"
        if self.higher_is_better:
            return f"missed: {self.bound / value:.1f}× too slow" if value > 0 else "missed"
        return f"missed by {fmt(value - self.bound)} {self.unit} ({value / self.bound:.1f}×)"

    def cost(self, results: dict[str, Any]) -> tuple[float | None, list[float] | None]:
        """CPU seconds and the 1-minute load (start, end) behind the figure."""
        cpu = _walk(results, self.cpu) if self.cpu else None
        if cpu is None and self.measure:
            cpu = results.get("cpu_s", {}).get(self.measure)
        load = _walk(results, self.load) if self.load else None
        if load is None and self.measure:
            ends = [results.get(k, {}).get(self.measure) for k in ("load_start", "load")]
            load = [end[0] for end in ends if end] or None
        if isinstance(load, int | float):
            load = [load]
        return (float(cpu) if isinstance(cpu, int | float) else None), load


def _walk(node: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    return node


TARGETS = (
    Target("index build (MB/s of text)", ("build", "mb_per_s"), 1.0, "MB/s", True),
    Target("index build (MB per CPU-second)", ("build", "mb_per_cpu_s"), 0.6, "MB/CPU-s", True),
    Target("incremental re-index, median", ("incremental", "in_process", "median_ms"), 2000, "ms"),
    Target(
        "incremental re-index, CLI (cold process)", ("incremental", "cli", "median_ms"), 2000, "ms"
    ),
    Target("query top 20 + snippets, p95", ("queries", "all", "briefreader", "p95_ms"), 50, "ms"),
    Target(
        "query p95 ÷ plain Whoosh's, same text queries",
        ("queries", "all", "x_whoosh_p95"),
        1.0,
        "×",
    ),
    Target("keystroke → results painted, p95", ("tui", "keystroke", "p95_ms"), 100, "ms"),
    Target("related passages, p95", ("related", "cold", "p95_ms"), 100, "ms"),
    Target("cold start → first paint", ("tui", "first_paint_s"), 1.0, "s"),
    Target("open longest article → painted", ("tui", "open_longest_ms"), 150, "ms"),
    Target("scroll a page, p95", ("tui", "scroll", "p95_ms"), 16, "ms"),
    Target("reader peak memory (TUI)", ("tui", "peak_rss_mb"), 400, "MB"),
    Target("reader peak memory (library)", ("reader_memory", "peak_rss_mb"), 400, "MB"),
    Target("briefreader search, cold, median", ("cli_search", "median_ms"), 500, "ms"),
)


QUERY_KINDS = ("common", "rare", "and", "phrase", "prefix", "entity")


def _query_targets() -> tuple[Target, ...]:
    """Per query class: p95 ≤ 50 ms, and ≤ plain Whoosh's p95 in the same run."""
    rows: list[Target] = []
    for kind in QUERY_KINDS:
        stats = ("queries", "kinds", kind)
        cpu = (*stats, "briefreader_cpu_s")
        rows.append(
            Target(
                f"query p95, {kind}",
                (*stats, "briefreader", "p95_ms"),
                50,
                "ms",
                measure="queries",
                cpu=cpu,
            )
        )
        rows.append(
            Target(
                f"  ÷ plain Whoosh's p95, {kind}",
                (*stats, "x_whoosh_p95"),
                1.0,
                "×",
                measure="queries",
                cpu=cpu,
            )
        )
    return tuple(rows)


def _text_phase(name: str, key: str, bound: float, unit: str) -> Target:
    """A target on the text phase's rate (higher is better), with its CPU s and load."""
    part = ("build", "text_phase")
    return Target(name, (*part, key), bound, unit, True, "build", (*part, "cpu_s"), (*part, "load"))


def _own(name: str, path: tuple[str, ...], bound: float, unit: str, cpu: str) -> Target:
    """A target on a figure of measurement ``path[0]``, with the CPU s (its key ``cpu``) and
    the load recorded beside the figure."""
    measure = path[0]
    return Target(name, path, bound, unit, False, measure, (measure, cpu), (measure, "load"))


def _build(name: str, key: str, bound: float, unit: str) -> Target:
    """A target on the whole build (both phases)."""
    return _own(name, ("build", key), bound, unit, "build_cpu_s")


def _after_updates(name: str, variant: str) -> Target:
    """p95 of an updated index ÷ the built one's, in the same interleaved run."""
    part = ("updates", variant)
    return Target(
        name, (*part, "x_p95", "all"), 1.1, "×", False, "updates", (*part, "cpu_s"), (*part, "load")
    )


# Issue 15's targets, set for BBC ×32 (71,200 articles, ~160 MB) on 2 cores.
SCALE_TARGETS = (
    _text_phase("text phase (searchable, readable), wall", "mb_per_s", 1.0, "MB/s"),
    _text_phase("text phase, per CPU-second", "mb_per_cpu_s", 0.6, "MB/CPU-s"),
    replace(
        _build("everything (text + entity phases), wall", "seconds", 1500, "s"), entities="spacy"
    ),
    _build("  progress throughout: longest silence", "max_progress_gap_s", 10, "s"),
    _build("index size ÷ text", "x_text", 2.5, "×"),
    _build("build peak memory (main + workers, PSS)", "tree_peak_pss_mb", 800, "MB"),
    *_query_targets(),
    _after_updates("p95 after 20 one-file updates ÷ built index", "updated"),
    _after_updates("  the same, then merged (reader's idle merge)", "merged"),
    _own(
        "re-index one changed file, median of 20",
        ("updates", "reindex", "median_ms"),
        1000,
        "ms",
        "reindex_cpu_s",
    ),
    _own(
        "library process after 1,000 queries, peak RSS",
        ("reader_memory", "peak_after_queries_mb"),
        400,
        "MB",
        "queries_cpu_s",
    ),
    Target(
        "keystroke → results painted, p95", ("tui", "keystroke", "p95_ms"), 100, "ms", measure="tui"
    ),
)


def fmt(value: float) -> str:
    """A number for a table: whole units from 100 up, three significant digits below."""
    return f"{value:.0f}" if abs(value) >= 100 else f"{value:.3g}"


def check_targets(
    results: dict[str, Any], targets: tuple[Target, ...] = TARGETS
) -> list[dict[str, Any]]:
    """Each target with its measured value, verdict, and the CPU seconds and load behind it."""
    rows = []
    for target in targets:
        value = target.value(results)
        cpu, load = target.cost(results)
        verdict = target.verdict(value)
        used = results.get("entities", "spacy")
        if target.entities and value is not None and used != target.entities:
            verdict += f" (entities: {used}; the target is for {RECOGNISERS[target.entities]})"
        rows.append(
            {
                "target": target.name,
                "bound": target.bound,
                "unit": target.unit,
                "sign": "≥" if target.higher_is_better else "≤",
                "value": value,
                "verdict": verdict,
                "cpu_s": cpu,
                "load": load,
            }
        )
    return rows


def _ms(stats: dict[str, Any] | None, key: str = "median_ms") -> str:
    if not stats or key not in stats:
        return "-"
    return f"{stats[key]:.2f}" if stats[key] < 10 else f"{stats[key]:.1f}"


def _ratio(row: dict[str, Any], key: str) -> str:
    return f"{row[key]:.2f}×" if key in row else "-"


def query_table(scale: int, queries: dict[str, Any]) -> Table:
    """briefreader vs FTS5 vs ripgrep per query kind (median and p95, ms; ratios)."""
    table = Table(title=f"Queries at {scale}× — top 20 with snippets, warm (ms)")
    for column in (
        "kind",
        "n",
        "brief p50",
        "brief p95",
        "Whoosh p50",
        "Whoosh p95",
        "FTS5 p50",
        "FTS5 p95",
        "rg p50",
        "rg p95",
        "÷Whoosh p95",
        "÷FTS5 p50",
        "÷FTS5 p95",
        "÷rg p50",
    ):
        table.add_column(column, justify="left" if column == "kind" else "right")
    rows = {**queries.get("kinds", {}), "all": queries.get("all", {})}
    for kind, row in rows.items():
        mine = row.get("briefreader", {})
        table.add_row(
            kind,
            str(mine.get("n", 0)),
            _ms(mine),
            _ms(mine, "p95_ms"),
            _ms(row.get("whoosh")),
            _ms(row.get("whoosh"), "p95_ms"),
            _ms(row.get("fts5")),
            _ms(row.get("fts5"), "p95_ms"),
            _ms(row.get("rg")),
            _ms(row.get("rg"), "p95_ms"),
            _ratio(row, "x_whoosh_p95"),
            _ratio(row, "x_fts5_median"),
            _ratio(row, "x_fts5_p95"),
            _ratio(row, "x_rg_median"),
            end_section=kind == list(rows)[-2] if len(rows) > 1 else False,
        )
    return table


def target_table(scale: int, rows: list[dict[str, Any]]) -> Table:
    """Every target with the value measured at this scale."""
    table = Table(title=f"Targets (issue 7; set for 16×) measured at {scale}×")
    for column in ("cost", "measured", "target", "verdict"):
        table.add_column(column)
    for row in rows:
        value = "-" if row["value"] is None else f"{fmt(row['value'])} {row['unit']}"
        table.add_row(
            row["target"],
            value,
            f"{row['sign']} {row['bound']:g} {row['unit']}",
            row["verdict"],
            style=_style(row["verdict"]),
        )
    return table


def scale_title(scale: int, results: dict[str, Any]) -> str:
    """The title of issue 15's table: what was measured, on what."""
    entities = RECOGNISERS.get(results.get("entities", "spacy"), "?")
    return (
        f"Issue 15 targets (set for BBC ×32 on 2 cores) at {scale}×: {results.get('files')} "
        f"articles, {results.get('mb')} MB of text, entities: {entities}"
    )


def scale_caption(results: dict[str, Any]) -> str:
    """What the CPU and load columns mean, and the whole run's wall and CPU time."""
    note = (
        "CPU s: user + system seconds of the measurement behind the figure (its processes "
        "included); load: 1-minute load average at its start → end."
    )
    if results.get("entities", "spacy") != "spacy":
        note += " The 'everything' target is for spaCy entities."
    if "wall_s" in results:
        note += f" Whole run: {results['wall_s']} s wall, {results.get('cpu_total_s')} CPU s."
    return note


def _load(load: list[float] | None) -> str:
    return " → ".join(f"{x:.2f}" for x in load) if load else "-"


def scale_table(scale: int, results: dict[str, Any]) -> Table:
    """Issue 15's targets in one table: measured, target, verdict, CPU s and load."""
    table = Table(title=scale_title(scale, results), caption=scale_caption(results))
    for column in ("cost", "measured", "target", "verdict", "CPU s", "load"):
        table.add_column(column, justify="right" if column in ("CPU s", "load") else "left")
    for row in results.get("targets_scale", []):
        value = "-" if row["value"] is None else f"{fmt(row['value'])} {row['unit']}"
        table.add_row(
            row["target"],
            value,
            f"{row['sign']} {row['bound']:g} {row['unit']}",
            row["verdict"],
            "-" if row["cpu_s"] is None else fmt(row["cpu_s"]),
            _load(row["load"]),
            style=_style(row["verdict"]),
        )
    return table


def _style(verdict: str) -> str:
    if verdict.startswith("met"):
        return "green" if verdict == "met" else "yellow"  # met, on other terms than the target's
    return "dim" if verdict == "not measured" else "red"


def build_table(
    scale: int,
    build: dict[str, Any],
    fts: dict[str, Any] | None,
    whoosh: dict[str, Any] | None = None,
) -> Table:
    """Where the index build's time goes."""
    table = Table(
        title=f"Index build at {scale}× ({build.get('files')} files, {build.get('mb')} MB)"
    )
    for column in ("phase", "seconds", "share"):
        table.add_column(column, justify="right" if column != "phase" else "left")
    total = build.get("seconds") or 1.0
    for phase, seconds in build.get("timings", {}).items():
        table.add_row(phase, f"{seconds:.2f}", f"{seconds / total:.0%}")
    table.add_row("total", f"{total:.2f}", f"{build.get('mb_per_s')} MB/s", end_section=True)
    per_cpu = f"{build.get('mb_per_cpu_s')} MB/CPU-s"
    table.add_row("CPU (user+sys)", f"{build.get('cpu_s')} s", per_cpu)
    table.add_row("peak RSS", f"{build.get('peak_rss_mb')} MB", "")
    table.add_row(
        "longest progress silence",
        f"{build.get('max_progress_gap_s')} s",
        str(build.get("max_progress_gap_phase", "")),
    )
    table.add_row("index size", f"{build.get('index_mb')} MB", "")
    if fts:
        table.add_row("FTS5 build", f"{fts['seconds']:.2f}", f"{fts['mb_per_s']} MB/s")
    if whoosh:
        table.add_row(
            "plain Whoosh build",
            f"{whoosh['seconds']:.2f}",
            f"{whoosh['mb_per_cpu_s']} MB/CPU-s, "
            f"{whoosh['index_mb']} MB ({whoosh['x_text']}× text)",
        )
    return table


def cost_table(scale: int, results: dict[str, Any]) -> Table:
    """Wall and CPU seconds of each measurement, with the load average after it."""
    table = Table(title=f"Cost of each measurement at {scale}× (load: 1, 5, 15 min averages)")
    for column in ("measurement", "wall s", "CPU s", "load"):
        table.add_column(column, justify="left" if column == "measurement" else "right")
    for name, wall in results.get("seconds", {}).items():
        load = results.get("load", {}).get(name)
        table.add_row(
            name,
            f"{wall:.1f}",
            str(results.get("cpu_s", {}).get(name, "-")),
            " ".join(f"{x:.2f}" for x in load) if load else "-",
        )
    return table


def print_scale(console: Console, scale: int, results: dict[str, Any]) -> None:
    """All tables for one scale, then the skipped measurements and why."""
    if "build" in results:
        console.print(
            build_table(
                scale, results["build"], results.get("fts5_build"), results.get("whoosh_build")
            )
        )
    if "queries" in results:
        console.print(query_table(scale, results["queries"]))
    console.print(cost_table(scale, results))
    console.print(target_table(scale, results.get("targets", [])))
    for name, reason in results.get("skipped", {}).items():
        console.print(f"[dim]skipped {name}: {reason}[/dim]")
    console.print(scale_table(scale, results))


def add_query_run_arguments(parser: Any) -> None:
    """The options of a query benchmark over BBC ×scale or a given workspace: ``--scale``,
    ``--workspace``, ``--per-kind``, ``--repeats``, ``--output``."""
    parser.add_argument("--scale", type=int, default=1, help="copies of the BBC corpus (1)")
    parser.add_argument("--workspace", type=Path, help="an indexed workspace instead")
    parser.add_argument("--per-kind", type=int, default=40, help="queries per kind (40)")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs of each query (3)")
    parser.add_argument("--output", type=Path, help="folder for the JSON (benchmarks/results)")


def finish_run(
    result: dict[str, Any], name: str, output: Path | None, table: Callable[[dict[str, Any]], None]
) -> None:
    """Date the run, print its table, write its JSON (``<date>-<name>-x<scale>.json``, ``xws``
    for a given workspace) to ``output`` or ``benchmarks/results``, and say where."""
    result["date"] = datetime.now(UTC).isoformat(timespec="seconds")
    table(result)
    stem = f"{datetime.now(UTC):%Y-%m-%d}-{name}-x{result.get('scale', 'ws')}"
    print(f"JSON: {write_results(result, stem, output or RESULTS_DIR)}")


def write_results(payload: dict[str, Any], name: str, directory: Path = RESULTS_DIR) -> Path:
    """Write the run's JSON (``<date>-<machine>.json``) and return its path."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}.json"
    path.write_text(json.dumps(payload, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


Printer = Callable[[str], None]
