"""Facet counts for a query: briefreader's catalog counting against Whoosh's own facets.

``python -m benchmarks.facets [--scale 16] [--queries 100] [--entities rules]`` builds the BBC
corpus at that scale (or reuses ``--workspace DIR``), then times, interleaved query by query:

- ``briefreader``: ``query_facets`` (sources, entities by type, timeline; what the reader and
  ``search --facets`` run), warm, in process;
- ``whoosh``: ``searcher.search(q, groupedby=…)`` with ``FieldFacet("date")`` and
  ``FieldFacet(<entity field>, allow_overlap=True)`` for the four entity types — Whoosh's own
  grouping, which gives raw index terms (unmerged names) and no sources, so it does less.

Every figure comes with the CPU seconds of the run and the load average, as the other tables.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from benchmarks.corpus import build_corpus, read_sources, remove_corpus
from benchmarks.queries import Query, query_sets
from benchmarks.timing import Skip, summarize_ms

ENTITY_FACET_FIELDS = ("person", "org", "place", "group")


def measure_facets(bench: Any) -> dict[str, Any]:
    """The ``facets`` row of ``python -m benchmarks`` (needs ``bench.library``)."""
    return compare(bench.library, list(bench.queries))


def compare(library: Any, queries: list[Query], whoosh: bool = True) -> dict[str, Any]:
    """Time both ways on every query, interleaved; medians, p95 and the ratio. Without
    ``whoosh`` only briefreader's way is timed (Whoosh's grouping takes seconds a query at
    16x)."""
    from briefreader.search.facets import query_facets

    if not queries:
        raise Skip("no queries")
    whoosh_facets = _whoosh_facets(library) if whoosh else None
    for query in queries[:10]:  # warm-up: the per-generation facet data, term infos
        query_facets(library, query.brief)
    samples: dict[str, list[float]] = {"briefreader": [], "whoosh": []}
    cpu_start, errors = time.process_time(), []
    for query in queries:
        try:
            samples["briefreader"].append(_timed(lambda q=query: query_facets(library, q.brief)))
            if whoosh_facets is not None:
                samples["whoosh"].append(_timed(lambda q=query: whoosh_facets(q.brief)))
        except Exception as error:  # a query our language rejects: count it, keep going
            errors.append(f"{query.brief!r}: {type(error).__name__}: {error}")
    stats = {name: summarize_ms(values) for name, values in samples.items()}
    brief, whoosh = stats["briefreader"], stats["whoosh"]
    return {
        **stats,
        "p95_ratio_vs_whoosh": round(brief["p95_ms"] / whoosh["p95_ms"], 2)
        if whoosh["n"]
        else None,
        "queries": len(queries),
        "errors": errors[:10],
        "cpu_seconds": round(time.process_time() - cpu_start, 2),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


def _timed(function: Any) -> float:
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def _whoosh_facets(library: Any) -> Any:
    """A function counting date and entity-type groups for a query with Whoosh's facets."""
    from whoosh import sorting

    facets = sorting.Facets()
    facets.add_field("date")
    for name in ENTITY_FACET_FIELDS:
        facets.add_field(name, allow_overlap=True)

    def count(text: str) -> dict[str, int]:
        parsed = library.article_query(text)
        with library.counting_searcher() as searcher:
            results = searcher.search(parsed, groupedby=facets, limit=1, terms=False)
            return {name: len(results.groups(name)) for name in ("date", *ENTITY_FACET_FIELDS)}

    return count


def print_table(result: dict[str, Any], scale: int, console: Console) -> None:
    """One table: p50/p95 of both ways, the ratio, CPU seconds and load."""
    table = Table(title=f"Facet counts per query, BBC ×{scale} ({result['queries']} queries)")
    for column in ("way", "median ms", "p95 ms", "max ms"):
        table.add_column(column)
    for name in ("briefreader", "whoosh"):
        row = result[name]
        if not row.get("n"):
            continue
        table.add_row(name, str(row["median_ms"]), str(row["p95_ms"]), str(row["max_ms"]))
    console.print(table)
    console.print(
        f"p95 ratio briefreader/whoosh: {result['p95_ratio_vs_whoosh']}; CPU "
        f"{result['cpu_seconds']} s; load {result['load_average']}; errors {len(result['errors'])}"
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Build (or reuse) a corpus, measure, print the table."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.facets", description=__doc__)
    parser.add_argument("--scale", type=int, default=1, help="copies of the BBC corpus (1)")
    parser.add_argument("--queries", type=int, default=100, help="queries over five kinds (100)")
    parser.add_argument("--entities", choices=["spacy", "rules", "off"], default="rules")
    parser.add_argument("--workspace", type=Path, help="an indexed benchmark workspace to reuse")
    parser.add_argument("--keep", action="store_true", help="keep the built workspace")
    parser.add_argument("--skip-whoosh", action="store_true", help="time briefreader's facets only")
    args = parser.parse_args(argv)
    from briefreader.search.index.indexer import update_index
    from briefreader.search.library import Library
    from briefreader.workspace import Workspace

    console = Console()
    corpus = None
    if args.workspace is None:
        corpus = build_corpus(args.scale, entities=args.entities)
        started, cpu = time.perf_counter(), time.process_time()
        update_index(corpus.workspace)
        console.print(
            f"built ×{args.scale} in {time.perf_counter() - started:.0f} s wall, "
            f"{time.process_time() - cpu:.0f} CPU s: {corpus.workspace.root}"
        )
        workspace = corpus.workspace
    else:
        workspace = Workspace(args.workspace)
    queries = query_sets(read_sources(), max(1, args.queries // 5))
    library = Library.open(workspace)
    try:
        print_table(compare(library, queries, not args.skip_whoosh), args.scale, console)
    finally:
        library.close()
        if corpus is not None and not args.keep:
            remove_corpus(corpus)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
