"""Markdown to plain text with markdown-it-py (CommonMark plus tables).

Emphasis, code spans, links and raw HTML are reduced to their text; images are dropped; each
block (heading, paragraph, list item, quote, code block, table row) becomes its own paragraph
so the splitter sees the structure. Soft line breaks stay line breaks (hard-wrapped text is
joined later, as for plain text).
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator, Sequence
from functools import cache

from markdown_it import MarkdownIt
from markdown_it.token import Token

_TAG = re.compile(r"<!--.*?-->|<[^>]*>", re.S)
_SPACES = re.compile(r"[ \t]{2,}")  # left where an image or a tag was taken out
_SKIPPED_INLINE = frozenset({"image", "html_inline"})


@cache
def _parser() -> MarkdownIt:
    return MarkdownIt("commonmark").enable("table")


def markdown_to_text(source: str) -> str:
    """The text of a Markdown document, blocks separated by blank lines."""
    return "\n\n".join(block for block in _blocks(_parser().parse(source)) if block.strip())


def _blocks(tokens: Sequence[Token]) -> Iterator[str]:
    """One string per block: inline text, code, HTML blocks' text, table rows."""
    bullet: list[str] = []  # the marker of the list item whose first paragraph comes next
    row: list[str] = []
    in_row = False
    for token in tokens:
        if token.type == "list_item_open":
            bullet = [f"{token.info}. " if token.info else "- "]
        elif token.type == "tr_open":
            in_row, row = True, []
        elif token.type == "tr_close":
            in_row = False
            yield " | ".join(row)
        elif token.type == "inline":
            text = _SPACES.sub(" ", inline_text(token.children or []))
            if in_row:
                row.append(text)
            else:
                yield (bullet.pop() if bullet else "") + text
        elif token.type in ("fence", "code_block"):
            yield token.content.rstrip("\n")
        elif token.type == "html_block":
            yield html.unescape(_TAG.sub("", token.content)).strip()


def inline_text(children: Sequence[Token]) -> str:
    """The text of inline tokens: emphasis and link marks, images and raw HTML left out."""
    parts: list[str] = []
    for child in children:
        if child.type in ("softbreak", "hardbreak"):
            parts.append("\n")
        elif child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type not in _SKIPPED_INLINE and child.children:
            parts.append(inline_text(child.children))
    return "".join(parts)
