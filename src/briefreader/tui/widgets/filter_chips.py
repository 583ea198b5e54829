"""The active filters of the query as chips under the search bar (``F`` removes them)."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from briefreader.search.filters import filters_in
from briefreader.text.decode import strip_control


def chips_text(query: str) -> Text | None:
    """The chips line for a query: each filter in reverse video, or None when it has none."""
    filters = filters_in(query)
    if not filters:
        return None
    line = Text("Filters: ")
    for facet_filter in filters:
        line.append(f" {strip_control(facet_filter)} ×", style="reverse")
        line.append(" ")
    line.append(" F: facets, remove a filter", style="italic")
    return line


class FilterChips(Static):
    """One line naming the query's filters; hidden while there are none."""

    def show_query(self, query: str) -> None:
        """Follow the query text (the single source of truth)."""
        line = chips_text(query)
        self.display = line is not None
        if line is not None:
            self.update(line)
