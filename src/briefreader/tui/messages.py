"""Messages that thread workers post to the main screen (workers never touch widgets)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from textual.message import Message

from briefreader.models import Article, SearchResult, Span
from briefreader.search.highlight import QueryMarks
from briefreader.search.index.catalog import ArticleSummary
from briefreader.tui.paging import PageRequest

if TYPE_CHECKING:
    from briefreader.search.related import RelatedItem
    from briefreader.tui.widgets.results import ResultEntry


@dataclass
class IndexProgress(Message):
    """The index build moved on: phase name, done and total items."""

    phase: str
    done: int
    total: int


@dataclass
class LibraryReady(Message):
    """The index is open (``notice``: what indexing did, for a toast)."""

    library: Any
    notice: str = ""
    final: bool = True


@dataclass
class EntitiesWanted(Message):
    """The text phase is done and left articles whose entities are not recognised yet."""


@dataclass
class EntitiesProgress(Message):
    """The entity phase moved on: ``done`` of ``total`` pending articles recognised;
    ``batch``: the ids of a batch just committed (the library was refreshed to see it), and
    ``coverage``: (articles recognised, articles) in the refreshed library; ``saving``:
    ``done`` of ``total`` are the postings of a commit being written, not articles."""

    done: int
    total: int
    batch: tuple[str, ...] = ()
    coverage: tuple[int, int] | None = None
    saving: bool = False


@dataclass
class EntitiesFinished(Message):
    """The entity phase ended (every article recognised, or stopped); ``notice`` for a toast."""

    notice: str = ""


@dataclass
class LibraryFailed(Message):
    """The index could not be opened or built; ``reason`` in plain words."""

    reason: str


@dataclass
class SearchFinished(Message):
    """Results of one query: a search result, or the library list for an empty query."""

    query: str
    result: SearchResult | None = None
    library: list[ArticleSummary] = field(default_factory=list)
    error: str = ""
    keep: ResultEntry | None = None  # the entry to leave the highlight on (index refreshed)


@dataclass
class MatchesCounted(Message):
    """The exact number of articles matching ``query`` (the first page only estimated it)."""

    query: str
    total: int


@dataclass
class ResultsPage(Message):
    """The next page of a query's results (``request`` says which), or why it failed."""

    request: PageRequest
    result: SearchResult | None = None
    error: str = ""


@dataclass(frozen=True)
class OpenRequest:
    """What to open: an article, where to put the cursor, and whether it is a jump."""

    article_id: str
    passage: int | None = None
    passage_id: str = ""
    land: str = ""  # "", "first-hit", "last-hit"
    remember: bool = True


@dataclass
class ArticleLoaded(Message):
    """An article ready to show, with its enrichment payload and search hits."""

    request: OpenRequest
    article: Article
    extra: dict[str, Any]
    marks: QueryMarks
    hits: list[tuple[int, Span]]
    layout: Any = None
    query: str = ""  # the query marked ("" for none)


@dataclass
class MarksComputed(Message):
    """The open article's marks for a new listed query (the cursor stays where it is)."""

    article_id: str
    query: str
    marks: QueryMarks
    hits: list[tuple[int, Span]]


@dataclass
class ArticleFailed(Message):
    """An article could not be loaded."""

    article_id: str
    reason: str


@dataclass
class RelatedFound(Message):
    """Related passages of a paragraph (``error`` when unavailable)."""

    passage_id: str
    items: list[RelatedItem]
    error: str = ""
    notes: tuple[str, ...] = ()
