"""Unit tests of the reader's non-Textual parts: wrapping, history, state, settings."""

from __future__ import annotations

import time
from pathlib import Path

from rich.cells import cell_len

from briefreader.models import Article, Passage, Snippet, Span
from briefreader.tui.history import History, Location
from briefreader.tui.paging import PageRequest, ResultPager, near_end
from briefreader.tui.settings import load_reader_settings
from briefreader.tui.state import ReaderState, load_state, save_state
from briefreader.tui.widgets.article_layout import ArticleLayout, wrap_offsets
from briefreader.tui.widgets.results import trim_snippet
from briefreader.workspace import Workspace


def test_wrap_respects_cell_width_and_keeps_every_character() -> None:
    text = "漢字の文 wide words and a verylongwordthatmustbesplitacrosslines here"
    lines = wrap_offsets(text, 12)
    assert "".join(text[s:e] for s, e in lines) == text
    assert all(cell_len(text[s:e].rstrip()) <= 12 for s, e in lines)


def test_wrap_breaks_at_newlines() -> None:
    assert wrap_offsets("ab\ncd", 10) == [(0, 2), (3, 5)]


def test_a_megabyte_article_wraps_quickly() -> None:
    body = "Kataib Hezbollah said on Friday that the attacks would continue.[xii] " * 3
    passages, texts, position = [], [], 0
    for number in range(1, 5001):
        text = body.strip()
        passages.append(Passage(f"a:p{number}", "a", number, position, position + len(text), text))
        texts.append(text)
        position += len(text) + 2
    article = Article("a", "a.txt", 0, "Big", "\n\n".join(texts), tuple(passages))
    started = time.perf_counter()
    wrapped = ArticleLayout(article).wrapped(80)
    assert time.perf_counter() - started < 2.0
    assert len(wrapped.lines) > 15000


def test_history_back_and_forward() -> None:
    history = History()
    history.push(Location("a", 3))
    assert history.back(Location("b", 0)) == Location("a", 3)
    assert history.forward(Location("a", 3)) == Location("b", 0)
    assert history.forward(Location("b", 0)) is None


def test_state_is_written_atomically_and_survives_damage(tmp_path: Path) -> None:
    state = ReaderState()
    state.remember("x", 4)
    save_state(tmp_path, state)
    assert load_state(tmp_path) == ReaderState("x", {"x": 4})
    (tmp_path / "reader.json").write_text("{not json", encoding="utf-8")
    assert load_state(tmp_path) == ReaderState()
    assert not list(tmp_path.glob(".reader-*"))


def test_settings_turn_animation_off_over_ssh_unless_asked(tmp_path: Path) -> None:
    workspace = Workspace(tmp_path)
    remote = load_reader_settings(workspace, {"SSH_CONNECTION": "1 2 3 4"})
    assert not remote.animations and not remote.cursor_blink
    assert load_reader_settings(workspace, {}).animations
    (tmp_path / "briefreader.toml").write_text(
        '[reader]\nanimations = true\n[keys]\n"article.next-hit" = "x"\n', encoding="utf-8"
    )
    asked = load_reader_settings(workspace, {"SSH_CONNECTION": "1 2 3 4"})
    assert asked.animations and not asked.cursor_blink
    assert asked.keymap == {"article.next-hit": "x"}


def test_trim_snippet_keeps_highlights_aligned() -> None:
    text = "word " * 60 + "kataib " + "word " * 60
    start = text.index("kataib")
    shown, spans = trim_snippet(Snippet(text, (Span(start, start + 6),)), 80)
    assert len(shown) <= 90
    assert [shown[s.start : s.end] for s in spans] == ["kataib"]


