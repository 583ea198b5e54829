"""What the reader needs from notes, as plain Python (no Textual): sentences for selection,
citations for the clipboard, ``note:`` searches as results, filters, and the external editor.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import tempfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from briefreader.models import Article, Hit, SearchResult, Snippet, Span
from briefreader.notes import Anchor, Note
from briefreader.text.decode import strip_control

NOTE_PREFIX = "note:"
# A sentence ends at . ! ? or … (then closing quotes/brackets) followed by whitespace.
_SENTENCE_END = re.compile(r"[.!?…][\"'”’)\]]*\s+")


# --- selection by sentences --------------------------------------------------------------


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of each sentence of ``text`` (trailing spaces left out)."""
    spans: list[tuple[int, int]] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        end = match.start() + len(match.group().rstrip())
        if text[start:end].strip():
            spans.append((start, end))
        start = match.end()
    if text[start:].strip():
        spans.append((start, len(text.rstrip())))
    return spans or [(0, len(text))]


@dataclass(frozen=True)
class Sentence:
    """One sentence of an article: its paragraph (index into passages) and offsets in the text."""

    passage: int
    start: int
    end: int


def article_sentences(article: Article) -> list[Sentence]:
    """Every sentence of every paragraph, in reading order (offsets into ``article.text``)."""
    sentences = []
    for index, passage in enumerate(article.passages):
        for start, end in sentence_spans(passage.text):
            sentences.append(Sentence(index, passage.start + start, passage.start + end))
    return sentences


@dataclass
class Selection:
    """A run of sentences from ``anchor`` to ``head`` (indexes into the sentence list)."""

    sentences: list[Sentence]
    anchor: int
    head: int

    @classmethod
    def at_paragraph(cls, sentences: list[Sentence], passage: int) -> Selection | None:
        """A selection of the first sentence of a paragraph (None when it has none)."""
        first = next((i for i, s in enumerate(sentences) if s.passage == passage), None)
        return None if first is None else cls(sentences, first, first)

    def extend(self, step: int) -> None:
        """Move the moving end by ``step`` sentences (clamped to the article)."""
        self.head = max(0, min(len(self.sentences) - 1, self.head + step))

    @property
    def span(self) -> tuple[int, int]:
        """``(start, end)`` in ``article.text`` covering every selected sentence."""
        low, high = sorted((self.anchor, self.head))
        return self.sentences[low].start, self.sentences[high].end

    @property
    def head_passage(self) -> int:
        """The paragraph of the moving end (the paragraph cursor follows it)."""
        return self.sentences[self.head].passage

    @property
    def count(self) -> int:
        """How many sentences are selected."""
        return abs(self.head - self.anchor) + 1


def passages_in(article: Article, start: int, end: int) -> list[int]:
    """Indexes of the paragraphs overlapping ``[start, end)``."""
    return [i for i, p in enumerate(article.passages) if p.start < end and start < p.end]


# --- citations and the clipboard ---------------------------------------------------------


def citation(article: Article, start: int, end: int) -> str:
    """``— Title · Source · Date · paragraph N`` for a range of the article's text."""
    numbers = [article.passages[i].number for i in passages_in(article, start, end)]
    if not numbers:
        where = "paragraph unknown"
    elif len(numbers) == 1:
        where = f"paragraph {numbers[0]}"
    else:
        where = f"paragraphs {min(numbers)}–{max(numbers)}"
    parts = [strip_control(article.title) or article.id, strip_control(article.source)]
    parts += [article.date or "", where]
    return "— " + " · ".join(part for part in parts if part)


def quote_block(text: str) -> str:
    """Text as a block quote (``> `` before every line)."""
    return "\n".join("> " + line if line else ">" for line in text.strip().splitlines())


def passage_clip(article: Article, start: int, end: int) -> str:
    """A passage for the clipboard: the quoted text and its citation."""
    return f"{quote_block(article.text[start:end])}\n\n{citation(article, start, end)}\n"


def note_clip(note: Note, article: Article, anchor: Anchor) -> str:
    """A note for the clipboard: the quote, the note text and the citation."""
    parts = [quote_block(note.selector.exact)]
    if note.body.strip():
        parts.append(note.body.strip())
    parts.append(citation(article, anchor.start, anchor.end))
    return "\n\n".join(parts) + "\n"


