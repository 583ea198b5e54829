"""``briefreader`` with no command: open the reader on the workspace."""

from __future__ import annotations

import argparse

from briefreader.cli.common import workspace_from


def open_reader(args: argparse.Namespace) -> int:
    """Open the TUI (it builds or updates the index itself, with progress)."""
    workspace = workspace_from(args)
    from briefreader.tui.app import run_app

    return run_app(workspace)
