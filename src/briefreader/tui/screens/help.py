"""F1 / ?: every binding of the focused pane (and of the screen and app), with its id."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

# How the help screen names the places bindings come from.
NODE_NAMES = {
    "ArticleView": "Article",
    "ResultsList": "Results",
    "SearchInput": "Search box",
    "PanelList": "Side panel list",
    "ContentTabs": "Side panel tabs",
    "Tabs": "Side panel tabs",
    "NoteList": "Notes tab",
    "MainScreen": "Reader",
    "FacetList": "Facets list",
    "FacetsScreen": "Facets",
    "AllNotesList": "Notes list",
    "NotesFilter": "Notes filter",
    "NotesScreen": "Notes",
    "ReaderApp": "Everywhere",
}


@dataclass(frozen=True)
class HelpRow:
    """One binding: where it applies, its keys, what it does, and its id for ``[keys]``."""

    place: str
    keys: str
    description: str
    binding_id: str


def help_rows(screen: Screen[object]) -> list[HelpRow]:
    """The bindings active for the focused widget, grouped by the node that owns them."""
    grouped: dict[tuple[str, str, str], list[str]] = {}
    origin: dict[tuple[str, str, str], str] = {}
    for key, active in screen.active_bindings.items():
        binding = active.binding
        place = NODE_NAMES.get(type(active.node).__name__, type(active.node).__name__)
        description = binding.description or binding.action.replace("_", " ")
        slot = (place, description, binding.id or "")
        plain = replace(binding, key=key, key_display=None)
        grouped.setdefault(slot, []).append(screen.app.get_key_display(plain) or key)
        origin[slot] = place
    rows = [
        HelpRow(place, " / ".join(dict.fromkeys(keys)), description, binding_id)
        for (place, description, binding_id), keys in grouped.items()
    ]
    order = list(dict.fromkeys(origin.values()))
    return sorted(rows, key=lambda row: order.index(row.place))


class HelpScreen(ModalScreen[None]):
    """A table of keys; Esc, q, ? or F1 closes it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark,f1", "dismiss", "Close", id="help.close"),
    ]

    def __init__(self, rows: list[HelpRow], focused: str) -> None:
        super().__init__()
        self.rows = rows
        self.pane_name = focused

    def compose(self) -> ComposeResult:
        with Vertical(id="help-dialog"):
            yield Static(Text(f"Keys for the {self.pane_name}", style="bold"), id="help-title")
            with VerticalScroll(id="help-body"):
                yield Static(self._table(), id="help-table")
            note = 'Remap any key by id in briefreader.toml, e.g. [keys] article.next-hit = "n"'
            yield Static(Text(note), id="help-note")

    def _table(self) -> Table:
        table = Table(box=None, expand=True, padding=(0, 1), show_edge=False)
        table.add_column(Text("Where"), style="dim", no_wrap=True)
        table.add_column(Text("Keys"), style="bold", no_wrap=True)
        table.add_column(Text("Does"), ratio=1)
        table.add_column(Text("Id"), style="dim")
        for row in self.rows:
            table.add_row(
                Text(row.place), Text(row.keys), Text(row.description), Text(row.binding_id)
            )
        return table

    def action_dismiss(self) -> None:  # type: ignore[override]
        """Close the help."""
        self.dismiss(None)
