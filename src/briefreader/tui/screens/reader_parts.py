"""What the parts of the reader's main screen share, and the messages they post up to it.

The main screen (:mod:`briefreader.tui.screens.main`) is a composition of parts: index,
search, article, related passages and notes. A part is a hidden widget that owns its workers
and the messages they post; it reads and writes the widgets it owns. Parts never call each
other. A part posts one of the typed messages below (or a widget posts its own); it bubbles
to the screen, which hands it (:func:`forward`) to the parts that handle it, by type.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from textual.message import Message
from textual.widget import Widget

from briefreader.models import Article
from briefreader.tui.history import History
from briefreader.tui.messages import OpenRequest
from briefreader.tui.state import ReaderState
from briefreader.workspace import Workspace


@dataclass
class ReaderSession:
    """What every part of the main screen reads: the workspace, the open library (None until
    the index is open; the index part sets it), the article shown (the article part sets it),
    the jump history and the remembered reading state."""

    workspace: Workspace
    state: ReaderState
    history: History = field(default_factory=History)
    library: Any = None
    article_id: str | None = None


class Part(Widget):
    """A part of the main screen: no cells of its own, its workers and handlers only."""

    DEFAULT_CSS: ClassVar[str] = "Part { display: none; }"

    def __init__(self, session: ReaderSession) -> None:
        super().__init__()
        self.session = session


def forward(message: Message, *parts: Part) -> None:
    """Hand a message that bubbled up to the screen down to the parts that handle it.

    This is Textual's own bubbling (``Message._bubble_to`` posts the same message to the
    parent), aimed at siblings: the message stops here, so a part does not bubble it back.
    """
    message.stop()
    for part in parts:
        part.post_message(message)


@dataclass
class LibraryOpened(Message):
    """The index part opened (``first``) or re-opened the library: search and read again."""

    first: bool


@dataclass
class NoArticleOpened(Message):
    """The library opened with no article to show (none read last time): below 110 columns
    the results list takes the article pane's room until an article is shown."""


@dataclass
class EntitiesAdded(Message):
    """A batch of the entity phase is in the (refreshed) library: these articles have their
    entities now. Search again and show the open article's highlights, in place."""

    articles: frozenset[str]


@dataclass
class OpenWanted(Message):
    """Open an article (a chosen result, a related passage, a note); ``focus``: then read it."""

    request: OpenRequest
    jump: bool = True
    focus: bool = True


@dataclass
class ArticleShown(Message):
    """The article part shows ``article`` (its notes can be marked now)."""

    article: Article


@dataclass
class PlaceChanged(Message):
    """The results or the cursor moved: the status line (article n of m) is out of date."""


@dataclass
class QueryListed(Message):
    """The search part lists the results of another query: the open article's hits follow."""

    query: str
