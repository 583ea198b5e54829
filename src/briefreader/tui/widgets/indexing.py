"""The indexing status shown while the index is opened or built on first run."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import ProgressBar, Static

from briefreader.models import INDEX_PHASES
from briefreader.text.wording import grouped


class IndexingStatus(Horizontal):
    """A label and a progress bar; hidden once the library is ready."""

    def compose(self) -> ComposeResult:
        yield Static(Text("Opening the index…"), id="indexing-label")
        yield ProgressBar(show_eta=False, id="indexing-bar")

    def update_progress(self, phase: str, done: int, total: int) -> None:
        """Show a phase of the index build and how far along it is."""
        label = INDEX_PHASES.get(phase, phase.capitalize())
        self.query_one("#indexing-label", Static).update(Text(f"{label} {done}/{total}"))
        self.query_one(ProgressBar).update(total=max(total, 1), progress=done)

    _entities_found = 0  # the most articles the entity phase has reported done

    def end_entities(self) -> None:
        """The entity phase is over: hide the line; the next phase counts from 0."""
        self._entities_found = 0
        self.display = False

    def show_entities(
        self, done: int, total: int, coverage: tuple[int, int], saving: bool = False
    ) -> None:
        """The entity phase (the reader is usable meanwhile): ``done`` of ``total`` pending
        articles (``saving``: a commit's postings, shown as a share), and how many articles
        entity search and highlights cover so far."""
        if not saving:  # a commit reports the articles it wrote: a batch behind the workers
            done = self._entities_found = max(self._entities_found, done)
        label = self.query_one("#indexing-label", Static)
        label.styles.width = "auto"
        recognised, articles = coverage
        step = (
            f"Saving entities {100 * done // max(total, 1)}%"
            if saving
            else f"Finding entities {grouped(done)}/{grouped(total)}"
        )
        label.update(
            Text(
                f"{step} · entities recognised in "
                f"{grouped(recognised)} of {grouped(articles)} articles so far"
            )
        )
        self.query_one(ProgressBar).update(total=max(total, 1), progress=done)
