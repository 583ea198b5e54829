"""The reader application: wires settings, the main screen and the help; ``run_app``."""

from __future__ import annotations

from typing import ClassVar

from textual.app import App
from textual.binding import Binding, BindingType

from briefreader.text.decode import strip_control
from briefreader.tui.commands import ReaderCommands
from briefreader.tui.screens.help import HelpScreen, help_rows
from briefreader.tui.screens.main import MainScreen
from briefreader.tui.settings import ReaderSettings, load_reader_settings
from briefreader.workspace import Workspace


class ReaderApp(App[int]):
    """Search and read a workspace's articles."""

    TITLE = "briefreader"
    CSS_PATH = "briefreader.tcss"
    COMMANDS: ClassVar = App.COMMANDS | {ReaderCommands}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "Quit", id="app.quit"),
        Binding("question_mark,f1", "help", "Help", id="app.help"),
    ]

    def __init__(self, workspace: Workspace, settings: ReaderSettings | None = None) -> None:
        super().__init__()
        self.workspace = workspace
        self.settings = settings or load_reader_settings(workspace)
        if not self.settings.animations:
            self.animation_level = "none"

    def on_mount(self) -> None:
        """Apply the settings (keymap, theme), then show the reader."""
        if self.settings.keymap:
            self.set_keymap(self.settings.keymap)
        if self.settings.theme and self.settings.theme in self.available_themes:
            self.theme = self.settings.theme
        for problem in self.settings.problems:
            self.notify(problem, severity="warning", markup=False)
        self.push_screen(MainScreen(self.workspace))

    def copy_to_clipboard(self, text: str) -> None:
        """Copy with OSC 52, the text sanitised first: an ESC or BEL inside the payload
        would end the sequence early and reach the terminal as commands."""
        super().copy_to_clipboard(strip_control(text))

    def action_help(self) -> None:
        """Show every binding of the focused pane."""
        if isinstance(self.screen, HelpScreen):
            return
        focused = self.screen.focused
        name = type(focused).__name__ if focused else "reader"
        from briefreader.tui.screens.help import NODE_NAMES

        self.push_screen(HelpScreen(help_rows(self.screen), NODE_NAMES.get(name, name).lower()))


def run_app(workspace: Workspace) -> int:
    """Run the reader on a workspace; the exit code for the shell."""
    app = ReaderApp(workspace)
    result = app.run()
    return result if isinstance(result, int) else (app.return_code or 0)
