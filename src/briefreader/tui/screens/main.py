"""The reader's main screen: search bar, results, article, side panel, footer.

All index work runs in thread workers (opening/building the index, searching, loading an
article, related passages); they only post messages, and the handlers here update widgets.
"""

from __future__ import annotations

import gc
import time
from dataclasses import replace
from functools import partial
from typing import Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.events import DescendantFocus
from textual.timer import Timer
from textual.widgets import Footer, Input, OptionList, Static
from textual.worker import get_current_worker

from briefreader.models import SearchResult, Span
from briefreader.notes import NotesError
from briefreader.notes.store import tag_resolver
from briefreader.search.highlight import term_spans
from briefreader.search.query import QueryError
from briefreader.tui.entities import (
    ArticleEntities,
    article_mentions,
    entity_counts,
    entity_query,
    merged_entity_counts,
)
from briefreader.tui.history import History, Location
from briefreader.tui.messages import (
    ArticleFailed,
    ArticleLoaded,
    IndexProgress,
    LibraryFailed,
    LibraryReady,
    MatchesCounted,
    OpenRequest,
    RelatedFound,
    ResultsPage,
    SearchFinished,
)
from briefreader.tui.notes_bridge import note_query
from briefreader.tui.paging import PAGE_SIZE, PageRequest, ResultPager
from briefreader.tui.related import find_related_items
from briefreader.tui.screens.reader_notes import ReaderNotes
from briefreader.tui.state import ReaderState, load_state, save_state
from briefreader.tui.widgets.article_layout import ArticleLayout, display_text
from briefreader.tui.widgets.article_view import GUTTER, PLACEHOLDER, ArticleView
from briefreader.tui.widgets.filter_chips import FilterChips
from briefreader.tui.widgets.indexing import IndexingStatus
from briefreader.tui.widgets.results import ResultEntry, ResultsList
from briefreader.tui.widgets.search_bar import SearchBar
from briefreader.tui.widgets.side_panel import SidePanel
from briefreader.workspace import Workspace, WorkspaceError

RELATED_DELAY = 0.25
COUNT_DELAY = 0.2  # seconds of no typing before the exact count of matches is started
SAVE_DELAY = 1.0
INDEX_POLL_SECONDS = 3.0
TYPING_WINDOW_SECONDS = 0.05  # keys closer than this are one search (see _query_changed)


