"""Pilot tests: drive the reader with keys and check what the user would see."""

from __future__ import annotations

import gc
from typing import Any

import pytest
from rich.text import Text

from briefreader.tui.screens.help import HelpScreen
from briefreader.tui.screens.main import MainScreen
from briefreader.tui.screens.references import ReferencesScreen
from briefreader.tui.widgets.article_view import ArticleView
from briefreader.tui.widgets.results import ResultsList
from tests.tui.helpers import notifications, screen_text, settle

pytestmark = pytest.mark.anyio


def main(app: Any) -> MainScreen:
    screen = app.screen
    assert isinstance(screen, MainScreen)
    return screen


async def type_query(pilot: Any, query: str, *, keys: bool = False) -> None:
    """Put a query in the search bar (typed key by key when ``keys``) and wait for results."""
    await pilot.press("slash")
    main(pilot.app).search_bar.input.value = "" if keys else query
    if keys:
        await pilot.press(*query)
    await settle(pilot)


async def test_first_screen_lists_the_library_newest_first(make_app: Any) -> None:
    async with make_app().run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = main(pilot.app)
        assert screen.library is not None
        assert len(screen.results.entries) == 7
        text = screen_text(pilot.app)
        assert "7 articles, newest first" in text
        # newest first: the 2026 article, then 2025, …
        assert screen.results.entries[0].article_id == "000_4b7c8a7470fbc100-2"
        assert screen.results.has_focus  # the list: q, ? and j/k work at once


async def test_typing_a_query_lists_results_with_count_and_snippets(make_app: Any) -> None:
    async with make_app().run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await type_query(pilot, "kataib", keys=True)
        screen = main(pilot.app)
        assert len(screen.results.entries) == 3
        text = screen_text(pilot.app)
        assert "3 articles match" in text
        assert "Kataib Hezbollah" in text


async def test_result_snippets_mark_a_phrase_as_the_article_does(make_app: Any) -> None:
    """The list marked "prime" and "minister" one by one (the space between unmarked);
    the article pane marks the phrase. Both mark the phrase now, as one run of cells."""
    async with make_app().run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await type_query(pilot, '"prime minister"')
        results = main(pilot.app).results
        hit_style = results.get_component_rich_style("results-list--hit", partial=True)
        marked = set()
        for index in range(results.option_count):
            prompt = results.get_option_at_index(index).prompt
            if isinstance(prompt, Text):
                for span in prompt.spans:
                    if span.style == hit_style:
                        marked.add(" ".join(prompt.plain[span.start : span.end].lower().split()))
        assert marked == {"prime minister"}


async def test_query_errors_and_suggestions_are_inline(make_app: Any) -> None:
    async with make_app().run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await type_query(pilot, '"unbalanced')
        assert "unbalanced quote" in screen_text(pilot.app)
        await type_query(pilot, "kataeb")
        assert "Did you mean “kataib”?" in screen_text(pilot.app)
        await pilot.press("enter")
        await settle(pilot)
        assert main(pilot.app).search_bar.input.value == "kataib"
        assert len(main(pilot.app).results.entries) == 3


async def test_enter_opens_article_on_hit_and_cursor_moves(make_app: Any) -> None:
    async with make_app().run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await type_query(pilot, "kataib")
        await pilot.press("enter")
        await settle(pilot)
        view = pilot.app.screen.query_one(ArticleView)
        assert view.has_focus and view.article is not None
        assert view.current_hit is not None and view.current_hit[0] == view.cursor
        start = view.cursor
        await pilot.press("j", "j")
        assert view.cursor == start + 2
        await pilot.press("k")
        assert view.cursor == start + 1
        await pilot.press("G")
        assert view.cursor == view.passage_count - 1
        await pilot.press("g")
        assert view.cursor == 0 and view.scroll_offset.y == 0
        await pilot.press("space")
        assert view.scroll_offset.y > 0 and view.cursor > 0
        await pilot.press("b")
        assert view.scroll_offset.y == 0
        assert f"¶ 1 of {view.passage_count}" in screen_text(pilot.app)


async def test_n_walks_every_hit_across_result_articles(make_app: Any) -> None:
    async with make_app().run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await type_query(pilot, "kataib")
        await pilot.press("enter")
        await settle(pilot)
        screen, view = main(pilot.app), pilot.app.screen.query_one(ArticleView)
        seen: list[tuple[str | None, int]] = [(screen.article_id, view.hit_index)]
        for _ in range(40):
            await pilot.press("n")
            await settle(pilot)
            here = (screen.article_id, view.hit_index)
            if here == seen[0]:
                break  # wrapped round to the first hit of the first result
            seen.append(here)
        articles = list(dict.fromkeys(article for article, _ in seen))
        assert articles == [entry.article_id for entry in screen.results.entries]
        wrapped = "Search wrapped: past the last result, back to the first"
        assert wrapped in notifications(pilot.app)
        assert "article 1 of 3" in screen_text(pilot.app)
        # Back through the first result's earlier hits (it opened at its best passage), then
        # round to the last hit of the last result.
        for _ in range(len(view.hits) + 1):
            await pilot.press("N")
            await settle(pilot)
            if screen.article_id != articles[0]:
                break
        assert screen.article_id == articles[-1]
        hits_in_last = len(view.hits)
        assert f"hit {hits_in_last} of {hits_in_last}" in screen_text(pilot.app)
        for _ in range(hits_in_last):
            await pilot.press("N")
            await settle(pilot)
        assert screen.article_id == articles[1]
        assert view.hit_index == len(view.hits) - 1
        assert "article 2 of 3" in screen_text(pilot.app)
        # Two wraps (forward, then back): one notice on screen, not a stack over the text.
        assert sum("Search wrapped" in text for text in notifications(pilot.app)) == 1


