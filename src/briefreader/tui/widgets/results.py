"""The results list: library (newest first) for an empty query, ranked hits otherwise.

Ranked hits come a page at a time: a last "more…" row says there are more, and the list asks
for them (:class:`ResultsList.MoreWanted`) when the reader nears its end.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from briefreader.models import Hit, SearchResult, Snippet, Span
from briefreader.search.index.catalog import ArticleSummary
from briefreader.text.decode import strip_control
from briefreader.tui.paging import near_end

SNIPPET_CHARS = 150
MORE_ID = "more"
LIBRARY_PAGE = 200  # rows of the library list (empty query) added at a time


@dataclass(frozen=True)
class ResultEntry:
    """One row: the article, and the passage to land on (search hits only)."""

    article_id: str
    passage_id: str = ""


class ResultsList(OptionList):
    """Articles to open: Enter opens the highlighted one."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "results-list--title",
        "results-list--meta",
        "results-list--snippet",
        "results-list--hit",
    }

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "cursor_down", "Down", show=False, id="results.down"),
        Binding("k", "cursor_up", "Up", show=False, id="results.up"),
        Binding("g", "first", "First", show=False, id="results.first"),
        Binding("G", "last", "Last", show=False, id="results.last"),
        Binding("enter", "select", "Open", id="results.open"),
    ]

    class MoreWanted(Message):
        """The reader neared the end of a list that has more results: fetch the next page."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.entries: list[ResultEntry] = []
        self.more = False
        self._asked = False  # MoreWanted posted, no page arrived since: do not ask again
        self._library_rest: list[ArticleSummary] = []  # library rows not listed yet

    def _rich(self, name: str) -> Style:
        return self.get_component_rich_style(name, partial=True)

    def show_library(self, summaries: list[ArticleSummary]) -> None:
        """List every article (newest first) with date, source and title, ``LIBRARY_PAGE`` rows
        at a time: the rest are added as the reader nears the end (35,000 rows at once would
        hold up the screen)."""
        first, self._library_rest = summaries[:LIBRARY_PAGE], summaries[LIBRARY_PAGE:]
        self.entries = [ResultEntry(summary.id) for summary in first]
        self._fill(self._library_prompts(first), more=bool(self._library_rest))

    def _library_prompts(self, summaries: list[ArticleSummary]) -> list[Text]:
        return [self._prompt(s.title or s.id, s.source, s.date, None) for s in summaries]

    def _next_library_page(self) -> None:
        page = self._library_rest[:LIBRARY_PAGE]
        self._library_rest = self._library_rest[LIBRARY_PAGE:]
        first = len(self.entries)
        self.entries += [ResultEntry(summary.id) for summary in page]
        self._set_more(False)
        self.add_options(self._options_for(self._library_prompts(page), first))
        self._set_more(bool(self._library_rest))

    def show_results(self, result: SearchResult, *, more: bool = False) -> None:
        """List search hits with their best snippet, query terms highlighted.

        Args:
            result: the first page of hits.
            more: the query has more hits than these (a "more…" row ends the list).
        """
        self._library_rest = []
        self.entries = [ResultEntry(hit.article_id, hit.passage_id) for hit in result.hits]
        self._fill(self._hit_prompts(result.hits), more=more)

    def append_results(self, hits: tuple[Hit, ...], *, more: bool) -> None:
        """Add the next page of hits below the others; the highlight and scroll stay put."""
        first = len(self.entries)
        self.entries += [ResultEntry(hit.article_id, hit.passage_id) for hit in hits]
        self._set_more(False)
        self.add_options(self._options_for(self._hit_prompts(hits), first))
        self._set_more(more)
        self._asked = False

    def set_more(self, more: bool) -> None:
        """Say whether there are more results than those listed (the exact count arrived)."""
        self._set_more(more)
        self._asked = False

    def page_dropped(self) -> None:
        """The page asked for will not come (it failed, or the query changed)."""
        self._asked = False
        if self.more:
            self.replace_option_prompt(MORE_ID, self._more_prompt())

    def _hit_prompts(self, hits: tuple[Hit, ...]) -> list[Text]:
        return [self._prompt(h.title, h.source, h.date, h.snippet) for h in hits]

    def _fill(self, prompts: list[Text], *, more: bool) -> None:
        """Replace the rows, the "more…" row in the same ``add_options``: added after the
        others, it made the list lay every row out again (a divider before it changes
        the row above), ~2 ms of each keystroke's results at 20 rows."""
        self.more = False  # no "more…" row while the new rows go in
        self._asked = False
        self.clear_options()
        options = self._options_for(prompts, 0)
        if more:
            options += [None, self._more_option()] if options else [self._more_option()]
        self.add_options(options)
        self.more = more
        if prompts:
            self.highlighted = 0

    @staticmethod
    def _options_for(prompts: list[Text], first: int) -> list[Option | None]:
        """Options ``r<first>``, ``r<first + 1>``…, a divider before each but the list's first."""
        options: list[Option | None] = []
        for index, prompt in enumerate(prompts, start=first):
            if index:
                options.append(None)
            options.append(Option(prompt, id=f"r{index}"))
        return options

    def _set_more(self, more: bool) -> None:
        """Add or remove the last "more…" row (never highlighted: it is not a result)."""
        if self.more and not more:
            self.remove_option(MORE_ID)
        elif more and not self.more:
            self.add_options([None, self._more_option()])
        self.more = more

    def _more_option(self) -> Option:
        return Option(self._more_prompt(), id=MORE_ID, disabled=True)

    def _more_prompt(self, loading: bool = False) -> Text:
        label = "loading more…" if loading else "more…"
        return Text(label, style=self._rich("results-list--meta"))

    # ------------------------------------------------------------------ paging

    def watch_highlighted(self, highlighted: int | None) -> None:
        """Ask for the next page when the highlight nears the last result."""
        super().watch_highlighted(highlighted)
        position = self.highlighted_position
        if self.more and position is not None and near_end(position, len(self.entries)):
            self._want_more()
            if position == len(self.entries) - 1:
                self.scroll_end(animate=False, immediate=True)  # show the "more…" row too

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        """Ask for the next page when the list is scrolled (mouse wheel…) to its bottom."""
        super().watch_scroll_y(old_value, new_value)
        if 0 < self.max_scroll_y <= new_value:
            self._want_more()

    def action_cursor_down(self) -> None:
        """Down; on the last result of a longer list, wait for the next page (no wrap)."""
        if self.more and self.highlighted_position == len(self.entries) - 1:
            self._want_more()
            if not self._library_rest and self.more:
                return  # a page of results is on its way
        super().action_cursor_down()

    def _want_more(self) -> None:
        if self.more and self._library_rest:
            self._next_library_page()  # in memory already: no worker needed
            return
        if self.more and not self._asked:
            self._asked = True
            self.replace_option_prompt(MORE_ID, self._more_prompt(loading=True))
            self.post_message(self.MoreWanted())

    def _prompt(self, title: str, source: str, date: str | None, snippet: Snippet | None) -> Text:
        text = Text(strip_control(title) or "(untitled)", style=self._rich("results-list--title"))
        meta = " · ".join(part for part in (strip_control(source), date or "undated") if part)
        text.append("\n" + meta, style=self._rich("results-list--meta"))
        if snippet is not None and snippet.text:
            text.append("\n")
            text.append_text(self._snippet(snippet))
        return text

    def _snippet(self, snippet: Snippet) -> Text:
        shown, spans = trim_snippet(snippet, SNIPPET_CHARS)
        cleaned = strip_control(shown)
        text = Text(cleaned, style=self._rich("results-list--snippet"))
        if cleaned == shown:
            for span in spans:
                text.stylize(self._rich("results-list--hit"), span.start, span.end)
        return text

    @property
    def highlighted_entry(self) -> ResultEntry | None:
        """The entry under the list cursor."""
        index = self.highlighted
        return self.entry_for_option(index) if index is not None else None

    @property
    def highlighted_position(self) -> int | None:
        """The position in ``entries`` of the entry under the list cursor."""
        index = self.highlighted
        return self._position(index) if index is not None else None

    def entry_for_option(self, option_index: int) -> ResultEntry | None:
        """The entry of an option index (dividers are not options)."""
        position = self._position(option_index)
        return self.entries[position] if position is not None else None

    def _position(self, option_index: int) -> int | None:
        option = self.get_option_at_index(option_index)
        if option.id is None or option.id == MORE_ID:
            return None
        return int(option.id[1:])

    def reveal(self, entry: ResultEntry) -> bool:
        """Highlight ``entry`` (the same passage, else the same article) if the list holds it,
        listing more library rows if it is further down. False if it is not there."""
        while (position := self._find(entry)) is None:
            if not self._library_rest:
                return False
            self._next_library_page()
        self.select_entry(position)
        return True

    def _find(self, entry: ResultEntry) -> int | None:
        """The position of ``entry`` in the list, else of the first row of its article."""
        for matches in (entry.__eq__, lambda row: row.article_id == entry.article_id):
            found = next((i for i, row in enumerate(self.entries) if matches(row)), None)
            if found is not None:
                return found
        return None

    def select_entry(self, position: int) -> None:
        """Move the list cursor to the n-th entry."""
        if 0 <= position < len(self.entries):
            self.highlighted = self.get_option_index(f"r{position}")

    def action_select(self) -> None:
        """Open the highlighted entry."""
        super().action_select()


def trim_snippet(snippet: Snippet, limit: int) -> tuple[str, tuple[Span, ...]]:
    """Cut a snippet to about ``limit`` characters around its first highlight."""
    text = snippet.text
    if len(text) <= limit:
        return text, snippet.highlights
    first = snippet.highlights[0].start if snippet.highlights else 0
    start = max(0, first - limit // 3)
    space = text.find(" ", start)
    start = space + 1 if start and 0 <= space < first else start
    end = min(len(text), start + limit)
    space = text.rfind(" ", start, end)
    end = space if end < len(text) and space > start + limit // 2 else end
    prefix = "… " if start else ""
    suffix = " …" if end < len(text) else ""
    shift = len(prefix) - start
    spans = tuple(
        Span(s.start + shift, s.end + shift)
        for s in snippet.highlights
        if s.start >= start and s.end <= end
    )
    return prefix + text[start:end].strip() + suffix, spans
