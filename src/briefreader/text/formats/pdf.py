"""PDF files (pypdf): text per page, paragraphs rebuilt from its lines.

pypdf gives each page's text as lines. Running headers and footers (a line at the top or bottom
of most pages, digits aside) and page numbers are dropped; a word hyphenated across lines is
joined; a new paragraph starts after a blank line, after a line that ends a sentence well short
of the usual line length, and around short title-like lines (headings). A PDF without any text
(a scan) is skipped with that reason: briefreader does no OCR.
"""

from __future__ import annotations

import contextlib
import io
import logging
import re
import statistics
from collections import Counter
from typing import Any

from briefreader.text.formats.base import Document, Unreadable, first_line, require

_PAGE_NUMBER = re.compile(
    r"(?:page\s*)?\d{1,4}(?:\s*(?:of|/)\s*\d{1,4})?|[-–—]\s*\d{1,4}\s*[-–—]|[ivxlc]{1,7}", re.I
)
_SENTENCE_END = tuple('.!?:"”’)')
_HYPHENATED = re.compile(r"[^\W\d_]-$")
_FILE_NAME_TITLE = re.compile(r"^(microsoft \w+ - )|\.(docx?|pdf|odt|rtf|txt|indd|pages)$", re.I)
EDGE_LINES = 2  # lines at the top and at the bottom of a page that may be running heads


def read_pdf(data: bytes) -> list[Document]:
    """The PDF as one document, or ``Unreadable`` (broken, encrypted, no text)."""
    pypdf = require("pypdf", "pypdf", "PDF")
    logging.getLogger("pypdf").setLevel(logging.CRITICAL)  # damage is ours to report, once
    try:
        reader = pypdf.PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise Unreadable("encrypted PDF (it needs a password)")
        pages = [_lines(page.extract_text() or "") for page in reader.pages]
        meta = _metadata(reader)
    except Unreadable:
        raise
    except Exception as error:  # pypdf raises many kinds on damaged files; all mean the same
        raise Unreadable(f"cannot read this PDF: {first_line(error)}") from error
    if not any(line for page in pages for line in page):
        raise Unreadable("no text in this PDF (a scanned document? briefreader does no OCR)")
    lines = [line for page in drop_running_lines(pages) for line in page]
    title = meta.pop("title", "")
    return [Document(title=title, meta=meta, text="\n\n".join(rebuild_paragraphs(lines)))]


def _lines(text: str) -> list[str]:
    return [" ".join(line.split()) for line in text.split("\n")]


def _metadata(reader: Any) -> dict[str, Any]:
    """Title, author and creation date from the document information, when they make sense."""
    info = reader.metadata
    if info is None:
        return {}
    meta: dict[str, Any] = {}
    title = " ".join(str(info.title or "").split())
    if title and not _FILE_NAME_TITLE.search(title):  # "Microsoft Word - draft3.docx" is no title
        meta["title"] = title
    if info.author:
        meta["author"] = str(info.author)
    with contextlib.suppress(Exception):  # a malformed date: no date rather than no article
        meta["date"] = info.creation_date
    return meta


def drop_running_lines(pages: list[list[str]]) -> list[list[str]]:
    """Pages without page numbers and without the lines repeated at the top or bottom of at
    least half of the pages (running headers and footers; digits do not count)."""
    pages = [[line for line in page if line] for page in pages]
    counts: Counter[str] = Counter()
    for page in pages:
        counts.update({_shape(line) for line in _edges(page)})
    needed = max(2, (len(pages) + 1) // 2)
    running = {shape for shape, count in counts.items() if count >= needed}
    kept = []
    for page in pages:
        edges = set(range(min(EDGE_LINES, len(page)))) | set(
            range(max(0, len(page) - EDGE_LINES), len(page))
        )
        kept.append(
            [
                line
                for index, line in enumerate(page)
                if index not in edges
                or not (_shape(line) in running or _PAGE_NUMBER.fullmatch(line))
            ]
        )
    return kept


def _edges(page: list[str]) -> list[str]:
    return page[:EDGE_LINES] + page[-EDGE_LINES:]


def _shape(line: str) -> str:
    return re.sub(r"\d+", "#", line.casefold())


def rebuild_paragraphs(lines: list[str]) -> list[str]:
    """Paragraphs from a text's lines (blank lines are paragraph breaks)."""
    width = _usual_width(lines)
    paragraphs: list[str] = []
    current = ""
    previous = ""
    for line in lines:
        if not line:
            current = _flush(paragraphs, current)
        elif current and _breaks_between(previous, line, width):
            current = _flush(paragraphs, current)
            current = line
        elif current and _HYPHENATED.search(current) and line[:1].islower():
            current = current[:-1] + line
        else:
            current = f"{current} {line}" if current else line
        previous = line
    _flush(paragraphs, current)
    return paragraphs


def _flush(paragraphs: list[str], current: str) -> str:
    if current:
        paragraphs.append(current)
    return ""


def _usual_width(lines: list[str]) -> float:
    lengths = [len(line) for line in lines if len(line) >= 20]
    return statistics.median(lengths) if lengths else 60.0


def _breaks_between(previous: str, line: str, width: float) -> bool:
    """Whether ``line`` starts a new paragraph after ``previous``."""
    if _is_heading_like(previous, width) or _is_heading_like(line, width):
        return True
    return previous.endswith(_SENTENCE_END) and len(previous) < 0.8 * width


def _is_heading_like(line: str, width: float) -> bool:
    """A short line that starts with a capital and does not end a sentence."""
    return (
        len(line) < 0.6 * width
        and line[:1].isupper()
        and not line.endswith((*_SENTENCE_END, ",", ";", "-"))
        and len(line.split()) <= 12
    )
