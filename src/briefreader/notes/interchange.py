"""Notes for other tools: CSV (spreadsheets), RIS (Zotero and other reference managers), the
link back to each quote's source, and Hypothesis's JSON export read as W3C annotations.

CSV has one row per note. RIS has one record per article (``NEWS`` when it has a source, else
``ELEC``) with each note as an ``N1`` field, which Zotero imports as a child note, and the
note's tags as ``KW``. Hypothesis rows (``{"rows": [...]}`` from its API, or a bare list) become
W3C annotations whose target is the page's URL; ``annotation_to_note`` maps that URL to the
article saved from it.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote

from briefreader.models import Article
from briefreader.notes.model import Note

ArticleLookup = Callable[[str], Article | None]
CSV_COLUMNS = (
    "note_id",
    "article_id",
    "title",
    "source",
    "date",
    "link",
    "passage_id",
    "quote",
    "note",
    "tags",
    "author",
    "created",
    "updated",
    "status",
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def source_link(article: Article | None, articles_dir: Path | None) -> str:
    """Where a quote comes from: the article's web address, else its file (a ``file:`` URI)."""
    if article is None:
        return ""
    if article.url.startswith(("http://", "https://")):
        return article.url
    if articles_dir is not None:
        return (articles_dir / article.path).resolve().as_uri()
    return ""


def markdown_link(text: str, url: str) -> str:
    """``[text](<url>)``: the angle brackets keep spaces and parentheses in the address."""
    return f"[{text}](<{quote(url, safe=':/?#[]@!$&()*+,;=%~')}>)"


def to_csv(notes: Iterable[Note], article: ArticleLookup, articles_dir: Path | None) -> str:
    """One row per note; cells that a spreadsheet would run as a formula start with ``'``."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for note in notes:
        found = article(note.article_id)
        row = (
            note.id,
            note.article_id,
            found.title if found else "",
            found.source if found else "",
            (found.date or "") if found else "",
            source_link(found, articles_dir),
            note.passage_id,
            note.selector.exact,
            note.body,
            " ".join(f"#{tag}" for tag in note.tags),
            note.author,
            note.created,
            note.updated,
            note.status,
        )
        writer.writerow([_inert(str(cell)) for cell in row])
    return out.getvalue()


def _inert(cell: str) -> str:
    return "'" + cell if cell.startswith(_FORMULA_START) else cell


def to_ris(notes: Iterable[Note], article: ArticleLookup, articles_dir: Path | None) -> str:
    """One RIS record per article (first-note order), its notes as ``N1``, tags as ``KW``."""
    groups: dict[str, list[Note]] = {}
    for note in sorted(notes, key=lambda n: (n.created, n.id)):
        groups.setdefault(note.article_id, []).append(note)
    lines: list[str] = []
    for article_id, group in groups.items():
        lines += _ris_record(article_id, article(article_id), group, articles_dir)
    return "\r\n".join(lines) + ("\r\n" if lines else "")


def _ris_record(
    article_id: str, article: Article | None, notes: list[Note], articles_dir: Path | None
) -> list[str]:
    fields: list[tuple[str, str]] = [("TY", "NEWS" if article and article.source else "ELEC")]
    fields.append(("TI", article.title if article else article_id))
    if article is not None:
        fields += [("AU", article.author)] if article.author else []
        fields += [("T2", article.source)] if article.source else []
        if article.date:
            fields += [("PY", article.date[:4]), ("DA", article.date.replace("-", "/"))]
    link = source_link(article, articles_dir)
    fields += [("UR", link)] if link else []
    fields.append(("ID", article_id))
    for note in notes:
        fields.append(("N1", _ris_note(note)))
    for tag in sorted({tag for note in notes for tag in note.tags}):
        fields.append(("KW", tag))
    return [f"{tag}  - {_one_line(value)}" for tag, value in fields] + ["ER  - ", ""]


def _ris_note(note: Note) -> str:
    text = f"“{note.selector.exact}” ({note.passage_id})"
    if note.body.strip():
        text += f" — {note.body.strip()}"
    return text


def _one_line(value: str) -> str:
    return " ".join(value.split())


def is_hypothesis(data: Any) -> bool:
    """Whether ``data`` is a Hypothesis export: its API's ``{"rows": […]}`` or a list of rows."""
    rows = data.get("rows") if isinstance(data, Mapping) else data
    return (
        isinstance(rows, list)
        and bool(rows)
        and all(isinstance(r, Mapping) and "uri" in r and "target" in r for r in rows)
    )


def hypothesis_annotations(data: Any) -> list[dict[str, Any]]:
    """Hypothesis rows as W3C annotations (page notes, without a quote, are kept out)."""
    rows = data.get("rows") if isinstance(data, Mapping) else data
    annotations = []
    for row in rows or []:
        target = _first(row.get("target"))
        if not isinstance(target, Mapping) or not _has_quote(target.get("selector")):
            continue
        body = [{"type": "TextualBody", "value": row.get("text", ""), "purpose": "commenting"}]
        body += [
            {"type": "TextualBody", "value": t, "purpose": "tagging"} for t in row.get("tags") or []
        ]
        annotations.append(
            {
                "type": "Annotation",
                "id": f"https://hypothes.is/a/{row.get('id', '')}",
                "created": row.get("created", ""),
                "modified": row.get("updated", ""),
                "creator": {"nickname": _hypothesis_user(str(row.get("user", "")))},
                "target": {"source": target.get("source") or row["uri"], **target},
                "body": body,
            }
        )
    return annotations


def _first(value: Any) -> Any:
    return value[0] if isinstance(value, list) and value else value


def _has_quote(selectors: Any) -> bool:
    return isinstance(selectors, list) and any(
        isinstance(s, Mapping) and s.get("type") == "TextQuoteSelector" for s in selectors
    )


def _hypothesis_user(user: str) -> str:
    """``acct:alice@hypothes.is`` → ``alice``."""
    return user.removeprefix("acct:").split("@", 1)[0]
