"""Colour: every text cell readable on what the terminal receives, and NO_COLOR at start.

The bytes of a full repaint are replayed into cells (``terminal_cells``) for every theme the
reader offers, at truecolor, 256 and 16 colours, with the paragraph cursor on a paragraph that
holds a hit, the current hit, a footnote marker, noted text and an entity of every type.
"""

from __future__ import annotations

from typing import Any

import pytest

from briefreader.notes import Anchor, Note
from briefreader.notes.model import TextSelector
from briefreader.tui.entities import Mention
from briefreader.tui.screens.main import MainScreen
from tests.tui.helpers import settle
from tests.tui.terminal_cells import Cell, replay, sent_bytes, unreadable

pytestmark = pytest.mark.anyio

ENTITY_TYPES = ("PERSON", "ORG", "PLACE", "GROUP", "DATE", "LAW", "EVENT")


async def open_marked_paragraph(pilot: Any) -> MainScreen:
    """Open 003 on its first paragraph (hits for "iraq", a footnote marker), add an entity
    of every type and a note there, and land on the first hit."""
    screen = pilot.app.screen
    assert isinstance(screen, MainScreen)
    await pilot.press("slash")
    screen.search_bar.input.value = "iraq"
    await settle(pilot)
    position = next(
        i for i, e in enumerate(screen.results.entries) if e.article_id.startswith("003")
    )
    screen._open_entry(position)
    await settle(pilot)
    view = screen.view
    assert view.article is not None
    number = next(i for i, p in enumerate(view.article.passages) if "[i]" in p.text)
    passage = view.article.passages[number]
    hit = next(i for i, (p, _) in enumerate(view.hits) if p == number)
    starts = [passage.start + 10 * i for i in range(len(ENTITY_TYPES))]
    view.set_entities(
        [Mention(s, s + 4, kind, "x") for s, kind in zip(starts, ENTITY_TYPES, strict=True)]
    )
    note_start, note_end = passage.start + 150, passage.start + 260
    note = Note("n1", passage.article_id, passage.id, TextSelector("x", start=note_start))
    view.set_notes([(note, Anchor(note_start, note_end, "anchored", 1.0))])
    view.go_to_hit(hit)
    await settle(pilot)
    return screen


def describe(bad: list[tuple[float, Cell]]) -> str:
    return "; ".join(f"{c.char!r} at {c.x},{c.y} {r:.2f}:1 {c.fg} on {c.bg}" for r, c in bad[:5])


@pytest.mark.parametrize("system", ["truecolor", "256", "standard"])
async def test_every_cell_is_readable_in_every_theme(
    make_app: Any, monkeypatch: pytest.MonkeyPatch, system: str
) -> None:
    monkeypatch.setattr("textual.constants.COLOR_SYSTEM", system)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = await open_marked_paragraph(pilot)
        failures = []
        for theme in sorted(app.available_themes):
            app.theme = theme
            await pilot.pause()
            cells = replay(sent_bytes(app, system))
            article = screen.view.region
            shown = [c for c in cells if article.contains(c.x, c.y)]
            assert any(c.char == "▌" for c in shown), "the cursor paragraph is on screen"
            assert any("reverse" in c.attributes for c in shown), "hits are on screen"
            bad = unreadable(cells)
            if bad:
                failures.append(f"{theme}: {len(bad)} cells, {describe(bad)}")
        assert not failures, "\n".join(failures)
