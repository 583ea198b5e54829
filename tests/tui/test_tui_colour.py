"""Colour: every text cell readable on what the terminal receives, and NO_COLOR at start.

The bytes of a full repaint are replayed into cells (``terminal_cells``) for every theme the
reader offers, at truecolor, 256 and 16 colours, with the paragraph cursor on a paragraph that
holds a hit, the current hit, a footnote marker, noted text and an entity of every type.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from briefreader.notes import Anchor, Note
from briefreader.notes.model import TextSelector
from briefreader.tui.entities import Mention
from briefreader.tui.screens.main import MainScreen
from briefreader.tui.widgets.article_view import GUTTER
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
    hit_spans = [span for p, span in view.hits if p == number]
    words = [
        (passage.start + m.start(), passage.start + m.end())
        for m in re.finditer(r"[A-Za-z]{5,}", passage.text)
        if not any(h.start < m.end() and m.start() < h.end for h in hit_spans)
    ]
    mentions = [Mention(s, e, t, "x") for (s, e), t in zip(words, ENTITY_TYPES, strict=False)]
    view.set_entities(mentions)
    note_start, note_end = mentions[-1].end + 1, mentions[-1].end + 80
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


def screen_cells_of(screen: MainScreen, start: int, end: int) -> set[tuple[int, int]]:
    """Screen positions (x, y) of the article text ``[start, end)`` (offsets into the
    article), on the lines now in view."""
    view = screen.view
    assert view.layout_data is not None and view._wrapped is not None
    found = set()
    region, top = view.region, view.scroll_offset.y
    for index, line in enumerate(view._wrapped.lines):
        block = view.layout_data.blocks[line.block] if line.block >= 0 else None
        if block is None or block.offset < 0 or not top <= index < top + region.height:
            continue
        for offset in range(start - block.offset, end - block.offset):
            if line.start <= offset < line.end:
                x = region.x + GUTTER + offset - line.start
                found.add((x, region.y + index - top))
    return found


async def test_no_color_keeps_entity_types_and_hits_apart_by_attributes(
    make_app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = await open_marked_paragraph(pilot)
        cells = {(c.x, c.y): c for c in replay(sent_bytes(app, "truecolor"))}
        looks: dict[str, set[frozenset[str]]] = {}
        for mention in screen.view.mentions:
            places = screen_cells_of(screen, mention.start, mention.end)
            looks[mention.type] = {cells[p].attributes for p in places if cells[p].char.isalnum()}
        view = screen.view
        assert view.article is not None and view.current_hit is not None
        for name, index in (("current hit", view.hit_index), ("hit", view.hit_index + 1)):
            passage, span = view.hits[index]
            base = view.article.passages[passage].start
            places = screen_cells_of(screen, base + span.start, base + span.end)
            looks[name] = {cells[p].attributes for p in places if cells[p].char.isalnum()}
        assert all(len(found) == 1 for found in looks.values()), sorted(looks.items())
        distinct = {next(iter(found)) for found in looks.values()}
        assert len(distinct) == len(looks), looks  # every type and the hits look different
