"""Article text is data: markup-like brackets, escapes and RTL text show as typed everywhere."""

from __future__ import annotations

from typing import Any

import pytest

from briefreader.tui.entities import Mention, entity_counts
from briefreader.tui.screens.main import MainScreen
from briefreader.tui.screens.references import ReferencesScreen
from tests.tui.helpers import screen_text, settle

pytestmark = pytest.mark.anyio

TITLE = "Markup [b]bold[/b] [link=x]link[/link] [@click=app.quit]quit[/] ["
TITLE_PARTS = ("Markup [b]bold[/b]", "[link=x]link[/link]", "[@click=app.quit]quit[/]")


async def test_hostile_text_shows_as_typed_in_every_view(make_app: Any) -> None:
    app = make_app()
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, MainScreen)
        assert all(part in screen_text(app) for part in TITLE_PARTS)  # library list
        screen.search_bar.input.value = "markup"
        await settle(pilot)
        results = screen_text(app)
        assert all(part in results for part in TITLE_PARTS) and "[i]Wire[/i]" in results
        assert "النص العربي: كتائب حزب الله" in results  # snippet, right-to-left text
        await pilot.press("escape", "enter")
        await settle(pilot)
        article = screen_text(app)
        assert TITLE in article
        for typed in ("[ and [/ and [b] and", "[link=x]click[/link]", "[@click=app.quit]boom[/]"):
            assert typed in article
        assert "Heading [b]not bold[/b]" in article
        assert "كتائب حزب الله" in article
        assert "\x1b" not in article and "[2J" not in article and "escape gone" in article
        await _entity_names_are_data(pilot, screen)
        await _references_are_data(pilot, screen)
        assert app.is_running
        await pilot.press("q")


async def _entity_names_are_data(pilot: Any, screen: MainScreen) -> None:
    article = screen.view.article
    assert article is not None
    passage = article.passages[0]
    start = passage.start + passage.text.index("[b]")
    mention = Mention(start, start + 3, "ORG", "[b]O[/b][@click=app.quit]")
    screen.view.set_entities([mention])
    screen.side.show_entities(entity_counts([mention]))
    screen.side.show_tab("entities")
    await settle(pilot)
    assert "[b]O[/b][@click=app.quit]" in screen_text(pilot.app)


async def _references_are_data(pilot: Any, screen: MainScreen) -> None:
    article = screen.view.article
    assert article is not None
    last = len(article.passages) - 1
    screen.view.focus()
    screen.view.move_cursor(last)
    await pilot.pause()
    assert "A reference with [b]brackets[/b] kept as typed." in screen_text(pilot.app)
    await pilot.press("f")
    await pilot.pause()
    assert isinstance(pilot.app.screen, ReferencesScreen)
    assert "References in paragraph" in screen_text(pilot.app)
    assert "[ii]" in screen_text(pilot.app)
    await pilot.press("escape")
