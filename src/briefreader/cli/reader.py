"""``briefreader`` with no command: open the reader on the workspace."""

from __future__ import annotations

import argparse

from briefreader.cli.common import check_index_folder, workspace_from


def open_reader(args: argparse.Namespace) -> int:
    """Open the TUI (it builds or updates the index itself, with progress)."""
    workspace = workspace_from(args)
    check_index_folder(workspace)
    from briefreader.tui.app import run_app

    return run_app(workspace)
