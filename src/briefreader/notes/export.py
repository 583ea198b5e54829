"""Exporting notes (Markdown brief, W3C Web Annotation JSON-LD, JSON backup) and importing them.

``json`` keeps every field of every note, deleted ones included; ``w3c`` is an
AnnotationCollection (https://www.w3.org/TR/annotation-model/) whose briefreader-only fields
(passage ids, explicit tags, anchoring status, soft delete) ride in a ``briefreader`` member
of each annotation, which JSON-LD processors ignore, so both formats import back without loss.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

from briefreader.models import Article
from briefreader.notes.interchange import (
    hypothesis_annotations,
    is_hypothesis,
    markdown_link,
    source_link,
    to_csv,
    to_ris,
)
from briefreader.notes.model import (
    ANCHORED,
    ORPHANED,
    REVIEW,
    STATUSES,
    Note,
    NotesError,
    TextSelector,
    display_note,
    normalize_tag,
    parse_tags,
    passage_number_from_id,
    with_clean_tags,
)
from briefreader.notes.store import NoteStore, utc_now
from briefreader.text.decode import safe_json, strip_control
from briefreader.text.wording import counted, grouped

FORMATS = ("md", "json", "w3c", "csv", "ris")
JSON_FORMAT = "briefreader-notes"
JSON_VERSION = 1
W3C_CONTEXT = "http://www.w3.org/ns/anno.jsonld"
ARTICLE_URN = "urn:briefreader:article:"
NOTE_URN = "urn:uuid:"

ArticleLookup = Callable[[str], Article | None]
UrlLookup = Callable[[str], str | None]  # a web address → the id of the article saved from it


@dataclass(frozen=True)
class ImportReport:
    """What an import did: notes added, duplicates skipped, the article of each added one."""

    added: int
    duplicates: int
    note_articles: tuple[str, ...] = ()

    @property
    def article_ids(self) -> frozenset[str]:
        """The articles the added notes are on."""
        return frozenset(self.note_articles)


def export_notes(
    notes: Iterable[Note],
    fmt: str,
    article: ArticleLookup | None = None,
    articles_dir: Path | None = None,
) -> str:
    """Render notes in ``fmt`` (``md``, ``json``, ``w3c``, ``csv`` or ``ris``); ``article``
    gives titles and sources, ``articles_dir`` the files to link to when an article has no
    web address."""
    lookup = article or (lambda _id: None)
    notes = list(notes)
    # Documents for people and other tools (a brief, a spreadsheet, Zotero): every field
    # through the one rule, as the terminal would show it.
    shown = [display_note(note) for note in notes]
    if fmt == "md":
        return to_markdown(shown, lookup, articles_dir)
    if fmt == "csv":
        return to_csv(shown, lookup, articles_dir)
    if fmt == "ris":
        return to_ris(shown, lookup, articles_dir)
    # Backups import back without loss: exact text, control characters JSON-escaped.
    notes = [with_clean_tags(note) for note in notes]
    if fmt == "json":
        return _dump(to_json(notes))
    if fmt == "w3c":
        return _dump(to_w3c(notes, lookup))
    raise NotesError(f"unknown export format {fmt!r} (use one of: {', '.join(FORMATS)})")


def _dump(data: Any) -> str:
    return safe_json(data) + "\n"


# --- json -------------------------------------------------------------------------------------


def to_json(notes: Iterable[Note]) -> dict[str, Any]:
    """Every field of every note, for backup (``import_notes`` reads it back)."""
    return {
        "format": JSON_FORMAT,
        "version": JSON_VERSION,
        "exported": utc_now(),
        "notes": [note_to_dict(note) for note in notes],
    }


def note_to_dict(note: Note) -> dict[str, Any]:
    """A note as plain JSON data (also what ``notes list --json`` prints)."""
    data = asdict(note)
    data["passage_ids"] = list(note.passage_ids)
    data["extra_tags"] = list(note.extra_tags)
    data["tags"] = list(note.tags)
    return data


def note_from_dict(data: Mapping[str, Any]) -> Note:
    """Read back a note written by ``note_to_dict``."""
    selector = data["selector"]
    return Note(
        id=str(data["id"]),
        article_id=str(data["article_id"]),
        passage_id=str(data["passage_id"]),
        selector=TextSelector(
            exact=str(selector["exact"]),
            prefix=str(selector.get("prefix", "")),
            suffix=str(selector.get("suffix", "")),
            start=_offset(selector["start"]),
            end=_offset(selector["end"]),
        ),
        body=str(data.get("body", "")),
        extra_tags=tuple(str(t) for t in data.get("extra_tags", ())),
        author=str(data.get("author", "")),
        created=str(data.get("created", "")),
        updated=str(data.get("updated", data.get("created", ""))),
        deleted_at=data.get("deleted_at"),
        status=_status(data.get("status", ANCHORED)),
        anchor_score=float(data.get("anchor_score", 1.0)),
        passage_ids=tuple(str(p) for p in data.get("passage_ids", ()))
        or (str(data["passage_id"]),),
    )


def _status(value: Any) -> str:
    if value not in STATUSES:
        raise NotesError(f"unknown note status {value!r}")
    return str(value)


# --- w3c --------------------------------------------------------------------------------------


def to_w3c(notes: Iterable[Note], article: ArticleLookup) -> dict[str, Any]:
    """An AnnotationCollection with one embedded AnnotationPage holding every annotation."""
    items = [note_to_annotation(note, article(note.article_id)) for note in notes]
    collection_id = f"{NOTE_URN}{uuid.uuid4()}"
    return {
        "@context": W3C_CONTEXT,
        "id": collection_id,
        "type": "AnnotationCollection",
        "label": "briefreader notes",
        "total": len(items),
        "first": {
            "id": f"{collection_id}#page1",
            "type": "AnnotationPage",
            "startIndex": 0,
            "items": items,
        },
    }


def note_to_annotation(note: Note, article: Article | None = None) -> dict[str, Any]:
    """One note as a W3C Annotation (TextualBody comment + tags, TextQuote/TextPosition)."""
    bodies: list[dict[str, Any]] = []
    if note.body:
        bodies.append(
            {
                "type": "TextualBody",
                "value": note.body,
                "format": "text/plain",
                "purpose": "commenting",
            }
        )
    bodies += [{"type": "TextualBody", "value": tag, "purpose": "tagging"} for tag in note.tags]
    annotation: dict[str, Any] = {
        "id": f"{NOTE_URN}{note.id}",
        "type": "Annotation",
        "motivation": "commenting" if note.body else "highlighting",
        "created": note.created,
        "modified": note.updated,
        "creator": {"type": "Person", "nickname": note.author},
        "target": _target(note, article),
        "briefreader": {
            "note_id": note.id,
            "article_id": note.article_id,
            "passage_id": note.passage_id,
            "passage_ids": list(note.passage_ids),
            "extra_tags": list(note.extra_tags),
            "status": note.status,
            "anchor_score": note.anchor_score,
            "deleted_at": note.deleted_at,
        },
    }
    if bodies:
        annotation["body"] = bodies
    return annotation


def _target(note: Note, article: Article | None) -> dict[str, Any]:
    selector = note.selector
    target: dict[str, Any] = {
        "source": ARTICLE_URN + quote(note.article_id, safe=""),
        "selector": [
            {
                "type": "TextQuoteSelector",
                "exact": selector.exact,
                "prefix": selector.prefix,
                "suffix": selector.suffix,
            },
            {"type": "TextPositionSelector", "start": selector.start, "end": selector.end},
        ],
    }
    if article is not None and article.url:
        target["scope"] = article.url
    return target


def annotation_to_note(annotation: Mapping[str, Any], resolve_url: UrlLookup | None = None) -> Note:
    """Read a W3C Annotation back into a note (ours fully; others' as far as they go).

    A target that is a web page (``http(s)://…``) is the article saved from that address
    (``resolve_url``); its passage is found again by the quote when notes are re-anchored.
    """
    if not isinstance(annotation, Mapping) or annotation.get("type") != "Annotation":
        raise NotesError("not a W3C Annotation (type must be 'Annotation')")
    extra = annotation.get("briefreader") or {}
    target = _single(annotation.get("target"))
    if not isinstance(target, Mapping):
        raise NotesError("annotation target has no selector")
    selector = _selector_from_w3c(target.get("selector"))
    bodies = [b for b in _as_list(annotation.get("body")) if isinstance(b, Mapping)]
    comment = "".join(str(b.get("value", "")) for b in bodies if b.get("purpose") != "tagging")
    tags = [str(b.get("value", "")) for b in bodies if b.get("purpose") == "tagging"]
    article_id = extra.get("article_id") or _article_from_source(
        str(target.get("source", "")), resolve_url
    )
    passage_id = str(extra.get("passage_id", ""))
    creator = annotation.get("creator")
    return Note(
        id=str(extra.get("note_id") or _note_id(str(annotation.get("id", "")))),
        article_id=article_id,
        passage_id=passage_id,
        selector=selector,
        body=comment,
        extra_tags=tuple(extra.get("extra_tags", _tags_not_in_body(tags, comment))),
        author=str(creator.get("nickname") or creator.get("name") or "")
        if isinstance(creator, Mapping)
        else str(creator or ""),
        created=str(annotation.get("created", "")) or utc_now(),
        updated=str(annotation.get("modified", "") or annotation.get("created", "")) or utc_now(),
        deleted_at=extra.get("deleted_at"),
        status=_status(extra.get("status", ANCHORED)),
        anchor_score=float(extra.get("anchor_score", 1.0)),
        passage_ids=tuple(extra.get("passage_ids", ())) or (passage_id,),
    )


def _selector_from_w3c(value: Any) -> TextSelector:
    selectors = [s for s in _as_list(value) if isinstance(s, Mapping)]
    quote_sel = next((s for s in selectors if s.get("type") == "TextQuoteSelector"), None)
    position = next((s for s in selectors if s.get("type") == "TextPositionSelector"), {})
    if quote_sel is None:
        raise NotesError("annotation has no TextQuoteSelector")
    return TextSelector(
        exact=str(quote_sel.get("exact", "")),
        prefix=str(quote_sel.get("prefix", "")),
        suffix=str(quote_sel.get("suffix", "")),
        start=_offset(position.get("start", 0)),
        end=_offset(position.get("end", 0)),
    )


MAX_OFFSET = 2**62  # fits SQLite's INTEGER; no article is longer


def _offset(value: Any) -> int:
    """A text offset from an export: an integer 0..MAX_OFFSET (else ValueError)."""
    number = int(value)
    if not 0 <= number <= MAX_OFFSET:
        raise ValueError(f"offset {str(value)[:20]} is out of range")
    return number


def _tags_not_in_body(tags: list[str], body: str) -> tuple[str, ...]:
    in_body = set(parse_tags(body))
    return tuple(t for t in (normalize_tag(tag) for tag in tags) if t and t not in in_body)


def _article_from_source(source: str, resolve_url: UrlLookup | None = None) -> str:
    if source.startswith(("http://", "https://")):
        found = resolve_url(source) if resolve_url else None
        if found is None:
            raise NotesError(
                f"annotation target {source!r} is no article of this workspace "
                "(save the page first: briefreader add URL)"
            )
        return found
    if not source.startswith(ARTICLE_URN):
        raise NotesError(f"annotation target {source!r} is not a briefreader article")
    return unquote(source[len(ARTICLE_URN) :])


def _note_id(annotation_id: str) -> str:
    if annotation_id.startswith(NOTE_URN):
        return annotation_id[len(NOTE_URN) :]
    return (
        str(uuid.uuid5(uuid.NAMESPACE_URL, annotation_id)) if annotation_id else str(uuid.uuid4())
    )


def _single(value: Any) -> Any:
    items = _as_list(value)
    return items[0] if items else None


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


# --- import -----------------------------------------------------------------------------------


def parse_export(text: str, resolve_url: UrlLookup | None = None) -> list[Note]:
    """Notes from a ``json``, ``w3c`` or Hypothesis export (detected from the content);
    ``resolve_url`` finds the article of a web-page target."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        message = f"not a notes export (invalid JSON: {error.msg} at line {error.lineno})"
        raise NotesError(message) from None
    except RecursionError:
        raise NotesError("not a notes export (JSON nested too deeply)") from None
    except ValueError as error:  # a number too long to convert
        raise NotesError(f"not a notes export ({str(error)[:80]})") from None
    try:
        return _notes_from_data(data, resolve_url)
    except (AttributeError, KeyError, TypeError, ValueError, OverflowError) as error:
        raise NotesError(f"malformed notes export: {type(error).__name__} {error}") from error


def _notes_from_data(data: Any, resolve_url: UrlLookup | None) -> list[Note]:
    if isinstance(data, Mapping) and data.get("format") == JSON_FORMAT:
        if int(data.get("version", 0)) > JSON_VERSION:
            raise NotesError("this notes export is from a newer briefreader")
        return [note_from_dict(item) for item in data["notes"]]
    annotations = hypothesis_annotations(data) if is_hypothesis(data) else _annotations(data)
    if annotations is None:
        raise NotesError("not a briefreader json, W3C annotation or Hypothesis export")
    return [annotation_to_note(item, resolve_url) for item in annotations]


def _annotations(data: Any) -> list[Any] | None:
    if isinstance(data, list):
        return data
    if not isinstance(data, Mapping):
        return None
    kind = data.get("type")
    if kind == "Annotation":
        return [data]
    if kind == "AnnotationPage":
        return list(data.get("items", []))
    if kind == "AnnotationCollection":
        items = list(data.get("items", []))
        page = data.get("first")
        while isinstance(page, Mapping):
            items += list(page.get("items", []))
            page = page.get("next")
        return items
    return None


def import_notes(store: NoteStore, text: str, resolve_url: UrlLookup | None = None) -> ImportReport:
    """Import a ``json``, ``w3c`` or Hypothesis export into the store, skipping duplicates."""
    added = duplicates = 0
    note_articles: list[str] = []
    notes = parse_export(text, resolve_url)
    for note in notes:
        try:
            imported = store.import_note(note)
        except NotesError as error:  # a full disk: say how far it got (every note is atomic)
            raise NotesError(
                f"{error}; {grouped(added)} of {counted(len(notes), 'note')} were imported before "
                "that (import the file again to add the rest: duplicates are skipped)"
            ) from error
        added, duplicates = added + imported, duplicates + (not imported)
        if imported:
            note_articles.append(note.article_id)
    return ImportReport(added, duplicates, tuple(note_articles))


# --- markdown ---------------------------------------------------------------------------------

_INLINE_SPECIAL = re.compile(r"([\\`*_\[\]<>&~|])")
_BLOCK_START = re.compile(r"^(#|>|[-+=])")
_ORDERED_START = re.compile(r"^(\d+)([.)])")


def md_escape(text: str) -> str:
    """Escape one line so Markdown shows it literally (inline and block syntax).

    Escape sequences go, control characters become spaces: they have no place in a report.
    """
    text = _INLINE_SPECIAL.sub(r"\\\1", strip_control(text, " ").strip())
    text = _ORDERED_START.sub(r"\1\\\2", text)
    return _BLOCK_START.sub(lambda m: "\\" + m.group(1), text)


def md_lines(text: str, prefix: str = "") -> list[str]:
    """Multi-line text as escaped Markdown lines: blank lines split paragraphs, single newlines
    become hard breaks, every line carries ``prefix`` (``"> "`` for block quotes)."""
    paragraphs = re.split(r"\n\s*\n", text.replace("\r\n", "\n"))
    paragraphs = [p for p in paragraphs if any(map(md_escape, p.split("\n")))]
    lines: list[str] = []
    for index, paragraph in enumerate(paragraphs):
        if index:
            lines.append(prefix.rstrip())
        rows = [row for row in map(md_escape, paragraph.split("\n")) if row]
        lines += [
            f"{prefix}{row}" + ("\\" if i < len(rows) - 1 else "") for i, row in enumerate(rows)
        ]
    return lines


def to_markdown(
    notes: Iterable[Note], article: ArticleLookup, articles_dir: Path | None = None
) -> str:
    """A brief: notes grouped by article (in first-note order), oldest note first within one."""
    groups: dict[str, list[Note]] = {}
    for note in sorted(notes, key=lambda n: (n.created, n.id)):
        groups.setdefault(note.article_id, []).append(note)
    lines = ["# Notes", ""]
    for article_id, group in groups.items():
        lines += _md_article(article_id, article(article_id), group, articles_dir)
    return "\n".join(lines).rstrip("\n") + "\n"


def _md_article(
    article_id: str, article: Article | None, notes: list[Note], articles_dir: Path | None
) -> list[str]:
    title = article.title if article and article.title else article_id
    meta = [part for part in (article.source, article.date) if part] if article else []
    lines = [f"## {md_escape(title)}", ""]
    if meta:
        lines += [md_escape(" · ".join(str(p) for p in meta)), ""]
    link = source_link(article, articles_dir)
    for note in notes:
        lines += _md_note(note, article, title, link)
    return lines


def _md_note(note: Note, article: Article | None, title: str, link: str) -> list[str]:
    lines = [*md_lines(note.selector.exact, "> "), ""]
    if note.body.strip():
        lines += [*md_lines(note.body), ""]
    if note.tags:
        # `#tag`, not `\#tag`: Obsidian and other tools read these as tags
        lines += ["Tags: " + " ".join(f"#{md_escape(tag)}" for tag in note.tags), ""]
    source = markdown_link(md_escape(title), link) if link else md_escape(title)
    cite = f"— {source}, {_paragraphs(note, article)}"
    if note.status == ORPHANED:
        cite += " (orphaned: this text is no longer in the article)"
    elif note.status == REVIEW:
        cite += " (to review: the article's text here changed since this note was written)"
    return [*lines, cite, "", "---", ""]


def _paragraphs(note: Note, article: Article | None) -> str:
    numbers = []
    for passage_id in note.passage_ids or (note.passage_id,):
        passage = article.passage(passage_id) if article else None
        number = passage.number if passage else passage_number_from_id(passage_id)
        if number is not None:
            numbers.append(number)
    if not numbers:
        return "paragraph unknown"
    if len(numbers) == 1:
        return f"paragraph {numbers[0]}"
    return f"paragraphs {min(numbers)}–{max(numbers)}"
