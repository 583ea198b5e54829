"""The article pane: a Line API view that wraps and styles only the lines on screen.

A widget per paragraph would make a 1 MB article slow to open; instead the article is wrapped
once per width (:mod:`article_layout`) and each visible line is styled on demand in
``render_line`` (hits, entities by type, footnote markers, the paragraph cursor), with an LRU
cache of rendered strips that is dropped whenever something that changes styling moves.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass
from itertools import pairwise
from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding, BindingType
from textual.cache import LRUCache
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.scrollbar import ScrollBar
from textual.signal import Signal
from textual.strip import Strip

from briefreader.models import Article, Span
from briefreader.notes import Anchor, Note
from briefreader.search.highlight import NO_MARKS, QueryMarks
from briefreader.tui.entities import Mention
from briefreader.tui.notes_bridge import (
    Selection,
    article_sentences,
    note_clip,
    passage_clip,
    passages_in,
)
from briefreader.tui.palette import Layer, resolve
from briefreader.tui.widgets.article_layout import (
    HEADING,
    PARAGRAPH,
    REFERENCE,
    ArticleLayout,
    Block,
    Wrapped,
    footnote_spans,
    marked_spans,
)
from briefreader.tui.widgets.plain_lines import (
    Finish,
    is_plain,
    plain_lines,
    plain_vertical_scrollbar,
)

GUTTER = 2
DIGITS = frozenset("0123456789")
CURSOR_MARK = "▌"
NOTE_MARK = "•"
PLACEHOLDER = "Enter opens an article; / searches."  # fits the narrowest article pane (46)
ENTITY_CLASSES = {
    kind: f"article-view--{kind.lower()}"
    for kind in ("PERSON", "ORG", "PLACE", "GROUP", "DATE", "LAW", "EVENT")
}
BLOCK_CLASSES = {
    kind: f"article-view--{kind}"
    for kind in ("title", "meta", "deck", "heading", "paragraph", "reference")
}
# Layers bottom first: a run of text under several component classes is styled by all of
# them in this order (see :mod:`briefreader.tui.palette`).
LAYER_ORDER = [
    *BLOCK_CLASSES.values(),
    "article-view--cursor-line",
    *ENTITY_CLASSES.values(),
    "article-view--footnote",
    "article-view--note",
    "article-view--hit",
    "article-view--selection",
    "article-view--current-hit",
]


class ArticleView(ScrollView, can_focus=True):
    """Shows one article; a paragraph cursor, search hits and entity highlighting."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        *BLOCK_CLASSES.values(),
        *ENTITY_CLASSES.values(),
        "article-view--cursor",
        "article-view--cursor-line",
        "article-view--hit",
        "article-view--current-hit",
        "article-view--footnote",
        "article-view--placeholder",
        "article-view--note",
        "article-view--note-mark",
        "article-view--selection",
    }

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j,down", "cursor_down", "Paragraph", key_display="j/k", id="article.cursor-down"),
        Binding("k,up", "cursor_up", "Previous paragraph", show=False, id="article.cursor-up"),
        Binding("space,pagedown", "page_down", "Page down", show=False, id="article.page-down"),
        Binding("b,pageup", "page_up", "Page up", show=False, id="article.page-up"),
        Binding("ctrl+d", "half_page_down", "Half page down", show=False, id="article.half-down"),
        Binding("ctrl+u", "half_page_up", "Half page up", show=False, id="article.half-up"),
        Binding("g,home", "top", "Top", show=False, id="article.top"),
        Binding("G,end", "bottom", "Bottom", show=False, id="article.bottom"),
        Binding("n", "next_hit", "Next hit", id="article.next-hit"),
        Binding("N", "previous_hit", "Prev hit", show=False, id="article.previous-hit"),
        Binding("f", "references", "Refs", id="article.references"),
        Binding("e", "toggle_entities", "Entities", show=False, id="article.toggle-entities"),
        Binding("y", "copy_paragraph", "Copy with citation", show=False, id="article.copy"),
        Binding("v", "select", "Select sentences", show=False, id="article.select"),
        Binding("a", "note", "Note", show=False, id="article.note"),
        Binding("E", "edit_externally", "Note in $EDITOR", show=False, id="article.note-editor"),
        Binding("escape", "leave_selection", "End selection", show=False, id="article.unselect"),
    ]

    @dataclass
    class Moved(Message):
        """The cursor or the current hit moved (``hit``: index into the hits, or -1)."""

        view: ArticleView
        passage: int
        hit: int

    @dataclass
    class HitsExhausted(Message):
        """``n`` past the last hit (direction 1) or ``N`` before the first (-1)."""

        direction: int

    @dataclass
    class ReferencesWanted(Message):
        """``f``: show the references cited by the paragraph under the cursor."""

        article: Article
        passage: int

    @dataclass
    class NoteWanted(Message):
        """``a``: write a note on ``article.text[start:end]``."""

        article: Article
        start: int
        end: int

    @dataclass
    class NoteEditWanted(Message):
        """``E`` on a noted paragraph: edit that note in the external editor."""

        note: Note

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.layout_data: ArticleLayout | None = None
        self.cursor = 0
        self.hits: list[tuple[int, Span]] = []
        self.finding = ""  # the text found (ctrl+f): its matches stand in for the hits
        self._search_marks: tuple[QueryMarks, list[tuple[int, Span]]] | None = None
        self.hit_index = -1
        self.marks: QueryMarks = NO_MARKS  # what the listed query marks in this article
        self.marked_query = ""  # that query ("" for none)
        self.mentions: list[Mention] = []
        self.show_entities = True
        self._mention_starts: list[int] = []
        self._wrapped: Wrapped | None = None
        self._span_cache: dict[int, list[tuple[int, int, str]]] = {}
        self._strips: LRUCache[tuple[int, int], Strip] = LRUCache(1024)
        # The same lines finished as Textual's styles pass would (see plain_lines), with the
        # background they were finished on: a line paged back to is not styled again.
        self._finished: LRUCache[tuple[int, int], tuple[Style, Strip]] = LRUCache(1024)
        self._styles: dict[tuple[str, ...], Style] = {}
        self._base: Style | None = None  # rich_style: walks every ancestor, ~0.1 ms a call
        self.placeholder = PLACEHOLDER
        self.notes: list[tuple[Note, Anchor]] = []
        self.selection: Selection | None = None
        self._noted: set[int] = set()
        self._count = 0  # digits typed before a key (5j)
        self._pending = 1  # the count for the key being handled
        # Published on every move, before the Moved message: a subscriber with immediate=True
        # (the status line) changes in the same frame as the article, not in a second paint.
        self.moved_signal: Signal[int] = Signal(self, "moved")

    # ------------------------------------------------------------------ content

    @property
    def article(self) -> Article | None:
        """The article shown, if any."""
        return self.layout_data.article if self.layout_data else None

    def show_article(
        self,
        layout: ArticleLayout,
        *,
        marks: QueryMarks,
        hits: list[tuple[int, Span]],
        mentions: list[Mention],
        query: str = "",
    ) -> None:
        """Display an article (cursor and scroll are set by ``move_cursor`` / ``go_to_hit``)."""
        self.layout_data = layout
        self.marks, self.hits, self.hit_index, self.marked_query = marks, hits, -1, query
        self.finding, self._search_marks = "", None
        self.mentions = mentions
        self._mention_starts = [m.start for m in mentions]
        self.cursor = 0
        self.notes, self._noted, self.selection = [], set(), None
        self._span_cache.clear()
        self._relayout()
        self.scroll_to(y=0, animate=False, immediate=True)

    def clear_article(self, placeholder: str) -> None:
        """Show a message instead of an article."""
        self.layout_data = None
        self.placeholder = placeholder
        self.hits, self.hit_index, self.mentions = [], -1, []
        self.marks, self.marked_query = NO_MARKS, ""
        self.finding, self._search_marks = "", None
        self._relayout()

    def set_find(self, needle: str, matches: list[tuple[int, Span]]) -> None:
        """Mark the matches of a find in place of the search hits (n/N go through them);
        an empty ``needle`` marks the search hits again."""
        if needle and self._search_marks is None:
            self._search_marks = (self.marks, self.hits)
        if needle:
            self.marks, self.hits = NO_MARKS, matches
        elif self._search_marks is not None:
            (self.marks, self.hits), self._search_marks = self._search_marks, None
        self.finding, self.hit_index = needle, -1
        self._span_cache.clear()
        self._invalidate()

    def set_marks(self, query: str, marks: QueryMarks, hits: list[tuple[int, Span]]) -> None:
        """Mark another query's hits (the listed query changed); the cursor stays. While a
        find is on, they wait under it."""
        changed = (marks, hits) != (self.marks, self.hits)
        self.marked_query = query
        if self._search_marks is not None:
            self._search_marks = (marks, hits)
            return
        if not changed:
            return  # nothing to repaint (over SSH a repaint is the whole pane)
        self.marks, self.hits, self.hit_index = marks, hits, -1
        self._span_cache.clear()
        self._invalidate()

    def set_placeholder(self, placeholder: str) -> None:
        """Change the message shown while no article is open."""
        self.placeholder = placeholder
        self._invalidate()

    def set_entities(self, mentions: list[Mention]) -> None:
        """Replace the entity mentions (when the payload arrives later)."""
        self.mentions = mentions
        self._mention_starts = [m.start for m in mentions]
        self._span_cache.clear()
        self._invalidate()

    def set_notes(self, notes: list[tuple[Note, Anchor]]) -> None:
        """Mark noted passages (a gutter mark and the note style on the quoted text)."""
        self.notes = notes
        self._noted = set()
        article = self.article
        if article is not None:
            for _, anchor in notes:
                if anchor.found:
                    self._noted.update(passages_in(article, anchor.start, anchor.end))
        self._span_cache.clear()
        self._invalidate()

    def set_mentions(self, mentions: list[Mention]) -> None:
        """Mark the article's entity mentions anew (the entity phase recognised them), in
        place: the cursor, the scroll, a selection and the find marks stay."""
        self.mentions = mentions
        self._mention_starts = [m.start for m in mentions]
        self._span_cache.clear()
        self._invalidate()

    def notes_at(self, passage: int) -> list[tuple[Note, Anchor]]:
        """The notes whose text overlaps a paragraph, in text order."""
        article = self.article
        if article is None or not 0 <= passage < len(article.passages):
            return []
        here = article.passages[passage]
        return [
            (note, anchor)
            for note, anchor in self.notes
            if anchor.found and anchor.start < here.end and here.start < anchor.end
        ]

    # ------------------------------------------------------------------ layout

    def _text_width(self) -> int:
        return max(4, self.scrollable_content_region.width - GUTTER - 1)

    def _relayout(self) -> None:
        if self.layout_data is None:
            self._wrapped = None
            self.virtual_size = Size(self.scrollable_content_region.width, 1)
        else:
            self._wrapped = self.layout_data.wrapped(self._text_width())
            self.virtual_size = Size(self._text_width() + GUTTER, len(self._wrapped.lines))
        self._invalidate()

    def on_resize(self, event: events.Resize) -> None:
        """Re-wrap for the new width, keeping the cursor paragraph in view."""
        if self._wrapped is not None and self._wrapped.width == self._text_width():
            return
        self._relayout()
        if self.layout_data is not None:
            self.call_after_refresh(self._scroll_to_cursor, True)

    def notify_style_update(self) -> None:
        """Styles changed (theme, CSS): drop cached styles and strips."""
        super().notify_style_update()
        self._styles.clear()
        self._base = None
        self._invalidate()

    def _invalidate(self) -> None:
        self._strips.clear()
        self._finished.clear()
        self.refresh()

    # ------------------------------------------------------------------ rendering

    @property
    def base_style(self) -> Style:
        """The pane's own style, kept until the styles change (as the resolved ones are)."""
        if self._base is None:
            self._base = self.rich_style
        return self._base

    def _resolved(self, names: tuple[str, ...]) -> Style:
        """The opaque, readable style of text under these component classes (bottom first)."""
        style = self._styles.get(names)
        if style is None:
            layers = [self._layer(name) for name in names]
            style = resolve(self.base_style, layers, self.app.console.color_system)
            self._styles[names] = style
        return style

    def _layer(self, name: str) -> Layer:
        styles = self.get_component_styles(name)
        return Layer(
            color=styles.color if styles.has_rule("color") else None,
            background=styles.background if styles.has_rule("background") else None,
            attributes=styles.text_style if styles.has_rule("text_style") else Style(),
        )

    @property
    def vertical_scrollbar(self) -> ScrollBar:
        """Textual's scroll bar, drawn without restyling every cell on every page."""
        return plain_vertical_scrollbar(self)

    def render_lines(self, crop: Region) -> list[Strip]:
        """The lines in ``crop``, finished lines kept per article line (Textual's own styles
        pass, which styles every line anew after a scroll, only when the pane's styles need
        it: a border, padding, tint…)."""
        if not is_plain(self):
            return super().render_lines(crop)
        top, full = self.scroll_offset.y, self.size.width
        width = self.scrollable_content_region.width

        def finished(y: int, background: Style, finish: Finish) -> Strip:
            key = (top + y, width)
            kept = self._finished.get(key)
            if kept is not None and kept[0] == background and kept[1].cell_length == full:
                return kept[1]
            strip = finish(self._line_at(top + y, width))
            self._finished[key] = (background, strip)
            return strip

        return plain_lines(self, crop, finished)

    def render_line(self, y: int) -> Strip:
        """One screen line: the wrapped article line at ``scroll_y + y``, styled."""
        return self._line_at(self.scroll_offset.y + y, self.scrollable_content_region.width)

    def _line_at(self, index: int, width: int) -> Strip:
        key = (index, width)
        strip = self._strips.get(key)
        if strip is None:
            strip = self._render_index(index, width)
            self._strips[key] = strip
        return strip

    def _render_index(self, index: int, width: int) -> Strip:
        base = self.base_style
        if self._wrapped is None or self.layout_data is None:
            if index != 1:
                return Strip.blank(width, base)
            style = self._resolved(("article-view--placeholder",))
            return self._strip([Segment("  ", base), Segment(self.placeholder, style)], width)
        if index >= len(self._wrapped.lines) or self._wrapped.lines[index].block < 0:
            return Strip.blank(width, base)
        line = self._wrapped.lines[index]
        block = self.layout_data.blocks[line.block]
        on_cursor = block.passage >= 0 and block.passage == self.cursor
        layers: tuple[str, ...] = (BLOCK_CLASSES.get(block.kind, "article-view--paragraph"),)
        if on_cursor:
            layers += ("article-view--cursor-line",)
        spans = self._line_spans(line.block, line.start, line.end)
        text = self._styled_runs(block.text[line.start : line.end], layers, spans)
        return self._strip(self._gutter(block, on_cursor) + text, width)

    def _styled_runs(
        self, text: str, layers: tuple[str, ...], spans: list[tuple[int, int, str]]
    ) -> list[Segment]:
        """The line cut where spans start or end, each run in the style of its layers."""
        cuts = sorted({0, len(text), *(s for s, _, _ in spans), *(e for _, e, _ in spans)})
        segments = []
        for low, high in pairwise(cuts):
            names = {name for start, end, name in spans if start < high and end > low}
            ordered = layers + tuple(sorted(names, key=LAYER_ORDER.index))
            segments.append(Segment(text[low:high], self._resolved(ordered)))
        return segments

    def _gutter(self, block: Block, on_cursor: bool) -> list[Segment]:
        """The cursor mark, then the note mark for noted paragraphs."""
        gutter = self._resolved(("article-view--cursor",) if on_cursor else ())
        cursor = Segment(CURSOR_MARK if on_cursor else " ", gutter)
        if block.passage >= 0 and block.passage in self._noted:
            return [cursor, Segment(NOTE_MARK, self._resolved(("article-view--note-mark",)))]
        return [cursor, Segment(" ", gutter)]

    def _strip(self, segments: list[Segment], width: int) -> Strip:
        """One Strip of exactly ``width`` cells, runs of one style joined (built once: each
        Strip operation makes a new Strip and its caches)."""
        length = sum(segment.cell_length for segment in segments)
        if length < width:
            segments.append(Segment(" " * (width - length), self.base_style))
        elif length > width:
            return Strip(segments).crop(0, width).simplify()
        return Strip(Segment.simplify(segments), width)

    def _line_spans(self, block_index: int, start: int, end: int) -> list[tuple[int, int, str]]:
        """Entity, footnote, note, hit, selection and current-hit spans on one line."""
        found = list(self._block_spans(block_index))
        block = self.layout_data.blocks[block_index] if self.layout_data else None
        if self.selection is not None and block is not None and block.exact:
            low, high = (offset - block.offset for offset in self.selection.span)
            found.append((low, high, "article-view--selection"))
        current = self.current_hit
        if current is not None and block is not None and block.passage == current[0]:
            found.append((current[1].start, current[1].end, "article-view--current-hit"))
        return [
            (max(0, s - start), min(end, e) - start, name)
            for s, e, name in found
            if e > start and s < end and e > s
        ]

    def _block_spans(self, block_index: int) -> list[tuple[int, int, str]]:
        """Entity, footnote and hit spans of a block, computed once per block."""
        spans = self._span_cache.get(block_index)
        if spans is not None:
            return spans
        assert self.layout_data is not None
        block = self.layout_data.blocks[block_index]
        spans = self._entity_spans(block) if self.show_entities else []
        if block.kind in (PARAGRAPH, REFERENCE):
            spans += [(s, e, "article-view--footnote") for s, e, _ in footnote_spans(block.text)]
        spans += self._note_spans(block)
        spans += [(s.start, s.end, "article-view--hit") for s in marked_spans(self.marks, block)]
        if self.finding and block.passage >= 0:
            found = [span for passage, span in self.hits if passage == block.passage]
            spans += [(s.start, s.end, "article-view--hit") for s in found]
        self._span_cache[block_index] = spans
        return spans

    def _note_spans(self, block: Block) -> list[tuple[int, int, str]]:
        """The noted text in a block (text shown changed by cleaning: the gutter mark only)."""
        if not block.exact or block.offset < 0 or block.passage not in self._noted:
            return []
        end = block.offset + len(block.text)
        return [
            (
                max(anchor.start, block.offset) - block.offset,
                min(anchor.end, end) - block.offset,
                "article-view--note",
            )
            for _, anchor in self.notes
            if anchor.found and anchor.start < end and block.offset < anchor.end
        ]

    def _entity_spans(self, block: Block) -> list[tuple[int, int, str]]:
        if not block.exact or block.offset < 0 or not self.mentions:
            return []
        end = block.offset + len(block.text)
        first = bisect_left(self._mention_starts, block.offset)
        spans = []
        for mention in self.mentions[first:]:
            if mention.start >= end:
                break
            if mention.end <= end:
                name = ENTITY_CLASSES[mention.type]
                spans.append((mention.start - block.offset, mention.end - block.offset, name))
        return spans

    # ------------------------------------------------------------------ cursor

    @property
    def current_hit(self) -> tuple[int, Span] | None:
        """The hit ``n``/``N`` last landed on."""
        return self.hits[self.hit_index] if 0 <= self.hit_index < len(self.hits) else None

    @property
    def passage_count(self) -> int:
        article = self.article
        return len(article.passages) if article else 0

    def move_cursor(self, passage: int, *, hit: int = -1, top: bool = False) -> None:
        """Put the cursor on a paragraph (and a hit), scroll it into view, tell the screen."""
        if self.article is None or not self.passage_count:
            return
        old = self.cursor
        self.cursor = max(0, min(passage, self.passage_count - 1))
        self.hit_index = hit
        self._repaint_paragraphs(old, self.cursor)
        self._scroll_to_cursor(top)
        self._moved()

    def _moved(self) -> None:
        """Tell the subscribers now (same frame) and the screen's parts by message."""
        self.moved_signal.publish(self.cursor)
        self.post_message(self.Moved(self, self.cursor, self.hit_index))

    def _repaint_paragraphs(self, *passages: int) -> None:
        """Repaint only these paragraphs' lines (the cursor moved; over SSH a repaint of the
        whole pane cost ~8 KB per ``j`` although nothing scrolled)."""
        for first, last in self._forget_paragraphs(*passages):
            self.refresh_lines(first, last - first + 1)

    def _forget_paragraphs(self, *passages: int) -> list[tuple[int, int]]:
        """Drop the cached strips of these paragraphs' lines (their styling changed);
        returns each paragraph's first and last display line."""
        if self.layout_data is None or self._wrapped is None:
            return []
        width, spans = self.scrollable_content_region.width, []
        for passage in set(passages):
            block = self.layout_data.passage_block.get(passage)
            if block is None:
                continue
            first, last = self._wrapped.block_first[block], self._wrapped.block_last[block]
            for line in range(first, last + 1):
                self._strips.discard((line, width))
                self._finished.discard((line, width))
            spans.append((first, last))
        return spans

    def _cursor_lines(self) -> tuple[int, int]:
        assert self.layout_data is not None and self._wrapped is not None
        block = self.layout_data.passage_block.get(self.cursor, 0)
        return self._wrapped.block_first[block], self._wrapped.block_last[block]

    def _scroll_to_cursor(self, top: bool = False) -> None:
        if self._wrapped is None or self.article is None or not self.passage_count:
            return
        first, last = self._cursor_lines()
        height = self.scrollable_content_region.height
        heading = self._heading_above_cursor()
        if heading is not None and last - heading < height:
            first = heading  # the paragraph's section heading shows with it
        if self.current_hit is not None:
            # The hit's line, with its paragraph's first line above it when both fit.
            hit = self._hit_line(self.current_hit) or first
            first, last = (first if hit - first < height - 1 else hit), hit
        y = self.scroll_offset.y
        if self.cursor == 0 and last < height and (top or first < y):
            target = 0  # the first paragraph: the title and meta line above it stay in view
        elif top or first < y:
            target = max(0, first - 1)
        elif last >= y + height:
            target = min(first - 1, last - height + 2)
        else:
            return
        self.scroll_to(y=target, animate=False, immediate=True)

    def _heading_above_cursor(self) -> int | None:
        """The first display line of the heading right above the cursor's paragraph, if any."""
        assert self.layout_data is not None and self._wrapped is not None
        block = self.layout_data.passage_block.get(self.cursor, 0)
        if block and self.layout_data.blocks[block - 1].kind == HEADING:
            return self._wrapped.block_first[block - 1]
        return None

    def _hit_line(self, hit: tuple[int, Span]) -> int | None:
        assert self.layout_data is not None and self._wrapped is not None
        block = self.layout_data.passage_block.get(hit[0])
        if block is None:
            return None
        first, last = self._wrapped.block_first[block], self._wrapped.block_last[block]
        for line_index in range(first, last + 1):
            if self._wrapped.lines[line_index].end > hit[1].start:
                return line_index
        return first

    def _passage_at_line(self, line: int, after: bool = True) -> int:
        """The first paragraph starting at or after a display line (or the one before)."""
        assert self.layout_data is not None and self._wrapped is not None
        starts = [
            (self._wrapped.block_first[block], passage)
            for passage, block in sorted(self.layout_data.passage_block.items())
        ]
        keys = [first for first, _ in starts]
        index = bisect_left(keys, line)
        if after:
            return starts[min(index, len(starts) - 1)][1]
        return starts[max(0, index - 1)][1]

    # ------------------------------------------------------------------ actions

    def on_key(self, event: events.Key) -> None:
        """Digits before a key repeat it, as in less and vim (``5j``: five paragraphs on)."""
        if event.key in DIGITS and (self._count or event.key != "0"):
            self._count = min(9999, self._count * 10 + int(event.key))
            event.stop()
            return
        self._pending, self._count = max(1, self._count), 0

    def _repeat(self) -> int:
        """The count typed before this key (1 without one)."""
        count, self._pending = self._pending, 1
        return count

    def action_cursor_down(self) -> None:
        """Move the cursor to the next paragraph (while selecting: one sentence further)."""
        count = self._repeat()
        if self.selection is not None:
            self._extend_selection(count)
        else:
            self.move_cursor(self.cursor + count)

    def action_cursor_up(self) -> None:
        """Move the cursor to the previous paragraph (while selecting: one sentence back)."""
        count = self._repeat()
        if self.selection is not None:
            self._extend_selection(-count)
        else:
            self.move_cursor(self.cursor - count)

    def action_half_page_down(self) -> None:
        """Scroll half a page down (ctrl+d, as in less and vim)."""
        self._page(1, half=True)

    def action_half_page_up(self) -> None:
        """Scroll half a page up (ctrl+u)."""
        self._page(-1, half=True)

    def action_page_down(self) -> None:
        """Scroll a page down; the cursor goes to the first paragraph in view."""
        self._page(1)

    def action_page_up(self) -> None:
        """Scroll a page up; the cursor goes to the first paragraph in view."""
        self._page(-1)

    def _page(self, direction: int, half: bool = False) -> None:
        if self._wrapped is None or not self.passage_count:
            return
        height = max(1, self.scrollable_content_region.height - 1)
        height = max(1, height // 2) if half else height
        direction *= self._repeat()
        limit = max(0, len(self._wrapped.lines) - self.scrollable_content_region.height)
        target = max(0, min(limit, self.scroll_offset.y + direction * height))
        self.scroll_to(y=target, animate=False, immediate=True)
        at_end = direction > 0 and target == limit
        passage = self.passage_count - 1 if at_end else self._passage_at_line(target)
        restyled = [self.cursor, passage] + ([hit[0]] if (hit := self.current_hit) else [])
        self.cursor = passage
        self.hit_index = -1
        self._forget_paragraphs(*restyled)  # the other lines keep their strips
        self.refresh()
        self._moved()

    def action_top(self) -> None:
        """Go to the first paragraph (and the title)."""
        self.move_cursor(0)
        self.scroll_to(y=0, animate=False, immediate=True)

    def action_bottom(self) -> None:
        """Go to the last paragraph."""
        self.move_cursor(self.passage_count - 1)
        self.scroll_end(animate=False, immediate=True)

    def action_next_hit(self) -> None:
        """Jump to the next search hit, or ask for the next result article."""
        self._repeat()  # a count is not applied across articles; dropped
        target = self._neighbour_hit(1)
        if target is None and self.finding:
            self._wrap_find(0, "last", "first")
        elif target is None:
            self.post_message(self.HitsExhausted(1))
        else:
            self.go_to_hit(target)

    def action_previous_hit(self) -> None:
        """Jump to the previous search hit, or ask for the previous result article."""
        self._repeat()
        target = self._neighbour_hit(-1)
        if target is None and self.finding:
            self._wrap_find(-1, "first", "last")
        elif target is None:
            self.post_message(self.HitsExhausted(-1))
        else:
            self.go_to_hit(target)

    def _wrap_find(self, index: int, past: str, back: str) -> None:
        """A find stays in the article: round to the other end, and say so."""
        if not self.hits:
            self.notify(f"No match for “{self.finding}” in this article", markup=False)
            return
        self.go_to_hit(index)
        self.app.clear_notifications()  # one wrap notice at a time: they stacked at 80x24
        self.notify(f"Find wrapped: past the {past} match, back to the {back}", markup=False)

    def go_to_hit(self, index: int) -> None:
        """Put the cursor on a hit (negative: counted from the end)."""
        if not self.hits:
            return
        index = index % len(self.hits)
        self.move_cursor(self.hits[index][0], hit=index)

    def _neighbour_hit(self, direction: int) -> int | None:
        current = self.current_hit
        here = (self.cursor, current[1].start if current and current[0] == self.cursor else -1)
        keys = [(passage, span.start) for passage, span in self.hits]
        if direction > 0:
            later = [i for i, key in enumerate(keys) if key > here]
            return later[0] if later else None
        earlier = [i for i, key in enumerate(keys) if key < here]
        return earlier[-1] if earlier else None

    def action_references(self) -> None:
        """List the references cited by the paragraph under the cursor."""
        if self.article is not None and self.passage_count:
            self.post_message(self.ReferencesWanted(self.article, self.cursor))

    def action_toggle_entities(self) -> None:
        """Turn entity highlighting on or off."""
        self.show_entities = not self.show_entities
        self._span_cache.clear()
        self._invalidate()
        state = "on" if self.show_entities else "off"
        if not self.mentions:
            self.notify(f"Entity highlighting {state} (no entities stored for this article)")
        else:
            self.notify(f"Entity highlighting {state}")

    def action_copy_paragraph(self) -> None:
        """Copy the selection, else the note on this paragraph, else the paragraph, cited.

        The clipboard gets the quoted text, the note, and ``— title · source · date ·
        paragraph N`` (OSC 52, so it works over SSH).
        """
        article = self.article
        if article is None or not self.passage_count:
            return
        noted = self.notes_at(self.cursor)
        if self.selection is not None:
            clip, what = passage_clip(article, *self.selection.span), "Selection"
        elif noted:
            clip, what = note_clip(noted[0][0], article, noted[0][1]), "Note"
        else:
            passage = article.passages[self.cursor]
            clip, what = passage_clip(article, passage.start, passage.end), "Paragraph"
        self.app.copy_to_clipboard(clip)
        self.notify(f"{what} copied with its citation")

    # ------------------------------------------------------------------ notes

    def action_select(self) -> None:
        """Start selecting sentences at the paragraph under the cursor (j/k extend it)."""
        article = self.article
        if article is None or not self.passage_count:
            return
        self.selection = Selection.at_paragraph(article_sentences(article), self.cursor)
        self._invalidate()
        self.notify("Selecting: j/k add sentences, a writes a note, y copies, Esc stops")

    def _extend_selection(self, step: int) -> None:
        assert self.selection is not None
        self.selection.extend(step)
        self.cursor = self.selection.head_passage
        self._invalidate()
        self._scroll_to_cursor()
        self._moved()

    def action_leave_selection(self) -> None:
        """Stop selecting."""
        self.selection = None
        self._invalidate()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Esc only acts while selecting (otherwise listed, disabled, and passed on); with
        no article open, only the hit keys act."""
        if action == "leave_selection" and self.selection is None:
            return None
        # With no article only n/N act (they open a result at its hit): the rest pass on,
        # left out of the footer.
        return self.article is not None or action in ("next_hit", "previous_hit")

    def action_note(self) -> None:
        """Write a note on the selection, or on the paragraph under the cursor."""
        article = self.article
        if article is None or not self.passage_count:
            return
        if self.selection is not None:
            start, end = self.selection.span
            self.action_leave_selection()
        else:
            passage = article.passages[self.cursor]
            start, end = passage.start, passage.end
        self.post_message(self.NoteWanted(article, start, end))

    def action_edit_externally(self) -> None:
        """Edit the note on this paragraph in ``$VISUAL``/``$EDITOR``."""
        noted = self.notes_at(self.cursor)
        if not noted:
            self.notify("No note on this paragraph (a writes one)")
            return
        self.post_message(self.NoteEditWanted(noted[0][0]))

    def on_click(self, event: events.Click) -> None:
        """Clicking a paragraph puts the cursor on it."""
        if self._wrapped is None or self.layout_data is None:
            return
        line = self.scroll_offset.y + event.y
        if 0 <= line < len(self._wrapped.lines):
            block = self.layout_data.blocks[self._wrapped.block_at(line)]
            if block.passage >= 0:
                self.move_cursor(block.passage)
