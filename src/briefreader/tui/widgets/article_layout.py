"""The article as display blocks and wrapped lines: pure Python, no Textual.

An article becomes a list of :class:`Block` (title, meta line, deck, headings, paragraphs,
references), each holding display-safe plain text. :func:`wrap_offsets` cuts a block into lines
by terminal cell width, keeping character offsets so that styles (hits, entities, footnote
markers) can be applied to just the visible lines at render time. Wrapping a 1 MB article is a
single greedy pass over its words, cached per width by :class:`ArticleLayout`.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field

from rich.cells import cell_len

from briefreader.models import Article, Span
from briefreader.search.highlight import QueryMarks
from briefreader.text.decode import strip_control
from briefreader.text.wording import counted

_WORD = re.compile(r"\S+\s*")
_FOOTNOTE = re.compile(r"\[([ivxlcdm]+|\d{1,3})\]")

TITLE, META, DECK, HEADING, PARAGRAPH, REFERENCE = (
    "title",
    "meta",
    "deck",
    "heading",
    "paragraph",
    "reference",
)


@dataclass(frozen=True)
class Block:
    """One displayed block of text.

    ``offset`` is where ``text`` starts in ``Article.text`` when ``exact`` (the display text is
    the article text unchanged), so entity offsets can be mapped; -1 for blocks outside the body.
    ``passage`` is the index into ``Article.passages`` for paragraphs, else -1.
    """

    kind: str
    text: str
    offset: int = -1
    passage: int = -1
    exact: bool = False


@dataclass(frozen=True)
class Line:
    """A wrapped display line: a slice ``[start, end)`` of one block's text (-1: blank line)."""

    block: int
    start: int = 0
    end: int = 0


@dataclass
class Wrapped:
    """All display lines for one width, and the first line of every block."""

    width: int
    lines: list[Line]
    block_first: list[int]
    block_last: list[int]

    def block_at(self, line: int) -> int:
        """The block shown at (or just above, for blank lines) a display line."""
        index = bisect_right(self.block_first, line) - 1
        return max(0, index)


def display_text(text: str) -> str:
    """Article text made safe to show: escapes and control characters removed."""
    return strip_control(text)


def build_blocks(article: Article) -> list[Block]:
    """The display blocks of an article in reading order."""
    blocks = [Block(TITLE, display_text(article.title) or article.id)]
    blocks.append(Block(META, meta_line(article)))
    blocks.extend(Block(DECK, display_text(line)) for line in article.deck if line.strip())
    body: list[tuple[int, Block]] = []
    for heading in article.headings:
        body.append((heading.start, _body_block(HEADING, heading.text, heading.start, -1)))
    for index, passage in enumerate(article.passages):
        body.append((passage.start, _body_block(PARAGRAPH, passage.text, passage.start, index)))
    body.sort(key=lambda item: item[0])
    blocks.extend(block for _, block in body)
    if article.references:
        blocks.append(Block(HEADING, "References"))
        for reference in article.references:
            text = f"[{display_text(reference.label)}] {display_text(reference.text)}"
            blocks.append(Block(REFERENCE, text))
    return blocks


def _body_block(kind: str, text: str, offset: int, passage: int) -> Block:
    shown = display_text(text)
    return Block(kind, shown, offset, passage, exact=shown == text)


# The index field whose text a block shows (what a query's clauses on that field mark).
_FIELDS = {
    TITLE: "title",
    DECK: "body",
    HEADING: "heading",
    PARAGRAPH: "body",
    REFERENCE: "references",
}


def marked_spans(marks: QueryMarks, block: Block) -> tuple[Span, ...]:
    """The spans a query marks in a block (none in the meta line, nor in the References
    heading, which the reader adds)."""
    name = _FIELDS.get(block.kind)
    if name is None or (block.kind == HEADING and block.offset < 0):
        return ()
    return marks.spans(name, block.text, block.offset if block.exact else None)


def meta_line(article: Article) -> str:
    """``source · date · N paragraphs`` (parts that are unknown are left out)."""
    parts = [display_text(article.source), article.date or ""]
    count = len(article.passages)
    parts.append(counted(count, "paragraph"))
    return " · ".join(part for part in parts if part)


def footnote_spans(text: str) -> list[tuple[int, int, str]]:
    """Footnote markers such as ``[xiv]`` or ``[12]`` in a block: (start, end, label)."""
    return [(m.start(), m.end(), m.group(1)) for m in _FOOTNOTE.finditer(text)]


def wrap_offsets(text: str, width: int) -> list[tuple[int, int]]:
    """Greedy word wrap by cell width: ``(start, end)`` offsets of each line of ``text``.

    Newlines force a break; words wider than the line are split by characters.
    """
    width = max(1, width)
    lines: list[tuple[int, int]] = []
    position = 0
    for segment in text.split("\n"):
        lines.extend(_wrap_segment(segment, position, width))
        position += len(segment) + 1
    return lines or [(0, 0)]


def _wrap_segment(segment: str, base: int, width: int) -> list[tuple[int, int]]:
    if segment.isascii() and len(segment) <= width:
        return [(base, base + len(segment))]
    lines: list[tuple[int, int]] = []
    start, used = 0, 0
    for match in _WORD.finditer(segment):
        word = match.group()
        visible = cell_len(word.rstrip())
        if used and used + visible > width:
            lines.append((base + start, base + match.start()))
            start, used = match.start(), 0
        if visible > width:
            cut = _split_long(segment, match.start(), match.end(), width)
            for piece_start, piece_end in cut[:-1]:
                lines.append((base + piece_start, base + piece_end))
            start = cut[-1][0]
            used = cell_len(segment[start : match.end()])
            continue
        used += cell_len(word)
    lines.append((base + start, base + len(segment)))
    return lines


def _split_long(text: str, start: int, end: int, width: int) -> list[tuple[int, int]]:
    pieces: list[tuple[int, int]] = []
    piece_start, used = start, 0
    for index in range(start, end):
        char_width = cell_len(text[index])
        if used + char_width > width and index > piece_start:
            pieces.append((piece_start, index))
            piece_start, used = index, 0
        used += char_width
    pieces.append((piece_start, end))
    return pieces


@dataclass
class ArticleLayout:
    """An article's blocks and their wrapped lines, cached for the last widths asked."""

    article: Article
    blocks: list[Block] = field(default_factory=list)
    _cache: dict[int, Wrapped] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.blocks:
            self.blocks = build_blocks(self.article)
        self.passage_block = {b.passage: i for i, b in enumerate(self.blocks) if b.passage >= 0}

    def wrapped(self, width: int) -> Wrapped:
        """Display lines for a text width (blank line between blocks)."""
        width = max(1, width)
        if width not in self._cache:
            if len(self._cache) > 4:
                self._cache.clear()
            self._cache[width] = self._wrap(width)
        return self._cache[width]

    def _wrap(self, width: int) -> Wrapped:
        lines: list[Line] = []
        first: list[int] = []
        last: list[int] = []
        for index, block in enumerate(self.blocks):
            if index and block.kind not in (META, REFERENCE):
                lines.append(Line(-1))
            first.append(len(lines))
            lines.extend(Line(index, s, e) for s, e in wrap_offsets(block.text, width))
            last.append(len(lines) - 1)
        return Wrapped(width, lines, first, last)
