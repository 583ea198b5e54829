"""After the index changes: find every note again in the new text of its article.

Lives above ``search`` and ``notes`` (it uses both) and below the CLI and the reader.
"""

from __future__ import annotations

from collections.abc import Collection

from briefreader.notes import NoteStore, ReanchorReport, reanchor_all
from briefreader.search.backend import SearchBackend
from briefreader.search.index.indexer import IndexReport
from briefreader.search.index.pending import reanchor_pending
from briefreader.workspace import Workspace


def reanchor_workspace_notes(
    workspace: Workspace, library: SearchBackend, changed: Collection[str] | None = None
) -> ReanchorReport | None:
    """Re-anchor the notes of the ``changed`` article ids (None: of every article with notes)
    against the indexed articles (None if no notes yet).

    A note whose article is no longer in the index is orphaned, never dropped; the notes of
    articles outside ``changed`` are not touched.
    """
    if not workspace.notes_db.exists():
        return None
    with NoteStore(workspace.notes_db) as store:
        wanted = {note.article_id for note in store.list(include_deleted=True)}
        if changed is not None:
            wanted &= set(changed)
        articles, gone = [], []
        for article_id in sorted(wanted):
            try:
                articles.append(library.article(article_id))
            except KeyError:
                gone.append(article_id)
        return reanchor_all(store, articles, gone)


def needs_reanchoring(workspace: Workspace, report: IndexReport) -> bool:
    """Whether an index run (or an earlier one that was killed) left notes to re-anchor."""
    return bool(report.touched or report.reanchor_everything) or reanchor_pending(
        workspace.index_dir
    )


def describe(report: ReanchorReport | None) -> str | None:
    """One line for the user when re-anchoring changed anything."""
    if report is None or not (
        report.moved or report.fuzzy or report.orphaned or report.restored or report.review
    ):
        return None
    parts = [
        f"{len(report.moved)} moved",
        f"{len(report.fuzzy)} matched approximately",
        f"{len(report.orphaned)} orphaned",
        f"{len(report.restored)} found again",
    ]
    if report.review:
        parts.append(f"{len(report.review)} to review (not moved: the text changed)")
    listing = "briefreader notes list --orphans --review"
    return "notes re-anchored: " + ", ".join(parts) + f" (see '{listing}')"
