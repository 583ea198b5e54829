"""The seams of the main screen: each part alone, on a host screen that records what it posts.

A part is given the widgets it owns and a :class:`ReaderSession` on the indexed test
workspace; the test hands it messages (as the main screen does, with ``forward``) and checks
the typed messages it posts up: ``OpenWanted``, ``ArticleShown``, ``PlaceChanged``,
``LibraryOpened``.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from textual import on
from textual.app import App, ComposeResult
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Static

from briefreader.models import SearchResult
from briefreader.notes import NoteStore, add_note
from briefreader.search.related import RelatedItem
from briefreader.tui.history import Location
from briefreader.tui.messages import LibraryFailed, LibraryReady, OpenRequest
from briefreader.tui.related import RelatedAnswer
from briefreader.tui.screens.reader_article import ArticlePart
from briefreader.tui.screens.reader_index import IndexPart
from briefreader.tui.screens.reader_notes import NoteChange, NotesPart
from briefreader.tui.screens.reader_parts import (
    ArticleShown,
    LibraryOpened,
    OpenWanted,
    Part,
    PlaceChanged,
    ReaderSession,
    forward,
)
from briefreader.tui.screens.reader_related import RelatedPart
from briefreader.tui.screens.reader_search import SearchPart
from briefreader.tui.state import ReaderState
from briefreader.tui.widgets.article_view import ArticleView
from briefreader.tui.widgets.indexing import IndexingStatus
from briefreader.tui.widgets.notes_tab import NoteAction, NoteList
from briefreader.tui.widgets.results import ResultsList
from briefreader.tui.widgets.search_bar import SearchBar
from briefreader.tui.widgets.side_panel import SidePanel
from briefreader.workspace import Workspace
from tests.tui.helpers import notifications, settle

pytestmark = pytest.mark.anyio


class Host(Screen[None]):
    """The widgets the parts own, the parts under test, and a record of what they post."""

    def __init__(self, parts: list[Part]) -> None:
        super().__init__()
        self.parts = parts
        self.posted: list[Message] = []

    def compose(self) -> ComposeResult:
        yield SearchBar(id="search-bar")
        yield ResultsList(id="results")
        yield ArticleView(id="article")
        yield Static(id="article-status")
        yield SidePanel(id="side")
        yield IndexingStatus(id="indexing")
        yield from self.parts

    @on(OpenWanted)
    @on(ArticleShown)
    @on(PlaceChanged)
    @on(LibraryOpened)
    def _record(self, message: Message) -> None:
        self.posted.append(message)

    def of(self, kind: type[Message]) -> list[Any]:
        """The messages of one type posted so far."""
        return [message for message in self.posted if isinstance(message, kind)]


class HostApp(App[object]):
    CSS_PATH = str(Path(__file__).resolve().parents[2] / "src/briefreader/tui/briefreader.tcss")

    def __init__(self, parts: list[Part]) -> None:
        super().__init__()
        self.host = Host(parts)

    def on_mount(self) -> None:
        self.push_screen(self.host)


@pytest.fixture
def session(reader_workspace_root: Path, tmp_path: Path) -> Iterator[ReaderSession]:
    """A session on a private copy of the test workspace, its library open."""
    from briefreader.search.library import Library

    root = tmp_path / "ws"
    shutil.copytree(reader_workspace_root / "articles", root / "articles")
    shutil.copytree(
        reader_workspace_root / "index", root / "index", ignore=shutil.ignore_patterns("state")
    )
    workspace = Workspace(root)
    library = Library.open(workspace)
    yield ReaderSession(workspace, ReaderState(), library=library)
    library.close()


def first_article(session: ReaderSession) -> Any:
    return session.library.article(session.library.articles()[0].id)


async def test_forward_hands_a_bubbled_message_to_each_part_once(
    session: ReaderSession,
) -> None:
    seen: list[str] = []

    class Probe(Part):
        def __init__(self, label: str) -> None:
            super().__init__(session)
            self.label = label

        def on_place_changed(self, _message: PlaceChanged) -> None:
            seen.append(self.label)

    one, two = Probe("one"), Probe("two")
    app = HostApp([one, two])
    async with app.run_test() as pilot:
        message = PlaceChanged()
        forward(message, one, two)
        await settle(pilot)
        assert sorted(seen) == ["one", "two"]
        assert app.host.posted == []  # stopped: the parts do not bubble it back up


async def test_search_part_lists_results_and_asks_for_the_hit(session: ReaderSession) -> None:
    part = SearchPart(session, note_search=lambda q: SearchResult(q, (), 0), count_delay=lambda: 0)
    app = HostApp([part])
    async with app.run_test(size=(120, 40)) as pilot:
        host = app.host
        host.query_one(SearchBar).input.value = "kataib"
        part.run_search("kataib")
        await settle(pilot)
        entries = host.query_one(ResultsList).entries
        assert part.results_query == "kataib" and entries
        assert host.of(PlaceChanged)  # the status line is out of date
        part.open_entry(0)
        await settle(pilot)
        request = host.of(OpenWanted)[-1].request
        assert (request.article_id, request.passage_id) == (
            entries[0].article_id,
            entries[0].passage_id,
        )
        # n past the last hit of the last result: round to the first, and say so
        session.article_id = entries[-1].article_id
        forward(ArticleView.HitsExhausted(1), part)
        await settle(pilot)
        wrapped = host.of(OpenWanted)[-1].request
        assert wrapped.article_id == entries[0].article_id and wrapped.land == "first-hit"
        assert any("Search wrapped" in text for text in notifications(app))


async def test_search_part_searches_again_when_the_library_opens(session: ReaderSession) -> None:
    asked: list[str] = []
    part = SearchPart(session, note_search=lambda q: SearchResult(q, (), 0), count_delay=lambda: 0)
    app = HostApp([part])
    async with app.run_test(size=(120, 40)) as pilot:
        app.host.query_one(SearchBar).input.value = "note: anything"

        def note_search(query: str) -> SearchResult:
            asked.append(query)
            return SearchResult(query, (), 0)

        part.note_search = note_search
        forward(LibraryOpened(first=False), part)
        await settle(pilot)
        assert asked == ["note: anything"]


async def test_article_part_shows_lands_and_remembers(session: ReaderSession) -> None:
    part = ArticlePart(session)
    app = HostApp([part])
    article = first_article(session)
    async with app.run_test(size=(120, 40)) as pilot:
        host = app.host
        part.open(OpenRequest(article.id, passage=1), "")
        await settle(pilot)
        assert [m.article.id for m in host.of(ArticleShown)] == [article.id]
        assert session.article_id == article.id and host.query_one(ArticleView).cursor == 1
        view = host.query_one(ArticleView)
        forward(ArticleView.Moved(view, 2, -1), part)
        await settle(pilot)
        assert host.of(PlaceChanged)
        assert session.state.positions[article.id] == article.passages[2].number
        # a jump to elsewhere, then back: a request without a new history entry
        session.history.push(Location(article.id, 0))
        part.back()
        await settle(pilot)
        back = host.of(OpenWanted)[-1]
        assert back.request.article_id == article.id and back.request.passage == 0
        assert not back.jump


async def test_article_part_restores_the_last_article_on_the_first_library(
    session: ReaderSession,
) -> None:
    article = first_article(session)
    session.state.remember(article.id, article.passages[3].number)
    part = ArticlePart(session)
    app = HostApp([part])
    async with app.run_test(size=(120, 40)) as pilot:
        forward(LibraryOpened(first=True), part)
        await settle(pilot)
        wanted = app.host.of(OpenWanted)
        assert len(wanted) == 1 and not wanted[0].jump and not wanted[0].focus
        assert wanted[0].request == OpenRequest(article.id, passage=3)


@pytest.mark.parametrize("shown", [True, False])
async def test_related_part_asks_its_finder_and_opens_the_choice(
    session: ReaderSession, shown: bool
) -> None:
    """The finder is asked once the cursor rests, only while the side panel is shown."""
    asked: list[str] = []

    def finder(_library: Any, passage_id: str) -> RelatedAnswer:
        asked.append(passage_id)
        return RelatedAnswer([])

    related = RelatedPart(session, finder, shown=lambda: shown)
    reader = ArticlePart(session)
    app = HostApp([reader, related])
    article = first_article(session)
    async with app.run_test(size=(120, 40)) as pilot:
        reader.open(OpenRequest(article.id, passage=0), "")
        await settle(pilot)
        view = app.host.query_one(ArticleView)
        forward(ArticleView.Moved(view, 0, -1), related)
        await pilot.pause(0.4)
        await settle(pilot)
        assert asked == ([article.passages[0].id] if shown else [])
        item = RelatedItem(
            passage_id=article.passages[2].id,
            article_id=article.id,
            title="",
            score=1.0,
            text="",
            why="",
        )
        forward(SidePanel.RelatedChosen(item), related)
        await settle(pilot)
        chosen = app.host.of(OpenWanted)[-1].request
        assert (chosen.article_id, chosen.passage_id) == (article.id, item.passage_id)


async def test_notes_part_deletes_restores_and_opens_notes(session: ReaderSession) -> None:
    article = first_article(session)
    other = session.library.article(session.library.articles()[1].id)
    with NoteStore(session.workspace.notes_db) as store:
        note = add_note(store, article, 0, 20, "first")
        elsewhere = add_note(store, other, 0, 20, "second")
    notes = NotesPart(session)
    reader = ArticlePart(session)
    app = HostApp([reader, notes])
    async with app.run_test(size=(120, 40)) as pilot:
        notes.start()
        reader.open(OpenRequest(article.id, passage=0), "")
        await settle(pilot)
        forward(ArticleShown(article), notes)
        await settle(pilot)
        assert [n.id for n, _ in app.host.query_one(ArticleView).notes] == [note.id]
        forward(NoteList.Action(NoteAction.DELETE, note), notes)
        await settle(pilot)
        assert notes.notes_store is not None and notes.notes_store.get(note.id).deleted
        assert "Note deleted" in " ".join(notifications(app))
        assert app.host.query_one(ArticleView).notes == []
        forward(NoteList.Action(NoteAction.UNDO, None), notes)
        await settle(pilot)
        assert not notes.notes_store.get(note.id).deleted
        notes.open_note(elsewhere)  # another article: ask for it at the note
        await settle(pilot)
        request = app.host.of(OpenWanted)[-1].request
        assert (request.article_id, request.passage_id) == (other.id, elsewhere.passage_id)


def test_note_changes_say_what_they_did() -> None:
    assert [change.value.split(" ·")[0] for change in NoteChange] == [
        "Note deleted",
        "Note restored",
        "Note saved",
    ]


async def test_index_part_tells_the_screen_when_a_library_opens(session: ReaderSession) -> None:
    library, session.library = session.library, None
    part = IndexPart(session)
    app = HostApp([part])
    async with app.run_test(size=(120, 40)) as pilot:
        part.post_message(LibraryReady(library, final=False))
        part.post_message(LibraryReady(library, "Index ready"))
        await settle(pilot)
        assert [m.first for m in app.host.of(LibraryOpened)] == [True, False]
        assert session.library is library and "Index ready" in notifications(app)
        part.post_message(LibraryFailed("Cannot open the index: gone"))
        await settle(pilot)
        status = app.host.query_one(SearchBar).query_one("#search-status", Static)
        assert "gone" in str(status.content) and status.has_class("-problem")
