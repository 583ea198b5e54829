"""Hostile input to the loader: link loops, bad front matter, odd layouts. Each gets a clear
skip reason or notice, never a traceback or a hang, and the rest of the corpus is indexed."""

from __future__ import annotations

import itertools
import os
import time
from pathlib import Path

import pytest

from briefreader.cli import main
from briefreader.models import LoadResult
from briefreader.search.index.indexer import update_index
from briefreader.search.library import Library
from briefreader.text.load import default_options, list_article_files, load_bytes
from briefreader.workspace import Workspace
from tests.conftest import make_workspace

BODY = (
    "The harbour authority approved a plan to dredge the channel, and the fishermen "
    "complained that the work would close the port for the whole summer season."
)


def test_link_loops_are_skipped_when_links_are_followed(tmp_path: Path) -> None:
    root = tmp_path / "articles"
    (root / "sub").mkdir(parents=True)
    (root / "sub" / "real.txt").write_text(f"Real story\n\n{BODY}")
    os.symlink("self", root / "self")  # no suffix: read as text if it were a file
    os.symlink("..", root / "sub" / "up")
    os.symlink(root, root / "sub" / "root")
    files, skipped = list_article_files(root, default_options(follow_symlinks=True))
    assert files == [root / "sub" / "real.txt"]
    linked = "a linked folder: not followed (link or copy its files into articles/)"
    assert [(s.path, s.reason) for s in skipped] == [
        ("self", "symbolic link loop"),
        ("sub/root", linked),  # folders linked in are said, not walked (or skipped silently)
        ("sub/up", linked),
    ]


def test_index_skips_a_link_loop_and_indexes_the_rest(tmp_path: Path) -> None:
    ws = Workspace(make_workspace(tmp_path, {"ok.txt": f"Fine story\n\n{BODY}"}))
    os.symlink("self.txt", ws.articles_dir / "self.txt")
    report = update_index(ws)
    assert report.articles == 1
    assert [(s.path, s.reason) for s in report.skipped] == [("self.txt", "symbolic link loop")]


def _md(front: str, body: str = f"Body title here\n\n{BODY}") -> LoadResult:
    return load_bytes(f"---\n{front}\n---\n{body}".encode(), "x.md", default_options())


def test_a_bad_date_is_noted_for_its_file_and_the_run_goes_on(tmp_path: Path) -> None:
    files = {
        "bad.md": f"---\ntitle: Bad date\ndate: 2024-13-45\n---\n{BODY}",
        "feb.md": f"---\ntitle: No such day\ndate: 2024-02-31\n---\n{BODY}",
        "good.md": f"---\ntitle: Good date\ndate: 2024-03-05\n---\n{BODY}",
        "plain.txt": f"Plain story\n\n{BODY}",
    }
    ws = Workspace(make_workspace(tmp_path, files))
    report = update_index(ws)
    assert report.articles == 4 and not report.skipped
    assert "bad.md: date ignored: not a valid date (2024-13-45)" in report.notices
    assert "feb.md: date ignored: not a valid date (2024-02-31)" in report.notices
    library = Library.open(ws)
    try:
        dates = {a.id: (a.title, a.date) for a in library.articles()}
    finally:
        library.close()
    assert dates["bad"] == ("Bad date", None) and dates["feb"] == ("No such day", None)
    assert dates["good"] == ("Good date", "2024-03-05")


