"""Fixtures for the reader's tests: one indexed workspace per session, helpers to drive the app.

The workspace holds the sample articles plus a hostile one (markup-like brackets, an escape
sequence, Arabic). It is indexed without entity enrichment so the tests (and snapshots) do not
change when the entities engine changes; entity display is tested with injected mentions.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.tui.helpers import indexed_workspace

REPO = Path(__file__).resolve().parents[2]
SAMPLE_DIR = REPO / "articles"

HOSTILE_ARTICLE = """---
title: "Markup [b]bold[/b] [link=x]link[/link] [@click=app.quit]quit[/] ["
date: 2020-01-02
source: "[i]Wire[/i]"
---
First paragraph with [ and [/ and [b] and [link=x]click[/link] and \
[@click=app.quit]boom[/] and \x1b[2Jescape gone, about markup.

## Heading [b]not bold[/b]

النص العربي: كتائب حزب الله في العراق، markup arabic.

Last paragraph cites a source.[ii]

[ii] A reference with [b]brackets[/b] kept as typed.
"""


@pytest.fixture(scope="session")
def reader_workspace_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample corpus plus the hostile article, indexed once (no entity enrichment)."""
    files: dict[str, str | bytes] = {path.name: path.read_bytes() for path in SAMPLE_DIR.iterdir()}
    files["zz_markup.md"] = HOSTILE_ARTICLE
    return indexed_workspace(tmp_path_factory.mktemp("reader"), files)


@pytest.fixture
def reader_workspace(reader_workspace_root: Path) -> Iterator[object]:
    """The session workspace with no remembered reading state (each test starts fresh)."""
    from briefreader.workspace import Workspace

    workspace = Workspace(reader_workspace_root)
    shutil.rmtree(workspace.state_dir, ignore_errors=True)
    yield workspace
    shutil.rmtree(workspace.state_dir, ignore_errors=True)


@pytest.fixture
def make_app(reader_workspace: object) -> object:
    """Build a ReaderApp on the test workspace (no blinking cursor, animations off)."""
    from briefreader.tui.app import ReaderApp
    from briefreader.tui.settings import ReaderSettings

    def build(**settings: object) -> ReaderApp:
        values = {"animations": False, "cursor_blink": False, **settings}
        return ReaderApp(reader_workspace, ReaderSettings(**values))  # type: ignore[arg-type]

    return build


@pytest.fixture
def anyio_backend() -> str:
    """Async tests (``pytest.mark.anyio``) run on asyncio, as Textual does."""
    return "asyncio"
