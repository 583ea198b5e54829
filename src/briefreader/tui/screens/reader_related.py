"""The related part of the main screen: passages related to the paragraph under the cursor.

It owns the Related tab's contents. The ranking runs in a worker a short pause after the
cursor stops (``RELATED_DELAY``), only while the side panel is shown; the finder is given
by the screen (a seam for tests).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual import work
from textual.timer import Timer
from textual.worker import get_current_worker

from briefreader.tui.messages import OpenRequest, RelatedFound
from briefreader.tui.related import RelatedAnswer
from briefreader.tui.screens.reader_index import index_failure_text, index_failures
from briefreader.tui.screens.reader_parts import OpenWanted, Part, ReaderSession
from briefreader.tui.widgets.article_view import ArticleView
from briefreader.tui.widgets.side_panel import SidePanel
from briefreader.workspace import WorkspaceError

RELATED_DELAY = 0.25

RelatedFinder = Callable[[Any, str], RelatedAnswer]  # (library, passage id) -> the answer


class RelatedPart(Part):
    """Related passages of the cursor's paragraph, looked up after a pause, in a worker."""

    def __init__(
        self, session: ReaderSession, finder: RelatedFinder, shown: Callable[[], bool]
    ) -> None:
        super().__init__(session)
        self.finder = finder
        self.shown = shown  # is the side panel shown (the screen's layout knows)
        self._timer: Timer | None = None
        self._answered: str | None = None  # the passage whose related passages are listed

    def on_article_view_moved(self, _message: ArticleView.Moved) -> None:
        """The cursor moved: look up its paragraph's related passages once it rests."""
        article = self.screen.query_one(ArticleView).article
        if article is None or not article.passages:
            return
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(RELATED_DELAY, self.request)

    def request(self) -> None:
        """Look up the related passages of the cursor's paragraph now (if the panel shows)."""
        view = self.screen.query_one(ArticleView)
        article = view.article
        if article is None or not article.passages or not self.shown():
            return
        self.related_worker(article.passages[view.cursor].id)

    def catch_up(self) -> None:
        """The panel may have just appeared (a resize, a toggle): if it lists another
        paragraph's passages (or none yet), look up the cursor's paragraph now."""
        view = self.screen.query_one(ArticleView)
        article = view.article
        if article is None or not article.passages:
            return
        if article.passages[view.cursor].id != self._answered:
            self.request()

    @work(thread=True, exclusive=True, group="related")
    def related_worker(self, passage_id: str) -> None:
        """Find passages related to a paragraph off the UI thread."""
        try:
            answer = self.finder(self.session.library, passage_id)
            message = RelatedFound(passage_id, answer.items, notes=answer.notes)
        except index_failures() as error:  # replaced or damaged under us: say so, go on
            message = RelatedFound(passage_id, [], index_failure_text(error))
        except WorkspaceError as error:  # a settings file being edited: say which, go on
            message = RelatedFound(passage_id, [], str(error))
        if not get_current_worker().is_cancelled:
            self.post_message(message)

    def on_related_found(self, message: RelatedFound) -> None:
        """Fill the Related tab (if the cursor is still on that paragraph)."""
        view = self.screen.query_one(ArticleView)
        article, side = view.article, self.screen.query_one(SidePanel)
        if article is None or article.passages[view.cursor].id != message.passage_id:
            return
        if message.error:
            side.related_message(message.error.capitalize() + ".")
        else:
            side.show_related(message.items, message.notes)
            self._answered = message.passage_id

    def on_side_panel_related_chosen(self, message: SidePanel.RelatedChosen) -> None:
        """Jump to a related passage (backspace comes back)."""
        item = message.item
        self.post_message(OpenWanted(OpenRequest(item.article_id, passage_id=item.passage_id)))
