"""Hostile input to the loader: link loops, bad front matter, odd layouts. Each gets a clear
skip reason or notice, never a traceback or a hang, and the rest of the corpus is indexed."""

from __future__ import annotations

import os
from pathlib import Path

from briefreader.search.indexer import update_index
from briefreader.text.load import default_options, list_article_files
from briefreader.workspace import Workspace
from tests.conftest import make_workspace

BODY = (
    "The harbour authority approved a plan to dredge the channel, and the fishermen "
    "complained that the work would close the port for the whole summer season."
)


def test_link_loops_are_skipped_when_links_are_followed(tmp_path: Path) -> None:
    root = tmp_path / "articles"
    (root / "sub").mkdir(parents=True)
    (root / "sub" / "real.txt").write_text(f"Real story\n\n{BODY}")
    os.symlink("self", root / "self")  # no suffix: read as text if it were a file
    os.symlink("..", root / "sub" / "up")
    os.symlink(root, root / "sub" / "root")
    files, skipped = list_article_files(root, default_options(follow_symlinks=True))
    assert files == [root / "sub" / "real.txt"]
    assert [(s.path, s.reason) for s in skipped] == [("self", "symbolic link loop")]


def test_index_skips_a_link_loop_and_indexes_the_rest(tmp_path: Path) -> None:
    ws = Workspace(make_workspace(tmp_path, {"ok.txt": f"Fine story\n\n{BODY}"}))
    os.symlink("self.txt", ws.articles_dir / "self.txt")
    report = update_index(ws)
    assert report.articles == 1
    assert [(s.path, s.reason) for s in report.skipped] == [("self.txt", "symbolic link loop")]

