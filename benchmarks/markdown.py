"""Markdown tables from a results file, for ``docs/performance.md``.

``python -m benchmarks.markdown benchmarks/results/<file>.json`` prints, per scale, the build
breakdown, the query table with ratios to FTS5 and ripgrep, the targets with verdicts, and issue
15's scale table (with the CPU seconds and load behind each figure).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from benchmarks.report import SCALE_TARGETS, check_targets, fmt, scale_caption, scale_title


def _ms(stats: dict[str, Any] | None, key: str = "median_ms") -> str:
    if not stats or key not in stats:
        return "–"
    value = stats[key]
    return f"{value:.2f}" if value < 10 else f"{value:.1f}"


def _x(row: dict[str, Any], key: str) -> str:
    return f"{row[key]:.1f}×" if key in row else "–"


def build_md(scale: str, results: dict[str, Any]) -> list[str]:
    """Where the build's time goes."""
    build = results.get("build")
    if not build:
        return [f"Build at {scale}×: {results.get('skipped', {}).get('build', 'not measured')}"]
    total = build["seconds"]
    lines = [
        f"**Index build at {scale}×** ({build['files']} files, {build['mb']} MB of text, "
        f"entities included): {total:.1f} s = **{build['mb_per_s']} MB/s**, peak RSS "
        f"{build['peak_rss_mb']} MB, index {build['index_mb']} MB; longest time without a "
        f"progress update {build['max_progress_gap_s']:.1f} s ({build['max_progress_gap_phase']}).",
        "",
        "| phase | seconds | share |",
        "|---|---:|---:|",
    ]
    recogniser = {"spacy": "spaCy NER", "rules": "rules recogniser", "off": "off"}.get(
        results.get("entities", "spacy"), "?"
    )
    for phase, seconds in build["timings"].items():
        name = f"entities ({recogniser})" if phase == "enrichment" else phase
        lines.append(f"| {name} | {seconds:.1f} | {seconds / total:.0%} |")
    fts = results.get("fts5_build")
    if fts:
        lines.append(
            f"| *FTS5 build, same files (no NER)* | {fts['seconds']:.1f} | {fts['mb_per_s']} MB/s |"
        )
    whoosh = results.get("whoosh_build")
    if whoosh:
        lines.append(
            f"| *plain Whoosh build, same files (no NER)* | {whoosh['seconds']:.1f} "
            f"| {whoosh['mb_per_cpu_s']} MB/CPU-s, {whoosh['index_mb']} MB "
            f"({whoosh['x_text']}× the text) |"
        )
    return lines


def queries_md(scale: str, results: dict[str, Any]) -> list[str]:
    """Per query kind: medians, p95s and ratios (briefreader ÷ baseline; > 1 = slower)."""
    queries = results.get("queries")
    if not queries:
        return []
    lines = [
        f"**Queries at {scale}×**: top 20 with snippets, warm, in process; ms; "
        "ratio = briefreader ÷ baseline (above 1: briefreader is slower).",
        "",
        "| kind | n | briefreader p50 | p95 | Whoosh p50 | p95 | FTS5 p50 | p95 | rg p50 | p95 "
        "| ÷Whoosh p95 | ÷FTS5 p50 | ÷FTS5 p95 | ÷rg p50 |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    rows = {**queries["kinds"], "**all**": queries["all"]}
    for kind, row in rows.items():
        mine = row.get("briefreader", {})
        lines.append(
            f"| {kind} | {mine.get('n', 0)} | {_ms(mine)} | {_ms(mine, 'p95_ms')} "
            f"| {_ms(row.get('whoosh'))} | {_ms(row.get('whoosh'), 'p95_ms')} "
            f"| {_ms(row.get('fts5'))} | {_ms(row.get('fts5'), 'p95_ms')} "
            f"| {_ms(row.get('rg'))} | {_ms(row.get('rg'), 'p95_ms')} "
            f"| {_x(row, 'x_whoosh_p95')} | {_x(row, 'x_fts5_median')} | {_x(row, 'x_fts5_p95')} "
            f"| {_x(row, 'x_rg_median')} |"
        )
    return lines


def targets_md(scale: str, results: dict[str, Any]) -> list[str]:
    """Every target with the value measured at this scale and its verdict."""
    lines = [f"**Targets measured at {scale}×**", "", "| cost | measured | target | verdict |"]
    lines.append("|---|---:|---:|---|")
    for row in check_targets(results):
        value = "–" if row["value"] is None else f"{fmt(row['value'])} {row['unit']}"
        sign = "≥" if row["target"].startswith("index build") else "≤"
        lines.append(
            f"| {row['target']} | {value} | {sign} {row['bound']:g} {row['unit']} "
            f"| {row['verdict']} |"
        )
    for name, reason in results.get("skipped", {}).items():
        lines.append(f"\n*skipped {name}: {reason}*")
    return lines


def scale_targets_md(scale: str, results: dict[str, Any]) -> list[str]:
    """Issue 15's targets: measured, target, verdict, and the CPU s and load behind each."""
    lines = [f"**{scale_title(int(scale), results)}**", ""]
    lines += [
        "| cost | measured | target | verdict | CPU s | load |",
        "|---|---:|---:|---|---:|---:|",
    ]
    for row in results.get("targets_scale") or check_targets(results, SCALE_TARGETS):
        value = "–" if row["value"] is None else f"{fmt(row['value'])} {row['unit']}"
        cpu = "–" if row.get("cpu_s") is None else fmt(row["cpu_s"])
        load = " → ".join(f"{x:.2f}" for x in row.get("load") or []) or "–"
        lines.append(
            f"| {row['target'].strip()} | {value} | {row['sign']} {row['bound']:g} {row['unit']} "
            f"| {row['verdict']} | {cpu} | {load} |"
        )
    return [*lines, "", scale_caption(results)]


def to_markdown(payload: dict[str, Any]) -> str:
    """All tables of a results file."""
    info = payload["info"]
    out = [
        f"Run {info['started']} on `{info['machine']}` ({info['cpus']} CPUs, Python "
        f"{info['python']}, commit {info['git_commit']}; load average "
        f"{info['load_avg_start'][0]} at start, {info.get('load_avg_end', ['?'])[0]} at end).",
        "",
    ]
    for scale, results in payload["scales"].items():
        for part in (build_md, queries_md, targets_md, scale_targets_md):
            out += [*part(scale, results), ""]
    return "\n".join(out)


def main(argv: list[str]) -> int:
    """Print the markdown for one results file."""
    payload = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
    print(to_markdown(payload))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
