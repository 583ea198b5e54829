"""After the index changes: find every note again in the new text of its article.

Lives above ``search`` and ``notes`` (it uses both) and below the CLI and the reader.
"""

from __future__ import annotations

from collections.abc import Collection

from briefreader.notes import NoteStore, ReanchorReport, reanchor_all
from briefreader.search.backend import SearchBackend
from briefreader.workspace import Workspace


def reanchor_workspace_notes(
    workspace: Workspace, library: SearchBackend, article_ids: Collection[str] | None = None
) -> ReanchorReport | None:
    """Re-anchor the workspace's notes against the indexed articles (None if no notes yet).

    Only the articles that have notes are read, and with ``article_ids`` (what an index run
    changed) only those among them: the notes of other articles are left as they are. A note
    whose article is gone is orphaned, never dropped.
    """
    if not workspace.notes_db.exists():
        return None
    with NoteStore(workspace.notes_db) as store:
        noted = {note.article_id for note in store.list(include_deleted=True)}
        if article_ids is not None:
            noted &= set(article_ids)
        articles = []
        for article_id in sorted(noted):
            try:
                articles.append(library.article(article_id))
            except KeyError:
                continue
        return reanchor_all(store, articles, orphan_missing=True, only=article_ids)


def describe(report: ReanchorReport | None) -> str | None:
    """One line for the user when re-anchoring changed anything."""
    if report is None or not (report.moved or report.fuzzy or report.orphaned or report.restored):
        return None
    parts = [
        f"{len(report.moved)} moved",
        f"{len(report.fuzzy)} matched approximately",
        f"{len(report.orphaned)} orphaned",
        f"{len(report.restored)} found again",
    ]
    return "notes re-anchored: " + ", ".join(parts) + " (see 'briefreader notes list --orphans')"
