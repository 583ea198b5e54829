"""The reader takes the ranking's and the entity store's own types: no guessed field names,
and no error of our own code swallowed (only a payload of another shape is tolerated)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from briefreader.models import Article, Passage
from briefreader.search import related
from briefreader.search.library import Library
from briefreader.search.related import RelatedItem, RelatedResult
from briefreader.tui.entities import Mention, article_mentions
from briefreader.tui.related import find_related_items
from briefreader.workspace import Workspace

ATTACKS_160 = "002_ea0493244cfba2d5:p12"


@pytest.fixture
def library(sample_workspace: Path) -> Any:
    opened = Library.open(Workspace(sample_workspace))
    yield opened
    opened.close()


def test_the_reader_gets_the_rankings_items(library: Library) -> None:
    answer = find_related_items(library, ATTACKS_160, limit=3)
    assert answer.items and all(isinstance(item, RelatedItem) for item in answer.items)
    expected = related.find_related(library, ATTACKS_160, limit=3)
    assert [i.passage_id for i in answer.items] == [i.passage_id for i in expected.items]
    assert find_related_items(library, "no-such-article:p1").items == []


def test_related_text_reaches_the_panel_without_control_characters(
    library: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    item = RelatedItem("a:p1", "a", "Title\x1b[2J", 0.5, "Body\x07 [b]text[/b]", "why\x1b]0;x\x07")
    result = RelatedResult("b:p1", "b", (item,), 0.2, figures_lines=("160\x1b[31m · 91",))
    monkeypatch.setattr(related, "find_related", lambda *a, **k: result)
    answer = find_related_items(library, "b:p1")
    shown = answer.items[0]
    assert (shown.title, shown.text, shown.why) == ("Title", "Body [b]text[/b]", "why")
    assert answer.notes == ("160 · 91",)


def test_a_failure_of_the_ranking_is_not_hidden(
    library: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any, **kwargs: Any) -> RelatedResult:
        raise ZeroDivisionError("a bug in the ranking")

    monkeypatch.setattr(related, "find_related", broken)
    with pytest.raises(ZeroDivisionError):
        find_related_items(library, ATTACKS_160)


def _article() -> Article:
    text = "Sudani met the PMF in Baghdad."
    passage = Passage("x:p1", "x", 1, 0, len(text), text)
    return Article("x", "x.txt", 1, "Title", text, (passage,))


def test_entity_mentions_from_the_stored_payload() -> None:
    payload = {
        "entities": {"recogniser": "rules", "mentions": [[0, 6, "PERSON"], [22, 29, "PLACE"]]}
    }
    assert article_mentions(_article(), payload) == [
        Mention(0, 6, "PERSON", "Sudani"),
        Mention(22, 29, "PLACE", "Baghdad"),
    ]
    assert article_mentions(_article(), {"entities": {"mentions": [["x"]]}}) == []  # old shape
    assert article_mentions(_article(), {}) == []


def test_a_failure_reading_entities_is_not_hidden(monkeypatch: pytest.MonkeyPatch) -> None:
    from briefreader.text.entities import store

    def broken(*args: Any) -> None:
        raise ZeroDivisionError("a bug in the entity store")

    monkeypatch.setattr(store, "from_payload", broken)
    with pytest.raises(ZeroDivisionError):
        article_mentions(_article(), {"entities": {"mentions": []}})


@pytest.mark.anyio
async def test_a_settings_file_broken_while_reading_is_reported_in_the_panel(
    reader_workspace_root: Path, tmp_path: Path
) -> None:
    import shutil

    from briefreader.tui.app import ReaderApp
    from briefreader.tui.settings import ReaderSettings
    from tests.tui.helpers import settle

    root = tmp_path / "ws"
    shutil.copytree(reader_workspace_root, root)
    app = ReaderApp(Workspace(root), ReaderSettings(animations=False, cursor_blink=False))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("escape", "enter")
        await settle(pilot)
        (root / "briefreader.toml").write_text("[related\nthreshold = ", encoding="utf-8")
        await pilot.press("j")
        await pilot.pause(0.4)
        await settle(pilot)
        panel = app.screen.query_one("#related-list")
        shown = str(panel.get_option_at_index(0).prompt)  # type: ignore[attr-defined]
        assert "briefreader.toml" in shown and "not valid toml" in shown  # one line, named
        assert app.is_running
