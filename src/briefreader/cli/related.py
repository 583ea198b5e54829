"""``briefreader related``: passages of other articles about the same thing as one paragraph."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from briefreader.cli.common import (
    CommandError,
    given_id,
    out_console,
    print_json,
    workspace_from,
)
from briefreader.cli.corpus import open_library
from briefreader.text.decode import strip_control

if TYPE_CHECKING:
    from briefreader.search.related import RelatedItem, RelatedResult


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the related subcommand."""
    parser = subparsers.add_parser(
        "related",
        help="passages of other articles related to a paragraph",
        description="List the passages of other articles about the same event, claim, figure, "
        "person or policy as the paragraph PASSAGE_ID (e.g. ARTICLE-ID:p3, as printed by "
        "'search'); says so when nothing is related, and shows the best one or two as "
        "'loosely related' when nothing is close. Figures about the same subject are shown "
        "side by side.",
    )
    parser.add_argument("passage_id", metavar="PASSAGE_ID")
    parser.add_argument("-n", "--limit", type=int, default=5, help="number of passages (5)")
    parser.add_argument(
        "--json",
        action="store_true",
        help="JSON output: a list of passages, each with its figures, the side-by-side "
        "figures lines it takes part in ('figures_lines') and 'loosely_related'",
    )
    parser.set_defaults(handler=cmd_related)


def cmd_related(args: argparse.Namespace) -> int:
    from briefreader.search.related import UnknownPassage, find_related

    if args.limit < 1:
        raise CommandError("--limit must be at least 1")
    library = open_library(workspace_from(args))
    try:
        passage_id = given_id(args.passage_id, "passage id", "ids look like ARTICLE-ID:p3")
        result = find_related(library, passage_id, limit=args.limit)
    except UnknownPassage as error:
        raise CommandError(str(error)) from error
    if args.json:
        items = [item_json(item, result) for item in result.items]
        print_json({"passage_id": args.passage_id, "items": items})
    else:
        print_result(result)
    return 0


def item_json(item: RelatedItem, result: RelatedResult) -> dict[str, object]:
    """The stable JSON form of a related passage, with the result's side-by-side figures
    lines about the subjects this passage states a figure on ("160 · 91 · 70 attacks")."""
    return {
        "passage_id": item.passage_id,
        "article_id": item.article_id,
        "title": item.title,
        "score": item.score,
        "text": item.text,
        "why": item.why,
        "figures": [figure.label for figure in item.figures],
        "figures_lines": list(figures_lines_of(item, result)),
        "loosely_related": result.loosely_related,
    }


def figures_lines_of(item: RelatedItem, result: RelatedResult) -> tuple[str, ...]:
    """The result's figures lines that hold one of this item's figures."""
    subjects = {figure.subject for figure in item.figures}
    return tuple(
        line
        for subject, line in zip(result.figure_subjects, result.figures_lines, strict=True)
        if subject in subjects
    )


def print_result(result: RelatedResult) -> None:
    """Print the related passages for a person, or say that nothing is related."""
    from rich.text import Text

    console = out_console()
    if result.notice:
        console.print(result.notice, markup=False)
    if result.nothing_related:
        hidden = (
            f" ({result.below_threshold} weak matches hidden)" if result.below_threshold else ""
        )
        console.print(f"Nothing in the other articles is closely related.{hidden}", markup=False)
        return
    if result.loosely_related:
        console.print("Nothing closely related; the best loosely related passages:", markup=False)
    for line in result.figures_lines:
        console.print(Text.assemble(("figures: ", "bold"), strip_control(line)))
    for item in result.items:
        console.print()
        console.print(Text(strip_control(item.title), style="bold"))
        console.print(Text(f"{item.passage_id} · score {item.score:.2f}", style="dim"))
        console.print(Text(strip_control(item.text)))
        if item.why:
            console.print(Text(f"why: {strip_control(item.why)}", style="italic"))
