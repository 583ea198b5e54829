"""The reader is usable while the entity phase runs in the background: it searches every
article at once, entity search grows batch by batch, the open article gets its entity marks
in place, the status line says how far it has got, and quitting stops the phase cleanly."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from briefreader.search.index import entity_phase
from briefreader.search.index.catalog import read_catalog
from briefreader.search.index.enrich import EntityEnricher
from briefreader.search.index.store import active_dir, write_lock
from briefreader.text.entities.extract import processes
from briefreader.tui.app import ReaderApp
from briefreader.tui.screens.main import MainScreen
from briefreader.tui.settings import ReaderSettings
from briefreader.tui.widgets.indexing import IndexingStatus
from briefreader.workspace import Workspace
from tests.conftest import make_workspace
from tests.tui.helpers import screen_text

pytestmark = pytest.mark.anyio

STORIES = 6


def _story(n: int) -> str:
    return (
        f"Harbour story {n}\n\nThe harbour number {n} opened on Monday after a long debate "
        f"about dredging.\n\nPrime Minister Mohammed Shia Al-Sudani visited Basra to open "
        f"it. Officials from the United Nations attended.\n\nAl-Sudani said it would bring "
        f"jobs to the people of Basra."
    )


class Gate:
    """Lets the fake-slow recogniser run ``allowed`` batches, then holds it."""

    def __init__(self, allowed: int) -> None:
        self.allowed, self.calls = allowed, 0
        self.open = threading.Event()
        self.processes: set[int] = set()  # the pool sizes the recogniser was given

    def wrap(self, original: Callable[..., Any]) -> Callable[..., Any]:
        def slow(enricher: EntityEnricher, articles: Sequence[Any], progress: Any) -> Any:
            self.calls += 1
            self.processes.add(processes(enricher.options))
            if self.calls > self.allowed:
                self.open.wait(30)
            return original(enricher, articles, progress)

        return slow


@pytest.fixture
def gated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Workspace, Gate]:
    """A workspace of six stories (rules recogniser), one article a batch, the third batch
    held until the test opens the gate."""
    root = make_workspace(tmp_path, {f"s{n}.txt": _story(n) for n in range(STORIES)})
    settings = '[entities]\nrecogniser = "rules"\nprocesses = 2\n'
    (root / "briefreader.toml").write_text(settings, "utf-8")
    monkeypatch.setattr(entity_phase, "BATCH_CHARS", 100)
    gate = Gate(allowed=2)
    monkeypatch.setattr(EntityEnricher, "__call__", gate.wrap(EntityEnricher.__call__))
    return Workspace(root), gate


async def _until(pilot: Pilot[Any], condition: Callable[[], bool], seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await pilot.pause(0.05)


async def _search(pilot: Pilot[Any], screen: MainScreen, query: str) -> int:
    screen.search_bar.input.value = query
    await _until(pilot, lambda: screen.search.results_query == query)
    await pilot.pause(0.2)
    await _until(pilot, lambda: screen.search.results_query == query)
    return len(screen.results.entries)


def _pending(workspace: Workspace) -> set[str]:
    folder = active_dir(workspace.index_dir)
    catalog = read_catalog(folder) if folder else None
    assert catalog is not None
    return catalog.pending


def _app(workspace: Workspace) -> ReaderApp:
    return ReaderApp(workspace, ReaderSettings(animations=False, cursor_blink=False))


async def test_the_reader_searches_and_reads_while_entities_are_recognised(
    gated: tuple[Workspace, Gate],
) -> None:
    workspace, gate = gated
    app = _app(workspace)
    async with app.run_test(size=(140, 40)) as pilot:
        screen: Any = pilot.app.screen
        await _until(pilot, lambda: gate.calls == 3)  # two batches in, the third held
        assert screen.index.entity_phase
        assert await _search(pilot, screen, "harbour") == STORIES  # plain search: all
        # The phase committed after its first batch (its first point); the second waits in
        # its writer for the end.
        assert await _search(pilot, screen, "person:sudani") == 1  # the committed ones
        status = pilot.app.screen.query_one(IndexingStatus)
        await _until(pilot, lambda: "recognised in 1 of 6 articles" in screen_text(pilot.app))
        assert status.display

        # Open an article the held batch will reach, move the cursor: the marks come in place.
        held = sorted(_pending(workspace))[0]
        screen.open_article(_request(held))
        await _until(pilot, lambda: screen.view.article is not None)
        await _until(pilot, lambda: screen.view.article.id == held)
        screen.view.move_cursor(2)
        await pilot.pause(0.1)
        assert screen.view.mentions == []
        screen.search_bar.input.value = "person:sud"  # typing is not disturbed
        gate.open.set()
        await _until(pilot, lambda: not screen.index.entity_phase)
        await _until(pilot, lambda: bool(screen.view.mentions))
        assert screen.view.cursor == 2 and screen.view.article.id == held
        assert screen.search_bar.input.value == "person:sud"
        assert not status.display
        assert await _search(pilot, screen, "person:sudani") == STORIES
    assert _pending(workspace) == set()
    assert gate.processes == {1}  # the reader's phase never starts a pool (quitting hung)


def _request(article_id: str) -> Any:
    from briefreader.tui.messages import OpenRequest

    return OpenRequest(article_id, passage=0)


async def test_quitting_mid_phase_stops_and_keeps_what_was_committed(
    gated: tuple[Workspace, Gate],
) -> None:
    workspace, gate = gated
    app = _app(workspace)
    async with app.run_test(size=(120, 40)) as pilot:
        await _until(pilot, lambda: gate.calls == 3)
        await pilot.press("ctrl+q")
    gate.open.set()  # the held batch goes on, sees the quit at its first article, gives up
    deadline = time.monotonic() + 20
    while True:
        try:
            with write_lock(workspace.index_dir, []):
                break  # released
        except Exception:
            assert time.monotonic() < deadline, "the entity phase kept the lock"
            time.sleep(0.1)
    # The first batch was committed and stays; the second, recognised but not committed,
    # is given up with the writer (its entities are cached), the third was in hand.
    assert len(_pending(workspace)) == STORIES - 1
    from briefreader.pipeline import run_entities

    report = run_entities(workspace)
    assert report.recognised == STORIES - 1 and _pending(workspace) == set()


async def test_the_status_line_says_when_entities_are_being_saved() -> None:
    """A phase's commit reports postings, not articles: the line shows a share of them."""
    from textual.app import App, ComposeResult

    class StatusApp(App[None]):
        def compose(self) -> ComposeResult:
            yield IndexingStatus()

    app = StatusApp()
    async with app.run_test(size=(100, 5)) as pilot:
        status = app.query_one(IndexingStatus)
        status.show_entities(400, 2_225, (0, 2_225))
        await pilot.pause()
        assert "Finding entities 400/2,225 · entities recognised in 0 of 2,225" in screen_text(app)
        status.show_entities(150_000, 600_000, (220, 2_225), saving=True)
        await pilot.pause()
        assert "Saving entities 25% · entities recognised in 220 of 2,225" in screen_text(app)
        # a commit reports the articles it wrote, a batch behind: the count does not go back
        status.show_entities(220, 2_225, (220, 2_225))
        await pilot.pause()
        assert "Finding entities 400/2,225" in screen_text(app)
        status.end_entities()
        status.display = True  # as the reader does when the next phase reports
        status.show_entities(10, 2_225, (220, 2_225))
        await pilot.pause()
        assert "Finding entities 10/2,225" in screen_text(app)  # a new phase
