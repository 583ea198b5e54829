"""Command palette (ctrl+p): open an article, jump to an entity, notes, toggle panels.

Titles and entity names are data: they are highlighted with our own plain-text matching,
because ``Matcher.highlight`` parses its argument as markup.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

from textual.command import DiscoveryHit, Hit, Hits, Matcher, Provider
from textual.content import Content
from textual.markup import escape

from briefreader.tui.entities import entity_query

Command = tuple[str, Callable[[], Any], str]


def safe_highlight(matcher: Matcher, candidate: str) -> Content:
    """The candidate as plain content with the fuzzy-matched characters styled."""
    content = Content(candidate)
    score, offsets = matcher.fuzzy_search.match(matcher.query, candidate)
    if not score:
        return content
    for offset in offsets:
        if not candidate[offset].isspace():
            content = content.stylize(matcher.match_style, offset, offset + 1)
    return content


class ReaderCommands(Provider):
    """Commands of the reader screen."""

    def _commands(self) -> Iterator[Command]:
        screen: Any = self.screen
        yield ("Toggle side panel", screen.action_toggle_side, "Related passages and entities (r)")
        yield (
            "Toggle entity highlighting",
            screen.view.action_toggle_entities,
            "Styles by type (e)",
        )
        yield ("Show related passages", partial(self._tab, "related"), "Side panel, Related tab")
        yield ("Show entities", partial(self._tab, "entities"), "Side panel, Entities tab")
        yield ("Go back", screen.action_back, "Undo the last jump (backspace)")
        yield (
            "Facets of this query",
            screen.action_facets,
            "Sources, entities, note tags, timeline; narrow with Enter (F)",
        )
        yield ("Notes: every note", screen.action_notes, "Filter by #tag, article:ID, words")
        yield ("New note", screen.view.action_note, "On the paragraph or the selection (a)")
        yield ("Show this article's notes", partial(self._tab, "notes"), "Side panel, Notes tab")
        if screen.library is not None:
            for summary in screen.library.articles():
                title = summary.title or summary.id
                meta = " · ".join(p for p in (summary.source, summary.date or "") if p)
                yield (f"Open: {title}", partial(self._open, summary.id), escape(meta))
        for name in self._entity_names():
            yield (
                f"Entity: {name}",
                partial(screen.search.search_for, entity_query(name)),
                "Search",
            )

    def _entity_names(self) -> list[str]:
        screen: Any = self.screen
        seen: dict[str, None] = {}
        for mention in screen.view.mentions:
            seen.setdefault(mention.name, None)
        return list(seen)

    def _tab(self, name: str) -> None:
        screen: Any = self.screen
        screen.show_side_tab(name)

    def _open(self, article_id: str) -> None:
        from briefreader.tui.messages import OpenRequest

        screen: Any = self.screen
        screen.open_article(OpenRequest(article_id))
        screen.view.focus()

    async def search(self, query: str) -> Hits:
        """Commands whose text fuzzily matches the query."""
        if not hasattr(self.screen, "view"):
            return
        matcher = self.matcher(query)
        for text, callback, help_text in self._commands():
            score = matcher.match(text)
            if score > 0:
                yield Hit(score, safe_highlight(matcher, text), callback, text=text, help=help_text)

    async def discover(self) -> Hits:
        """The commands offered before anything is typed."""
        if not hasattr(self.screen, "view"):
            return
        for count, (text, callback, help_text) in enumerate(self._commands()):
            if count >= 12:
                break
            yield DiscoveryHit(Content(text), callback, text=text, help=help_text)
