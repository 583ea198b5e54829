"""``f``: the references cited by the paragraph under the cursor."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from briefreader.models import Article
from briefreader.text.decode import strip_control
from briefreader.tui.widgets.article_layout import footnote_spans


def cited_references(article: Article, passage_index: int) -> list[tuple[str, str]]:
    """``(label, reference text)`` for each footnote marker of a paragraph, in order."""
    passage = article.passages[passage_index]
    labels = list(passage.footnotes) or [label for _, _, label in footnote_spans(passage.text)]
    cited = []
    for label in dict.fromkeys(labels):
        reference = article.reference(label)
        text = reference.text if reference else "(not in this article's reference list)"
        cited.append((strip_control(label), strip_control(text)))
    return cited


class ReferencesScreen(ModalScreen[None]):
    """A list of the current paragraph's references; Esc or f closes it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,f,q", "close", "Close", id="references.close")
    ]

    def __init__(self, article: Article, passage_index: int) -> None:
        super().__init__()
        self.cited = cited_references(article, passage_index)
        self.number = article.passages[passage_index].number

    def compose(self) -> ComposeResult:
        with Vertical(id="references-dialog"):
            yield Static(Text(f"References in paragraph {self.number}", style="bold"))
            with VerticalScroll(id="references-body"):
                yield Static(self._body())
            yield Static(Text("Esc closes"), id="references-note")

    def _body(self) -> Text:
        if not self.cited:
            return Text("This paragraph cites no references.")
        body = Text()
        for index, (label, text) in enumerate(self.cited):
            if index:
                body.append("\n\n")
            body.append(f"[{label}] ", style="bold")
            body.append(text)
        return body

    def action_close(self) -> None:
        """Close the list."""
        self.dismiss(None)
