"""``briefreader entities``: the people, organisations, places, groups and dates of the corpus.

``briefreader entities [ARTICLE_ID] [--type T] [--json]`` lists them; ``briefreader entities
merge|unmerge|rename|retype|suppress …`` edits the workspace's ``entities.toml`` corrections,
which apply at once (no re-indexing).
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from briefreader.cli.common import (
    CommandError,
    check_index_folder,
    err_console,
    given_id,
    out_console,
    print_json,
    workspace_from,
)
from briefreader.models import Article
from briefreader.text.decode import strip_control
from briefreader.text.wording import counted
from briefreader.workspace import Workspace

if TYPE_CHECKING:  # imported by the functions that use them: `--help` stays fast
    from briefreader.text.entities import Corrections, Entity, EntityMention, EntityTable

ACTIONS = ("merge", "unmerge", "rename", "retype", "suppress")
EPILOG = """\
one entity:
  entities show NAME [--why]      its names, mentions and articles; --why: why each name joined
corrections (kept in the workspace's entities.toml, applied at once):
  entities merge NAME NAME...     make them one entity (the first name's)
  entities unmerge NAME           undo a merge, or split NAME out of an automatic merge
  entities rename NAME NEW        show the entity under NEW        (--undo to remove)
  entities retype NAME TYPE       give it another type              (--undo to remove)
  entities suppress NAME          hide a false positive             (--undo to show again)
NAME is any name or alias of an entity, or its id. Types: PERSON ORG PLACE GROUP DATE LAW EVENT.
The recogniser is set in briefreader.toml: [entities] recogniser = "spacy" | "rules",
model = "en_core_web_sm" (any installed spaCy pipeline).
"""


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the entities subcommand."""
    parser = subparsers.add_parser(
        "entities",
        help="list named entities, or correct them",
        description="List the entities of the corpus (or of one article): type, canonical "
        "name, aliases, mention count and articles.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "words",
        nargs="*",
        metavar="ARTICLE_ID | ACTION ARGS",
        help="an article id, or a correction",
    )
    parser.add_argument("-t", "--type", metavar="T", help="only this type (PERSON, ORG, …)")
    parser.add_argument("--json", action="store_true", help="JSON output, with mention spans")
    parser.add_argument("--undo", action="store_true", help="undo a rename, retype or suppress")
    parser.add_argument(
        "--why", action="store_true", help="with show: why the entity's names were joined"
    )
    parser.set_defaults(handler=cmd_entities)


def cmd_entities(args: argparse.Namespace) -> int:
    """List entities or apply a correction."""
    workspace = workspace_from(args)
    if args.words and args.words[0] in ACTIONS:
        return correct(workspace, args.words[0], args.words[1:], args.undo)
    if args.words and args.words[0] == "show":
        return show(workspace, args.words[1:], args.why, args.json)
    if len(args.words) > 1:
        raise CommandError(f"expected one article id or an action ({', '.join(ACTIONS)})")
    kind = _entity_type(args.type)
    corpus = load_entities(workspace)
    article_id = resolve_article(corpus, args.words[0]) if args.words else None
    entities = select(corpus.table, article_id, kind)
    if args.json:
        print_json(listing_json(corpus, entities, article_id))
    else:
        print_listing(corpus, entities, article_id)
    return 0


def _entity_type(value: str | None) -> str | None:
    from briefreader.text.entities import ENTITY_TYPES

    if value is None:
        return None
    kind = value.upper()
    if kind not in ENTITY_TYPES:
        raise CommandError(f"unknown type {value!r}; use one of {', '.join(ENTITY_TYPES)}")
    return kind


# ---------------------------------------------------------------------- the corpus' entities


@dataclass(frozen=True)
class CorpusEntities:
    """Resolved entities, the mentions per article, and which recogniser found them."""

    table: EntityTable
    mentions: dict[str, list[EntityMention]]
    recogniser: str
    notice: str = ""
    source: str = "computed"


def load_entities(workspace: Workspace) -> CorpusEntities:
    """Entities from the index when it stores them, else computed (cached) from the articles."""
    from briefreader.text.entities import resolve_entities

    corrections = _corrections(workspace)
    stored = _stored_mentions(workspace)
    if stored is not None:
        mentions, recogniser = stored
        return CorpusEntities(
            resolve_entities(mentions, corrections), mentions, recogniser, "", "index"
        )
    mentions, recogniser, notice = _computed_mentions(workspace)
    return CorpusEntities(resolve_entities(mentions, corrections), mentions, recogniser, notice)


def _corrections(workspace: Workspace) -> Corrections:
    from briefreader.text.entities import CORRECTIONS_FILE, CorrectionError, load_corrections

    try:
        return load_corrections(workspace.root / CORRECTIONS_FILE)
    except CorrectionError as error:
        raise CommandError(str(error)) from error


def _stored_mentions(workspace: Workspace) -> tuple[dict[str, list[EntityMention]], str] | None:
    """Mentions stored in the index, if there is an index and every article has them."""
    from briefreader.search.index.store import IndexUnavailable
    from briefreader.search.library import Library
    from briefreader.text.entities import from_payload, payload_recogniser

    try:
        library = Library.open(workspace)
    except IndexUnavailable:  # no index yet, or an index from another version: compute instead
        return None
    try:
        mentions: dict[str, list[EntityMention]] = {}
        recogniser = ""
        for summary in library.articles():
            extra = library.extra(summary.id)
            found = from_payload(library.article(summary.id), extra)
            if found is None:
                return None
            mentions[summary.id] = found
            recogniser = payload_recogniser(extra) or recogniser
        return (mentions, recogniser) if mentions else None
    finally:
        library.close()


def _computed_mentions(workspace: Workspace) -> tuple[dict[str, list[EntityMention]], str, str]:
    from briefreader.text.entities import CACHE_FILE, extract_entities
    from briefreader.text.entities.recogniser import ModelUnavailable
    from briefreader.text.load import default_options, load_corpus

    settings = workspace.settings()
    options = default_options(settings.boilerplate, settings.max_file_mb, settings.follow_symlinks)
    results, _skipped = load_corpus(workspace.articles_dir, options)
    articles: list[Article] = [a for result in results for a in result.articles]
    check_index_folder(workspace)  # the entity cache lives in index/
    try:
        extraction = extract_entities(
            articles,
            workspace.index_dir / CACHE_FILE,
            progress=_progress_printer(),
            options=settings.section("entities"),
        )
    except ModelUnavailable as error:
        raise CommandError(str(error)) from error
    return extraction.mentions, extraction.recogniser, extraction.notice


def _progress_printer() -> Any:
    if not sys.stderr.isatty():
        return None
    console = err_console()

    def report(done: int, total: int) -> None:
        console.print(f"finding entities: {done}/{total}", end="\r", markup=False)

    return report


def resolve_article(corpus: CorpusEntities, text: str) -> str:
    """An article id from an exact id or a unique prefix."""
    from briefreader.search.backend import AmbiguousArticleId

    if given_id(text) in corpus.mentions:
        return text
    matches = sorted(a for a in corpus.mentions if a.startswith(text))
    if len(matches) == 1:
        return matches[0]
    raise CommandError(
        f"no article {text!r}" if not matches else str(AmbiguousArticleId(text, matches))
    )


def select(table: EntityTable, article_id: str | None, kind: str | None) -> list[Entity]:
    """Entities of the corpus or of one article, optionally of one type."""
    entities = table.in_article(article_id) if article_id else list(table.entities)
    return [e for e in entities if kind is None or e.type == kind]


# ---------------------------------------------------------------------- output


def listing_json(
    corpus: CorpusEntities, entities: list[Entity], article_id: str | None
) -> dict[str, Any]:
    """The ``--json`` document: recogniser and entities with their mention spans."""
    items = []
    for entity in entities:
        data = entity.to_dict()
        mentions = corpus.table.mentions_of(entity.id)
        if article_id:
            mentions = tuple(m for m in mentions if m.article_id == article_id)
        data["mentions"] = [m.to_dict() for m in mentions]
        items.append(data)
    return {"recogniser": corpus.recogniser, "notice": corpus.notice, "entities": items}


def print_listing(corpus: CorpusEntities, entities: list[Entity], article_id: str | None) -> None:
    """A table of entities, after a line naming the recogniser."""
    from rich.table import Table
    from rich.text import Text

    console = out_console()
    console.print(f"recogniser: {corpus.recogniser}", markup=False)
    if corpus.notice:
        err_console().print(f"briefreader: {corpus.notice}", markup=False)
    table = Table(box=None, pad_edge=False, header_style="bold")
    for column in ("type", "name", "mentions", "articles", "aliases"):
        table.add_column(column, justify="right" if column in ("mentions", "articles") else "left")
    for entity in entities:
        count = entity.mention_count
        if article_id:
            count = sum(m.article_id == article_id for m in corpus.table.mentions_of(entity.id))
        cells = (entity.type, entity.name, str(count), str(len(entity.article_ids)))
        # Text, not str: a Table parses str cells as markup ([link=file://…] in a renamed name)
        table.add_row(*(Text(strip_control(c)) for c in (*cells, ", ".join(entity.aliases))))
    console.print(table)
    console.print(counted(len(entities), "entity"), markup=False)


# ---------------------------------------------------------------------- one entity


def show(workspace: Workspace, names: list[str], why: bool, as_json: bool) -> int:
    """Print one entity (any of its names, or its id), and with ``why`` how it was joined."""
    if len(names) != 1:
        raise CommandError("entities show: give one name (quote a name with spaces)")
    table = load_entities(workspace).table
    entity = table.find(names[0])
    if entity is None:
        raise CommandError(f"no entity named {names[0]!r}")
    reasons = table.explain(entity.id) if why else ()
    if as_json:
        data = entity.to_dict()
        if why:
            data["why"] = list(reasons)
        print_json(data)
        return 0
    console = out_console()
    console.print(f"{entity.id}  {_describe(entity)}", markup=False)
    console.print(f"articles: {', '.join(entity.article_ids)}", markup=False)
    if why:
        _print_reasons(entity, reasons)
    return 0


def _print_reasons(entity: Entity, reasons: tuple[str, ...]) -> None:
    console = out_console()
    if not reasons:
        forms = f"; its other forms ({', '.join(entity.aliases)}) were joined to it within "
        forms = forms + "their articles" if entity.aliases else ""
        console.print(f"why: one name in every article{forms}", markup=False)
        return
    from briefreader.text.entities import KEPT_APART

    console.print("why:", markup=False)
    for line in reasons:
        console.print(f"  {line}", markup=False)
    if any(not line.startswith(KEPT_APART) for line in reasons):
        console.print("undo a join with: briefreader entities unmerge NAME", markup=False)
    if any(line.startswith(KEPT_APART) for line in reasons):
        console.print(
            f"join the ones kept apart with: briefreader entities merge {_quoted(entity.name)} "
            f"{_quoted(entity.name)}",
            markup=False,
        )


def _quoted(name: str) -> str:
    return f'"{name}"' if " " in name else name


# ---------------------------------------------------------------------- corrections


def correct(workspace: Workspace, action: str, names: list[str], undo: bool) -> int:
    """Apply one correction to ``entities.toml`` and show the result."""
    from briefreader.text.entities import CORRECTIONS_FILE, CorrectionError, save_corrections

    path = workspace.root / CORRECTIONS_FILE
    corrections = _corrections(workspace)
    table = load_entities(workspace).table
    try:
        updated = _apply(corrections, table, action, names, undo)
    except CorrectionError as error:
        raise CommandError(str(error)) from error
    save_corrections(path, updated)
    after = load_entities(workspace).table
    console = out_console()
    console.print(f"{action}{' --undo' if undo else ''}: saved in {path}", markup=False)
    for name in names[:1] if action in ("rename", "retype") else names:
        entity = after.find(name)
        if entity is not None:
            console.print(_describe(entity), markup=False)
    return 0


def _apply(
    corrections: Corrections, table: EntityTable, action: str, names: list[str], undo: bool
) -> Corrections:
    from briefreader.text.entities import CorrectionError

    expected = {"merge": (2, 99), "unmerge": (1, 1), "suppress": (1, 1)}
    low, high = expected.get(action, (1, 1) if undo else (2, 2))
    if not low <= len(names) <= high:
        raise CorrectionError(f"entities {action}: wrong number of names (see --help)")
    if not undo and action != "unmerge":
        _require_known(table, names if action == "merge" else names[:1])
    if action == "merge":
        return corrections.merge(names)
    if action == "unmerge":
        return corrections.unmerge(names[0])
    if action == "rename":
        return corrections.rename(names[0], None if undo else names[1])
    if action == "retype":
        return corrections.retype(names[0], None if undo else names[1])
    return corrections.suppress(names[0], undo=undo)


def _require_known(table: EntityTable, names: list[str]) -> None:
    from briefreader.text.entities import CorrectionError

    unknown = [n for n in names if table.find(n) is None]
    if unknown:
        raise CorrectionError(f"no entity named {', '.join(map(repr, unknown))}")


def _describe(entity: Entity) -> str:
    aliases = f" (aliases: {', '.join(entity.aliases)})" if entity.aliases else ""
    return (
        f"{entity.type} {entity.name}{aliases}: {counted(entity.mention_count, 'mention')} "
        f"in {counted(len(entity.article_ids), 'article')}"
    )
