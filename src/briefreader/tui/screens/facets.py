"""``F``: the facets of the current query — sources, entities by type, note tags, a timeline.

Choosing a value narrows the query (its filter is added to the query text, which stays the
single source of truth); choosing an active filter removes it. The screen stays open and the
counts follow the narrowed query (a worker; the latest query wins). Two timeline buckets
marked with space then Enter add a ``date:`` range.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option
from textual.worker import get_current_worker

from briefreader.search.facets import (
    Facets,
    FacetsCancelled,
    FacetValue,
    bar_length,
    query_facets,
    sparkline,
)
from briefreader.search.filters import add_filter, filters_in, remove_filter
from briefreader.search.query import QueryError
from briefreader.text.decode import strip_control
from briefreader.text.wording import counted, grouped
from briefreader.tui.widgets.footer import ReaderFooter

SECTION_TITLES = {"person": "People", "org": "Organisations", "place": "Places", "group": "Groups"}
BAR_WIDTH = 20


class FacetsComputed(Message):
    """A worker counted the facets of ``query`` (or says why it could not)."""

    def __init__(self, query: str, facets: Facets | None, error: str = "") -> None:
        super().__init__()
        self.query_text = query
        self.facets = facets
        self.error = error


class FacetList(OptionList):
    """The facets' values (a class of its own: the help screen names it "Facets list")."""


def facets_title(query: str, what: str, *, total: bool = False) -> Text:
    """The dialog's title: the query and ``what`` of it; with no query, "all" articles
    (``Facets of all 6 articles``, not ``Facets of '': 6 articles``)."""
    if query.strip():
        return Text(f"Facets of {query!r}: {what}")
    return Text(f"Facets of all {what}" if total else f"Facets of all articles: {what}")


