"""The article part of the main screen: load an article, land on the right paragraph, keep
the reading position, and show the status line and the article's entities.

It owns the article view, the status line under it and the Entities tab's contents; it posts
:class:`ArticleShown` when an article is on screen.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on, work
from textual.timer import Timer
from textual.widgets import Input, Static
from textual.worker import get_current_worker

from briefreader.models import Article, Span
from briefreader.search.highlight import NO_MARKS, QueryMarks
from briefreader.search.query import QueryError
from briefreader.text.wording import counted, grouped
from briefreader.tui.entities import (
    ArticleEntities,
    ArticleMentions,
    article_mentions,
    entity_counts,
    merged_entity_counts,
)
from briefreader.tui.find import find_matches
from briefreader.tui.history import Location
from briefreader.tui.messages import ArticleFailed, ArticleLoaded, MarksComputed, OpenRequest
from briefreader.tui.notes_bridge import note_query
from briefreader.tui.screens.reader_index import index_failures
from briefreader.tui.screens.reader_parts import (
    ArticleShown,
    EntitiesAdded,
    LibraryOpened,
    NoArticleOpened,
    OpenWanted,
    Part,
    PlaceChanged,
)
from briefreader.tui.state import save_state
from briefreader.tui.widgets.article_layout import ArticleLayout, marked_spans
from briefreader.tui.widgets.article_view import GUTTER, PLACEHOLDER, ArticleView
from briefreader.tui.widgets.find_bar import FindBar
from briefreader.tui.widgets.side_panel import SidePanel

SAVE_DELAY = 1.0


class ArticlePart(Part):
    """Articles loaded in a worker, the landing, positions remembered, the status line."""

    _save_timer: Timer | None = None
    _position: tuple[int, int] | None = None  # article n of m in the results, as last told
    _status: str | None = None  # the status line's text as shown

    def cursor_moved(self, _passage: int) -> None:
        """The cursor moved (the view's signal, in the same frame): the status line now."""
        self.show_status(self._position)

    @property
    def view(self) -> ArticleView:
        return self.screen.query_one(ArticleView)

    @property
    def location(self) -> Location | None:
        """Where the reader is now (for history)."""
        if self.session.article_id is None:
            return None
        return Location(self.session.article_id, self.view.cursor)

    def open(self, request: OpenRequest, query: str, *, jump: bool = True) -> None:
        """Load an article in a worker, its hits for ``query`` marked (a jump can be undone
        with backspace)."""
        if self.session.library is None:
            return
        if jump:
            self.session.history.push(self.location)
        width = max(4, self.view.scrollable_content_region.width - GUTTER - 1)
        self.article_worker(request, marked_query(query), width)

    def remark(self, query: str) -> None:
        """The listed query changed (typed, or narrowed by a facet): mark its hits in the open
        article, in a worker; the cursor and the scroll stay."""
        article = self.view.article
        query = marked_query(query)
        if article is None or self.view.layout_data is None or query == self.view.marked_query:
            return
        self.marks_worker(article.id, query, self.view.layout_data)

    @work(thread=True, exclusive=True, group="article-marks")
    def marks_worker(self, article_id: str, query: str, layout: ArticleLayout) -> None:
        """What ``query`` marks in the article shown (``layout``), off the UI thread."""
        marks, hits = _marks_and_hits(self.session.library, layout, query)
        if not get_current_worker().is_cancelled:
            self.post_message(MarksComputed(article_id, query, marks, hits))

    def on_marks_computed(self, message: MarksComputed) -> None:
        """Mark the new query's hits, if that article is still the one shown."""
        if message.article_id != self.session.article_id:
            return
        self.view.set_marks(message.query, message.marks, message.hits)
        self.post_message(PlaceChanged())

    @work(thread=True, exclusive=True, group="article")
    def article_worker(self, request: OpenRequest, query: str, width: int) -> None:
        """Load the article, its hits for the query, and wrap it for the current width."""
        library = self.session.library
        try:
            article = library.article(request.article_id)
            extra = library.extra(request.article_id)
        except KeyError:
            self.post_message(
                ArticleFailed(request.article_id, "This article is no longer indexed.")
            )
            return
        layout = ArticleLayout(article)
        layout.wrapped(width)
        marks, hits = _marks_and_hits(library, layout, query)
        if not get_current_worker().is_cancelled:
            self.post_message(ArticleLoaded(request, article, extra, marks, hits, layout, query))
            merged = merged_entity_counts(article, extra, library.entity_table())
            self.post_message(ArticleEntities(article.id, merged))

    def on_article_loaded(self, message: ArticleLoaded) -> None:
        """Show the article and put the cursor where the request says."""
        article = message.article
        mentions = article_mentions(article, message.extra)
        self.session.article_id = article.id
        self.view.show_article(
            message.layout,
            marks=message.marks,
            hits=message.hits,
            mentions=mentions,
            query=message.query,
        )
        self.screen.query_one(SidePanel).show_entities(entity_counts(mentions))
        self._land(message)
        self.post_message(ArticleShown(article))

    def _land(self, message: ArticleLoaded) -> None:
        request, view = message.request, self.view
        if request.land == "first-hit" and view.hits:
            view.go_to_hit(0)
        elif request.land == "last-hit" and view.hits:
            view.go_to_hit(-1)
        elif request.passage_id:
            numbers = {p.id: i for i, p in enumerate(message.article.passages)}
            passage = numbers.get(request.passage_id, 0)
            first = next((i for i, (p, _) in enumerate(view.hits) if p == passage), -1)
            view.move_cursor(passage, hit=first, top=True)
        elif request.passage is not None:
            view.move_cursor(request.passage, top=request.passage > 0)
        else:
            position = self.session.state.positions.get(message.article.id, 1) - 1
            view.move_cursor(position, top=position > 0)

    def on_article_failed(self, message: ArticleFailed) -> None:
        """Tell the user; keep whatever was shown."""
        self.notify(message.reason, severity="error", markup=False)

    def on_article_entities(self, message: ArticleEntities) -> None:
        """List the article's entities as the corpus table has them (aliases joined)."""
        if message.article_id == self.session.article_id:
            self.screen.query_one(SidePanel).show_entities(message.grouped)

    def on_entities_added(self, message: EntitiesAdded) -> None:
        """The entity phase recognised the open article's entities: mark them in place."""
        article = self.view.article
        if article is not None and article.id in message.articles:
            self.mentions_worker(article)

    @work(thread=True, exclusive=True, group="article-mentions")
    def mentions_worker(self, article: Article) -> None:
        """Read the article's new entities from the refreshed library."""
        library = self.session.library
        try:
            extra = library.extra(article.id)
            table = library.entity_table()
        except KeyError:
            return  # no longer indexed
        except index_failures():
            return  # being replaced: the next batch shows it
        self.post_message(ArticleMentions(article.id, article_mentions(article, extra)))
        self.post_message(ArticleEntities(article.id, merged_entity_counts(article, extra, table)))

    def on_article_mentions(self, message: ArticleMentions) -> None:
        """Highlight the new mentions; the cursor, scroll, selection and find stay."""
        if message.article_id == self.session.article_id:
            self.view.set_mentions(message.mentions)
            self.screen.query_one(SidePanel).show_entities(entity_counts(message.mentions))

    # ------------------------------------------------------------------ places

    def on_library_opened(self, message: LibraryOpened) -> None:
        """First library: the placeholder's hint, and the article where the last session
        stopped; a re-opened one: the open article again, for its new text."""
        state, library, request = self.session.state, self.session.library, None
        if message.first:
            self.view.set_placeholder(PLACEHOLDER)
            last = state.last_article
            if last and library.summary(last) is not None:
                request = OpenRequest(last, passage=state.positions.get(last, 1) - 1)
        elif self.session.article_id and library.summary(self.session.article_id) is not None:
            request = OpenRequest(self.session.article_id, passage=self.view.cursor)
        if request is not None:
            self.post_message(OpenWanted(request, jump=False, focus=False))
        elif message.first:
            self.post_message(NoArticleOpened())

    def on_article_view_moved(self, message: ArticleView.Moved) -> None:
        """The cursor moved to a paragraph: the status line, and remember it (saved after a
        pause)."""
        self.post_message(PlaceChanged())
        article = self.view.article
        if article is None or not article.passages:
            return
        self.session.state.remember(article.id, article.passages[message.passage].number)
        self.schedule_save()

    def on_article_view_references_wanted(self, message: ArticleView.ReferencesWanted) -> None:
        """Show the references cited by the paragraph under the cursor."""
        from briefreader.tui.screens.references import ReferencesScreen

        self.app.push_screen(ReferencesScreen(message.article, message.passage))

    # ------------------------------------------------------------------ find in the article

    @property
    def find_bar(self) -> FindBar:
        return self.screen.query_one(FindBar)

    def open_find(self) -> None:
        """ctrl+f: show the find bar (with the last text found, selected) and focus it."""
        if self.view.article is None:
            self.notify("Open an article first: ctrl+f finds inside it")
            return
        bar = self.find_bar
        bar.display = True
        self.screen.set_focus(bar)
        bar.select_all()

    @on(Input.Changed, "#find")
    def _find_changed(self, event: Input.Changed) -> None:
        """Mark every match as the text is typed (in place of the search hits)."""
        article = self.view.article
        if article is not None:
            self.view.set_find(event.value, find_matches(article, event.value))
            self.post_message(PlaceChanged())

    @on(Input.Submitted, "#find")
    def _find_submitted(self, event: Input.Submitted) -> None:
        """Enter: back to the article, on the first match after the cursor."""
        self.find_bar.display = False
        self.screen.set_focus(self.view)
        if not event.value.strip():
            self.view.set_find("", [])
        elif not self.view.hits:
            self.notify(f"No match for “{event.value}” in this article", markup=False)
        else:
            self.view.action_next_hit()
        self.post_message(PlaceChanged())

    def on_find_bar_closed(self, _message: FindBar.Closed) -> None:
        """Esc in the find bar: stop finding; the search hits are marked again."""
        self.find_bar.display = False
        self.view.set_find("", [])
        self.screen.set_focus(self.view)
        self.post_message(PlaceChanged())

    # ------------------------------------------------------------------ history

    def back(self) -> None:
        """Go back to where the last jump started."""
        self._go(self.session.history.back(self.location), "Nothing to go back to")

    def forward(self) -> None:
        """Redo a jump undone with back."""
        self._go(self.session.history.forward(self.location), "Nothing to go forward to")

    def _go(self, location: Location | None, empty: str) -> None:
        if location is None:
            self.notify(empty)
            return
        self.post_message(OpenWanted(OpenRequest(location.article_id, location.passage), False))

    def remember_theme(self, theme: Any) -> None:
        """A theme picked in the palette is the theme of the next start too."""
        self.session.state.theme = theme.name
        self.schedule_save()

    def on_unmount(self) -> None:
        """Save positions (and the theme) on the way out."""
        if self.session.article_id is not None or self.session.state.theme is not None:
            self.save_state()

    def show_status(self, position: tuple[int, int] | None) -> None:
        """The status line: paragraph, hit, and ``position`` (article n of m in the results)."""
        self._position = position
        text = status_text(self.view, position)
        if text.plain != self._status:  # unchanged: no repaint
            self._status = text.plain
            status = self.screen.query_one("#article-status", Static)
            status.update(text, layout=False)  # always one line

    def schedule_save(self) -> None:
        """Save the reading state after ``SAVE_DELAY`` of quiet."""
        if self._save_timer is not None:
            self._save_timer.stop()
        self._save_timer = self.set_timer(SAVE_DELAY, self.save_state)

    def save_state(self) -> None:
        """Write the remembered positions (small JSON, atomic)."""
        try:
            save_state(self.session.workspace.state_dir, self.session.state)
        except OSError as error:
            self.notify(
                f"Could not save reading positions: {error}", severity="warning", markup=False
            )


def marked_query(query: str) -> str:
    """The query whose hits an article marks: none for a blank one or a ``note:`` query."""
    return "" if not query.strip() or note_query(query) is not None else query


def _marks_and_hits(
    library: Any, layout: ArticleLayout, query: str
) -> tuple[QueryMarks, list[tuple[int, Span]]]:
    """What the query marks in the article (search/ says, as the query means it), and its
    hits in the paragraphs, in reading order (``n``/``N`` go through them)."""
    if not query:
        return NO_MARKS, []
    try:
        marks = library.highlight(query, layout.article.id)
    except (QueryError, KeyError):
        return NO_MARKS, []
    hits: list[tuple[int, Span]] = []
    for passage, block in sorted(layout.passage_block.items()):
        hits.extend((passage, span) for span in marked_spans(marks, layout.blocks[block]))
    return marks, hits


def status_text(view: ArticleView, position: tuple[int, int] | None) -> Text:
    """``¶ 3 of 12 · hit 1 of 4 · article 2 of 9`` (empty with no article)."""
    if view.article is None:
        return Text("")
    parts = [f"¶ {grouped(view.cursor + 1)} of {grouped(view.passage_count)}"]
    noun = "match" if view.finding else "hit"
    if view.hits:
        if view.hit_index >= 0:
            parts.append(f"{noun} {grouped(view.hit_index + 1)} of {grouped(len(view.hits))}")
        else:
            plural = "matches" if view.finding else "hits"
            parts.append(counted(len(view.hits), noun, plural))
    elif view.finding:
        parts.append("no match")
    elif view.marked_query and not view.marks.matches:
        parts.append("not a match for the query")
    if position is not None:
        parts.append(f"article {grouped(position[0])} of {grouped(position[1])}")
    return Text(" · ".join(parts))