class MainScreen(ReaderNotes):
    """Search, read, follow related passages, and take notes (see :class:`ReaderNotes`)."""

    HORIZONTAL_BREAKPOINTS = [(0, "-tiny"), (60, "-narrow"), (110, "-wide")]  # noqa: RUF012

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "focus_search", "Search", show=False, id="reader.search"),
        Binding("r", "toggle_side", "Panel", id="reader.toggle-side"),
        Binding("l", "toggle_list", "List", show=False, id="reader.toggle-list"),
        Binding("t", "next_tab", "Panel tab", show=False, id="reader.next-tab"),
        Binding("backspace,alt+left", "back", "Back", show=False, id="reader.back"),
        Binding("alt+right", "forward", "Forward", show=False, id="reader.forward"),
        Binding("o", "focus_results", "Results", show=False, id="reader.results"),
        Binding("a", "focus_article", "Article", show=False, id="reader.article"),
        Binding("F", "facets", "Facets", show=False, id="reader.facets"),
    ]

    def __init__(self, workspace: Workspace) -> None:
        super().__init__()
        self.workspace = workspace
        self.library: Any = None
        self._building = "Building the index for the first time…"  # or why it is rebuilt
        self.history = History()
        self.state: ReaderState = load_state(workspace.state_dir)
        self.results_query = ""
        self.result: SearchResult | None = None
        self.pager = ResultPager()
        self._continue_from: tuple[int, str] | None = None  # n past the last loaded result
        self.article_id: str | None = None
        self._restored = False
        self._related_timer: Timer | None = None
        self._count_timer: Timer | None = None
        self._save_timer: Timer | None = None
        self._typing_timer: Timer | None = None
        self._typed_at = 0.0

    def compose(self) -> ComposeResult:
        yield SearchBar(id="search-bar")
        yield FilterChips(id="filter-chips")
        with Horizontal(id="body"):
            yield ResultsList(id="results")
            with Vertical(id="article-pane"):
                yield ArticleView(id="article")
                yield Static(id="article-status")
            yield SidePanel(id="side")
        yield IndexingStatus(id="indexing")
        yield Footer()

    def on_mount(self) -> None:
        """Paint at once; open (or build) the index in a worker."""
        self.query_one(ArticleView).set_placeholder("Opening the index…")
        self.results.focus()  # start on the list: q, ? and j/k work at once; / searches
        self.load_library()
        self.start_notes()
        self.poll_every(INDEX_POLL_SECONDS, self._watch_index)
        self.app.theme_changed_signal.subscribe(self, self._remember_theme)

    def _remember_theme(self, theme: Any) -> None:
        """A theme picked in the palette is the theme of the next start too."""
        self.state.theme = theme.name
        self._schedule_save()

    # ------------------------------------------------------------------ widgets

    @property
    def view(self) -> ArticleView:
        return self.query_one(ArticleView)

    @property
    def results(self) -> ResultsList:
        return self.query_one(ResultsList)

    @property
    def search_bar(self) -> SearchBar:
        return self.query_one(SearchBar)

    @property
    def side(self) -> SidePanel:
        return self.query_one(SidePanel)

    # ------------------------------------------------------------------ the index

    @work(thread=True, exclusive=True, group="library")
    def load_library(self) -> None:
        """Open the index at once if there is one, then bring it up to date."""
        from briefreader.pipeline import run_index
        from briefreader.search.index.store import IndexBusy, IndexUnavailable, active_dir
        from briefreader.search.library import Library

        library = None
        try:
            library = Library.open(self.workspace)
            self.post_message(LibraryReady(library, final=False))
        except IndexUnavailable as reason:
            if active_dir(self.workspace.index_dir) is not None:  # there, but unusable: say why
                self._building = f"Rebuilding the index ({reason}); notes are kept…"
        try:
            run = run_index(
                self.workspace, progress=self._progress_poster(), library=library, keep_open=True
            )
        except IndexUnavailable as error:
            self.post_message(LibraryFailed(f"Cannot open the index: {error}"))
            return
        except (IndexBusy, OSError, ValueError) as error:
            if library is None:
                self.post_message(LibraryFailed(f"Cannot build the index: {error}"))
            else:
                self.post_message(LibraryReady(library, f"Index not updated: {error}"))
            return
        notice = " · ".join(x for x in (_report_notice(run.report), run.notes_notice) if x)
        first = "Index ready" if library is None else ""  # a reader already open says nothing
        self.post_message(LibraryReady(run.library, notice or first))

    def _watch_index(self) -> None:
        """Every few seconds, pick up an index that another process has updated."""
        if self.library is not None:
            self.refresh_library()

    @work(thread=True, exclusive=True, group="library-refresh")
    def refresh_library(self) -> None:
        """Refresh the searcher if the index changed on disk (another ``briefreader index``)."""
        from briefreader.search.index.store import IndexUnavailable

        library = self.library
        try:
            changed = library.refresh()
        except (IndexUnavailable, OSError):
            return  # mid-swap or gone: the next tick tries again; the old snapshot stays usable
        if changed:
            self.post_message(LibraryReady(library, "The index was updated; results refreshed"))

    def _progress_poster(self) -> Any:
        """A progress callback that posts at most ~10 messages a second."""
        last: dict[str, Any] = {"phase": "", "time": 0.0}

        def report(phase: str, done: int, total: int) -> None:
            now = time.monotonic()
            if phase != last["phase"] or done >= total or now - float(last["time"]) > 0.1:
                last.update(phase=phase, time=now)
                self.post_message(IndexProgress(phase, done, total))

        return report

    def on_index_progress(self, message: IndexProgress) -> None:
        """Show indexing progress (first run, or new files)."""
        if message.phase == "scanning" and self.library is not None:
            return  # checking unchanged files: showing and hiding the bar repainted the body
        indexing = self.query_one(IndexingStatus)
        indexing.display = True
        indexing.update_progress(message.phase, message.done, message.total)
        if self.library is None:
            self.view.set_placeholder(self._building)

    def on_library_ready(self, message: LibraryReady) -> None:
        """The index is open: run the current query and restore the last article."""
        first = self.library is None
        self.library = message.library
        self.library.tag_articles = tag_resolver(self.workspace.notes_db)  # ``tag:`` filters
        if message.notice:
            self.notify(message.notice, markup=False)
        if message.final:
            self.query_one(IndexingStatus).display = False
            self.warm_entity_table()
        self.run_search(self.search_bar.input.value, keep_place=not first)
        if first:
            self.view.set_placeholder(PLACEHOLDER)
            self._restore_last_article()
        else:
            self.load_notes(reanchor=True)  # the articles may have changed: find notes again
            if self.article_id and self.library.summary(self.article_id) is not None:
                request = OpenRequest(self.article_id, passage=self.view.cursor)
                self.open_article(request, jump=False)  # show the article's new text

    @work(thread=True, exclusive=True, group="entity-table")
    def warm_entity_table(self) -> None:
        """Resolve the corpus's entities off the UI thread, so that the first ``entity:``
        search (typed, or Enter in the Entities tab) does not wait for it; then freeze what
        exists for the garbage collector."""
        if self.library is not None:
            self.library.entity_table()
        _freeze_long_lived()

    def on_library_failed(self, message: LibraryFailed) -> None:
        """Say in plain words why there is nothing to read."""
        self.query_one(IndexingStatus).display = False
        self.search_bar.set_status(message.reason, problem=True)
        self.view.set_placeholder(message.reason)

    def _restore_last_article(self) -> None:
        last = self.state.last_article
        if last and self.library.summary(last) is not None:
            position = self.state.positions.get(last, 1)
            self.open_article(OpenRequest(last, passage=position - 1), jump=False)

    # ------------------------------------------------------------------ searching

    @on(Input.Changed, "#query")
    def _query_changed(self, event: Input.Changed) -> None:
        """Search what is typed at most once per typing window: a burst of keys (an
        unbracketed paste sends one per character) costs one search, not one per key."""
        self.query_one(FilterChips).show_query(event.value)
        if self._typing_timer is not None:
            return  # the search at the end of the window takes the latest text
        now = time.monotonic()
        if now - self._typed_at >= TYPING_WINDOW_SECONDS:
            self._typed_at = now
            self.run_search(event.value)
        else:
            self._typing_timer = self.set_timer(TYPING_WINDOW_SECONDS, self._typed_search_due)

    def _typed_search_due(self) -> None:
        """The typing window ended: search the input's text as it is now."""
        self._typing_timer = None
        self._typed_at = time.monotonic()
        self.run_search(self.search_bar.input.value)

    def run_search(self, query: str, *, keep_place: bool = False) -> None:
        """Search in a worker; only the latest query's answer is shown.

        ``keep_place`` (the index changed under the same query): fetch as many results as
        the list holds and leave the highlight on the same entry, wherever it moved.
        """
        keep, limit = None, PAGE_SIZE
        if keep_place and query == self.results_query:
            keep = self.results.highlighted_entry
            limit = max(PAGE_SIZE, len(self.results.entries))
        self._drop_page()
        self._stop_counting()  # the count of the previous query would slow this search down
        if self.library is not None:
            self.search_worker(query, limit, keep)

    @work(thread=True, exclusive=True, group="search")
    def search_worker(
        self, query: str, limit: int = PAGE_SIZE, keep: ResultEntry | None = None
    ) -> None:
        """Run one query (or list the library for an empty one) off the UI thread."""
        library = self.library
        if note_query(query) is not None:
            try:
                message = SearchFinished(query, result=self.note_search(query))
            except NotesError as error:
                message = SearchFinished(query, error=str(error))
        elif not query.strip():
            message = SearchFinished(query, library=library.articles())
        else:
            from briefreader.search.library import SearchCancelled

            worker = get_current_worker()
            try:
                result = library.search(query, limit=limit, should_stop=lambda: worker.is_cancelled)
                message = SearchFinished(query, result=result)
            except QueryError as error:
                message = SearchFinished(query, error=str(error))
            except SearchCancelled:
                return  # the reader typed on: a newer search is running
            except _index_failures() as error:  # replaced or damaged under us: say so, go on
                message = SearchFinished(query, error=_index_failure_text(error))
        if not get_current_worker().is_cancelled:
            message.keep = keep
            self.post_message(message)

    def on_search_finished(self, message: SearchFinished) -> None:
        """Show results, unless the user has typed on since."""
        if message.query != self.search_bar.input.value:
            return
        if message.error:
            self.search_bar.set_status(f"⚠ {message.error}", problem=True)
            return
        self.results_query = message.query
        self.result = message.result
        if message.result is None:
            self.pager.start(message.query, 0, 0)
            self.results.show_library(message.library)
            count = len(message.library)
            self.search_bar.set_status(f"{count} article{'s' if count != 1 else ''}, newest first")
        else:
            result = message.result
            self.pager.start(message.query, len(result.hits), result.total, result.exact)
            self.results.show_results(result, more=self.pager.has_more)
            self.search_bar.set_status(_result_status(result, message.query))
            if not result.exact:
                self._count_later(message.query)
        if message.keep is not None:
            self.results.reveal(message.keep)
        self._update_status()

    def _count_later(self, query: str) -> None:
        """Count the matches once typing has paused (``COUNT_DELAY``), not on every key."""
        self._stop_counting()
        self._count_timer = self.set_timer(COUNT_DELAY, partial(self.count_worker, query))

    def _stop_counting(self) -> None:
        if self._count_timer is not None:
            self._count_timer.stop()
            self._count_timer = None
        self.workers.cancel_group(self, "search-count")

    @work(thread=True, exclusive=True, group="search-count")
    def count_worker(self, query: str) -> None:
        """Count a query's matches exactly, off the UI thread (given up when the query changes)."""
        worker = get_current_worker()
        try:
            total = self.library.count(query, should_stop=lambda: worker.is_cancelled)
        except QueryError:
            return
        except _index_failures():
            return  # the estimate stays
        if total is not None and not worker.is_cancelled:
            self.post_message(MatchesCounted(query, total))

    def on_matches_counted(self, message: MatchesCounted) -> None:
        """Put the exact count in place of the estimate."""
        if self.result is None or message.query != self.results_query:
            return
        if not self.pager.counted(message.query, message.total):
            return
        self.result = replace(self.result, total=self.pager.total, exact=True)
        if not self.pager.has_more and self.pager.pending is None:
            self.results.set_more(False)  # the estimate promised more than there are
        self.search_bar.set_status(_result_status(self.result, self.results_query))
        self._update_status()

    # ------------------------------------------------------------------ more results

    def on_results_list_more_wanted(self, _message: ResultsList.MoreWanted) -> None:
        """The reader neared the end of the results: fetch the next page."""
        self._fetch_next_page()

    def _fetch_next_page(self) -> None:
        if self.library is None or self.pager.query != self.search_bar.input.value:
            self.results.page_dropped()  # the bar holds a newer query: its results will come
            return
        request = self.pager.request()
        if request is not None:
            self.page_worker(request)

    @work(thread=True, exclusive=True, group="search-page")
    def page_worker(self, request: PageRequest) -> None:
        """Fetch one more page of a query's results off the UI thread."""
        try:
            result = self.library.search(request.query, limit=request.limit, offset=request.offset)
            message = ResultsPage(request, result=result)
        except QueryError as error:
            message = ResultsPage(request, error=str(error))
        except _index_failures() as error:
            message = ResultsPage(request, error=_index_failure_text(error))
        if not get_current_worker().is_cancelled:
            self.post_message(message)

    def on_results_page(self, message: ResultsPage) -> None:
        """Append the page below the results, unless the query changed since it was asked for."""
        page, current = message.result, self.result
        if page is None or current is None:
            if message.request == self.pager.pending:
                self._drop_page()
                self.notify(f"Could not load more results: {message.error}", markup=False)
            return
        if not self.pager.accept(message.request, len(page.hits), page.total):
            return  # stale: a newer query (or a newer first page) replaced that list
        self.results.append_results(page.hits, more=self.pager.has_more)
        self.result = replace(
            current,
            hits=current.hits + page.hits,
            total=self.pager.total,
            exact=self.pager.exact,
        )
        self.search_bar.set_status(_result_status(self.result, self.results_query))
        self._update_status()
        self._continue_hits()

    def _drop_page(self) -> None:
        """Forget the page on its way (and where ``n`` was heading)."""
        if self.pager.pending is not None:
            self.pager.cancel()
            self.workers.cancel_group(self, "search-page")
            self.results.page_dropped()
        self._continue_from = None

    def _continue_hits(self) -> None:
        """``n`` ran past the last loaded result: carry on into the page that just came."""
        if self._continue_from is None:
            return
        target, origin = self._continue_from
        self._continue_from = None
        if origin != self.article_id:
            return  # the reader went elsewhere meanwhile
        if target < len(self.results.entries):
            self._open_entry(target, land="first-hit")
        else:
            self.notify("No more hits: this is the last result")

    @on(Input.Submitted, "#query")
    def _query_submitted(self, event: Input.Submitted) -> None:
        suggestion = self.result.suggestion if self.result and not self.result.hits else None
        if suggestion:
            self.search_bar.input.value = suggestion
            self.search_bar.input.cursor_position = len(suggestion)  # type on after the word
            return
        entry = self.results.highlighted_entry
        if entry is not None:
            self._open_entry(self.results.entries.index(entry))

    # ------------------------------------------------------------------ opening

    @on(OptionList.OptionSelected, "#results")
    def _result_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        entry = self.results.entry_for_option(event.option_index)
        if entry is not None:
            self._open_entry(self.results.entries.index(entry))

    def _open_entry(self, position: int, land: str = "") -> None:
        entry = self.results.entries[position]
        self.results.select_entry(position)
        request = OpenRequest(entry.article_id, passage_id=entry.passage_id, land=land)
        self.open_article(request)
        self.view.focus()

    def open_article(self, request: OpenRequest, *, jump: bool = True) -> None:
        """Load an article in a worker (a jump can be undone with backspace)."""
        if self.library is None:
            return
        if jump:
            self.history.push(self.location)
        width = max(4, self.view.scrollable_content_region.width - GUTTER - 1)
        query = "" if note_query(self.results_query) is not None else self.results_query
        self.article_worker(request, query, width)

    @property
    def location(self) -> Location | None:
        """Where the reader is now (for history)."""
        if self.article_id is None:
            return None
        return Location(self.article_id, self.view.cursor)

    @work(thread=True, exclusive=True, group="article")
    def article_worker(self, request: OpenRequest, query: str, width: int) -> None:
        """Load the article, its hits for the query, and wrap it for the current width."""
        library = self.library
        try:
            article = library.article(request.article_id)
            extra = library.extra(request.article_id)
        except KeyError:
            self.post_message(
                ArticleFailed(request.article_id, "This article is no longer indexed.")
            )
            return
        terms = frozenset(library.highlight_terms(query)) if query.strip() else frozenset()
        hits = _article_hits(library, article, query, terms)
        layout = ArticleLayout(article)
        layout.wrapped(width)
        if not get_current_worker().is_cancelled:
            self.post_message(ArticleLoaded(request, article, extra, terms, hits, layout))
            merged = merged_entity_counts(article, extra, library.entity_table())
            self.post_message(ArticleEntities(article.id, merged))

    def on_article_loaded(self, message: ArticleLoaded) -> None:
        """Show the article and put the cursor where the request says."""
        article = message.article
        mentions = article_mentions(article, message.extra)
        self.article_id = article.id
        self.view.show_article(
            message.layout, terms=message.terms, hits=message.hits, mentions=mentions
        )
        self.side.show_entities(entity_counts(mentions))
        self._land(message)
        self.load_notes()

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
            position = self.state.positions.get(message.article.id, 1) - 1
            view.move_cursor(position, top=position > 0)

    def on_article_failed(self, message: ArticleFailed) -> None:
        """Tell the user; keep whatever was shown."""
        self.notify(message.reason, severity="error", markup=False)

    # ------------------------------------------------------------------ moving

    def on_article_view_moved(self, message: ArticleView.Moved) -> None:
        """Update the status line, remember the position, look up related passages."""
        self._update_status()
        article = self.view.article
        if article is None or not article.passages:
            return
        self.state.remember(article.id, article.passages[message.passage].number)
        self._schedule_save()
        self._schedule_related()

    def on_article_view_hits_exhausted(self, message: ArticleView.HitsExhausted) -> None:
        """Carry ``n``/``N`` on into the next or previous result article."""
        entries = self.results.entries if self.result is not None else []
        ids = [entry.article_id for entry in entries]
        if not self.results_query.strip() or not ids:
            self.notify("No search hits: type a query first (/)")
            return
        here = ids.index(self.article_id) if self.article_id in ids else -1
        target = here + message.direction
        if target == len(ids) and self.pager.has_more and self.article_id is not None:
            self._continue_from = (target, self.article_id)  # opened when the page comes
            self._fetch_next_page()
            return
        if not 0 <= target < len(ids):  # wrap round, as less and vim do, and say so
            target = target % len(ids)
            edge = ("last", "first") if message.direction > 0 else ("first", "last")
            self.notify(f"Search wrapped: past the {edge[0]} result, back to the {edge[1]}")
        self._open_entry(target, land="first-hit" if message.direction > 0 else "last-hit")

    def _update_status(self) -> None:
        status = self.query_one("#article-status", Static)
        status.update(_status_text(self.view, self._article_position()), layout=False)  # 1 line

    def _article_position(self) -> tuple[int, int] | None:
        if self.result is None or not self.results.entries:
            return None
        ids = [entry.article_id for entry in self.results.entries]
        if self.article_id not in ids:
            return None
        return ids.index(self.article_id) + 1, max(len(ids), self.result.total)

    def _schedule_save(self) -> None:
        if self._save_timer is not None:
            self._save_timer.stop()
        self._save_timer = self.set_timer(SAVE_DELAY, self.save_state)

    def save_state(self) -> None:
        """Write the remembered positions (small JSON, atomic)."""
        try:
            save_state(self.workspace.state_dir, self.state)
        except OSError as error:
            self.notify(
                f"Could not save reading positions: {error}", severity="warning", markup=False
            )

    # ------------------------------------------------------------------ related

    def _schedule_related(self) -> None:
        if self._related_timer is not None:
            self._related_timer.stop()
        self._related_timer = self.set_timer(RELATED_DELAY, self._request_related)

    def _request_related(self) -> None:
        article = self.view.article
        if article is None or not article.passages or not self.side_visible:
            return
        self.related_worker(article.passages[self.view.cursor].id)

    @work(thread=True, exclusive=True, group="related")
    def related_worker(self, passage_id: str) -> None:
        """Find passages related to a paragraph off the UI thread."""
        try:
            answer = find_related_items(self.library, passage_id)
            message = RelatedFound(passage_id, answer.items, notes=answer.notes)
        except _index_failures() as error:  # replaced or damaged under us: say so, go on
            message = RelatedFound(passage_id, [], _index_failure_text(error))
        except WorkspaceError as error:  # a settings file being edited: say which, go on
            message = RelatedFound(passage_id, [], str(error))
        if not get_current_worker().is_cancelled:
            self.post_message(message)

    def on_related_found(self, message: RelatedFound) -> None:
        """Fill the Related tab (if the cursor is still on that paragraph)."""
        article = self.view.article
        if article is None or article.passages[self.view.cursor].id != message.passage_id:
            return
        if message.error:
            self.side.related_message(message.error.capitalize() + ".")
        else:
            self.side.show_related(message.items, message.notes)

    def on_side_panel_related_chosen(self, message: SidePanel.RelatedChosen) -> None:
        """Jump to a related passage (backspace comes back)."""
        self.open_article(OpenRequest(message.item.article_id, passage_id=message.item.passage_id))
        self.view.focus()

    def on_article_entities(self, message: ArticleEntities) -> None:
        """List the article's entities as the corpus table has them (aliases joined)."""
        if message.article_id == self.article_id:
            self.side.show_entities(message.grouped)

    def on_side_panel_entity_chosen(self, message: SidePanel.EntityChosen) -> None:
        """Search the corpus for an entity."""
        self.search_for(entity_query(message.name))

    def action_facets(self) -> None:
        """Show the facets of the current query (sources, entities, tags, timeline)."""
        from briefreader.tui.screens.facets import FacetsScreen

        if self.library is None:
            self.notify("The index is not open yet", timeout=3)
            return
        query = self.search_bar.input.value
        self.app.push_screen(
            FacetsScreen(self.library, query, self.workspace.notes_db, self._apply_facet_query)
        )

    def _apply_facet_query(self, query: str) -> None:
        """A facet narrowed or widened the query: search it (the facets follow it)."""
        self.search_bar.input.value = query

    def search_for(self, query: str) -> None:
        """Put a query in the search bar and show its results."""
        self.search_bar.input.value = query
        self.results.focus()

    def on_article_view_references_wanted(self, message: ArticleView.ReferencesWanted) -> None:
        """Show the references cited by the paragraph under the cursor."""
        from briefreader.tui.screens.references import ReferencesScreen

        self.app.push_screen(ReferencesScreen(message.article, message.passage))

    # ------------------------------------------------------------------ layout

    @property
    def side_visible(self) -> bool:
        """Is the side panel shown (wide: unless hidden; narrower: only when asked)?"""
        if self.has_class("-wide"):
            return not self.has_class("-hide-side")
        return self.has_class("-show-side")

    def action_toggle_side(self) -> None:
        """Show or hide the side panel."""
        if self.has_class("-wide"):
            self.toggle_class("-hide-side")
        else:
            self.toggle_class("-show-side")
        if self.side_visible:
            self._request_related()

    def action_next_tab(self) -> None:
        """Show the side panel's next tab (Related, Entities, Notes), the panel too."""
        if not self.side_visible:
            self.action_toggle_side()
        self.side.next_tab()

    def action_toggle_list(self) -> None:
        """Show or hide the results list beside the article while reading."""
        self.toggle_class("-show-list")

    def on_descendant_focus(self, event: DescendantFocus) -> None:
        """Reading (article or side panel): the list folds away; browsing: it is shown."""
        reading = event.widget is self.view or self.side in event.widget.ancestors
        self.set_class(reading, "-reading")

    def action_focus_search(self) -> None:
        """Focus the search bar (at once: ``/kataib`` typed fast lands in the box;
        ``Widget.focus`` waits for the queue, so the keys after ``/`` went to the list)."""
        self.set_focus(self.search_bar.input)

    def action_focus_results(self) -> None:
        """Focus the results list (at once, as for the search bar)."""
        self.set_focus(self.results)

    def action_focus_article(self) -> None:
        """Focus the article (at once, as for the search bar)."""
        self.set_focus(self.view)

    def action_back(self) -> None:
        """Go back to where the last jump started."""
        self._go(self.history.back(self.location), "Nothing to go back to")

    def action_forward(self) -> None:
        """Redo a jump undone with back."""
        self._go(self.history.forward(self.location), "Nothing to go forward to")

    def _go(self, location: Location | None, empty: str) -> None:
        if location is None:
            self.notify(empty)
            return
        self.open_article(OpenRequest(location.article_id, passage=location.passage), jump=False)
        self.view.focus()

    def on_unmount(self) -> None:
        """Save positions (and the theme) on the way out."""
        if self.article_id is not None or self.state.theme is not None:
            self.save_state()
        self.close_notes()