def test_pager_asks_for_one_page_at_a_time_and_drops_stale_ones() -> None:
    pager = ResultPager()
    pager.start("lighthouse", 20, 60)
    first = pager.request()
    assert first == PageRequest("lighthouse", 20, first.ticket if first else -1)
    assert pager.request() is None  # one page on its way at a time
    assert pager.accept(first, 20, 60) and pager.shown == 40 and pager.has_more
    assert not pager.accept(first, 20, 60)  # the same page twice
    second = pager.request()
    assert second is not None and second.offset == 40
    pager.start("harbour", 20, 30)  # the query changed: the lighthouse page is stale
    assert not pager.accept(second, 20, 60) and pager.shown == 20
    third = pager.request()
    assert third is not None and third != second and third.offset == 20
    assert pager.accept(third, 10, 30) and not pager.has_more
    assert pager.request() is None


def test_pager_cancel_and_short_pages() -> None:
    pager = ResultPager()
    pager.start("q", 20, 25)
    request = pager.request()
    assert request is not None
    pager.cancel()
    assert not pager.accept(request, 5, 25)
    request = pager.request()
    assert request is not None
    # the total was an estimate: a short (or empty) page ends the list
    assert pager.accept(request, 0, 25) and pager.total == 20 and not pager.has_more
    pager.start("q", 3, 3)
    assert not pager.has_more and pager.request() is None


def test_pager_keeps_an_exact_count_over_later_estimates() -> None:
    pager = ResultPager()
    pager.start("q", 20, 90, exact=False)
    assert not pager.counted("other", 60) and not pager.exact
    assert pager.counted("q", 60) and pager.exact and pager.total == 60
    request = pager.request()
    assert request is not None and pager.accept(request, 20, 90)
    assert pager.total == 60 and pager.has_more  # the page's estimate does not undo it


def test_near_end() -> None:
    assert not near_end(0, 20) and not near_end(16, 20)
    assert near_end(17, 20) and near_end(19, 20)
    assert near_end(0, 2) and not near_end(0, 0)


def _view(**fields: object) -> object:
    from types import SimpleNamespace

    defaults = {"article": object(), "cursor": 0, "passage_count": 1, "finding": ""}
    return SimpleNamespace(**{**defaults, "hits": [], "hit_index": -1, **fields})


def test_the_status_line_groups_thousands() -> None:
    """ "200000 hits" in the reader's status line: large counts read with separators."""
    from briefreader.tui.screens.reader_article import status_text

    hits = [(0, Span(0, 1))] * 200_000
    line = status_text(_view(cursor=1203, passage_count=2000, hits=hits), (1001, 35_000))  # type: ignore[arg-type]
    assert line.plain == "¶ 1,204 of 2,000 · 200,000 hits · article 1,001 of 35,000"
    line = status_text(_view(hits=hits, hit_index=41_999, finding="x"), None)  # type: ignore[arg-type]
    assert line.plain == "¶ 1 of 1 · match 42,000 of 200,000"
    assert status_text(_view(hits=hits[:999]), None).plain == "¶ 1 of 1 · 999 hits"  # type: ignore[arg-type]


def test_the_search_status_groups_thousands() -> None:
    from briefreader.models import SearchResult
    from briefreader.tui.screens.reader_search import result_status

    hits = tuple([object()] * 1500)  # only counted
    exact = SearchResult("iraq", hits[:20], 200_000)  # type: ignore[arg-type]
    assert result_status(exact, "iraq") == "200,000 articles match; showing 20"
    estimate = SearchResult("iraq", hits, 200_000, exact=False)  # type: ignore[arg-type]
    assert result_status(estimate, "iraq") == (
        "at least 1,500 articles match (counting…); showing 1,500"
    )


def test_the_index_notice_says_files_were_skipped() -> None:
    """The CLI named skipped files; the reader's 'Indexed …' toast said nothing of them."""
    from briefreader.models import Skipped
    from briefreader.search.index.indexer import IndexReport
    from briefreader.tui.screens.reader_index import report_notice

    report = IndexReport(articles=6)
    report.added.append("new.md")
    report.skipped.extend([Skipped("blob.bin", "binary file"), Skipped("e.txt", "empty")])
    notice = report_notice(report)
    assert notice.startswith("Indexed 6 articles (1 added")
    assert "2 files skipped (blob.bin: binary file, …)" in notice
