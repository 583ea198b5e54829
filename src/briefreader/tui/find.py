"""Find inside the open article (as ``/`` does in less): where a typed text occurs.

No Textual here. The text found is the paragraphs as shown (``display_text``), matched
literally and in any case, so the offsets are those the article view marks.
"""

from __future__ import annotations

import re

from briefreader.models import Article, Span
from briefreader.tui.widgets.article_layout import display_text

MAX_FIND_CHARS = 200


def find_matches(article: Article, needle: str) -> list[tuple[int, Span]]:
    """``(paragraph index, span)`` of every occurrence of ``needle``, in reading order."""
    if not needle.strip():
        return []
    pattern = re.compile(re.escape(needle), re.IGNORECASE)
    return [
        (index, Span(match.start(), match.end()))
        for index, passage in enumerate(article.passages)
        for match in pattern.finditer(display_text(passage.text))
    ]
