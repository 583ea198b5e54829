"""What the indexer adds beyond text: load options and enrichers chosen from the settings."""

from __future__ import annotations

from collections.abc import Sequence

from briefreader.models import Article
from briefreader.search.indexer import Enricher, Enrichment, ProgressFn
from briefreader.text.load import LoadOptions, default_options
from briefreader.workspace import Workspace


def load_options_for(workspace: Workspace) -> LoadOptions:
    """Loading options from the workspace settings (extra boilerplate, size limit, symlinks)."""
    settings = workspace.settings()
    return default_options(settings.boilerplate, settings.max_file_mb, settings.follow_symlinks)


def no_enrichment(articles: Sequence[Article], progress: ProgressFn) -> dict[str, Enrichment]:
    """An enricher that adds nothing."""
    return {}


def default_enricher(workspace: Workspace) -> Enricher:
    """The enricher the settings ask for (entities when available)."""
    return no_enrichment