def excerpt(text: str, limit: int) -> str:
    """One line of display-safe text, cut to ``limit`` characters with an ellipsis."""
    flat = " ".join(strip_control(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def tag_line(note: Note, limit: int = 200) -> str:
    """The note's tags as ``#a #b``, display-safe (tags imported from elsewhere may carry
    escape sequences)."""
    return excerpt(" ".join(f"#{tag}" for tag in note.tags), limit)


QUOTE_MARKS = "\"'“”‘’„«»"


def quoted(text: str, limit: int) -> str:
    """An excerpt in quotation marks, once: a quote that already opens and closes with marks
    (a paragraph that is itself a quotation) is not wrapped again (“”Chehayeb…””)."""
    flat = excerpt(text, limit)
    if len(flat) > 1 and flat[0] in QUOTE_MARKS and flat[-1] in QUOTE_MARKS + "…":
        return flat
    return f"“{flat}”"


# --- notes in the search bar -------------------------------------------------------------


def note_query(query: str) -> str | None:
    """The words of a ``note:`` query (``""`` for all notes), or None for a library query."""
    stripped = query.strip()
    if stripped.casefold().startswith(NOTE_PREFIX):
        return stripped[len(NOTE_PREFIX) :].strip()
    return None


def word_spans(text: str, words: str) -> tuple[Span, ...]:
    """Where the words of a note search occur in ``text`` (any case)."""
    spans = []
    folded = text.casefold()
    for word in {w.casefold() for w in words.split()}:
        start = folded.find(word)
        while start >= 0 and word:
            spans.append(Span(start, start + len(word)))
            start = folded.find(word, start + len(word))
    return tuple(sorted(spans, key=lambda span: span.start))


def notes_result(
    query: str, notes: list[Note], titles: Callable[[str], tuple[str, str, str | None]]
) -> SearchResult:
    """Notes shown as search results: the article, and the note and its quote as the snippet.

    ``titles(article_id)`` gives ``(title, source, date)``.
    """
    words = note_query(query) or ""
    hits = []
    for rank, note in enumerate(notes):
        title, source, date = titles(note.article_id)
        body = excerpt(note.body, 80) if note.body.strip() else "(highlight)"
        shown = f"✎ {body} — “{excerpt(note.selector.exact, 80)}”"
        snippet = Snippet(shown, word_spans(shown, words))
        score = float(len(notes) - rank)
        hits.append(Hit(note.article_id, title, source, date, note.passage_id, score, snippet))
    return SearchResult(query, tuple(hits), len(hits))


# --- the notes screen's filter -----------------------------------------------------------


@dataclass(frozen=True)
class NoteFilter:
    """A parsed filter: ``#tag`` words, ``article:ID``, and plain words."""

    tags: tuple[str, ...] = ()
    article_id: str | None = None
    words: str = ""

    @classmethod
    def parse(cls, text: str) -> NoteFilter:
        """Split what the user typed into tags, an article id and words."""
        tags, words, article_id = [], [], None
        for token in text.split():
            if token.startswith("#") and len(token) > 1:
                tags.append(token[1:].casefold())
            elif token.casefold().startswith("article:") and len(token) > 8:
                article_id = token[8:]
            else:
                words.append(token)
        return cls(tuple(tags), article_id, " ".join(words))

    def keep(self, note: Note) -> bool:
        """True when the note has every tag asked for (the store filters the first one)."""
        return all(tag in note.tags for tag in self.tags)


def filter_notes(notes: Iterable[Note], wanted: NoteFilter) -> list[Note]:
    """The notes that pass every tag of the filter."""
    return [note for note in notes if wanted.keep(note)]


# --- the external editor -----------------------------------------------------------------


class NoEditor(Exception):
    """Neither ``$VISUAL`` nor ``$EDITOR`` is set."""


def editor_command(environ: Mapping[str, str] | None = None) -> list[str]:
    """The user's editor command (``$VISUAL``, else ``$EDITOR``), split like a shell would.

    Raises:
        NoEditor: when neither is set.
    """
    env = os.environ if environ is None else environ
    command = (env.get("VISUAL") or env.get("EDITOR") or "").strip()
    if not command:
        raise NoEditor("Set $VISUAL or $EDITOR to write notes in your own editor")
    return shlex.split(command)


def edit_in_editor(text: str, command: list[str]) -> str:
    """Run ``command FILE`` on a temporary file holding ``text``; the file's text afterwards.

    Raises:
        OSError: when the editor cannot be run or exits with an error (the text is not lost:
            the caller keeps its own copy).
    """
    handle, name = tempfile.mkstemp(prefix="briefreader-note-", suffix=".md")
    path = Path(name)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            # A text file ends with a newline: an editor that appends a line (sed '$a', ed,
            # echo >>) glued it to the last word without one ("#figures" + "second").
            stream.write(text if not text or text.endswith("\n") else text + "\n")
        finished = subprocess.run([*command, str(path)], check=False)
        if finished.returncode != 0:
            raise OSError(f"the editor exited with status {finished.returncode}")
        return path.read_text(encoding="utf-8").rstrip("\n")
    finally:
        path.unlink(missing_ok=True)