def test_cli_index_with_a_bad_date_exits_0(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    root = make_workspace(tmp_path, {"bad.md": f"---\ndate: 2024-13-45\n---\nA title\n\n{BODY}"})
    assert main(["-w", str(root), "index"]) == 0
    assert "note: bad.md: date ignored" in capsys.readouterr().err


def test_dates_in_other_forms_still_read() -> None:
    assert _md("date: 2024-03-05 10:30:00").articles[0].date == "2024-03-05"
    assert _md("date: 5 March 2024").articles[0].date == "2024-03-05"
    assert _md("date: 2024-03-05T10:30:00Z").articles[0].date == "2024-03-05"
    undated = _md("date: sometime")
    assert undated.articles[0].date is None and "date ignored" in undated.notices[0]


def _alias_bomb(levels: int = 9, width: int = 9) -> str:
    """Billion laughs: each anchor is a list of ``width`` aliases of the one before."""
    names = [chr(ord("a") + n) for n in range(levels)]
    lol = ", ".join(['"lol"'] * width)
    lines = [f"{names[0]}: &{names[0]} [{lol}]"]
    for prev, name in itertools.pairwise(names):
        aliases = ", ".join([f"*{prev}"] * width)
        lines.append(f"{name}: &{name} [{aliases}]")
    return "\n".join([*lines, f"title: *{names[-1]}"])


def test_yaml_alias_bomb_is_refused_not_expanded() -> None:
    started = time.perf_counter()
    result = _md(_alias_bomb())
    assert time.perf_counter() - started < 2
    (article,) = result.articles
    assert article.title == "Body title here"
    assert "front matter ignored" in result.notices[0] and "aliases" in result.notices[0]


def test_deeply_nested_front_matter_is_ignored_with_a_notice() -> None:
    result = _md("title: " + "[" * 20000 + "]" * 20000)
    assert result.articles[0].title == "Body title here"
    assert "front matter ignored" in result.notices[0]


def test_titles_and_authors_are_text_never_python_reprs() -> None:
    assert _md("title: [one, two]\nauthor: [A. Writer, B. Other]").articles[0].title == "one, two"
    assert _md("author: [A. Writer, B. Other]").articles[0].author == "A. Writer, B. Other"
    mapping = _md("title: {a: 1}\nsource: [[x]]")
    assert mapping.articles[0].title == "Body title here"
    assert mapping.articles[0].source != "[['x']]" and "{" not in mapping.articles[0].title
    assert "title ignored: not text" in mapping.notices
    assert _md("title: 1984").articles[0].title == "1984"
    assert _md("title: yes").articles[0].title == "yes"
    assert _md("title: null").articles[0].title == "Body title here"
    assert _md("tags: [a, [b], {c: d}, 7]").articles[0].tags == ("a", "b", "7")


def test_unclosed_front_matter_gives_no_rule_title() -> None:
    result = load_bytes(f"---\nReal title\n\n{BODY}".encode(), "x.md", default_options())
    assert result.articles[0].title == "Real title"
    assert "front matter not closed" in result.notices[0]
    ruled = load_bytes(
        f"Rule title\n\n***\n\n{BODY}\n\n- - -\n\n{BODY}".encode(), "y.md", default_options()
    )
    assert ruled.articles[0].title == "Rule title"
    assert not any(set(p.text) <= set("-* ") for p in ruled.articles[0].passages)


INLINE = BODY.replace("harbour authority", "<b>harbour</b> <i>authority</i>")


def _deep_page(depth: int) -> bytes:
    return (
        "<html><head><title>Deep page</title><style>p {color: red}</style></head><body>"
        "<script>document.write('evil')</script>" + "<div>" * depth + f"<p>{INLINE}</p>"
        f"<p>{BODY} Second &amp; last.</p>" + "</div>" * depth + "</body></html>"
    ).encode()


@pytest.mark.parametrize("depth", [10, 300, 2000, 5000, 100_000])
def test_deeply_nested_html_keeps_its_text(depth: int) -> None:
    result = load_bytes(_deep_page(depth), "deep.html", default_options())
    (article,) = result.articles
    assert article.title == "Deep page"
    assert [p.text for p in article.passages] == [BODY, f"{BODY} Second & last."]
    assert "evil" not in article.text and "color" not in article.text
    plain = [n for n in result.notices if "nested too deeply" in n]
    assert bool(plain) == (depth > 2048)  # past the parser's hard limit: text without layout


def test_html_without_text_is_still_skipped() -> None:
    page = "<html><body>" + "<div>" * 400 + "<script>x()</script>" + "</div>" * 400
    result = load_bytes(page.encode(), "empty.html", default_options())
    assert result.skipped and "no article text" in result.skipped.reason
