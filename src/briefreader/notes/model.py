"""The note domain objects: a text selector (W3C TextQuote + TextPosition) and a note."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from briefreader.models import parse_passage_id
from briefreader.text.decode import strip_control

ANCHORED = "anchored"
FUZZY = "fuzzy"
ORPHANED = "orphaned"
# Re-anchoring found a candidate it will not move the note to (a number or a name differs,
# a rival place, context gone): the note stays where it was, listed for the user to check.
REVIEW = "review"
STATUSES = (ANCHORED, FUZZY, ORPHANED, REVIEW)

# A tag starts after whitespace or an opening bracket (so ``page#section`` in a URL is not a
# tag) and needs at least one letter (so ``#1`` stays an issue number).
_TAG_RE = re.compile(r"(?<![^\s(\[{])#((?=[\w-]*[^\W\d_])[\w][\w-]*)")


class NotesError(Exception):
    """A notes operation failed in a way the user can act on (one-line message)."""


class NoteNotFound(NotesError):
    """No note has the given id."""


@dataclass(frozen=True)
class TextSelector:
    """Where a note points: the quoted text with context, and its offsets as a hint.

    ``exact``/``prefix``/``suffix`` are a W3C TextQuoteSelector; ``start``/``end`` (half-open,
    into ``Article.text``) a TextPositionSelector, kept up to date by re-anchoring.
    """

    exact: str
    prefix: str = ""
    suffix: str = ""
    start: int = 0
    end: int = 0


@dataclass(frozen=True)
class Note:
    """One note on an article: a selector, the note text and its tags.

    ``tags`` is the union of ``#tags`` in ``body`` and ``extra_tags`` (tags given explicitly).
    ``status`` is ``anchored``, ``fuzzy`` (re-attached to slightly different text, see
    ``anchor_score``) or ``orphaned`` (the quoted text is gone; the note is kept and listed).
    """

    id: str
    article_id: str
    passage_id: str
    selector: TextSelector
    body: str = ""
    extra_tags: tuple[str, ...] = ()
    author: str = ""
    created: str = ""
    updated: str = ""
    deleted_at: str | None = None
    status: str = ANCHORED
    anchor_score: float = 1.0
    passage_ids: tuple[str, ...] = field(default=())

    @property
    def tags(self) -> tuple[str, ...]:
        """All tags of the note, sorted: those in the body plus the explicit ones."""
        return tuple(sorted(set(parse_tags(self.body)) | set(self.extra_tags)))

    @property
    def deleted(self) -> bool:
        """True when the note is soft-deleted (it can still be undeleted)."""
        return self.deleted_at is not None

    @property
    def orphaned(self) -> bool:
        """True when the quoted text was not found in the article's current text."""
        return self.status == ORPHANED


def normalize_tag(tag: str) -> str:
    """Return a tag in its stored form: without ``#``, control characters and escape
    sequences, lower case, inner whitespace as one space, no surrounding spaces."""
    return " ".join(strip_control(tag).split()).lstrip("#").strip().casefold()


def with_clean_tags(note: Note) -> Note:
    """The note with its explicit tags normalised (what JSON outputs carry: the text
    fields stay exact, and ``safe_json`` escapes their control characters)."""
    return replace(
        note, extra_tags=tuple(tag for tag in map(normalize_tag, note.extra_tags) if tag)
    )


def display_note(note: Note) -> Note:
    """The note with every text field passed through the one control-character rule
    (``strip_control``): what any output (terminal, JSON, Markdown, W3C) shows."""
    selector = note.selector
    return replace(
        note,
        id=strip_control(note.id),
        article_id=strip_control(note.article_id),
        passage_id=strip_control(note.passage_id),
        selector=replace(
            selector,
            exact=strip_control(selector.exact),
            prefix=strip_control(selector.prefix),
            suffix=strip_control(selector.suffix),
        ),
        body=strip_control(note.body),
        extra_tags=tuple(tag for tag in map(normalize_tag, note.extra_tags) if tag),
        author=strip_control(note.author),
        created=strip_control(note.created),
        updated=strip_control(note.updated),
        deleted_at=None if note.deleted_at is None else strip_control(note.deleted_at),
        passage_ids=tuple(map(strip_control, note.passage_ids)),
    )


def parse_tags(body: str) -> tuple[str, ...]:
    """Return the ``#tags`` written in a note body, normalized, in order of appearance."""
    seen: dict[str, None] = {}
    for match in _TAG_RE.finditer(body):
        seen.setdefault(normalize_tag(match.group(1)).rstrip("-"), None)
    return tuple(tag for tag in seen if tag)


def passage_number_from_id(passage_id: str) -> int | None:
    """Return ``n`` from a passage id ``<article-id>:p<n>``, or None if it has another shape."""
    parsed = parse_passage_id(passage_id)
    return parsed[1] if parsed else None


def article_id_from_passage_id(passage_id: str) -> str:
    """Return the article id part of a passage id ``<article-id>:p<n>``."""
    parsed = parse_passage_id(passage_id)
    if parsed is None:
        raise NotesError(f"not a passage id: {passage_id!r} (expected ARTICLE-ID:pN)")
    return parsed[0]
