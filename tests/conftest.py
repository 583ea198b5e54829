"""Shared fixtures: isolated config, sample workspaces, the --slow and --e2e switches."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parent.parent
SAMPLE_DIR = REPO / "articles"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--slow", action="store_true", help="also run the slow suites")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--slow"):
        return
    skip = pytest.mark.skip(reason="slow suite: run with --slow")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _isolated_config(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Tests never read the user's config file or workspace variable."""
    monkeypatch.setenv("BRIEFREADER_CONFIG", "")
    monkeypatch.delenv("BRIEFREADER_WORKSPACE", raising=False)
    monkeypatch.delenv("SSH_CONNECTION", raising=False)


def make_workspace(
    root: Path, files: dict[str, str | bytes] | None = None, sample: bool = False
) -> Path:
    """Create a workspace folder with the given article files (and/or the sample)."""
    (root / "articles").mkdir(parents=True, exist_ok=True)
    (root / "index").mkdir(exist_ok=True)
    if sample:
        for path in SAMPLE_DIR.iterdir():
            shutil.copyfile(path, root / "articles" / path.name)
    for name, content in (files or {}).items():
        target = root / "articles" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, encoding="utf-8")
    return root


@pytest.fixture(scope="session")
def sample_workspace(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A workspace with the sample corpus, indexed once per session (treat as read-only)."""
    from briefreader.search.index.indexer import update_index
    from briefreader.workspace import Workspace

    old = os.environ.get("BRIEFREADER_CONFIG")
    os.environ["BRIEFREADER_CONFIG"] = ""
    root = make_workspace(tmp_path_factory.mktemp("sample"), sample=True)
    update_index(Workspace(root))
    yield root
    if old is None:
        os.environ.pop("BRIEFREADER_CONFIG", None)
    else:
        os.environ["BRIEFREADER_CONFIG"] = old


@pytest.fixture
def settings_reads(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Every ``Workspace.settings()`` call from now on, by workspace root (a read of the files)."""
    from briefreader.workspace import Workspace

    reads: list[Path] = []
    original = Workspace.settings

    def counted(self: Workspace) -> object:
        reads.append(self.root)
        return original(self)

    monkeypatch.setattr(Workspace, "settings", counted)
    return reads


def matches(workspace: Any, query: str, limit: int = 50) -> int:
    """How many articles the workspace's index finds for ``query`` (a library opened for it)."""
    from briefreader.search.library import Library

    library = Library.open(workspace)
    try:
        return library.search(query, limit=limit).total
    finally:
        library.close()
