"""``briefreader search``: ranked articles with their best passage and a highlighted snippet."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from briefreader.cli.common import (
    CommandError,
    err_console,
    out_console,
    print_json,
    shorten,
    workspace_from,
)
from briefreader.cli.corpus import open_library
from briefreader.cli.facets import add_facet_options, cmd_facets
from briefreader.models import Hit, SearchResult
from briefreader.text.decode import strip_control
from briefreader.text.wording import counted, grouped

if TYPE_CHECKING:
    from rich.text import Text

QUERY_HELP = """\
query language:
  words              all words are required (ranked by BM25F over title, text, headings)
  "a phrase"         the words next to each other, in order
  a OR b             either word;  group with parentheses: (a OR b) c
  NOT word, -word    exclude articles with the word
  field:value        title:, source:, heading:, references:, and the entity fields
                     entity:, person:, org:, place:, group:, when:  (e.g. entity:"Kataib Hezbollah")
  date:2024          dates: date:2024-05, date:2023..2024-06, date:..2024, date:2025..
  tag:name           articles with a note tagged #name
  prefix*            words starting with prefix
  word~              fuzzy: words within one edit (word~2: two edits)
--facets prints, instead of hits, the sources, entities, note tags and months of every
matching article with counts; each value's filter (e.g. source:"BBC News") narrows to it.
Anything else is searched as plain words: U.S., al-Sudani's and [i] just work.
When nothing matches, a spelling correction from the index is suggested.
A malformed query (unbalanced quote or parenthesis, a lone AND, a date that does not exist
or a reversed date range) exits with code 2.
"""


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the search subcommand."""
    parser = subparsers.add_parser(
        "search",
        help="search the articles",
        description="Search the indexed articles; prints ranked articles with the best "
        "passage and a snippet.",
        epilog=QUERY_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("query", nargs="+", metavar="QUERY", help="the query (see below)")
    parser.add_argument("-n", "--limit", type=int, default=10, help="number of results (10)")
    parser.add_argument("--json", action="store_true", help="JSON output (a list of hits)")
    add_facet_options(parser)
    parser.set_defaults(handler=cmd_search)


def cmd_search(args: argparse.Namespace) -> int:
    from briefreader.search.budget import Budget
    from briefreader.search.query import QueryError

    if args.limit < 1:
        raise CommandError("--limit must be at least 1")
    text = " ".join(args.query)
    if args.facets:
        return cmd_facets(args, text)
    # Start-up and opening the index count too: the answer or refusal comes within it.
    budget = Budget.from_process_start()
    library = open_library(workspace_from(args))
    if budget.elapsed() > budget.seconds:  # the index had to be built first: not the query's
        budget = Budget()
    try:
        # The exact count too, when the budget leaves time for it (else "about N").
        result = library.search(text, limit=args.limit, budget=budget, count_all=True)
    except QueryError as error:
        raise CommandError(f"bad query: {error}") from error
    recognised, articles = library.entity_coverage()
    if args.json:
        hits = [hit_json(hit) for hit in result.hits]
        coverage = {"recognised": recognised, "articles": articles}
        print_json(
            {
                "query": text,
                "total": result.total,
                "exact": result.exact,
                "hits": hits,
                "entities": coverage,
            }
        )
    else:
        print_result(result)
        if recognised < articles:
            err_console().print(entity_coverage_line(recognised, articles), markup=False)
    return 0 if result.hits else 1


def entity_coverage_line(recognised: int, articles: int) -> str:
    """The one line saying that entity search does not cover every article yet."""
    return (
        f"entities recognised in {grouped(recognised)} of {counted(articles, 'article')} "
        "so far: entity searches and highlights cover only those "
        "(briefreader index recognises the rest)"
    )


def hit_json(hit: Hit) -> dict[str, object]:
    """The stable JSON form of a hit."""
    return {
        "article_id": hit.article_id,
        "title": hit.title,
        "source": hit.source,
        "date": hit.date,
        "passage_id": hit.passage_id,
        "score": hit.score,
        "snippet": hit.snippet.text,
        "highlights": [[span.start, span.end] for span in hit.snippet.highlights],
    }


def print_result(result: SearchResult) -> None:
    """Print hits for a person: title, source · date · id, snippet with terms highlighted."""
    console = out_console()
    if not result.hits:
        message = f"no articles match {shorten(result.query)!r}"
        if result.suggestion:
            message += f"; did you mean: {shorten(result.suggestion)}"
        console.print(message, markup=False)
        return
    matching = counted(result.total, "article matches", "articles match")
    about = "" if result.exact else "about "
    console.print(f"{about}{matching}; showing {len(result.hits)}", style="dim", markup=False)
    for rank, hit in enumerate(result.hits, start=1):
        console.print(_hit_text(rank, hit))


def _hit_text(rank: int, hit: Hit) -> Text:
    from rich.text import Text

    text = Text()
    text.append(f"\n{rank}. ")
    text.append(strip_control(hit.title), style="bold")
    meta = " · ".join(x for x in (hit.source, hit.date or "", hit.passage_id) if x)
    text.append(f"\n   {meta}\n", style="dim")
    snippet = Text("   " + strip_control(hit.snippet.text))
    for span in hit.snippet.highlights:
        snippet.stylize("bold reverse", span.start + 3, span.end + 3)
    text.append_text(snippet)
    return text
