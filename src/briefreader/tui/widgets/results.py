"""The results list: library (newest first) for an empty query, ranked hits otherwise."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual.binding import Binding, BindingType
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from briefreader.models import SearchResult, Snippet, Span
from briefreader.search.catalog import ArticleSummary
from briefreader.text.decode import strip_control

SNIPPET_CHARS = 150


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

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.entries: list[ResultEntry] = []

    def _rich(self, name: str) -> Style:
        return self.get_component_rich_style(name, partial=True)

    def show_library(self, summaries: list[ArticleSummary]) -> None:
        """List every article (newest first) with date, source and title."""
        self.entries = [ResultEntry(summary.id) for summary in summaries]
        prompts = [self._prompt(s.title or s.id, s.source, s.date, None) for s in summaries]
        self._fill(prompts)

    def show_results(self, result: SearchResult) -> None:
        """List search hits with their best snippet, query terms highlighted."""
        self.entries = [ResultEntry(hit.article_id, hit.passage_id) for hit in result.hits]
        prompts = [self._prompt(h.title, h.source, h.date, h.snippet) for h in result.hits]
        self._fill(prompts)

    def _fill(self, prompts: list[Text]) -> None:
        self.clear_options()
        options: list[Option | None] = []
        for index, prompt in enumerate(prompts):
            if index:
                options.append(None)
            options.append(Option(prompt, id=f"r{index}"))
        self.add_options(options)
        if prompts:
            self.highlighted = 0

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

    def entry_for_option(self, option_index: int) -> ResultEntry | None:
        """The entry of an option index (dividers are not options)."""
        option = self.get_option_at_index(option_index)
        if option.id is None:
            return None
        return self.entries[int(option.id[1:])]

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
