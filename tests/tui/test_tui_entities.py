"""Pilot: the reader's Entities tab shows the table ``briefreader entities ID --json`` shows."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from briefreader.cli import main as cli_main
from briefreader.tui.entities import TYPE_LABELS
from briefreader.tui.messages import OpenRequest
from briefreader.tui.screens.main import MainScreen
from tests.tui.helpers import settle

pytestmark = pytest.mark.anyio
REPO = Path(__file__).resolve().parents[2]
ARTICLE = "000_4b7c8a7470fbc100"


@pytest.fixture(scope="module")
def entity_workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two sample files indexed with their entities (the shared reader fixture has none)."""
    from briefreader.search.index.indexer import update_index
    from briefreader.workspace import Workspace

    root = tmp_path_factory.mktemp("entities-tab")
    (root / "articles").mkdir()
    for path in sorted((REPO / "articles").iterdir()):
        if path.name.startswith(("000_", "003_")):
            shutil.copy(path, root / "articles" / path.name)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("BRIEFREADER_CONFIG", "")  # no user config file in the way
        update_index(Workspace(root))
    return root


def cli_table(root: Path, capsys: pytest.CaptureFixture[str]) -> set[tuple[str, str, int]]:
    """(type, name, mentions in the article) of ``briefreader entities ARTICLE --json``."""
    assert cli_main(["-w", str(root), "entities", ARTICLE, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    return {(e["type"], e["name"], len(e["mentions"])) for e in data["entities"]}


def tab_table(screen: MainScreen) -> set[tuple[str, str, int]]:
    """(type, name, count) as the Entities tab lists them."""
    by_label = {label: kind for kind, label in TYPE_LABELS.items()}
    rows, kind = set(), ""
    for option in screen.side.query_one("#entity-list").options:  # type: ignore[attr-defined]
        text = option.prompt.plain
        if option.id is None:
            kind = by_label.get(text.rsplit(" (", 1)[0], "")
        else:
            name, count = text.strip().rsplit(" ×", 1)
            rows.add((kind, name, int(count)))
    return rows


def reader(root: Path) -> Any:
    """The reader on ``root`` (no animations, no blinking cursor)."""
    from briefreader.tui.app import ReaderApp
    from briefreader.tui.settings import ReaderSettings
    from briefreader.workspace import Workspace

    return ReaderApp(Workspace(root), ReaderSettings(animations=False, cursor_blink=False))


async def main_screen(pilot: Any) -> MainScreen:
    """The main screen once the index is open."""
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, MainScreen)
    return screen


async def test_entities_tab_matches_entities_json(
    entity_workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    expected = cli_table(entity_workspace, capsys)
    names = {name for _, name, _ in expected}
    assert "Popular Mobilization Forces" in names and "PMF" not in names  # merged
    assert "United States" in names and "U.S." not in names
    async with reader(entity_workspace).run_test(size=(120, 40)) as pilot:
        screen = await main_screen(pilot)
        screen.open_article(OpenRequest(ARTICLE))
        await settle(pilot)
        screen.side.show_tab("entities")
        await settle(pilot)
        assert tab_table(screen) == expected


async def test_the_entities_tab_is_filled_in_one_step(
    entity_workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The tab arrives just after the article (a worker): filled an option at a time, each
    entity's style a DOM query, it held the reader ~20 ms for 72 entities at BBC 16x, on the
    first page a reader turns. One style lookup a type, and the list replaced once."""
    from textual.widgets import OptionList

    from briefreader.tui.widgets.side_panel import SidePanel

    lookups: list[str] = []
    original = SidePanel._entity_style

    def counting(self: SidePanel, kind: str) -> object:
        lookups.append(kind)
        return original(self, kind)

    monkeypatch.setattr(SidePanel, "_entity_style", counting)
    async with reader(entity_workspace).run_test(size=(120, 40)) as pilot:
        screen = await main_screen(pilot)
        entity_list = screen.side.query_one("#entity-list", OptionList)
        added: list[int] = []
        monkeypatch.setattr(entity_list, "add_option", lambda *a, **k: added.append(1))
        lookups.clear()
        screen.open_article(OpenRequest(ARTICLE))
        await settle(pilot)
        assert not added
        rows = tab_table(screen)
        kinds = {kind for kind, _, _ in rows}
        assert len(rows) > 2 * len(kinds)  # more entities than types: the case that cost
        # each arrival: one lookup a type listed, and one a type for the legend
        assert len(lookups) <= 2 * (len(kinds) + len(TYPE_LABELS))


@pytest.mark.parametrize("size", [(120, 40), (80, 24)])
async def test_one_key_from_the_article_to_an_entity_search(
    entity_workspace: Path, size: tuple[int, int]
) -> None:
    """``t`` showed the Entities tab but left the focus in the article: Enter on an entity
    took two Tabs more (past the tab strip). Now ``t`` puts the focus in the tab's list."""
    from textual.widgets import OptionList

    async with reader(entity_workspace).run_test(size=size) as pilot:
        screen = await main_screen(pilot)
        await pilot.press("slash", *"iraq", "escape")  # the cursor stood after "iraq"
        screen.open_article(OpenRequest(ARTICLE))
        screen.view.focus()
        await settle(pilot)
        await pilot.press("t")
        await settle(pilot)
        entity_list = screen.side.query_one("#entity-list", OptionList)
        assert pilot.app.focused is entity_list and entity_list.region.width > 0
        await pilot.press("j", "enter")
        await settle(pilot)
        assert screen.search_bar.input.value.startswith("entity:")
        assert screen.results_query.startswith("entity:")
        query = screen.search_bar.input.value
        await pilot.press("slash", "space", "x")  # typed on: at the end, not inside the quotes
        await settle(pilot)
        assert screen.search_bar.input.value == query + " x"


async def test_each_tab_key_lands_in_the_tab_s_list(entity_workspace: Path) -> None:
    """``t`` walks Related, Entities, Notes with the focus in each list; ``i`` reads on."""
    async with reader(entity_workspace).run_test(size=(120, 40)) as pilot:
        screen = await main_screen(pilot)
        screen.open_article(OpenRequest(ARTICLE))
        screen.view.focus()
        await settle(pilot)
        for name in ("entities", "notes", "related"):
            await pilot.press("t")
            await settle(pilot)
            assert pilot.app.focused is screen.side.tab_list(name), name
        await pilot.press("i")
        await settle(pilot)
        assert screen.view.has_focus
