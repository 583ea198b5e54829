"""Issue 13 leftovers: one key per action, and the side panel after a terminal resize."""

from __future__ import annotations

from typing import Any

import pytest
from textual.binding import Binding
from textual.dom import DOMNode

from briefreader.tui.keymap import known_binding_ids
from briefreader.tui.screens.note_editor import NoteEditor
from tests.tui.helpers import open_first_result, settle

pytestmark = pytest.mark.anyio


def reader_bindings() -> list[tuple[str, Binding]]:
    """Every binding of the reader's classes: (class name, binding), one row per key."""
    known_binding_ids()  # imports every screen and widget opened later
    import briefreader.tui.app  # noqa: F401 - the app and its main screen, opened first

    rows: list[tuple[str, Binding]] = []
    pending: list[type] = [DOMNode]
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        if cls.__module__.startswith("briefreader."):
            for binding in cls.__dict__.get("BINDINGS", []):
                if isinstance(binding, Binding):
                    rows.extend((cls.__name__, b) for b in binding.make_bindings([binding]))
    return rows


def test_a_means_write_a_note_wherever_it_is_bound() -> None:
    """``a`` focused the article in the list and the side panel, and wrote a note in the
    article: one key, two actions."""
    actions = {binding.action for _, binding in reader_bindings() if binding.key == "a"}
    assert actions == {"note"}
    keys = {b.key for _, b in reader_bindings() if b.action == "focus_article"}
    assert keys == {"i"}


async def test_i_goes_to_the_article_and_a_there_writes_a_note(make_app: Any) -> None:
    async with make_app().run_test(size=(120, 40)) as pilot:
        screen = await open_first_result(pilot)
        await pilot.press("o", "a")  # in the list, a is not "go to the article"
        await settle(pilot)
        assert screen.results.has_focus
        assert not isinstance(pilot.app.screen, NoteEditor)
        await pilot.press("i")
        await pilot.pause()
        assert screen.view.has_focus
        await pilot.press("a")
        await settle(pilot)
        assert isinstance(pilot.app.screen, NoteEditor)
        await pilot.press("escape")  # nothing typed: closes without asking
        await settle(pilot)
        assert pilot.app.screen is screen


async def test_the_related_tab_fills_in_when_a_resize_shows_the_panel(make_app: Any) -> None:
    """At 80 columns the panel is hidden, so nothing was looked up; widened to 120 it showed
    its placeholder until the cursor moved."""
    async with make_app().run_test(size=(80, 24)) as pilot:
        screen = await open_first_result(pilot)
        passages = screen.view.article.passages
        with_related = [
            index
            for index, passage in enumerate(passages)
            if screen.related.finder(screen.library, passage.id).items
        ]
        assert with_related, "the sample has paragraphs with related passages"
        down = [*str(with_related[0]), "j"] if with_related[0] else []
        await pilot.press("g", *down)  # to the top, then down to that paragraph
        await pilot.pause(0.4)
        await settle(pilot)
        assert screen.view.cursor == with_related[0]
        assert not screen.side_visible and not screen.side._related
        await pilot.resize_terminal(120, 40)
        await pilot.pause(0.2)
        await settle(pilot)
        assert screen.side_visible and screen.side.region.width > 0
        assert screen.side._related, "the Related tab still shows its placeholder"
        passage = screen.view.article.passages[screen.view.cursor].id
        assert all(item.passage_id != passage for item in screen.side._related)


async def test_at_80x24_the_panels_are_overlays_on_a_full_width_article(make_app: Any) -> None:
    """With the side panel open at 80x24 the article shrank to 44 columns; the list (l) took
    its share too. Now each is an overlay shown on demand; the article keeps the width."""
    async with make_app().run_test(size=(80, 24)) as pilot:
        screen = await open_first_result(pilot)
        assert screen.view.region.width == 80
        await pilot.press("r")
        await settle(pilot)
        side = screen.side.region
        assert side.width > 20 and screen.view.region.width == 80
        assert side.right == 80 and side.x > 0  # over the right of the article
        await pilot.press("l")  # the list instead (one overlay at a time)
        await settle(pilot)
        assert screen.results.region.width > 20 and screen.results.region.x == 0
        assert screen.side.region.width == 0 and screen.view.region.width == 80
        await pilot.press("t")  # a tab key shows the panel, and it has the focus's place
        await settle(pilot)
        focused = pilot.app.focused
        assert focused is not None and focused.region.width > 0
        await pilot.press("l", "r", "r")  # both closed: the article alone, full width
        await settle(pilot)
        assert screen.side.region.width == 0 and screen.results.region.width == 0
        assert screen.view.region.width == 80
