"""The seam between briefreader and its search engine: what the reader, the CLI and the
related-passages ranking need from an index, and nothing more.

``Library`` (``search/library.py``) implements ``SearchBackend`` over Whoosh, and
``search/postings.py``'s ``PassageIndex`` implements ``PassageStatistics``. Another engine
(docs/scale.md sketches OpenSearch) implements the same two protocols and passes
``tests/test_backend_contract.py`` unchanged: the tests are written against these protocols
and take the backend from a factory.

Vocabulary shared by both sides: *terms* are what ``search.index.schema.text_analyzer``
makes of text (lower-cased, stop words out, stemmed, dotted acronyms joined); *documents*
are articles and their passages (``<article-id>:p<n>``); *document numbers* are opaque
integers, valid for one snapshot.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any, Protocol, runtime_checkable

from briefreader.models import Article, Passage, SearchResult
from briefreader.search.highlight import QueryMarks
from briefreader.search.index.catalog import AmbiguousArticleId, ArticleSummary
from briefreader.search.query import TagResolver
from briefreader.text.entities import EntityTable
from briefreader.workspace import Settings, Workspace

StopFn = Callable[[], bool]
__all__ = [
    "AmbiguousArticleId",
    "PassageStatistics",
    "QueryMarks",
    "SearchBackend",
    "open_backend",
]


@runtime_checkable
class PassageStatistics(Protocol):
    """Term statistics and postings over one snapshot, for the related-passages ranking.

    ``df`` counts documents of both kinds (an article and each of its passages): the
    ranking's idf and threshold were calibrated on that. Everything else is about passages.
    ``analyzer`` turns text into terms (``text_analyzer``; called as Whoosh analyzers are).
    """

    analyzer: Any

    @property
    def total(self) -> int:
        """Live documents (articles and passages), at least 1."""
        ...

    @property
    def passages(self) -> int:
        """Live passage documents."""
        ...

    @property
    def mask(self) -> bytearray:
        """1 at the document number of every live passage, else 0."""
        ...

    def df(self, fieldname: str, term: str) -> int:
        """How many live documents hold ``term`` in ``fieldname``."""
        ...

    def docnums(self, fieldname: str, term: str) -> set[int]:
        """Document numbers holding ``term`` (deleted ones may be included: mask them)."""
        ...

    def accumulate(
        self, fieldname: str, weighted: Iterable[tuple[str, float]], scores: dict[int, float]
    ) -> None:
        """Add ``weight × tf·(K1+1)/(tf+K1)`` for every live passage holding each term."""
        ...

    def stored_fields(self, docnum: int) -> dict[str, Any]:
        """A passage's stored values: ``doc_id``, ``article_id``, ``text``, ``terms``."""
        ...

    def document_number(self, passage_id: str) -> int | None:
        """The document number of a passage id, None if it is not in this snapshot."""
        ...

    def field_length(self, fieldname: str) -> int:
        """Total tokens of ``fieldname`` over all documents."""
        ...


@runtime_checkable
class SearchBackend(Protocol):
    """An opened index: search, read, statistics. Thread-safe; ``refresh`` to see updates."""

    workspace: Workspace
    # What ``tag:name`` in a query matches: set by the CLI and the reader from the notes.
    tag_articles: TagResolver | None

    @property
    def lock(self) -> threading.RLock:
        """Held while a caller uses ``passage_statistics`` (one snapshot at a time)."""
        ...

    @property
    def snapshot(self) -> object:
        """An object that stays the same until ``refresh`` picks up a newer index (caches
        key on it; weak-referenceable)."""
        ...

    def refresh(self) -> bool:
        """Pick up a newer index; True if anything changed."""
        ...

    def close(self) -> None:
        """Release files and connections."""
        ...

    def search(
        self, text: str, limit: int = 20, offset: int = 0, should_stop: StopFn | None = None
    ) -> SearchResult:
        """Ranked articles for a query of our language, each with its best passage and a
        snippet; a suggestion when nothing matches.

        Raises:
            QueryError: the query is malformed, or over its time budget (answered or refused
                in one line within ``QUERY_SECONDS``: ``search/budget.py``).
            SearchCancelled: ``should_stop`` said so.
        """
        ...

    def count(self, text: str, should_stop: StopFn | None = None) -> int | None:
        """The exact number of matching articles (None if stopped)."""
        ...

    def suggest(self, text: str) -> str | None:
        """The query respelled from the index's own vocabulary, None if nothing to offer."""
        ...

    def highlight(self, text: str, article_id: str) -> QueryMarks:
        """What a query marks in one article, as the query means it: a clause on a field
        marks only that field's text, a phrase only its words in a row, an entity clause the
        mentions of that entity; negated clauses mark nothing; nothing at all when the
        article does not match the query. Ask its ``spans(field, text, offset)``.

        Raises:
            QueryError: the query is malformed.
            KeyError: no such article.
        """
        ...

    def highlight_terms(self, text: str) -> set[str]:
        """Indexed terms a query matches (prefixes and fuzzy terms expanded)."""
        ...

    def passages_matching(self, text: str, article_id: str) -> list[str]:
        """Ids of the article's passages holding the query's terms, in reading order."""
        ...

    def articles(self) -> list[ArticleSummary]:
        """Every article, newest first (undated last)."""
        ...

    def summary(self, article_id: str) -> ArticleSummary | None:
        """One article's summary, or None."""
        ...

    def article(self, article_id: str) -> Article:
        """The cleaned article. Raises KeyError."""
        ...

    def extra(self, article_id: str) -> dict[str, Any]:
        """The enrichment stored with an article (entity mentions). Raises KeyError."""
        ...

    def passage(self, passage_id: str) -> tuple[Article, Passage]:
        """The article and passage of a passage id. Raises KeyError."""
        ...

    def resolve_article_id(self, text: str) -> str:
        """An id from an exact id, a unique prefix or a file path. Raises KeyError
        (``AmbiguousArticleId`` when several ids start with ``text``)."""
        ...

    def entity_table(self) -> EntityTable:
        """Canonical entities and aliases, with the user's corrections."""
        ...

    def entity_coverage(self) -> tuple[int, int]:
        """(articles whose entities are recognised, articles): while the entity phase of an
        index run goes on, entity queries and highlights cover only the first number."""
        ...

    def passage_statistics(self) -> PassageStatistics:
        """Term statistics and postings of the current snapshot (hold ``lock``)."""
        ...

    def settings(self) -> Settings:
        """The workspace's settings, cached until a settings file changes (engine-independent:
        the related ranking asks on every cursor move)."""
        ...


def open_backend(workspace: Workspace) -> SearchBackend:
    """Open the workspace's index with the engine briefreader ships (Whoosh).

    Raises:
        IndexUnavailable: there is no usable index.
    """
    from briefreader.search.library import Library

    return Library.open(workspace)
