"""Word files (.docx, python-docx): headings and paragraphs in document order, tables as rows.

Paragraphs styled ``Title`` give the title; ``Heading N`` styles are headings; table rows become
paragraphs with their cells joined by `` | ``. Title, author and date also come from the file's
core properties.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from briefreader.text.formats.base import Document, Unreadable, first_line, require
from briefreader.text.split import Block


def read_docx(data: bytes) -> list[Document]:
    """The document, or ``Unreadable`` for a file that is not a valid .docx."""
    docx = require("docx", "python-docx", "Word (.docx)")
    try:
        document = docx.Document(io.BytesIO(data))
        title, blocks = _blocks(document)
        meta = _metadata(document.core_properties)
    except Exception as error:  # zip, XML and package errors all mean a broken file
        raise Unreadable(f"cannot read this .docx file: {first_line(error)}") from error
    return [Document(title=title or meta.pop("title", ""), meta=meta, blocks=blocks)]


def _blocks(document: Any) -> tuple[str, list[Block]]:
    """The ``Title``-styled text and the body's blocks, in order."""
    title = ""
    blocks: list[Block] = []
    for item in document.iter_inner_content():
        if hasattr(item, "rows"):
            blocks.extend(Block("paragraph", row) for row in _table_rows(item))
            continue
        text = " ".join(item.text.split())
        style = (item.style.name if item.style is not None else "") or ""
        if not text:
            continue
        if style == "Title" and not title:
            title = text
        elif style.startswith("Heading") or style == "Title":
            blocks.append(Block("heading", text))
        else:
            blocks.append(Block("paragraph", text))
    return title, blocks


def _table_rows(table: Any) -> list[str]:
    rows = []
    for row in table.rows:
        cells = [" ".join(cell.text.split()) for cell in row.cells]
        cells = [cell for index, cell in enumerate(cells) if cell and cell not in cells[:index]]
        if cells:
            rows.append(" | ".join(cells))
    return rows


# python-docx's blank template says this of every file made from it: not the article's.
_TEMPLATE_AUTHOR = "python-docx"
_TEMPLATE_CREATED = dt.datetime(2013, 12, 23, 23, 15, tzinfo=dt.UTC)


def _metadata(properties: Any) -> dict[str, Any]:
    meta: dict[str, Any] = {}
    if properties.title:
        meta["title"] = properties.title
    if properties.author and properties.author != _TEMPLATE_AUTHOR:
        meta["author"] = properties.author
    if properties.created is not None and properties.created != _TEMPLATE_CREATED:
        meta["date"] = properties.created
    return meta