def _index_failures() -> tuple[type[Exception], ...]:
    """What reading the index can raise when another process replaces or damages it."""
    from briefreader.search.index.store import IndexUnavailable

    return (IndexUnavailable, OSError)


def _index_failure_text(error: Exception) -> str:
    return f"the index could not be read ({error}); try again in a moment"


def _freeze_long_lived() -> None:
    """Move what exists now (the index, catalog and entity table, which live as long as the
    reader) out of the garbage collector's way. Its full collections walked them all, which
    made one page-down in fifteen take 130-180 ms instead of 13 ms (benchmarks, 16×). What an
    earlier freeze kept and is garbage now (a replaced index) is collected first."""
    gc.unfreeze()
    gc.collect()
    gc.freeze()


def _article_hits(library: Any, article: Any, query: str, terms: frozenset[str]) -> list[Any]:
    """Every occurrence of the query's terms in the paragraphs that match it, in order."""
    if not terms:
        return []
    try:
        matching = set(library.passages_matching(query, article.id))
    except QueryError:
        return []
    hits: list[tuple[int, Span]] = []
    for index, passage in enumerate(article.passages):
        if passage.id in matching:
            hits.extend((index, span) for span in term_spans(display_text(passage.text), terms))
    return hits


def _result_status(result: SearchResult, query: str = "") -> str:
    if note_query(query) is not None:
        count = len(result.hits)
        return {0: "No notes match", 1: "1 note matches"}.get(count, f"{count} notes match")
    if not result.hits:
        if result.suggestion:
            return f"No matches. Did you mean “{result.suggestion}”? (Enter)"
        return "No matches"
    shown = len(result.hits)
    if not result.exact:
        return f"at least {shown} articles match (counting…); showing {shown}"
    noun = "article matches" if result.total == 1 else "articles match"
    if result.total > shown:
        return f"{result.total} {noun}; showing {shown}"
    return f"{result.total} {noun}"


def _report_notice(report: Any) -> str:
    if not report.changed:
        return ""
    if report.rebuilt:
        reason = report.rebuilt.removesuffix("; rebuilding it")
        return f"Index rebuilt ({reason}): {report.articles} articles"
    parts = [f"{len(report.added)} added", f"{len(report.updated)} updated"]
    parts.append(f"{len(report.removed)} removed")
    return f"Indexed {report.articles} articles ({', '.join(parts)})"


def _status_text(view: ArticleView, position: tuple[int, int] | None) -> Any:
    from rich.text import Text

    if view.article is None:
        return Text("")
    parts = [f"¶ {view.cursor + 1} of {view.passage_count}"]
    if view.hits:
        if view.hit_index >= 0:
            parts.append(f"hit {view.hit_index + 1} of {len(view.hits)}")
        else:
            parts.append(f"{len(view.hits)} hits")
    if position is not None:
        parts.append(f"article {position[0]} of {position[1]}")
    return Text(" · ".join(parts))
