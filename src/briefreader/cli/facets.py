"""``briefreader search --facets`` and ``briefreader timeline``: the shape of a query's matches."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from briefreader.cli.common import CommandError, out_console, print_json, shorten, workspace_from
from briefreader.text.decode import strip_control
from briefreader.text.wording import grouped

if TYPE_CHECKING:  # the index, the entities and rich load only when a command runs
    from briefreader.search.facets import Facets, FacetValue, Timeline
    from briefreader.workspace import Workspace

FACETS_SCHEMA = 1
TYPE_TITLES = {"person": "People", "org": "Organisations", "place": "Places", "group": "Groups"}
BAR_WIDTH = 40


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the timeline subcommand (``--facets`` is an option of ``search``)."""
    parser = subparsers.add_parser(
        "timeline",
        help="matching articles per month (or year) for a query",
        description="Print how many articles match a query per month (per year when the "
        "matches span more than three years), empty months included. Each row's date: filter "
        "narrows a search to it.",
    )
    parser.add_argument("query", nargs="+", metavar="QUERY", help="the query (see search --help)")
    parser.add_argument("--json", action="store_true", help="JSON output")
    parser.set_defaults(handler=cmd_timeline)


def add_facet_options(parser: argparse.ArgumentParser) -> None:
    """The search command's facet options."""
    parser.add_argument(
        "--facets",
        action="store_true",
        help="print the counts of sources, entities, note tags and months over every match "
        "(instead of the hits)",
    )
    parser.add_argument(
        "--facet-limit", type=int, default=10, metavar="N", help="values per facet (10)"
    )


def compute_facets(workspace: Workspace, text: str, limit: int) -> Facets:
    """Open the library and count the facets of a query (with the notes' tags)."""
    from briefreader.cli.corpus import open_library
    from briefreader.notes.store import read_tags_by_article
    from briefreader.search.budget import Budget
    from briefreader.search.facets import query_facets
    from briefreader.search.query import QueryError

    if limit < 1:
        raise CommandError("--facet-limit must be at least 1")
    budget = Budget.from_process_start()  # start-up and opening count, as for search
    library = open_library(workspace)
    if budget.elapsed() > budget.seconds:  # the index had to be built first: not the query's
        budget = Budget()
    try:
        tags = read_tags_by_article(workspace.notes_db)
        return query_facets(library, text, limit, tags_by_article=tags, budget=budget)
    except QueryError as error:
        raise CommandError(f"bad query: {error}") from error
    finally:
        library.close()


def cmd_facets(args: argparse.Namespace, text: str) -> int:
    """``search QUERY --facets``: print the facets (text or JSON); exit 1 when nothing matches."""
    facets = compute_facets(workspace_from(args), text, args.facet_limit)
    if args.json:
        print_json({"schema": FACETS_SCHEMA, **facets.to_dict()})
    else:
        print_facets(facets)
    return 0 if facets.total else 1


def cmd_timeline(args: argparse.Namespace) -> int:
    """``timeline QUERY``: the histogram of matching articles over time."""
    text = " ".join(args.query)
    facets = compute_facets(workspace_from(args), text, 1)
    if args.json:
        timeline = facets.to_dict()["timeline"]
        assert isinstance(timeline, dict)
        print_json({"schema": FACETS_SCHEMA, "query": text, "total": facets.total, **timeline})
    else:
        print_timeline(facets)
    return 0 if facets.total else 1


def print_facets(facets: Facets) -> None:
    """Facets for a person: one block per facet, each value with its count and filter."""
    if not _print_header(facets):
        return
    from briefreader.search.facets import FACET_TYPES

    _print_block("Sources", facets.sources)
    for kind in FACET_TYPES:
        _print_block(TYPE_TITLES[kind], facets.entities.get(kind, ()))
    _print_block("Note tags", facets.tags)
    out_console().print()
    print_timeline(facets, header=False)


def _print_header(facets: Facets) -> bool:
    """The count line (or 'no articles match'); False when nothing matched."""
    console = out_console()
    if not facets.total:
        console.print(f"no articles match {shorten(facets.query)!r}", markup=False)
        return False
    noun = "article matches" if facets.total == 1 else "articles match"
    console.print(f"{facets.total} {noun} {shorten(facets.query)!r}", style="dim", markup=False)
    return True


def _print_block(title: str, values: tuple[FacetValue, ...]) -> None:
    from rich.text import Text

    console = out_console()
    console.print(Text(f"\n{title}", style="bold"))
    if not values:
        console.print("  (none)", style="dim", markup=False)
        return
    width = max(len(grouped(v.count)) for v in values)
    for value in values:
        line = Text(f"  {grouped(value.count):>{width}}  ")
        line.append(strip_control(value.label))
        line.append(f"   {strip_control(value.filter)}", style="dim")
        console.print(line)


def print_timeline(facets: Facets, header: bool = True) -> None:
    """One row per bucket: label, a bar scaled to the busiest bucket, the count."""
    from rich.text import Text

    console = out_console()
    timeline = facets.timeline
    if header and not _print_header(facets):
        return
    console.print(Text(f"Timeline (per {timeline.unit})", style="bold"))
    for row in timeline_rows(timeline):
        console.print(row, markup=False, highlight=False)
    if timeline.undated:
        precision = "a month" if timeline.unit == "month" else "a date"
        console.print(
            f"  {grouped(timeline.undated)} without {precision}", style="dim", markup=False
        )


def timeline_rows(timeline: Timeline, width: int = BAR_WIDTH) -> list[str]:
    """Plain-text histogram rows (``2024-05 ██████ 12``), empty buckets included."""
    from briefreader.search.facets import bar_length

    peak = max((b.count for b in timeline.buckets), default=0)
    rows = []
    for bucket in timeline.buckets:
        size = bar_length(bucket.count, peak, width)
        rows.append(f"  {bucket.label:<7}  {'█' * size:<{width}}  {grouped(bucket.count)}")
    return rows
