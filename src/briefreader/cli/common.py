"""Shared pieces of the subcommands: errors, output, opening the workspace."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from rich.console import Console

from briefreader.workspace import Workspace, WorkspaceError, find_workspace


class CommandError(Exception):
    """A user-facing error: printed as one line, exit code ``code`` (2 = usage/input)."""

    def __init__(self, message: str, code: int = 2) -> None:
        super().__init__(message)
        self.code = code


def fail(message: str, code: int = 2) -> int:
    """Print ``briefreader: message`` to stderr and return the exit code."""
    err_console().print(f"briefreader: {message}", markup=False, highlight=False, soft_wrap=True)
    return code


def out_console() -> Console:
    """Console for normal output (rich on a TTY, plain text when piped)."""
    return Console(highlight=False, soft_wrap=not sys.stdout.isatty())


def err_console() -> Console:
    """Console for messages and progress."""
    return Console(stderr=True, highlight=False)


def workspace_from(args: argparse.Namespace) -> Workspace:
    """Resolve the workspace from ``--workspace``/env/cwd, or raise a CommandError."""
    try:
        return find_workspace(getattr(args, "workspace", None))
    except WorkspaceError as error:
        raise CommandError(str(error)) from error


def print_json(data: Any) -> None:
    """Print data as stable, indented JSON on stdout."""
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


def printable(text: str) -> str:
    """A file name or other untrusted string made safe to print: control characters as ``?``."""
    return "".join(char if char.isprintable() or char == " " else "?" for char in text)