class FacetsScreen(ModalScreen[None]):
    """Facet counts for the query; Enter narrows by a value or removes an active filter."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,F,q", "close", "Close", id="facets.close"),
        Binding("space", "mark_span", "Mark span start", id="facets.mark-span"),
        Binding("delete,x", "remove_filter", "Remove filter", id="facets.remove"),
        Binding("j", "move('down')", "Down", show=False, id="facets.down"),
        Binding("k", "move('up')", "Up", show=False, id="facets.up"),
        Binding("g", "move('first')", "First", show=False, id="facets.first"),
        Binding("G", "move('last')", "Last", show=False, id="facets.last"),
        # A modal screen does not pass keys on to the app's bindings: help is asked here.
        Binding("question_mark,f1", "app.help", "Help", id="facets.help"),
    ]

    def __init__(
        self, library: Any, query: str, notes_db: Path, apply_query: Callable[[str], None]
    ) -> None:
        super().__init__()
        self.library = library
        self.query_text = query
        self.notes_db = notes_db
        self.apply_query = apply_query  # the reader's search runs the narrowed query
        self.facets: Facets | None = None
        self.span_start: int | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="facets-dialog"):
            yield Static(id="facets-title")
            yield FacetList(id="facets-list")
            yield Static(
                Text("Enter narrow · x remove filter · space+Enter date span · Esc close"),
                id="facets-note",
            )
        # Its own footer over the reader's (which showed the results list's keys).
        yield ReaderFooter()

    def on_mount(self) -> None:
        """Count the facets of the query the screen was opened on."""
        self.show_query(self.query_text)
        self.query_one(OptionList).focus()

    def show_query(self, query: str) -> None:
        """Follow a (new) query: say so at once, count in a worker."""
        self.query_text = query
        self.span_start = None
        self.query_one("#facets-title", Static).update(facets_title(query, "counting…"))
        self.count_worker(query)

    @work(thread=True, exclusive=True, group="facets")
    def count_worker(self, query: str) -> None:
        """Count off the UI thread; a newer query cancels this one."""
        from briefreader.notes.store import read_tags_by_article

        worker = get_current_worker()
        try:
            tags = read_tags_by_article(self.notes_db)
            facets = query_facets(
                self.library, query, should_stop=lambda: worker.is_cancelled, tags_by_article=tags
            )
            message = FacetsComputed(query, facets)
        except FacetsCancelled:
            return
        except (QueryError, OSError) as error:
            message = FacetsComputed(query, None, str(error))
        if not worker.is_cancelled:
            self.post_message(message)

    def on_facets_computed(self, message: FacetsComputed) -> None:
        """Show the counts, unless the query moved on since."""
        if message.query_text != self.query_text:
            return
        title = self.query_one("#facets-title", Static)
        options = self.query_one(OptionList)
        options.clear_options()
        if message.facets is None:
            title.update(facets_title(message.query_text, message.error))
            return
        self.facets = message.facets
        total = counted(message.facets.total, "article")
        title.update(facets_title(message.query_text, total, total=True))
        options.add_options(facet_options(message.facets, filters_in(message.query_text)))
        _highlight_first_value(options)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        """Enter: narrow by a value, a timeline span, or remove an active filter."""
        kind, _, payload = (event.option.id or "").partition(":")
        if kind == "active":
            self._choose(remove_filter(self.query_text, payload))
        elif kind == "bucket" and self.facets is not None:
            index = int(payload)
            first = index if self.span_start is None else self.span_start
            span = self.facets.timeline.span_filter(first, index)
            self._choose(add_filter(self.query_text, span))
        elif kind == "value":
            self._choose(add_filter(self.query_text, payload))

    def action_mark_span(self) -> None:
        """Space on a timeline bucket: the start of a date span (Enter on the end adds it)."""
        options = self.query_one(OptionList)
        index = options.highlighted
        option = options.get_option_at_index(index) if index is not None else None
        kind, _, payload = (option.id or "").partition(":") if option else ("", "", "")
        if kind != "bucket" or self.facets is None:
            self.notify("Space marks the start of a span on a timeline row", timeout=3)
            return
        self.span_start = int(payload)
        label = self.facets.timeline.buckets[self.span_start].label
        self.notify(f"Span from {label}: Enter on its last month or year", timeout=4)

    def action_move(self, where: str) -> None:
        """j/k/g/G in the list, as everywhere else in the reader."""
        options = self.query_one(OptionList)
        actions = {
            "down": options.action_cursor_down,
            "up": options.action_cursor_up,
            "first": options.action_first,
            "last": options.action_last,
        }
        actions[where]()

    def action_remove_filter(self) -> None:
        """x or Delete on an active filter removes it."""
        options = self.query_one(OptionList)
        index = options.highlighted
        option = options.get_option_at_index(index) if index is not None else None
        if option is not None and (option.id or "").startswith("active:"):
            self._choose(remove_filter(self.query_text, (option.id or "")[len("active:") :]))

    def _choose(self, query: str) -> None:
        self.apply_query(query)
        self.show_query(query)

    def action_close(self) -> None:
        """Close the facets."""
        self.dismiss(None)


def facet_options(facets: Facets, active: list[str]) -> list[Option]:
    """The rows of the facet list: active filters, then each facet, then the timeline."""
    rows: list[Option] = []
    if active:
        rows.append(_heading("Active filters (Enter or x removes)"))
        rows += [Option(Text(f"  × {strip_control(f)}"), id=f"active:{f}") for f in active]
    rows += _section("Sources", facets.sources)
    for field, title in SECTION_TITLES.items():
        rows += _section(title, facets.entities.get(field, ()))
    rows += _section("Note tags", facets.tags)
    rows += _timeline_rows(facets)
    return rows


def _heading(title: str) -> Option:
    return Option(Text(title, style="bold"), disabled=True)


def _section(title: str, values: tuple[FacetValue, ...]) -> list[Option]:
    if not values:
        return []
    width = max(len(grouped(v.count)) for v in values)
    rows = [_heading(title)]
    for value in values:
        label = Text(f"  {grouped(value.count):>{width}}  ")
        label.append(strip_control(value.label))
        rows.append(Option(label, id=f"value:{value.filter}"))
    return rows


def _timeline_rows(facets: Facets) -> list[Option]:
    timeline = facets.timeline
    if not timeline.buckets:
        return [_heading("Timeline: no dated articles")] if facets.total else []
    counts = [b.count for b in timeline.buckets]
    undated = f" · {timeline.undated:,} without a {timeline.unit}" if timeline.undated else ""
    rows = [_heading(f"Timeline per {timeline.unit}  {sparkline(counts)}{undated}")]
    peak = max(counts)
    for index, bucket in enumerate(timeline.buckets):
        size = bar_length(bucket.count, peak, BAR_WIDTH)
        text = Text(f"  {bucket.label:<7} ")
        text.append("█" * size, style="bold")
        text.append(f"{' ' * (BAR_WIDTH - size)} {grouped(bucket.count)}")
        rows.append(Option(text, id=f"bucket:{index}"))
    return rows


def _highlight_first_value(options: OptionList) -> None:
    for index in range(options.option_count):
        if not options.get_option_at_index(index).disabled:
            options.highlighted = index
            return
