"""The reader's main screen: search bar, results, article, side panel, footer.

The screen is a composition: it lays the widgets out, holds the key bindings and the layout
(which panes show), and wires five parts together. Each part is a hidden widget that owns its
workers and the messages they post (see :mod:`reader_parts`): :class:`IndexPart` (open and
watch the index), :class:`SearchPart` (queries, results, counts, pages, facets),
:class:`ArticlePart` (load, land, positions, history, status line), :class:`RelatedPart`
(the Related tab) and :class:`NotesPart` (marks, the Notes tab, writes). Widgets' and parts'
messages bubble up to this screen, which forwards each type to the parts that handle it (the
``_to_*`` routes below); parts never call each other. Bindings call the parts' methods.
"""

from __future__ import annotations

import time
from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.events import DescendantFocus, Resize
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Input, OptionList, Static, TextArea

from briefreader.models import SearchResult
from briefreader.notes import NoteStore
from briefreader.tui.messages import OpenRequest
from briefreader.tui.related import find_related_items
from briefreader.tui.screens import reader_notes
from briefreader.tui.screens.polling import PollingScreen
from briefreader.tui.screens.reader_article import ArticlePart
from briefreader.tui.screens.reader_index import IndexPart
from briefreader.tui.screens.reader_notes import NotesPart
from briefreader.tui.screens.reader_parts import (
    ArticleShown,
    EntitiesAdded,
    LibraryOpened,
    NoArticleOpened,
    OpenWanted,
    PlaceChanged,
    QueryListed,
    ReaderSession,
    forward,
)
from briefreader.tui.screens.reader_related import RelatedPart
from briefreader.tui.screens.reader_search import SearchPart
from briefreader.tui.state import load_state
from briefreader.tui.widgets.article_view import ArticleView
from briefreader.tui.widgets.filter_chips import FilterChips
from briefreader.tui.widgets.find_bar import FindBar
from briefreader.tui.widgets.footer import ReaderFooter
from briefreader.tui.widgets.indexing import IndexingStatus
from briefreader.tui.widgets.notes_tab import NoteList
from briefreader.tui.widgets.results import ResultsList
from briefreader.tui.widgets.search_bar import SearchBar
from briefreader.tui.widgets.side_panel import SidePanel
from briefreader.workspace import Workspace

COUNT_DELAY = 0.2  # seconds of no typing before the exact count of matches is started
INDEX_POLL_SECONDS = 3.0
TYPING_WINDOW_SECONDS = 0.05  # keys closer than this are one search (see _query_changed)
PANEL_ACTIONS = frozenset({"toggle_side", "next_tab"})  # the side panel's keys: an article's


def count_delay() -> float:
    """The pause before counting, read when a count is due (a module value tests tune)."""
    return COUNT_DELAY


