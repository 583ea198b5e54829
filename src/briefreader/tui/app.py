"""The reader application: wires settings, the main screen and the help; ``run_app``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.text import Text
from textual import events
from textual.app import App
from textual.binding import Binding, BindingType
from textual.driver import Driver
from textual.events import DescendantFocus
from textual.filter import ANSIToTruecolor, LineFilter

from briefreader.text.decode import strip_control
from briefreader.tui.commands import ReaderCommands
from briefreader.tui.keymap import keymap_problems
from briefreader.tui.palette import ReadableFilter
from briefreader.tui.screen_diff import diffing_driver
from briefreader.tui.screens.help import HelpScreen, help_rows
from briefreader.tui.screens.main import MainScreen
from briefreader.tui.settings import ReaderSettings, load_reader_settings
from briefreader.tui.state import load_state
from briefreader.tui.widgets.search_bar import SearchInput
from briefreader.workspace import Workspace, not_a_workspace


class ReaderApp(App[int]):
    """Search and read a workspace's articles."""

    TITLE = "briefreader"
    CSS_PATH = "briefreader.tcss"
    COMMANDS: ClassVar = App.COMMANDS | {ReaderCommands}
    BINDINGS: ClassVar[list[BindingType]] = [
        # ctrl+q as well: in the search box q is typed, and the footer must still show a way out.
        Binding("q,ctrl+q", "quit", "Quit", id="app.quit"),
        Binding("question_mark,f1", "help", "Help", id="app.help"),
    ]

    def __init__(self, workspace: Workspace, settings: ReaderSettings | None = None) -> None:
        settings = settings or load_reader_settings(workspace)
        super().__init__(driver_class=self._driver_class(settings))
        self.workspace = workspace
        self.settings = settings
        if not self.settings.animations:
            self.animation_level = "none"
        self._readable = ReadableFilter(self.console.color_system)

    def _driver_class(self, settings: ReaderSettings) -> type[Driver]:
        """Textual's driver; with ``changes_only``, one that sends only the changed cells."""
        base = self.get_driver_class()
        if settings.changes_only and base.__name__ == "LinuxDriver":  # a real terminal
            return diffing_driver(base)
        return base

    def get_line_filters(self) -> Sequence[LineFilter]:
        """Textual's filters with ours after the ANSI conversion, and again after the
        monochrome one (``NO_COLOR``), whose greys can fall below the ratio."""
        filters = list(super().get_line_filters())
        first = [f for f in filters if isinstance(f, ANSIToTruecolor)]
        rest = [f for f in filters if not isinstance(f, ANSIToTruecolor)]
        return [*first, self._readable, *rest, *([self._readable] if rest else [])]

    def on_mount(self) -> None:
        """Apply the settings (keymap, theme), then show the reader; on a folder that is
        not a workspace, exit at once with the CLI's message (code 2), having created
        nothing there (the reader would make ``index/`` and ``notes.db``)."""
        problem = not_a_workspace(self.workspace.root)
        if problem is not None:
            self.exit(return_code=2, message=Text(f"briefreader: {problem}"))
            return
        if self.settings.keymap:
            self.set_keymap(self.settings.keymap)
            for problem in keymap_problems(self.settings.keymap):
                self.notify(problem, severity="warning", markup=False)
        theme = self.settings.theme or load_state(self.workspace.state_dir).theme
        if theme and theme in self.available_themes:
            self.theme = theme
        for problem in self.settings.problems:
            self.notify(problem, severity="warning", markup=False)
        self.push_screen(MainScreen(self.workspace))

    def copy_to_clipboard(self, text: str) -> None:
        """Copy with OSC 52, the text sanitised first: an ESC or BEL inside the payload
        would end the sequence early and reach the terminal as commands."""
        super().copy_to_clipboard(strip_control(text))

    async def on_event(self, event: events.Event) -> None:
        """Printable keys go straight to a focused search box, past the binding chain (no
        priority binding is a printable key): a paste without brackets is a key per
        character, and each one's way through the bindings was most of the reader's freeze.
        Its other keys are bound ones (ctrl+u, backspace, arrows): they apply at once, after
        the text gathered before them, so that in a burst of keys each keeps its place."""
        if isinstance(event, events.Key) and not event.is_forwarded:
            focused = self.focused
            if isinstance(focused, SearchInput) and event.is_printable and event.character:
                focused.gather(event.character)
                return
            if isinstance(focused, SearchInput) and self.screen.maximized is None:
                focused.insert_gathered()
                if await self._check_bindings(event.key, priority=True):
                    return
                if await self._check_bindings(event.key):
                    return
        await super().on_event(event)

    def on_descendant_focus(self, event: DescendantFocus) -> None:
        """Every text cursor (search box, note editor, notes filter, palette) follows the
        ``cursor_blink`` setting: over SSH each blink repainted the screen (~19 KB/0.7 s)."""
        if not self.settings.cursor_blink and hasattr(event.widget, "cursor_blink"):
            event.widget.cursor_blink = False

    def action_help(self) -> None:
        """Show every binding of the focused pane."""
        if isinstance(self.screen, HelpScreen):
            return
        focused = self.screen.focused
        name = type(focused).__name__ if focused else "reader"
        from briefreader.tui.screens.help import NODE_NAMES

        self.push_screen(HelpScreen(help_rows(self.screen), NODE_NAMES.get(name, "reader").lower()))


def run_app(workspace: Workspace) -> int:
    """Run the reader on a workspace; the exit code for the shell."""
    app = ReaderApp(workspace)
    result = app.run()
    return result if isinstance(result, int) else (app.return_code or 0)
