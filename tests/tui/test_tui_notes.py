"""Pilot tests for notes in the reader: select, write, mark, list, find, copy, delete, undo."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import TextArea

from briefreader.notes import NotesError, NoteStore, add_note
from briefreader.tui.messages import OpenRequest
from briefreader.tui.screens.confirm import ConfirmScreen
from briefreader.tui.screens.main import MainScreen
from briefreader.tui.screens.note_editor import NoteEditor
from briefreader.tui.screens.notes import NotesScreen
from briefreader.tui.widgets.notes_tab import NoteList
from tests.tui.helpers import notifications, screen_text, settle

pytestmark = pytest.mark.anyio

ARTICLE = "000_4b7c8a7470fbc100"  # 26 paragraphs, plain text
MARKUP = "[b]bold[/b] and [/] and [link=x]y[/link] 🙂 #odd-tag"


@pytest.fixture
def notes_workspace(reader_workspace_root: Path, tmp_path: Path) -> Any:
    """A private copy of the indexed test workspace (its notes.db is this test's own)."""
    from briefreader.workspace import Workspace

    root = tmp_path / "ws"
    shutil.copytree(reader_workspace_root / "articles", root / "articles")
    shutil.copytree(
        reader_workspace_root / "index", root / "index", ignore=shutil.ignore_patterns("state")
    )
    (root / "notes.db").unlink(missing_ok=True)
    return Workspace(root)


@pytest.fixture
def notes_app(notes_workspace: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Build a reader on the private workspace (store polled every 0.2 s)."""
    from briefreader.tui import app as app_module
    from briefreader.tui.screens import reader_notes
    from briefreader.tui.settings import ReaderSettings

    monkeypatch.setattr(reader_notes, "POLL_SECONDS", 0.2)
    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.delenv("EDITOR", raising=False)

    def build() -> Any:
        settings = ReaderSettings(animations=False, cursor_blink=False)
        return app_module.ReaderApp(notes_workspace, settings)

    return build


def main(app: Any) -> MainScreen:
    screen = app.screen_stack[1]
    assert isinstance(screen, MainScreen)
    return screen


def multi_sentence_paragraph(article: Any) -> int:
    """A paragraph with at least three sentences (so two is part of it)."""
    from briefreader.tui.notes_bridge import sentence_spans

    return next(i for i, p in enumerate(article.passages) if len(sentence_spans(p.text)) >= 3)


async def open_article(pilot: Any, passage: int | None = None) -> Any:
    """Open the test article (at a paragraph) with the article pane focused."""
    screen = main(pilot.app)
    screen.open_article(OpenRequest(ARTICLE, passage=passage), jump=False)
    await settle(pilot)
    screen.view.focus()
    await pilot.pause()
    return screen.view


async def test_done_when_select_two_sentences_note_reopen_find_export(
    notes_app: Any, notes_workspace: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    async with notes_app().run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        view = await open_article(pilot)
        target = multi_sentence_paragraph(view.article)
        view.move_cursor(target)
        await pilot.press("v", "j")
        assert view.selection is not None and view.selection.count == 2
        start, end = view.selection.span
        await pilot.press("a")
        await settle(pilot)
        assert isinstance(pilot.app.screen, NoteEditor)
        await pilot.press(*"Two sentences #watch")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(pilot.app.screen, MainScreen)
        assert "Note saved" in notifications(pilot.app)
        quote = view.article.text[start:end]
        assert len(view.notes) == 1 and view.notes[0][0].selector.exact == quote
    # quit and reopen: the reader comes back to the article, the note marked on the same text
    async with notes_app().run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        view = main(pilot.app).view
        assert view.article is not None and view.article.id == ARTICLE
        assert [(a.start, a.end) for _, a in view.notes] == [(start, end)]
        assert target in view._noted
        await pilot.press("ctrl+n")
        await settle(pilot)
        notes_screen = pilot.app.screen
        assert isinstance(notes_screen, NotesScreen)
        await pilot.press(*"#watch")
        await settle(pilot)
        assert [n.body for n in notes_screen.notes] == ["Two sentences #watch"]
        assert "Two sentences #watch" in screen_text(pilot.app)
        view.move_cursor(0)
        await pilot.press("enter")
        await settle(pilot)
        assert pilot.app.screen is main(pilot.app) and view.cursor == target
    from briefreader.cli import main as cli_main

    assert cli_main(["-w", str(notes_workspace.root), "notes", "export", "--format", "md"]) == 0
    brief = capsys.readouterr().out
    first_sentence = quote.split(". ")[0]
    assert first_sentence in brief and "Two sentences" in brief and "#watch" in brief
    assert f"paragraph {view.article.passages[target].number}" in brief


async def test_editor_asks_before_discarding_and_keeps_text_when_saving_fails(
    notes_app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with notes_app().run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        view = await open_article(pilot, passage=2)
        await pilot.press("a")
        await settle(pilot)
        editor = pilot.app.screen
        assert isinstance(editor, NoteEditor)
        await pilot.press(*"keep me")
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(pilot.app.screen, ConfirmScreen)
        await pilot.press("n")
        await pilot.pause()
        assert pilot.app.screen is editor
        store = main(pilot.app).notes_store

        def locked(*args: Any, **kwargs: Any) -> Any:
            raise NotesError("the notes database is locked by another program")

        monkeypatch.setattr(store, "add", locked)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert pilot.app.screen is editor
        assert editor.query_one(TextArea).text == "keep me"
        assert any("locked" in message for message in notifications(pilot.app))
        await pilot.press("ctrl+g")  # no $EDITOR: a message, the text stays
        assert any("$VISUAL" in message for message in notifications(pilot.app))
        await pilot.press("escape", "y")
        await settle(pilot)
        assert isinstance(pilot.app.screen, MainScreen) and view.notes == []


async def test_notes_tab_markup_copy_delete_undo_and_jump(notes_app: Any) -> None:
    async with notes_app().run_test(size=(140, 40)) as pilot:
        await settle(pilot)
        view = await open_article(pilot, passage=3)
        await pilot.press("a")
        await settle(pilot)
        pilot.app.screen.query_one(TextArea).text = MARKUP
        await pilot.press("ctrl+s")
        await settle(pilot)
        screen = main(pilot.app)
        screen.side.show_tab("notes")
        await pilot.pause()
        text = screen_text(pilot.app)
        assert "[b]bold[/b] and [/] and" in text and "[link=x]y[/link] 🙂 #odd-tag" in text
        assert "•" in text  # the gutter mark
        await pilot.press("y")
        clip = pilot.app.clipboard
        assert MARKUP in clip and view.article.title in clip
        assert f"paragraph {view.article.passages[3].number}" in clip
        view.move_cursor(10)
        note_list = screen.side.query_one(NoteList)
        note_list.focus()
        await pilot.press("enter")
        await settle(pilot)
        assert view.cursor == 3 and view.has_focus
        note_list.focus()
        await pilot.press("d")
        await settle(pilot)
        assert view.notes == [] and note_list.notes == []
        await pilot.press("u")
        await settle(pilot)
        assert [n.body for n, _ in view.notes] == [MARKUP]


async def test_note_search_in_the_search_bar_and_other_readers_notes_appear(
    notes_app: Any, notes_workspace: Any
) -> None:
    async with notes_app().run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        view = await open_article(pilot, passage=0)
        article = view.article
        passage = article.passages[5]
        with NoteStore(notes_workspace.notes_db) as other:  # a second reader
            add_note(other, article, passage.start, passage.end, body="from elsewhere #remote")
        await pilot.pause(0.5)
        await settle(pilot)
        assert [n.body for n, _ in view.notes] == ["from elsewhere #remote"]
        screen = main(pilot.app)
        await pilot.press("slash")
        screen.search_bar.input.value = "note:elsewhere"
        await settle(pilot)
        assert "1 note matches" in screen_text(pilot.app)
        assert "from elsewhere" in screen_text(pilot.app)
        view.move_cursor(0)
        await pilot.press("enter")
        await settle(pilot)
        assert view.article.id == article.id and view.cursor == 5


def test_sentences_filters_and_the_external_editor_round_trip(tmp_path: Path) -> None:
    from briefreader.tui.notes_bridge import (
        NoEditor,
        NoteFilter,
        edit_in_editor,
        editor_command,
        note_query,
        sentence_spans,
    )

    text = "One. “Two?” he said. Three… and four"
    assert [text[s:e] for s, e in sentence_spans(text)] == [
        "One.",
        "“Two?”",
        "he said.",
        "Three…",
        "and four",
    ]
    wanted = NoteFilter.parse("#Watch article:abc iran words")
    assert wanted == NoteFilter(("watch",), "abc", "iran words")
    assert note_query(" NOTE: iran ") == "iran" and note_query("iran") is None
    with pytest.raises(NoEditor):
        editor_command({})
    assert editor_command({"EDITOR": "vi -n", "VISUAL": ""}) == ["vi", "-n"]
    script = ["sh", "-c", 'printf "edited [b] #t\\n" > "$1"', "editor"]
    assert edit_in_editor("before", script) == "edited [b] #t"
    with pytest.raises(OSError):
        edit_in_editor("before", ["sh", "-c", "exit 3", "editor"])


async def test_the_notes_list_shows_notes_saved_elsewhere_and_keeps_its_highlight(
    notes_app: Any, notes_workspace: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from briefreader.tui.screens import notes as notes_module

    monkeypatch.setattr(notes_module, "POLL_SECONDS", 0.2)
    async with notes_app().run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        view = await open_article(pilot, passage=0)
        article = view.article
        with NoteStore(notes_workspace.notes_db) as other:
            for number in (1, 2):
                passage = article.passages[number]
                add_note(other, article, passage.start, passage.end, body=f"older {number}")
        await pilot.press("ctrl+n")
        await settle(pilot)
        notes_screen = pilot.app.screen
        assert isinstance(notes_screen, NotesScreen)
        assert [n.body for n in notes_screen.notes] == ["older 2", "older 1"]
        await pilot.press("down", "down")  # from the filter to the list, then to "older 1"
        listing = notes_screen.query_one("#notes-list")
        assert notes_screen.notes[listing.highlighted].body == "older 1"
        with NoteStore(notes_workspace.notes_db) as other:  # another reader saves one
            passage = article.passages[3]
            add_note(other, article, passage.start, passage.end, body="saved elsewhere")
        await pilot.pause(0.6)
        await settle(pilot)
        assert [n.body for n in notes_screen.notes] == ["saved elsewhere", "older 2", "older 1"]
        assert "saved elsewhere" in screen_text(pilot.app)
        assert notes_screen.notes[listing.highlighted].body == "older 1"