class MainScreen(PollingScreen):
    """Search, read, follow related passages, and take notes: the parts, wired together."""

    HORIZONTAL_BREAKPOINTS = [(0, "-tiny"), (60, "-narrow"), (110, "-wide")]  # noqa: RUF012

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+n", "notes", "Notes", id="reader.notes"),
        # Priority: the app runs it as the key arrives, so the keys typed right after it
        # land in the box (Textual hands each key to the widget focused when it arrives;
        # "/markup" typed at once lost its "m", "/quit" quit). Not while typing: see
        # check_action.
        Binding("slash", "focus_search", "Search", show=False, id="reader.search", priority=True),
        Binding("r", "toggle_side", "Panel", id="reader.toggle-side"),
        Binding("l", "toggle_list", "List", show=False, id="reader.toggle-list"),
        Binding("t", "next_tab", "Next panel tab", show=False, id="reader.next-tab"),
        Binding("backspace,alt+left", "back", "Back", show=False, id="reader.back"),
        Binding("alt+right", "forward", "Forward", show=False, id="reader.forward"),
        Binding("o", "focus_results", "Results", show=False, id="reader.results"),
        Binding("i", "focus_article", "Article", show=False, id="reader.article"),
        Binding("F", "facets", "Facets", show=False, id="reader.facets"),
        Binding("ctrl+f", "find", "Find", show=False, id="reader.find"),
    ]

    def __init__(self, workspace: Workspace) -> None:
        super().__init__()
        self.session = ReaderSession(workspace, load_state(workspace.state_dir))
        self.search_bar = SearchBar(id="search-bar")
        self.results = ResultsList(id="results")
        self.view = ArticleView(id="article")
        self.side = SidePanel(id="side")
        self.index = IndexPart(self.session)
        self.notes = NotesPart(self.session)
        self.search = SearchPart(self.session, self.notes.note_search, count_delay)
        self.pager = self.search.pager
        self.article = ArticlePart(self.session)
        self.related = RelatedPart(self.session, find_related_items, lambda: self.side_visible)
        self._typing_timer: Timer | None = None
        self._typed_at = 0.0

    def compose(self) -> ComposeResult:
        yield self.search_bar
        yield FilterChips(id="filter-chips")
        with Horizontal(id="body"):
            yield self.results
            with Vertical(id="article-pane"):
                yield self.view
                yield FindBar(id="find")
                yield Static(id="article-status")
            yield self.side
        yield IndexingStatus(id="indexing")
        yield ReaderFooter()
        yield from (self.index, self.search, self.article, self.related, self.notes)

    def on_mount(self) -> None:
        """Paint at once; open (or build) the index and the notes in workers; poll both."""
        self.view.set_placeholder("Opening the index…")
        self.results.focus()  # start on the list: q, ? and j/k work at once; / searches
        self.index.load_library()
        self.notes.start()
        self.poll_every(reader_notes.POLL_SECONDS, self.notes.poll)
        self.poll_every(INDEX_POLL_SECONDS, self._watch_index)
        self.app.theme_changed_signal.subscribe(self, self.article.remember_theme)
        # The status line changes in the frame that moves the cursor (not a paint later).
        self.view.moved_signal.subscribe(self.article, self.article.cursor_moved, immediate=True)

    # ------------------------------------------------------------------ what the parts hold

    @property
    def library(self) -> Any:
        """The open library (None until the index is open)."""
        return self.session.library

    @property
    def article_id(self) -> str | None:
        """The article shown (None before the first)."""
        return self.session.article_id

    @property
    def result(self) -> SearchResult | None:
        """The results listed (None for the library list)."""
        return self.search.result

    @property
    def results_query(self) -> str:
        """The query whose results are listed."""
        return self.search.results_query

    @property
    def notes_store(self) -> NoteStore | None:
        """The open note store (None until it is open, or if it cannot be)."""
        return self.notes.notes_store

    # ------------------------------------------------------------------ routes to the parts

    @on(Input.Submitted, "#query")
    @on(OptionList.OptionSelected, "#results")
    @on(ResultsList.MoreWanted)
    @on(ArticleView.HitsExhausted)
    @on(SidePanel.EntityChosen)
    def _to_search(self, message: Message) -> None:
        forward(message, self.search)

    @on(ArticleView.Moved)
    @on(ArticleView.ReferencesWanted)
    @on(Input.Changed, "#find")
    @on(Input.Submitted, "#find")
    @on(FindBar.Closed)
    def _to_article(self, message: Message) -> None:
        forward(message, self.article)

    @on(ArticleView.Moved)
    @on(SidePanel.RelatedChosen)
    def _to_related(self, message: Message) -> None:
        forward(message, self.related)

    @on(ArticleShown)
    @on(ArticleView.NoteWanted)
    @on(ArticleView.NoteEditWanted)
    @on(NoteList.Action)
    def _to_notes(self, message: Message) -> None:
        forward(message, self.notes)

    @on(EntitiesAdded)
    def _to_entity_readers(self, message: EntitiesAdded) -> None:
        """A batch of entities is in: the results and the open article's marks, in place."""
        forward(message, self.search, self.article)

    @on(LibraryOpened)
    def _to_readers(self, message: LibraryOpened) -> None:
        """The index is open: search again, re-open the article, find its notes again."""
        forward(message, self.search, self.article, self.notes)

    def on_open_wanted(self, message: OpenWanted) -> None:
        """A part asks for an article (a result, a related passage, a note, history)."""
        self.open_article(message.request, jump=message.jump)
        if message.focus:
            self.view.focus()

    def on_query_listed(self, message: QueryListed) -> None:
        """Another query's results are listed (typed, or narrowed by a facet): the open
        article marks its hits."""
        self.article.remark(message.query)

    @on(ArticleShown)
    def _marks_follow_the_list(self, _message: ArticleShown) -> None:
        """An article loaded while the list changed shows the listed query's hits too; the
        list gives the article pane its room back."""
        self.article.remark(self.results_query)
        self.remove_class("-no-article")
        self.refresh_bindings()  # the footer offers the panel's keys again

    def on_no_article_opened(self, _message: NoArticleOpened) -> None:
        """Nothing to read yet: below 110 columns the list takes the width (see the .tcss)."""
        self.add_class("-no-article")

    def on_place_changed(self, _message: PlaceChanged) -> None:
        """The status line: the paragraph, the hit, and the article's place in the results."""
        self.article.show_status(self.search.position_of(self.article_id))

    # ------------------------------------------------------------------ the screen's own

    def _watch_index(self) -> None:
        """Every few seconds, pick up an index that another process has updated."""
        self.index.watch_index()

    @on(Input.Changed, "#query")
    def _query_changed(self, event: Input.Changed) -> None:
        """Search what is typed at most once per typing window: a burst of keys (an
        unbracketed paste sends one per character) costs one search, not one per key.

        A key inside the window is searched when the window ends, not a whole window
        after the key: waiting ``TYPING_WINDOW_SECONDS`` from the key added up to 50 ms
        to the keystroke-to-results time of a reader typing fast."""
        self.query_one(FilterChips).show_query(event.value)
        if self._typing_timer is not None:
            return  # the search at the end of the window takes the latest text
        now = time.monotonic()
        elapsed = now - self._typed_at
        if elapsed >= TYPING_WINDOW_SECONDS:
            self._typed_at = now
            self.run_search(event.value)
        else:
            self._typing_timer = self.set_timer(
                TYPING_WINDOW_SECONDS - elapsed, self._typed_search_due
            )

    def _typed_search_due(self) -> None:
        """The typing window ended: search the input's text as it is now."""
        self._typing_timer = None
        self._typed_at = time.monotonic()
        self.run_search(self.search_bar.input.value)

    def run_search(self, query: str, *, keep_place: bool = False) -> None:
        """Search in a worker (see :meth:`SearchPart.run_search`)."""
        self.search.run_search(query, keep_place=keep_place)

    def _open_entry(self, position: int, land: str = "") -> None:
        self.search.open_entry(position, land)

    def open_article(self, request: OpenRequest, *, jump: bool = True) -> None:
        """Load an article in a worker, the listed query's hits marked (a jump can be undone
        with backspace)."""
        self.article.open(request, self.results_query, jump=jump)

    # ------------------------------------------------------------------ layout and keys

    @property
    def side_visible(self) -> bool:
        """Is the side panel shown (wide: unless hidden; narrower: when asked, while reading)?"""
        if self.has_class("-wide"):
            return not self.has_class("-hide-side")
        # Narrower, the panel shows only while reading (see the .tcss); never below 60.
        return self.has_class("-narrow", "-show-side", "-reading")

    def on_resize(self, _event: Resize) -> None:
        """A resize can show the side panel (80 to 120 columns): fill its Related tab once the
        layout classes follow the new width, not when the cursor next moves."""
        self.call_after_refresh(self.related.catch_up)

    def on_descendant_focus(self, _event: DescendantFocus) -> None:
        """Reading (the article pane, its find bar, or the side panel): the list folds away;
        browsing: it is shown.

        Decided by where the focus is now, not by the event's widget: each of these events
        bubbles up from its own widget, one hop per message queue, so on a loaded machine a
        click's event (the article pane, deep) reached the screen after the one of ``/``
        that followed it (the search box, shallow), and the results of the search typed
        next were hidden."""
        focused = self.focused
        if focused is None:
            return
        pane = self.query_one("#article-pane")
        reading = any(node in focused.ancestors for node in (pane, self.side))
        self.set_class(reading, "-reading")
        if reading and self.side_visible:  # narrower, the panel may have just appeared
            self.related.catch_up()

    def action_toggle_side(self) -> None:
        """Show or hide the side panel (narrower than 110 columns: an overlay, in place of
        the list's, with the focus in it when it is asked for from the list)."""
        if self._panel_refused("toggle_side"):
            return
        if self.has_class("-wide"):
            self.toggle_class("-hide-side")
        elif self.side_visible:
            self.remove_class("-show-side")
            self._focus_out_of_the_hidden_side()
        else:
            self.add_class("-show-side")
            self.remove_class("-show-list")
            if not self.has_class("-reading"):  # shown only while reading: go into it
                self.set_focus(self.side.tab_list(self.side.active_tab()))
        if self.side_visible:
            self.related.request()

    def _panel_refused(self, action: str) -> bool:
        """Can the panel's key not act now? Then say why in one line: below 60 columns
        there is no panel; with no article open it has nothing to show (but from 110
        columns r still hides and shows it beside the list)."""
        why = self._why_no_panel(action)
        if why:
            self.app.clear_notifications()
            self.notify(why)
        return bool(why)

    def _why_no_panel(self, action: str) -> str:
        if self.has_class("-tiny"):
            return "The side panel needs a terminal 60 columns wide"
        if self.article_id is None and not (action == "toggle_side" and self.has_class("-wide")):
            return "No article open: the panel shows an article's related passages and entities"
        return ""

    def footer_offers(self, action: str) -> bool:
        """Does the footer offer ``action`` now? Not the panel's keys when they cannot act."""
        return action not in PANEL_ACTIONS or not self._why_no_panel(action)

    def action_next_tab(self) -> None:
        """The side panel's next tab (Related, Entities, Notes), the panel too."""
        self.show_side_tab(self.side.next_tab())

    def show_side_tab(self, name: str) -> None:
        """Show the side panel on the tab ``name``, with the focus in its list: one key
        to the Entities (``t``), not ``t`` then two Tabs past the tab strip."""
        if self._panel_refused("next_tab"):
            return
        if not self.has_class("-wide"):
            self.add_class("-show-side")
            self.remove_class("-show-list")
        elif self.has_class("-hide-side"):
            self.remove_class("-hide-side")
        self.side.show_tab(name)
        self.set_focus(self.side.tab_list(name))
        self.related.catch_up()  # narrower, the panel shows with the focus (see below)

    def action_toggle_list(self) -> None:
        """Show or hide the results list beside the article while reading (narrower than
        110 columns: an overlay, in place of the side panel's)."""
        self.toggle_class("-show-list")
        if self.has_class("-show-list") and not self.has_class("-wide"):
            self.remove_class("-show-side")
            self._focus_out_of_the_hidden_side()

    def _focus_out_of_the_hidden_side(self) -> None:
        """The side panel folded away with the focus in it: the article takes the focus
        (the focus was lost, on nothing on screen)."""
        focused = self.focused
        if focused is not None and self.side in focused.ancestors_with_self:
            self.set_focus(self.view)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """``/`` is typed as text in a text box (the search box, the find bar)."""
        return not (action == "focus_search" and isinstance(self.focused, Input | TextArea))

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
        self.article.back()

    def action_forward(self) -> None:
        """Redo a jump undone with back."""
        self.article.forward()

    def action_find(self) -> None:
        """Find inside the open article (the find bar under it)."""
        self.article.open_find()

    def action_facets(self) -> None:
        """Show the facets of the current query (sources, entities, tags, timeline)."""
        self.search.show_facets()

    def action_notes(self) -> None:
        """Every note of the workspace: filter, then Enter opens the article at the note."""
        self.notes.show_all()
