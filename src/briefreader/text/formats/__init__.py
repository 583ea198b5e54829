"""Readers for file formats that are not plain text: each turns a file's bytes into documents.

A reader returns ``Document`` objects (a title, metadata as the page or file states it, and the
body as heading and paragraph blocks), or raises ``Unreadable`` with a one-line reason (a
broken or encrypted file, a scanned PDF without text). A parser library that is missing raises
``FormatUnavailable``: the file is skipped with that reason, never a traceback.
"""

from __future__ import annotations

from collections.abc import Callable

from briefreader.text.formats.base import (
    Document,
    FormatUnavailable,
    Unreadable,
    first_line,
    paragraph_blocks,
    require,
)


def document_readers() -> dict[str, Callable[[bytes], list[Document]]]:
    """The reader for each suffix of a binary or packaged format (imported when used)."""
    from briefreader.text.formats.docx import read_docx
    from briefreader.text.formats.epub import read_epub
    from briefreader.text.formats.mail import read_email
    from briefreader.text.formats.pdf import read_pdf

    return {".pdf": read_pdf, ".docx": read_docx, ".epub": read_epub, ".eml": read_email}


DOCUMENT_SUFFIXES = frozenset({".pdf", ".docx", ".epub", ".eml"})


__all__ = [
    "DOCUMENT_SUFFIXES",
    "Document",
    "FormatUnavailable",
    "Unreadable",
    "document_readers",
    "first_line",
    "paragraph_blocks",
    "require",
]
