"""Find query terms in text (character spans) and cut snippets around them."""

from __future__ import annotations

import re
from collections.abc import Collection
from functools import lru_cache

from briefreader.models import Snippet, Span
from briefreader.search.index.schema import text_analyzer

_ANALYZER = text_analyzer()
# Whoosh's RegexTokenizer pattern: the same tokens, found without running the filter chain.
_TOKEN = re.compile(r"\w+(\.?\w+)*")
SNIPPET_CHARS = 240


def term_spans(text: str, terms: Collection[str]) -> tuple[Span, ...]:
    """Character spans of the words in ``text`` whose indexed form is one of ``terms``."""
    if not terms or not text:
        return ()
    wanted = set(terms)
    return tuple(
        Span(match.start(), match.end())
        for match in _TOKEN.finditer(text)
        if _indexed_form(match.group()) in wanted
    )


@lru_cache(maxsize=200_000)
def _indexed_form(word: str) -> str:
    """The analyzer's output for one token (analysis is per token, so it can be cached)."""
    tokens = [token.text for token in _ANALYZER(word, removestops=False)]
    return tokens[0] if tokens else ""


def make_snippet(text: str, terms: Collection[str], width: int = SNIPPET_CHARS) -> Snippet:
    """A window of ``text`` around its densest cluster of term hits, spans relative to it."""
    spans = term_spans(text, terms)
    if len(text) <= width:
        return Snippet(text, spans)
    start = _best_window_start(spans, width) if spans else 0
    start = _word_boundary(text, start)
    end = min(len(text), start + width)
    end = _word_end(text, end)
    prefix = "… " if start > 0 else ""
    suffix = " …" if end < len(text) else ""
    shift = len(prefix) - start
    inside = tuple(
        Span(s.start + shift, s.end + shift) for s in spans if s.start >= start and s.end <= end
    )
    return Snippet(prefix + text[start:end] + suffix, inside)


def _best_window_start(spans: tuple[Span, ...], width: int) -> int:
    best_start, best_count = spans[0].start, 0
    for index, span in enumerate(spans):
        count = sum(1 for other in spans[index:] if other.end <= span.start + width)
        if count > best_count:
            best_start, best_count = span.start, count
    return max(0, best_start - width // 4)


def _word_boundary(text: str, position: int) -> int:
    if position <= 0:
        return 0
    space = text.rfind(" ", 0, position)
    return space + 1 if space >= 0 and position - space < 30 else position


def _word_end(text: str, position: int) -> int:
    if position >= len(text):
        return len(text)
    space = text.rfind(" ", 0, position)
    return space if space > position - 30 else position
