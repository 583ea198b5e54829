"""What every format reader shares: the document it returns, its errors, small helpers.

Kept apart from the package's ``__init__`` (which lists the readers) so that a reader imports
these without importing the package that imports it.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from briefreader.text.split import Block


class Unreadable(Exception):
    """The file cannot be read as its format says; the message says why (one line)."""


class FormatUnavailable(Unreadable):
    """A library this format needs is not installed (or is broken); the message says which."""


@dataclass
class Document:
    """One article as a format reader found it, before cleaning and ids.

    The body is one of: ``blocks`` (headings and paragraphs the format marks), ``text``
    (paragraphs separated by blank lines; headings and the title found as for a .txt file) or
    ``html`` (a page, extracted as an .html file is). ``meta`` holds what the file states:
    ``date`` (text or datetime), ``source``, ``author``, ``url``, ``tags``.
    """

    title: str = ""
    meta: dict[str, Any] = field(default_factory=dict)
    blocks: list[Block] = field(default_factory=list)
    text: str | None = None
    html: str | None = None


def first_line(error: BaseException) -> str:
    """An exception's message as one short line (for a skip reason)."""
    text = str(error).strip().split("\n", 1)[0] or type(error).__name__
    return text[:160]


def require(module: str, package: str, what: str) -> ModuleType:
    """Import ``module`` for reading ``what`` files, or raise ``FormatUnavailable`` saying
    which package to install (``pip install`` can skip an optional extra with a warning)."""
    try:
        return importlib.import_module(module)
    except ImportError as error:
        detail = str(error).strip().split("\n", 1)[0]
        raise FormatUnavailable(
            f"cannot read {what} files: a parser is missing ({detail}); "  # not a count: "PDF"…
            f"install it with: pip install {package}"
        ) from error


def paragraph_blocks(paragraphs: list[str]) -> list[Block]:
    """Paragraph blocks from texts, whitespace runs collapsed, empty ones dropped."""
    texts = (" ".join(text.split()) for text in paragraphs)
    return [Block("paragraph", text) for text in texts if text]
