"""The search part of the main screen: run queries, list results, count, page, carry ``n`` on.

It owns the search bar's status, the results list and the :class:`ResultPager`. A result
chosen (or the next hit's article) is asked for with :class:`OpenWanted`; a change of the
list with :class:`PlaceChanged`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from functools import partial

from textual import on, work
from textual.timer import Timer
from textual.widgets import Input, OptionList
from textual.worker import get_current_worker

from briefreader.models import SearchResult
from briefreader.notes import NotesError
from briefreader.search.query import QueryError
from briefreader.text.wording import counted, grouped
from briefreader.tui.entities import entity_query
from briefreader.tui.messages import MatchesCounted, OpenRequest, ResultsPage, SearchFinished
from briefreader.tui.notes_bridge import note_query
from briefreader.tui.paging import PAGE_SIZE, PageRequest, ResultPager
from briefreader.tui.screens.reader_index import index_failure_text, index_failures
from briefreader.tui.screens.reader_parts import (
    EntitiesAdded,
    LibraryOpened,
    OpenWanted,
    Part,
    PlaceChanged,
    QueryListed,
    ReaderSession,
)
from briefreader.tui.widgets.article_view import ArticleView
from briefreader.tui.widgets.results import ResultEntry, ResultsList
from briefreader.tui.widgets.search_bar import SearchBar
from briefreader.tui.widgets.side_panel import SidePanel

NoteSearch = Callable[[str], SearchResult]  # a ``note:`` query's notes as results


class SearchPart(Part):
    """Queries in workers (the latest wins), the results list, exact counts, more pages."""

    def __init__(
        self, session: ReaderSession, note_search: NoteSearch, count_delay: Callable[[], float]
    ) -> None:
        super().__init__(session)
        self.note_search = note_search
        self.count_delay = count_delay  # read when a count is due (tests tune it)
        self.results_query = ""
        self.result: SearchResult | None = None
        self.pager = ResultPager()
        self._continue_from: tuple[int, str] | None = None  # n past the last loaded result
        self._count_timer: Timer | None = None

    @property
    def results(self) -> ResultsList:
        return self.screen.query_one(ResultsList)

    @property
    def search_bar(self) -> SearchBar:
        return self.screen.query_one(SearchBar)

    def on_library_opened(self, message: LibraryOpened) -> None:
        """The index is open (again): run the query in the box (keeping the place)."""
        self.run_search(self.search_bar.input.value, keep_place=not message.first)

    def on_entities_added(self, _message: EntitiesAdded) -> None:
        """A batch of entities is in the index: entity queries may match more; search the
        query in the box again in place (the library list does not change)."""
        query = self.search_bar.input.value
        if query.strip() and note_query(query) is None and query == self.results_query:
            self.run_search(query, keep_place=True)

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
        if self.session.library is not None:
            self.search_worker(query, limit, keep)

    @work(thread=True, exclusive=True, group="search")
    def search_worker(
        self, query: str, limit: int = PAGE_SIZE, keep: ResultEntry | None = None
    ) -> None:
        """Run one query (or list the library for an empty one) off the UI thread."""
        library = self.session.library
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
            except index_failures() as error:  # replaced or damaged under us: say so, go on
                message = SearchFinished(query, error=index_failure_text(error))
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
        if message.query != self.results_query:
            self.post_message(QueryListed(message.query))
        self.results_query = message.query
        self.result = message.result
        if message.result is None:
            self.pager.start(message.query, 0, 0)
            self.results.show_library(message.library)
            count = len(message.library)
            self.search_bar.set_status(f"{counted(count, 'article')}, newest first")
        else:
            result = message.result
            self.pager.start(message.query, len(result.hits), result.total, result.exact)
            self.results.show_results(result, more=self.pager.has_more)
            self.search_bar.set_status(result_status(result, message.query))
            if not result.exact:
                self._count_later(message.query)
        if message.keep is not None:
            self.results.reveal(message.keep)
        self.post_message(PlaceChanged())

    # ------------------------------------------------------------------ the exact count

    def _count_later(self, query: str) -> None:
        """Count the matches once typing has paused (``count_delay``), not on every key."""
        self._stop_counting()
        self._count_timer = self.set_timer(self.count_delay(), partial(self.count_worker, query))

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
            total = self.session.library.count(query, should_stop=lambda: worker.is_cancelled)
        except QueryError:
            return
        except index_failures():
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
        self.search_bar.set_status(result_status(self.result, self.results_query))
        self.post_message(PlaceChanged())

    # ------------------------------------------------------------------ more results

    def on_results_list_more_wanted(self, _message: ResultsList.MoreWanted) -> None:
        """The reader neared the end of the results: fetch the next page."""
        self.fetch_next_page()

    def fetch_next_page(self) -> None:
        """Fetch the next page of results (the list's end is near, or ``n`` ran past it)."""
        if self.session.library is None or self.pager.query != self.search_bar.input.value:
            self.results.page_dropped()  # the bar holds a newer query: its results will come
            return
        request = self.pager.request()
        if request is not None:
            self.page_worker(request)

    @work(thread=True, exclusive=True, group="search-page")
    def page_worker(self, request: PageRequest) -> None:
        """Fetch one more page of a query's results off the UI thread."""
        from briefreader.search.library import SearchCancelled

        library, worker = self.session.library, get_current_worker()
        try:
            result = library.search(
                request.query,
                limit=request.limit,
                offset=request.offset,
                should_stop=lambda: worker.is_cancelled,
            )
            message = ResultsPage(request, result=result)
        except SearchCancelled:
            return  # a newer query (or page) replaced it
        except QueryError as error:
            message = ResultsPage(request, error=str(error))
        except index_failures() as error:
            message = ResultsPage(request, error=index_failure_text(error))
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
            current, hits=current.hits + page.hits, total=self.pager.total, exact=self.pager.exact
        )
        self.search_bar.set_status(result_status(self.result, self.results_query))
        self.post_message(PlaceChanged())
        self._continue_hits()

    def _drop_page(self) -> None:
        """Forget the page on its way (and where ``n`` was heading)."""
        if self.pager.pending is not None:
            self.pager.cancel()
            self.workers.cancel_group(self, "search-page")
            self.results.page_dropped()
        self._continue_from = None

    # ------------------------------------------------------------------ hit to hit

    def on_article_view_hits_exhausted(self, message: ArticleView.HitsExhausted) -> None:
        """Carry ``n``/``N`` on into the next or previous result article."""
        direction, article_id = message.direction, self.session.article_id
        entries = self.results.entries if self.result is not None else []
        ids = [entry.article_id for entry in entries]
        if not self.results_query.strip() or not ids:
            self.notify("No search hits: type a query first (/)")
            return
        here = ids.index(article_id) if article_id in ids else -1
        target = here + direction
        if target == len(ids) and self.pager.has_more and article_id is not None:
            self._continue_from = (target, article_id)  # opened when the page comes
            self.fetch_next_page()
            return
        if not 0 <= target < len(ids):  # wrap round, as less and vim do, and say so
            target = target % len(ids)
            edge = ("last", "first") if direction > 0 else ("first", "last")
            self.app.clear_notifications()  # one wrap notice at a time: they stacked at 80x24
            self.notify(f"Search wrapped: past the {edge[0]} result, back to the {edge[1]}")
        self.open_entry(target, land="first-hit" if direction > 0 else "last-hit")

    def _continue_hits(self) -> None:
        """``n`` ran past the last loaded result: carry on into the page that just came."""
        if self._continue_from is None:
            return
        target, origin = self._continue_from
        self._continue_from = None
        if origin != self.session.article_id:
            return  # the reader went elsewhere meanwhile
        if target < len(self.results.entries):
            self.open_entry(target, land="first-hit")
        else:
            self.notify("No more hits: this is the last result")

    def open_entry(self, position: int, land: str = "") -> None:
        """Highlight the result at ``position`` and ask for its article (at its best passage)."""
        entry = self.results.entries[position]
        self.results.select_entry(position)
        self.post_message(
            OpenWanted(OpenRequest(entry.article_id, passage_id=entry.passage_id, land=land))
        )

    @on(OptionList.OptionSelected, "#results")
    def _result_selected(self, event: OptionList.OptionSelected) -> None:
        entry = self.results.entry_for_option(event.option_index)
        if entry is not None:
            self.open_entry(self.results.entries.index(entry))

    @on(Input.Submitted, "#query")
    def _submitted(self, _event: Input.Submitted) -> None:
        """Enter in the search box: take the suggestion, or open the highlighted result."""
        suggestion = self.result.suggestion if self.result and not self.result.hits else None
        if suggestion:
            self.set_query(suggestion)  # type on after the word
            return
        entry = self.results.highlighted_entry
        if entry is not None:
            self.open_entry(self.results.entries.index(entry))

    def on_side_panel_entity_chosen(self, message: SidePanel.EntityChosen) -> None:
        """Search the corpus for an entity."""
        self.search_for(entity_query(message.name))

    def search_for(self, query: str) -> None:
        """Put a query in the search bar and show its results."""
        self.set_query(query)
        self.results.focus()

    def set_query(self, query: str) -> None:
        """Replace the search bar's text, the cursor after it: a key typed next goes at the
        end (it went where the cursor had been, inside ``entity:"…"``)."""
        box = self.search_bar.input
        box.value = query
        box.cursor_position = len(query)

    def show_facets(self) -> None:
        """The facets of the query in the box (sources, entities, tags, timeline)."""
        from briefreader.tui.screens.facets import FacetsScreen

        library = self.session.library
        if library is None:
            self.notify("The index is not open yet", timeout=3)
            return
        query, notes_db = self.search_bar.input.value, self.session.workspace.notes_db

        def apply(narrowed: str) -> None:  # a facet narrowed or widened the query
            self.set_query(narrowed)

        self.app.push_screen(FacetsScreen(library, query, notes_db, apply))

    def position_of(self, article_id: str | None) -> tuple[int, int] | None:
        """``(n, of)``: where an article is in the results, for the status line."""
        if self.result is None or not self.results.entries:
            return None
        ids = [entry.article_id for entry in self.results.entries]
        if article_id not in ids:
            return None
        return ids.index(article_id) + 1, max(len(ids), self.result.total)


def result_status(result: SearchResult, query: str = "") -> str:
    """The search bar's status for a result: how many match, or "did you mean"."""
    if note_query(query) is not None:
        count = len(result.hits)
        return counted(count, "note matches", "notes match") if count else "No notes match"
    if not result.hits:
        if result.suggestion:
            return f"No matches. Did you mean “{result.suggestion}”? (Enter)"
        return "No matches"
    shown = len(result.hits)
    if not result.exact:
        matching = counted(shown, "article matches", "articles match")
        return f"at least {matching} (counting…); showing {grouped(shown)}"
    matching = counted(result.total, "article matches", "articles match")
    return f"{matching}; showing {grouped(shown)}" if result.total > shown else matching
