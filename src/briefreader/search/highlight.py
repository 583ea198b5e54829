"""Find query terms in text (character spans), cut snippets around them, and what a query
marks in an article (``QueryMarks``: fields, phrases, entities, negations as the query means)."""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from briefreader.models import Article, Snippet, Span
from briefreader.search.index.schema import text_analyzer

_ANALYZER = text_analyzer()
# Whoosh's RegexTokenizer pattern: the same tokens, found without running the filter chain.
_TOKEN = re.compile(r"\w+(\.?\w+)*")
_FOOTNOTE = re.compile(r"\[([ivxlcdm]{1,8}|\d{1,3})\]", re.IGNORECASE)
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


def make_snippet(text: str, marks: QueryMarks, width: int = SNIPPET_CHARS) -> Snippet:
    """A window of a passage's ``text`` around its densest cluster of what the query marks
    there (``marks``, as the article pane marks the paragraph: a phrase as a phrase, only
    body clauses, no negated words), spans relative to the window."""
    spans = marks.spans("body", text)
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


# ---------------------------------------------------------------- what a query marks in an article

# Text a field's clauses mark: headings are part of the body in the index (``body:x`` finds a
# heading's words), the deck too.
_MARKED_BY = {
    "title": ("title",),
    "body": ("body",),
    "heading": ("heading", "body"),
    "references": ("references",),
}


@dataclass(frozen=True)
class Phrase:
    """A phrase clause: its indexed words in order, and how far apart they may be (slop)."""

    words: tuple[str, ...]
    slop: int = 1


@dataclass(frozen=True)
class QueryMarks:
    """What a query marks in one article: built by ``SearchBackend.highlight``.

    ``terms`` and ``phrases`` are per field (``title``, ``body``, ``heading``,
    ``references``): a clause marks only text of its field, a phrase only its words in a row,
    and negated clauses are not here at all. ``entities`` are the spans (offsets into
    ``Article.text``) of the mentions an entity clause matched; ``footnotes`` the labels of
    ``[xiv]`` clauses. ``matches`` is False when the article does not match the query: it
    then marks nothing.
    """

    matches: bool = False
    terms: Mapping[str, frozenset[str]] = field(default_factory=dict)
    phrases: Mapping[str, tuple[Phrase, ...]] = field(default_factory=dict)
    entities: tuple[Span, ...] = ()
    footnotes: frozenset[str] = frozenset()

    def __bool__(self) -> bool:
        return self.matches and bool(self.terms or self.phrases or self.entities or self.footnotes)

    def spans(self, field_name: str, text: str, offset: int | None = None) -> tuple[Span, ...]:
        """The spans of ``text`` to mark, sorted and not overlapping. ``field_name`` says
        where the text is shown (``title``, ``body`` for paragraphs and the deck,
        ``heading``, ``references``); ``offset``, where it starts in ``Article.text`` (for
        entity mentions; None when the text shown is not the article's text as stored)."""
        if not self or not text:
            return ()
        fields = _MARKED_BY.get(field_name, ())
        terms = {term for name in fields for term in self.terms.get(name, ())}
        found = list(term_spans(text, terms))
        for name in fields:
            for phrase in self.phrases.get(name, ()):
                found.extend(phrase_spans(text, phrase))
        if "body" in fields:
            found.extend(_footnote_spans(text, self.footnotes))
            if offset is not None:
                end = offset + len(text)
                found.extend(
                    Span(s.start - offset, s.end - offset)
                    for s in self.entities
                    if offset <= s.start and s.end <= end
                )
        return _merged(found)


NO_MARKS = QueryMarks()


def entity_spans(
    article: Article, payload: Mapping[str, Any], keys: Mapping[str, Collection[str]]
) -> tuple[Span, ...]:
    """The mentions stored with an article (``payload``) that entity clauses match: a mention
    whose name keys meet the clause's keys, of the clause's type (``entity:`` any type), as
    the index matched them (``store.index_fields``)."""
    if not keys:
        return ()
    from briefreader.text.entities.store import TYPE_FIELDS, from_payload, mention_terms

    try:
        mentions = from_payload(article, dict(payload)) or []
    except (KeyError, IndexError, TypeError, ValueError):  # rows of another shape (version)
        return ()
    wanted = {name: set(values) for name, values in keys.items()}
    found = []
    for mention in mentions:
        fields = ("entity", TYPE_FIELDS.get(mention.type, "entity"))
        terms = mention_terms(mention)
        if any(terms & wanted.get(name, set()) for name in fields):
            found.append(Span(mention.start, mention.end))
    return tuple(found)


def phrase_spans(text: str, phrase: Phrase) -> list[Span]:
    """Where the phrase's words occur in a row in ``text`` (stop words between them skipped,
    as the index skips them), from the first word's start to the last word's end."""
    if not phrase.words:
        return []
    words = [
        (form, match.start(), match.end())
        for match in _TOKEN.finditer(text)
        if (form := _phrase_form(match.group()))
    ]
    found = []
    for index, (form, start, _) in enumerate(words):
        if form != phrase.words[0]:
            continue
        end = _phrase_end(words, index, phrase)
        if end is not None:
            found.append(Span(start, end))
    return found


@lru_cache(maxsize=50_000)
def _phrase_form(word: str) -> str:
    """A token's indexed form with stop words dropped ("" for one), as phrases are indexed."""
    tokens = [token.text for token in _ANALYZER(word)]
    return tokens[0] if tokens else ""


def _phrase_end(words: list[tuple[str, int, int]], index: int, phrase: Phrase) -> int | None:
    """The end of the phrase starting at ``words[index]``, None if it does not go on."""
    position = index
    for wanted in phrase.words[1:]:
        window = words[position + 1 : position + 1 + max(1, phrase.slop)]
        step = next((n for n, (form, _, _) in enumerate(window) if form == wanted), None)
        if step is None:
            return None
        position += step + 1
    return words[position][2]


def _footnote_spans(text: str, labels: frozenset[str]) -> list[Span]:
    if not labels:
        return []
    return [
        Span(match.start(), match.end())
        for match in _FOOTNOTE.finditer(text)
        if match.group(1).lower() in labels
    ]


def _merged(spans: list[Span]) -> tuple[Span, ...]:
    """Sorted spans, overlapping ones joined (a word in a phrase and marked alone)."""
    merged: list[Span] = []
    for span in sorted(spans, key=lambda s: (s.start, s.end)):
        if merged and span.start < merged[-1].end:
            last = merged[-1]
            merged[-1] = Span(last.start, max(last.end, span.end))
        else:
            merged.append(span)
    return tuple(merged)
