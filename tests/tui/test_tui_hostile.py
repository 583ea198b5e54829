"""The hostile corpus in the reader: every article opens and scrolls, nothing is interpreted."""

from __future__ import annotations

from typing import Any

import pytest

from briefreader.search.index.indexer import update_index
from briefreader.tui.app import ReaderApp
from briefreader.tui.messages import OpenRequest
from briefreader.tui.settings import ReaderSettings
from briefreader.workspace import Workspace
from tests.hostile import build_hostile_corpus
from tests.tui.helpers import screen_text, settle

pytestmark = pytest.mark.anyio


@pytest.fixture(scope="module")
def hostile_workspace(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    root = build_hostile_corpus(tmp_path_factory.mktemp("tui-hostile") / "ws", huge=False)
    workspace = Workspace(root)
    update_index(workspace, enricher=lambda articles, progress: {})
    return workspace


async def test_every_hostile_article_opens_scrolls_and_shows_as_typed(
    hostile_workspace: Workspace,
) -> None:
    app = ReaderApp(hostile_workspace, ReaderSettings(animations=False, cursor_blink=False))
    quit_called: list[bool] = []
    app.exit = lambda *args, **kwargs: quit_called.append(True)  # type: ignore[method-assign]
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        screen: Any = pilot.app.screen
        ids = [summary.id for summary in screen.library.articles()]
        assert len(ids) >= 7
        for article_id in ids:
            screen.open_article(OpenRequest(article_id, passage=0))
            await settle(pilot)
            screen.view.focus()
            await pilot.press("j", "G", "g", "space", "b")
            await settle(pilot)
            text = screen_text(pilot.app)
            assert "\x1b" not in text and "pwned" not in text
        screen.open_article(OpenRequest("markup", passage=0))
        await settle(pilot)
        text = screen_text(pilot.app)
        assert "[bold]not bold[/bold]" in text and "[@click=app.quit]quit[/]" in text
        screen.search_bar.input.value = "clipboard"
        await settle(pilot)
        assert screen.results.entries
        await pilot.resize_terminal(40, 12)
        await settle(pilot)
    assert not quit_called  # no markup action ran