async def test_help_lists_every_binding_of_the_focused_pane(make_app: Any) -> None:
    async with make_app().run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await type_query(pilot, "kataib")
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(pilot.app.screen, HelpScreen)
        ids = {row.binding_id for row in pilot.app.screen.rows}
        for binding in ArticleView.BINDINGS:
            assert binding.id in ids  # type: ignore[union-attr]
        assert {"app.quit", "app.help", "reader.toggle-side", "reader.back"} <= ids
        assert "Next hit" in screen_text(pilot.app)
        await pilot.press("escape")
        await pilot.press("f1")
        assert isinstance(pilot.app.screen, HelpScreen)
        await pilot.press("escape")
        assert isinstance(pilot.app.screen, MainScreen)


async def test_footer_shows_a_handful_of_keys(make_app: Any) -> None:
    async with make_app().run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("escape")
        await pilot.press("enter")
        await settle(pilot)
        shown = [b for b in pilot.app.screen.active_bindings.values() if b.binding.show]
        actions = {b.binding.action for b in shown}
        assert 5 <= len(actions) <= 8


async def test_palette_opens_an_article_by_title(make_app: Any) -> None:
    async with make_app().run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"Blinken presses")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await settle(pilot)
        screen = main(pilot.app)
        assert screen.article_id == "001_d3326cb8ef4ea649"
        assert screen.view.has_focus


async def test_palette_survives_markup_in_titles(make_app: Any) -> None:
    async with make_app().run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"Markup")
        await pilot.pause(0.5)
        assert "[link=x]link[/link]" in screen_text(pilot.app)
        await pilot.press("enter")
        await settle(pilot)
        assert pilot.app.is_running
        assert main(pilot.app).view.article is not None


async def test_references_of_the_current_paragraph(make_app: Any) -> None:
    async with make_app().run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await type_query(pilot, "dollars fund")
        screen = main(pilot.app)
        entry = next(e for e in screen.results.entries if e.article_id.startswith("003"))
        await pilot.press("escape")
        screen.results.select_entry(screen.results.entries.index(entry))
        await pilot.press("enter")
        await settle(pilot)
        view = screen.view
        view.move_cursor(12)  # paragraph 13 cites [xix], [xx], [xxi]
        await pilot.press("f")
        await pilot.pause()
        assert isinstance(pilot.app.screen, ReferencesScreen)
        text = screen_text(pilot.app)
        assert "[xix]" in text and "[xxi]" in text and "Knights" in text
        await pilot.press("escape")
        assert isinstance(pilot.app.screen, MainScreen)


@pytest.mark.parametrize("size", [(80, 24), (40, 12)])
async def test_small_terminals_render_and_quit(make_app: Any, size: tuple[int, int]) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await type_query(pilot, "kataib")
        await pilot.press("enter")
        await settle(pilot)
        await pilot.resize_terminal(*size)
        await pilot.pause()
        screen = main(app)
        assert not screen.side_visible
        assert "Kataib" in screen_text(app) or size[0] < 60
        await pilot.press("r")
        await pilot.pause()
        # Below 60 columns there is no side panel (it was reported shown, but hidden).
        assert screen.side_visible is (size[0] >= 60)
        assert (screen.side.region.width > 0) is (size[0] >= 60)
        if size[0] < 60:
            assert "60 columns" in " ".join(notifications(app))
        await pilot.press("r", "j", "k")
        await pilot.pause()
        await pilot.resize_terminal(120, 40)
        await pilot.pause()
        assert screen.side_visible
        await pilot.press("q")
    assert app.return_code == 0


async def test_history_back_and_forward(make_app: Any) -> None:
    async with make_app().run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = main(pilot.app)
        await pilot.press("escape", "enter")
        await settle(pilot)
        first = screen.article_id
        await pilot.press("j", "j")
        await pilot.press("o", "j", "enter")
        await settle(pilot)
        second = screen.article_id
        assert second != first
        await pilot.press("backspace")
        await settle(pilot)
        assert screen.article_id == first and screen.view.cursor == 2
        await pilot.press("alt+right")
        await settle(pilot)
        assert screen.article_id == second
        await pilot.press("alt+left")
        await settle(pilot)
        assert screen.article_id == first


