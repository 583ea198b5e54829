"""The footer: the keys that matter for the focused part, as many as fit, quit and help always.

Textual's footer shows every shown binding with padding and cuts the line at the terminal's
edge: at 80 columns, in the article, "? Help" and part of "Quit" were cut off. This one is
compact (no padding) and chooses what fits: quit and help first, then the focused widget's
own keys, then the screen's, then the rest, and the palette key last; whatever does not fit is
left out, lowest priority first, never cut. Quit and help are shown by the key that works
where the focus is: ``q`` and ``?``, but ctrl+q and F1 in a text box, where ``q`` and ``?``
are typed.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from rich.cells import cell_len
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Footer, Input, TextArea
from textual.widgets._footer import FooterKey

ALWAYS = ("quit", "help")  # actions every footer shows (in this order, at its end)
# Keys shown for those actions while a text box has focus (q and ? are typed there).
TYPING_KEYS = {"quit": "ctrl+q", "help": "f1"}
PALETTE_WIDTH_EXTRA = 1  # the palette key's left border


@dataclass(frozen=True)
class Entry:
    """One key the footer may show: its binding, whether it acts now, and its priority."""

    binding: Binding
    enabled: bool
    tooltip: str
    rank: int  # 0: always shown; then the focused widget's, the screen's, the others

    def width(self, display: str) -> int:
        """Cells taken in the compact footer: key, space, description, margin."""
        return cell_len(display) + 1 + cell_len(self.binding.description) + 1


def fitting(entries: list[Entry], widths: list[int], room: int) -> list[int]:
    """Indexes of the entries shown, in their order: by rank (then order) while they fit."""
    chosen: list[int] = []
    used = 0
    for index in sorted(range(len(entries)), key=lambda i: (entries[i].rank, i)):
        if used + widths[index] <= room or entries[index].rank == 0:
            chosen.append(index)
            used += widths[index]
    return sorted(chosen)


class ReaderFooter(Footer):
    """A compact footer that never cuts a key: it leaves out the lowest-priority ones."""

    def __init__(self) -> None:
        super().__init__(compact=True)
        self._width = 0

    def compose(self) -> ComposeResult:
        """The keys that fit the footer's width, in the order the bindings come."""
        if not self._bindings_ready:
            return
        entries = list(self._entries())
        displays = [self._display(entry) for entry in entries]
        widths = [entry.width(display) for entry, display in zip(entries, displays, strict=True)]
        room = self._room()
        chosen = fitting(entries, widths, room)
        for index in chosen:
            entry = entries[index]
            yield FooterKey(
                entry.binding.key,
                displays[index],
                entry.binding.description,
                entry.binding.action,
                disabled=not entry.enabled,
                tooltip=entry.tooltip,
            ).data_bind(compact=Footer.compact)
        palette = self._palette(room - sum(widths[i] for i in chosen))
        if palette is not None:
            yield palette

    def _room(self) -> int:
        """The footer's width (the screen's, before the first layout)."""
        return self.size.width or self.app.size.width

    def _entries(self) -> Iterator[Entry]:
        """One entry per action with a shown binding (quit and help at the end)."""
        focused = self.screen.focused
        seen: dict[str, Entry] = {}
        typing = isinstance(focused, Input | TextArea)
        # A screen may leave out keys that would only say why they cannot act now.
        offers = getattr(self.screen, "footer_offers", lambda _action: True)
        for key, active in self.screen.active_bindings.items():
            binding = active.binding
            if not binding.show or not offers(binding.action):
                continue
            action = binding.action
            if action in seen and not _preferred(action, key, typing):
                continue
            rank = _rank(action, active.node, focused, self.screen)
            seen[action] = Entry(binding, active.enabled, active.tooltip, rank)
        always = [seen.pop(action) for action in ALWAYS if action in seen]
        yield from seen.values()
        yield from always

    def _display(self, entry: Entry) -> str:
        return self.app.get_key_display(entry.binding)

    def _palette(self, room: int) -> FooterKey | None:
        """The command palette's key, docked right, if the room left holds it."""
        if not (self.show_command_palette and self.app.ENABLE_COMMAND_PALETTE):
            return None
        active = self.screen.active_bindings.get(self.app.COMMAND_PALETTE_BINDING)
        if active is None:
            return None
        binding = active.binding
        display = self.app.get_key_display(binding)
        width = cell_len(display) + 1 + cell_len(binding.description) + PALETTE_WIDTH_EXTRA
        if width > room:
            return None
        return FooterKey(
            binding.key,
            display,
            binding.description,
            binding.action,
            classes="-command-palette",
            disabled=not active.enabled,
            tooltip=binding.tooltip or binding.description,
        )

    def on_resize(self, event: events.Resize) -> None:
        """Another width: choose the keys again."""
        if event.size.width != self._width:
            self._width = event.size.width
            if self._bindings_ready:
                self.call_after_refresh(self.recompose)


def _preferred(action: str, key: str, typing: bool) -> bool:
    """Is ``key`` the one to show for quit or help (a later binding of the same action)?"""
    if action not in TYPING_KEYS:
        return False
    return (key == TYPING_KEYS[action]) == typing


def _rank(action: str, node: object, focused: object, screen: object) -> int:
    if action in ALWAYS:
        return 0
    if node is focused:
        return 1
    return 2 if node is screen else 3
