"""Every binding id the reader defines, to check a ``[keys]`` table against."""

from __future__ import annotations

from textual.binding import Binding
from textual.dom import DOMNode


def known_binding_ids() -> set[str]:
    """The ids of every ``Binding`` in the reader's apps, screens and widgets."""
    # Screens opened later are imported here so that their bindings are known at start (the
    # app and the main screen are: the app is what asks).
    from briefreader.tui.screens import (  # noqa: F401
        confirm,
        facets,
        note_editor,
        notes,
        references,
    )
    from briefreader.tui.widgets import notes_tab, side_panel  # noqa: F401

    ids: set[str] = set()
    pending: list[type] = [DOMNode]
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        if cls.__module__.startswith("briefreader."):
            bindings = cls.__dict__.get("BINDINGS", [])
            ids.update(b.id for b in bindings if isinstance(b, Binding) and b.id)
    return ids


def keymap_problems(keymap: dict[str, str]) -> list[str]:
    """One line per ``[keys]`` entry that names no binding (it would silently do nothing)."""
    known = known_binding_ids()
    return [
        f"[keys] {binding_id}: no such binding (? lists the ids of the focused pane)"
        for binding_id in keymap
        if binding_id not in known
    ]
