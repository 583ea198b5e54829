"""``briefreader add URL…`` and ``add --feed URL``: save web articles into the corpus."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from briefreader.cli.common import CommandError, fail, summary, workspace_from

if TYPE_CHECKING:
    from briefreader.text.web import Saved, WebArticle
    from briefreader.workspace import Workspace


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the add subcommand."""
    parser = subparsers.add_parser(
        "add",
        help="save web pages or a feed's articles into articles/",
        description="Fetch each web page (or each item of an RSS/Atom feed), extract the "
        "article and save it in articles/web/ as Markdown with front matter (title, source, "
        "date, url). An article whose URL or text is already in a .md file of the corpus is "
        "not saved again. Then the index is updated.",
    )
    parser.add_argument("urls", nargs="*", metavar="URL", help="web pages (http or https)")
    parser.add_argument(
        "--feed",
        action="append",
        default=[],
        metavar="URL",
        help="an RSS or Atom feed (a URL or a local file); may be given more than once",
    )
    parser.add_argument("--no-index", action="store_true", help="save only; index later")
    parser.set_defaults(handler=cmd_add)


def cmd_add(args: argparse.Namespace) -> int:
    """Save the pages and feed items; update the index; exit 1 if something failed."""
    from briefreader.text.web import FetchError, check_url, saved_articles

    if not args.urls and not args.feed:
        raise CommandError("give at least one URL, or --feed URL")
    try:
        urls = [check_url(url) for url in args.urls]
    except FetchError as error:
        raise CommandError(str(error)) from error
    workspace = workspace_from(args)
    saved = saved_articles(workspace.articles_dir)
    failures = sum(_add_page(workspace, url, saved) for url in urls)
    failures += sum(_add_feed(workspace, feed, saved) for feed in args.feed)
    if not args.no_index:
        from briefreader.cli.corpus import keep_reader_caches, print_report
        from briefreader.cli.progress import run_index
        from briefreader.search.index.store import snapshot_id

        before = snapshot_id(workspace.index_dir)
        report = run_index(workspace, quiet=True)
        if report.changed:
            print_report(report)
        keep_reader_caches(workspace, before)
    return 1 if failures else 0


def _add_page(workspace: Workspace, url: str, saved: Saved) -> int:
    """Fetch and save one page; returns the number of failures (0 or 1)."""
    from briefreader.text.web import FetchError, extract_article, fetch, is_loopback

    try:
        fetched = fetch(url, allow_private=is_loopback(url))
        article = extract_article(fetched.text, fetched.url)
    except FetchError as error:
        return _failed(str(error))
    if article is None:
        return _failed(f"no article text at {url}")
    _save(workspace, article, saved)
    return 0


def _add_feed(workspace: Workspace, location: str, saved: Saved) -> int:
    """Save every item of a feed; returns the number of failures."""
    from briefreader.text.feeds import item_article, read_feed
    from briefreader.text.web import FetchError, normalize_url

    try:
        feed = read_feed(location)
    except FetchError as error:
        return _failed(str(error))
    failures = 0
    for item in feed.items:
        known = saved.urls.get(normalize_url(item.url))
        if known:
            _say(f"already saved: {item.url} (in {known})")
            continue
        try:
            _save(workspace, item_article(item, feed), saved)
        except FetchError as error:
            failures += _failed(str(error))
    return failures


def _save(workspace: Workspace, article: WebArticle, saved: Saved) -> None:
    from briefreader.text.web import save_article

    try:
        relative, written = save_article(workspace.articles_dir, article, saved)
    except OSError as error:
        raise CommandError(f"cannot save {article.url}: {error.strerror or error}", 74) from error
    if written:
        _say(f"saved {relative}: {article.title}")
    else:
        _say(f"already saved: {article.url} (in {relative})")


def _say(line: str) -> None:
    summary(line)


def _failed(message: str) -> int:
    return fail(message, 1)  # printed even with -q: it is an error