async def test_related_passages_follow_the_cursor_and_jump(make_app: Any) -> None:
    async with make_app().run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await type_query(pilot, "kataib")
        await pilot.press("enter")
        await settle(pilot)
        screen = main(pilot.app)
        for _ in range(screen.view.passage_count):  # down to a paragraph with related ones
            await pilot.pause(0.4)
            await settle(pilot)
            if screen.side._related:
                break
            await pilot.press("j")
        origin = screen.article_id
        related = screen.side.query_one("#related-list")
        assert screen.side._related, "the sample corpus has related passages in this article"
        related.focus()
        await pilot.press("enter")
        await settle(pilot)
        assert screen.article_id != origin
        await pilot.press("backspace")
        await settle(pilot)
        assert screen.article_id == origin


async def test_entities_tab_searches_an_entity(make_app: Any) -> None:
    from briefreader.tui.entities import Mention, entity_counts

    async with make_app().run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("escape", "enter")
        await settle(pilot)
        screen = main(pilot.app)
        article = screen.view.article
        assert article is not None
        start = article.passages[0].start
        mentions = [Mention(start, start + 4, "PLACE", "Iraq")]
        screen.view.set_entities(mentions)
        screen.side.show_entities(entity_counts(mentions))
        screen.side.show_tab("entities")
        entity_list = screen.side.query_one("#entity-list")
        entity_list.focus()
        await pilot.press("down", "enter")
        await settle(pilot)
        assert screen.search_bar.input.value == 'entity:"Iraq"'


async def test_remembers_the_last_article_and_position(make_app: Any) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("escape", "j", "enter")
        await settle(pilot)
        await pilot.press("j", "j", "j")
        article_id = main(app).article_id
        await pilot.press("q")
    again = make_app()
    async with again.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = main(again)
        assert screen.article_id == article_id
        assert screen.view.cursor == 3


async def test_bindings_are_remappable_by_id(make_app: Any) -> None:
    app = make_app(keymap={"article.next-hit": "x", "article.cursor-down": "ctrl+n"})
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await type_query(pilot, "kataib")
        await pilot.press("enter")
        await settle(pilot)
        screen, view = main(app), main(app).view
        at = (screen.article_id, view.hit_index)
        await pilot.press("x")
        await settle(pilot)
        assert (screen.article_id, view.hit_index) != at and view.hit_index >= 0  # next hit
        before = view.cursor
        await pilot.press("ctrl+n")
        assert view.cursor == before + 1


async def test_results_list_keys(make_app: Any) -> None:
    async with make_app().run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("escape")
        results = pilot.app.screen.query_one(ResultsList)
        assert results.has_focus
        await pilot.press("j", "j", "k")
        entry = results.highlighted_entry
        assert entry is not None and entry == results.entries[1]


async def test_entity_table_is_resolved_in_the_background(make_app: Any) -> None:
    """The first entity: search does not wait for the corpus's entities to be resolved."""
    async with make_app().run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = main(pilot.app)
        library = screen.library
        assert library is not None and library._entity_table is not None
        warmed = library._entity_table
        assert gc.get_freeze_count() > 0  # and what lives as long as the reader is frozen
        await type_query(pilot, 'entity:"Popular Mobilization Forces"')
        assert screen.result is not None and library._entity_table is warmed


async def test_an_unreadable_index_is_reported_not_fatal(
    make_app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A search that fails reading the index (replaced or damaged by another process) says
    so in the search bar; the reader keeps running and the next search works."""
    async with make_app().run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = main(pilot.app)
        library = screen.library
        original = library.search

        def failing(*args: Any, **kwargs: Any) -> Any:
            raise OSError(5, "Input/output error")

        monkeypatch.setattr(library, "search", failing)
        await type_query(pilot, "waiver")
        assert "the index could not be read" in screen_text(pilot.app)
        monkeypatch.setattr(library, "search", original)
        await type_query(pilot, "Kataib")
        assert screen.result is not None and screen.result.hits
        assert pilot.app.is_running


async def test_a_folder_that_is_not_a_workspace_is_left_as_it_was(
    tmp_path: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    """``ReaderApp(Workspace(path))`` on a folder without ``articles/`` made ``index/`` and
    ``notes.db`` there (the CLI refuses such a folder). It exits with the CLI's message."""
    from briefreader.cli import main as cli_main
    from briefreader.tui.app import ReaderApp
    from briefreader.tui.settings import ReaderSettings
    from briefreader.workspace import Workspace

    (tmp_path / "thesis.txt").write_text("Not a corpus, just a file in a folder.")
    app = ReaderApp(Workspace(tmp_path), ReaderSettings(animations=False, cursor_blink=False))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause(0.5)
    assert [p.name for p in tmp_path.iterdir()] == ["thesis.txt"]
    assert app.return_code == 2
    said = " ".join(capsys.readouterr().err.split())
    assert cli_main(["-w", str(tmp_path)]) == 2
    cli = " ".join(capsys.readouterr().err.split())
    assert said.startswith(f"briefreader: {tmp_path} is not a workspace (no articles/ folder)")
    assert cli == f"briefreader: --workspace {said.removeprefix('briefreader: ')}"
    assert f"briefreader init {tmp_path} --sample" in said
