"""The side panel: related passages of the current paragraph, the article's entities and notes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.widget import Widget
from textual.widgets import OptionList, Static, TabbedContent, TabPane
from textual.widgets.option_list import Option

from briefreader.tui.entities import TYPE_LABELS, EntityCount
from briefreader.tui.widgets.article_view import ENTITY_CLASSES, ArticleView
from briefreader.tui.widgets.notes_tab import NoteList

if TYPE_CHECKING:
    from briefreader.search.related import RelatedItem


class PanelList(OptionList):
    """An option list in the side panel (vim keys as well as arrows)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "cursor_down", "Down", show=False, id="panel.down"),
        Binding("k", "cursor_up", "Up", show=False, id="panel.up"),
        Binding("enter", "select", "Go", id="panel.select"),
    ]


class SidePanel(Vertical):
    """Tabs *Related*, *Entities* and *Notes*; Enter jumps to a passage or searches an entity."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "side-panel--title",
        "side-panel--why",
        "side-panel--muted",
    }

    @dataclass
    class RelatedChosen(Message):
        """Enter on a related passage."""

        item: RelatedItem

    @dataclass
    class EntityChosen(Message):
        """Enter on an entity."""

        name: str

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._related: list[RelatedItem] = []
        self._related_notes: tuple[str, ...] = ()
        self._entities: list[str] = []

    def compose(self) -> ComposeResult:
        with TabbedContent(id="side-tabs"):
            with TabPane("Related", id="tab-related"):
                yield PanelList(id="related-list")
            with TabPane("Entities", id="tab-entities"):
                yield Static(id="entity-legend")
                yield PanelList(id="entity-list")
            with TabPane("Notes", id="tab-notes"):
                yield NoteList(id="note-list")

    def _rich(self, name: str) -> Style:
        return self.get_component_rich_style(name, partial=True)

    def on_mount(self) -> None:
        """Start with empty lists that say why they are empty."""
        self.related_message(
            "Open an article: passages related to the paragraph under the cursor appear here."
        )
        self.show_entities({}, empty="Open an article: its people, places… appear here.")

    TABS = ("related", "entities", "notes")
    TAB_LISTS: ClassVar[dict[str, str]] = {
        "related": "#related-list",
        "entities": "#entity-list",
        "notes": "#note-list",
    }

    def active_tab(self) -> str:
        """The name of the tab shown (``related`` before the first is)."""
        return self.query_one(TabbedContent).active.removeprefix("tab-") or "related"

    def next_tab(self) -> str:
        """The name of the tab after the active one (round)."""
        active = self.query_one(TabbedContent).active.removeprefix("tab-")
        return self.TABS[(self.TABS.index(active) + 1) % len(self.TABS)] if active else "related"

    def show_tab(self, name: str) -> None:
        """Switch to the ``related``, ``entities`` or ``notes`` tab."""
        self.query_one(TabbedContent).active = f"tab-{name}"

    def tab_list(self, name: str) -> Widget:
        """The list in the tab ``name`` (where its keys work: j/k, Enter…)."""
        return self.query_one(self.TAB_LISTS[name])

    @property
    def note_list(self) -> NoteList:
        """The *Notes* tab's list."""
        return self.query_one(NoteList)

    def related_message(self, message: str) -> None:
        """Show a note instead of related passages."""
        self._related = []
        panel = self.query_one("#related-list", OptionList)
        panel.set_options(
            [Option(Text(message, style=self._rich("side-panel--muted")), disabled=True)]
        )

    def show_related(self, items: list[RelatedItem], notes: tuple[str, ...] = ()) -> None:
        """List related passages: title, excerpt, why they match (and figures side by side)."""
        if not items:
            self.related_message("No other article says anything close to this paragraph.")
            return
        if (items, notes) == (self._related, self._related_notes):
            return  # the same list: repainting it cost ~9 KB per paragraph over SSH
        self._related, self._related_notes = items, notes
        panel = self.query_one("#related-list", OptionList)
        options: list[Option | None] = [
            Option(Text(note, style=self._rich("side-panel--why")), disabled=True) for note in notes
        ]
        for index, item in enumerate(items):
            if index:
                options.append(None)
            options.append(Option(self._related_prompt(item), id=f"rel{index}"))
        # In one step: emptied first, the list lost its scrollbar and got it back, each a
        # layout pass of the whole screen (~60 ms at 16×, the slowest pages of a scroll).
        panel.set_options(options)
        panel.highlighted = panel.get_option_index("rel0")

    def _related_prompt(self, item: RelatedItem) -> Text:
        text = Text(item.title, style=self._rich("side-panel--title"))
        excerpt = item.text if len(item.text) <= 160 else item.text[:157] + "…"
        text.append("\n" + excerpt)
        if item.why:
            text.append("\n" + item.why, style=self._rich("side-panel--why"))
        return text

    def show_entities(
        self,
        grouped: dict[str, list[EntityCount]],
        empty: str = "No entities stored for this article (yet).",
    ) -> None:
        """List the article's entities by type with counts, and the highlighting legend
        (the list replaced in one step: an option at a time cost ~20 ms for 72 at 16x);
        ``empty`` says why there are none."""
        self.query_one("#entity-legend", Static).update(self._legend())
        self._entities = []
        if grouped:
            options = self._entity_options(grouped)
        else:
            options = [Option(Text(empty, style=self._rich("side-panel--muted")), disabled=True)]
        self.query_one("#entity-list", OptionList).set_options(options)

    def _entity_options(self, grouped: dict[str, list[EntityCount]]) -> list[Option]:
        """A heading per type, then its entities (their names kept for ``EntityChosen``)."""
        options = []
        for kind, items in grouped.items():
            heading = Text(
                f"{TYPE_LABELS[kind]} ({len(items)})", style=self._rich("side-panel--title")
            )
            options.append(Option(heading, disabled=True))
            style = self._entity_style(kind)  # a DOM query: once a type, not once an entity
            for item in items:
                self._entities.append(item.name)
                label = Text("  ")
                label.append(item.name, style=style)
                label.append(f" ×{item.count}")
                options.append(Option(label, id=f"ent{len(self._entities) - 1}"))
        return options

    def _entity_style(self, kind: str) -> Style:
        """The stylesheet's style for an entity type (shared with the article pane)."""
        views = self.screen.query(ArticleView)
        if not views:
            return Style()
        return views.first().get_component_rich_style(ENTITY_CLASSES[kind], partial=True)

    def _legend(self) -> Text:
        legend = Text("Key: ")
        for index, (kind, label) in enumerate(TYPE_LABELS.items()):
            if index:
                legend.append(" ")
            legend.append(label, style=self._entity_style(kind))
        legend.append("  (e toggles)")
        return legend

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        """Turn Enter on an option into a jump (related) or a search (entity)."""
        event.stop()
        option_id = event.option.id or ""
        if option_id.startswith("rel"):
            self.post_message(self.RelatedChosen(self._related[int(option_id[3:])]))
        elif option_id.startswith("ent"):
            self.post_message(self.EntityChosen(self._entities[int(option_id[3:])]))
