"""What each indexed field and stored value costs: index size and build CPU, by leaving it out.

``python -m benchmarks.field_costs [--scale 1] [--limit N] [--rounds 1]``

Builds the BBC corpus (``recogniser = "rules"``) once as it is, then once per field with that
field's values dropped from every document the indexer writes; a field's cost is the
difference to the full build (bytes of the index folder; user + system CPU seconds of the
build, the figure that survives a loaded machine). The load average is recorded with each
build. The index built without a field is not usable by briefreader: this measures, it does
not propose a layout. Prints a table; writes JSON to ``benchmarks/results``.
"""

from __future__ import annotations

import argparse
import shutil
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from whoosh.writing import SegmentWriter

from benchmarks.corpus import build_corpus, remove_corpus
from benchmarks.report import write_results
from benchmarks.segments import RESULTS, Phase
from briefreader.search.index import indexer
from briefreader.search.index.schema import build_schema
from briefreader.search.index.store import active_dir
from briefreader.workspace import Workspace


@contextmanager
def without_field(name: str | None) -> Iterator[None]:
    """Documents are written without ``name`` (None: as they are) while inside."""
    original = SegmentWriter.add_document
    dropped = name or ""

    def add_document(self: Any, **fields: Any) -> None:
        fields.pop(dropped, None)
        original(self, **fields)

    if dropped:
        SegmentWriter.add_document = add_document  # type: ignore[method-assign]
    try:
        yield
    finally:
        SegmentWriter.add_document = original  # type: ignore[method-assign]


def folder_bytes(folder: Path) -> dict[str, int]:
    """Bytes of the Whoosh files and of the catalog in an index folder."""
    whoosh = sum(p.stat().st_size for p in folder.iterdir() if p.name != "catalog.db")
    catalog = (folder / "catalog.db").stat().st_size if (folder / "catalog.db").exists() else 0
    return {"whoosh_bytes": whoosh, "catalog_bytes": catalog}


def build_without(workspace: Workspace, name: str | None) -> dict[str, Any]:
    """A full build with ``name`` left out: its figures."""
    shutil.rmtree(workspace.index_dir, ignore_errors=True)
    with without_field(name):
        phase = Phase()
        indexer.update_index(workspace, rebuild=True)
        figures: dict[str, Any] = phase.done()
    folder = active_dir(workspace.index_dir)
    assert folder is not None
    figures.update(folder_bytes(folder))
    return figures


def run(scale: int, limit: int | None, rounds: int) -> dict[str, Any]:
    """Every field once per round, interleaved with full builds."""
    corpus = build_corpus(scale, limit=limit, entities="rules")
    try:
        workspace = corpus.workspace
        names: list[str | None] = [None, *build_schema().names()]
        builds: dict[str, list[dict[str, Any]]] = {}
        for _ in range(rounds):
            for name in names:
                builds.setdefault(name or "(all)", []).append(build_without(workspace, name))
        return {
            "scale": scale,
            "limit": limit,
            "text_bytes": corpus.text_bytes,
            "articles": corpus.files,
            "builds": builds,
        }
    finally:
        remove_corpus(corpus)


def cost_rows(result: dict[str, Any]) -> list[tuple[str, float, float, float]]:
    """(field, MB saved, share of the index, CPU seconds saved) per field, costliest first."""
    full = result["builds"]["(all)"]
    full_bytes = min(b["whoosh_bytes"] for b in full)
    full_cpu = min(b["cpu_s"] for b in full)
    rows = []
    for name, builds in result["builds"].items():
        if name == "(all)":
            continue
        saved = full_bytes - min(b["whoosh_bytes"] for b in builds)
        cpu = full_cpu - min(b["cpu_s"] for b in builds)
        rows.append((name, saved / 1e6, saved / full_bytes, cpu))
    return sorted(rows, key=lambda row: -row[1])


def print_table(result: dict[str, Any]) -> None:
    """The cost table as Markdown."""
    full = result["builds"]["(all)"][0]
    text_mb = result["text_bytes"] / 1e6
    print(
        f"BBC ×{result['scale']} (limit {result['limit']}): {result['articles']} files, "
        f"{text_mb:.2f} MB of text; full index {full['whoosh_bytes'] / 1e6:.2f} MB "
        f"({full['whoosh_bytes'] / result['text_bytes']:.2f}× the text), build "
        f"{full['cpu_s']} CPU s, load {full['load_before']}"
    )
    print("| field | MB | share of index | build CPU s |")
    print("|---|---|---|---|")
    for name, megabytes, share, cpu in cost_rows(result):
        print(f"| `{name}` | {megabytes:.2f} | {share:.0%} | {cpu:.2f} |")


def main(argv: Sequence[str] | None = None) -> int:
    """Run, print, save."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.field_costs", description=__doc__)
    parser.add_argument("--scale", type=int, default=1, help="copies of the BBC corpus (1)")
    parser.add_argument("--limit", type=int, default=None, help="first N articles only")
    parser.add_argument("--rounds", type=int, default=1, help="builds per field (min kept)")
    args = parser.parse_args(argv)
    result = run(args.scale, args.limit, args.rounds)
    result["when"] = datetime.now(UTC).isoformat(timespec="seconds")
    print_table(result)
    stamp = datetime.now(UTC).strftime("%Y-%m-%d")
    suffix = f"-limit{args.limit}" if args.limit else ""
    path = write_results(result, f"{stamp}-field-costs-x{args.scale}{suffix}", RESULTS)
    print(f"saved {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
