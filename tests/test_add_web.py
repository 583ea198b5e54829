"""``briefreader add URL…`` and ``add --feed``: pages and feeds served on 127.0.0.1 only."""

from __future__ import annotations

import functools
import json
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml

from briefreader.cli import main
from briefreader.text.load import default_options, load_bytes
from briefreader.text.web import WebArticle, escape_markdown, to_markdown
from tests.conftest import make_workspace

BODY = (
    "The council met on Tuesday to discuss the budget for the coming year, and members "
    "argued for several hours about the share given to schools and roads."
)
MARKUP_LIKE = "Literal marks stay: *stars*, _under_, #1, [x](y), `tick`, a | b, &amp; and 3 < 4."


def _page(title: str, extra: str = "", date: str = "2024-03-05") -> str:
    return (
        f'<html><head><title>{title}</title><meta property="article:published_time" '
        f'content="{date}"><meta property="og:site_name" content="Local News"></head><body>'
        f"<article><h1>{title}</h1><p>{BODY}</p><p>{BODY} {extra}</p></article></body></html>"
    )


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A web server on 127.0.0.1 serving a folder of pages (and a feed)."""
    folder = tmp_path / "site"
    folder.mkdir()
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=folder))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", folder
    finally:
        server.shutdown()
        server.server_close()


def _workspace(tmp_path: Path) -> Path:
    root = make_workspace(tmp_path / "ws")
    (root / "briefreader.toml").write_text('[entities]\nrecogniser = "rules"\n')
    return root


def _saved(root: Path) -> dict[str, dict[str, object]]:
    found = {}
    for path in sorted((root / "articles").rglob("*.md")):
        front = path.read_text().split("---\n")[1]
        found[path.relative_to(root / "articles").as_posix()] = yaml.safe_load(front)
    return found


def _feed(base: str, items: list[tuple[str, str, str]]) -> str:
    entries = "".join(
        f"<item><title>{title}</title><link>{base}/{link}</link>"
        f"<pubDate>Tue, 05 Mar 2024 10:00:00 +0000</pubDate>"
        f"<description>{summary}</description></item>"
        for title, link, summary in items
    )
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Local Feed</title>'
        f"<link>{base}/</link><description>d</description>{entries}</channel></rss>"
    )


def test_add_url_saves_markdown_with_front_matter_and_indexes(
    tmp_path: Path, site: tuple[str, Path], capsys
) -> None:
    base, folder = site
    (folder / "budget.html").write_text(_page("Budget talks stall", MARKUP_LIKE))
    root = _workspace(tmp_path)
    assert main(["-w", str(root), "add", f"{base}/budget.html"]) == 0
    saved = _saved(root)
    assert list(saved) == ["web/2024-03-05-budget-talks-stall.md"]
    kept = next((root / "index").glob("ix-*/facet-data.marshal"))  # for the first reader
    kept_at = kept.stat().st_mtime_ns
    front = saved["web/2024-03-05-budget-talks-stall.md"]
    assert front["title"] == "Budget talks stall" and front["url"] == f"{base}/budget.html"
    assert str(front["date"]) == "2024-03-05" and front["source"] == "Local News"
    capsys.readouterr()
    assert main(["-w", str(root), "show", "web/2024-03-05-budget-talks-stall.md"]) == 0
    shown = capsys.readouterr().out
    assert "Literal marks stay: *stars*, _under_, #1, [x](y), `tick`, a | b, & and 3 < 4." in (
        " ".join(shown.split())
    )
    assert main(["-w", str(root), "add", f"{base}/budget.html#top"]) == 0  # same URL
    assert "already saved" in capsys.readouterr().out
    assert len(_saved(root)) == 1
    assert kept.stat().st_mtime_ns == kept_at  # nothing committed: nothing built again


def test_add_feed_local_file_and_url_dedup_by_url_and_text(
    tmp_path: Path, site: tuple[str, Path], capsys
) -> None:
    base, folder = site
    (folder / "one.html").write_text(_page("First story", "One."))
    (folder / "two.html").write_text(_page("Second story", "Two."))
    (folder / "two-again.html").write_text(_page("Second story", "Two."))  # same text
    feed = _feed(
        base,
        [
            ("First story", "one.html", "s"),
            ("Second story", "two.html", "s"),
            ("Second story (mirror)", "two-again.html", "s"),
            ("Only in the feed", "gone.html", f"<p>{BODY} Only the feed has this.</p>"),
        ],
    )
    (folder / "feed.xml").write_text(feed)
    local_feed = tmp_path / "feed.xml"
    local_feed.write_text(feed)
    root = _workspace(tmp_path)
    assert main(["-w", str(root), "add", f"{base}/one.html"]) == 0
    capsys.readouterr()
    assert main(["-w", str(root), "add", "--feed", str(local_feed)]) == 0
    said = " ".join(capsys.readouterr().out.split())
    assert f"already saved: {base}/one.html" in said
    assert f"already saved: {base}/two-again.html (in web/2024-03-05-second-story.md)" in said
    titles = sorted(str(front["title"]) for front in _saved(root).values())
    assert titles == ["First story", "Only in the feed", "Second story"]
    assert main(["-w", str(root), "add", "--feed", f"{base}/feed.xml"]) == 0  # over HTTP
    assert len(_saved(root)) == 3
    capsys.readouterr()
    assert main(["-w", str(root), "articles", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    rows = listed["articles"]
    assert len(rows) == 3


def test_bad_url_and_unreachable_server_are_one_line_errors(
    tmp_path: Path, site: tuple[str, Path], capsys
) -> None:
    base, _folder = site
    root = _workspace(tmp_path)
    assert main(["-w", str(root), "add", "ftp://example.org/x"]) == 2
    assert "not a web address" in capsys.readouterr().err
    assert main(["-w", str(root), "add", f"{base}/missing.html", "--no-index"]) == 1
    err = capsys.readouterr().err
    assert "cannot fetch" in err and "404" in err and "Traceback" not in err
    not_feed = tmp_path / "not-a-feed.xml"
    not_feed.write_text("just words")
    assert main(["-w", str(root), "add", "--feed", str(not_feed), "--no-index"]) == 1
    assert "not an RSS or Atom feed" in capsys.readouterr().err


def test_markdown_escaping_round_trips_article_text() -> None:
    paragraphs = (
        "# not a heading, - not a list, 1. not a list",
        "*a* _b_ `c` <d> [e](f) ![g](h) &amp; \\ | ~ !",
        "+ plus = equals 2) two",
    )
    article = WebArticle("http://x.example/a", "A: title [1]", paragraphs, "Site", "2024-01-02")
    text = to_markdown(article)
    (loaded,) = load_bytes(text.encode(), "a.md", default_options()).articles
    assert loaded.title == "A: title [1]"
    assert [p.text for p in loaded.passages] == list(paragraphs)
    assert escape_markdown("plain words") == "plain words"
