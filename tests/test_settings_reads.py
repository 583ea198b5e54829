"""Related passages read the settings once per change of a settings file, not per paragraph."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from briefreader.search.library import Library
from briefreader.search.related import clear_cache, find_related
from briefreader.workspace import Workspace


def test_related_passages_read_the_settings_once_until_a_file_changes(
    sample_workspace: Path, tmp_path: Path, settings_reads: list[Path]
) -> None:
    root = tmp_path / "ws"
    shutil.copytree(sample_workspace, root)
    reads = settings_reads
    library = Library.open(Workspace(root))
    try:
        ids = [s.id for s in library.articles()]
        for article_id in ids[:3]:
            find_related(library, f"{article_id}:p2", limit=3)
        assert len(reads) == 1
        settings = root / "briefreader.toml"
        settings.write_text("[related]\nthreshold = 0.99\n", encoding="utf-8")
        os.utime(settings, ns=(1, 1))  # a different time than before, whatever the clock says
        clear_cache(library)
        result = find_related(library, f"{ids[0]}:p2", limit=3)
        assert len(reads) == 2 and result.threshold == 0.99
    finally:
        library.close()
