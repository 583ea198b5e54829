"""Domain objects shared by every layer: small frozen dataclasses with stable ids.

Offsets are character offsets into ``Article.text`` (the article's clean text), half-open
``[start, end)``, so ``article.text[p.start:p.end] == p.text`` always holds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Reference:
    """One entry of a footnote reference list (``[xiv] Al-Rahim, R. (2024) …``)."""

    label: str
    text: str


@dataclass(frozen=True)
class Heading:
    """A section heading inside an article's clean text."""

    text: str
    start: int
    end: int


PASSAGE_MARK = ":p"  # a passage id is ``<article-id>:p<n>`` (n from 1)


def make_passage_id(article_id: str, number: int) -> str:
    """The id of passage ``number`` of an article: ``<article-id>:p<number>``."""
    return f"{article_id}{PASSAGE_MARK}{number}"


def parse_passage_id(passage_id: str) -> tuple[str, int] | None:
    """``(article id, passage number)`` of a passage id, or None if it has another shape."""
    article_id, mark, number = passage_id.rpartition(PASSAGE_MARK)
    if not (mark and article_id and number.isascii() and number.isdigit()):
        return None
    return article_id, int(number)


def article_id_of(passage_id: str) -> str:
    """The article id part of a passage id (the text itself if it is not a passage id)."""
    parsed = parse_passage_id(passage_id)
    return parsed[0] if parsed else passage_id


@dataclass(frozen=True)
class Passage:
    """A paragraph of an article: the unit of search hits, related passages and notes.

    Its ``id`` is ``make_passage_id(article_id, number)``; ``parse_passage_id`` reads one.
    """

    id: str
    article_id: str
    number: int
    start: int
    end: int
    text: str
    heading: str = ""
    footnotes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Article:
    """One article, cleaned: metadata plus clean text split into passages.

    ``text`` holds the body blocks (headings and paragraphs) joined by blank lines; headings
    and passages point into it. ``references`` is the footnote list, kept out of the body.
    """

    id: str
    path: str
    part: int
    title: str
    text: str
    passages: tuple[Passage, ...]
    headings: tuple[Heading, ...] = ()
    date: str | None = None
    source: str = ""
    url: str = ""
    author: str = ""
    tags: tuple[str, ...] = ()
    deck: tuple[str, ...] = ()
    references: tuple[Reference, ...] = ()
    content_hash: str = ""
    notices: tuple[str, ...] = ()

    def passage(self, passage_id: str) -> Passage | None:
        """Return the passage with this id, or None."""
        for passage in self.passages:
            if passage.id == passage_id:
                return passage
        return None

    def reference(self, label: str) -> Reference | None:
        """Return the footnote reference with this label, or None."""
        for reference in self.references:
            if reference.label == label:
                return reference
        return None


@dataclass(frozen=True)
class Skipped:
    """A file the loader did not turn into articles, and why (shown to the user); for a
    duplicate of one indexed file, that file (empty when its articles repeat several: the
    index remembers a copy only while its one original stays). ``again``: a copy an earlier
    run found, skipped again without reading it."""

    path: str
    reason: str
    original: str = ""
    again: bool = False


@dataclass(frozen=True)
class LoadResult:
    """What loading one file produced: articles, or the reason it was skipped, plus notices."""

    path: str
    articles: tuple[Article, ...] = ()
    skipped: Skipped | None = None
    notices: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class Span:
    """A highlighted range in a piece of text (query-term hits in a snippet or passage)."""

    start: int
    end: int


@dataclass(frozen=True)
class Snippet:
    """A short excerpt of a passage with the ranges to highlight, offsets into ``text``."""

    text: str
    highlights: tuple[Span, ...] = ()


@dataclass(frozen=True)
class Hit:
    """One search result: an article with its best passage and a highlighted snippet."""

    article_id: str
    title: str
    source: str
    date: str | None
    passage_id: str
    score: float
    snippet: Snippet
    matched_passages: tuple[str, ...] = ()


@dataclass(frozen=True)
class SearchResult:
    """The answer to one query: hits (ranked), how many matched, and help for the user."""

    query: str
    hits: tuple[Hit, ...]
    total: int
    suggestion: str | None = None
    terms: tuple[str, ...] = ()
    exact: bool = True  # False: ``total`` is Whoosh's estimate (an upper bound)


# The one progress callback of an index run: ``progress(phase, done, total)``.
ProgressFn = Callable[[str, int, int], None]

# The phases an index run reports through ``progress(phase, done, total)``, as users read them.
INDEX_PHASES = {
    "scanning": "Checking files",
    "parsing": "Reading articles",
    "entities": "Finding entities",
    "indexing": "Indexing",
    "committing": "Saving index",
    "saving entities": "Saving entities",
    "merging": "Merging segments",
    "finishing": "Writing the index file",
    "catalog": "Saving the catalog",
    "embedding": "Embedding passages",
}
