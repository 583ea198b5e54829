"""The reader served by ``briefreader serve`` and used in a real headless Chromium (Debian's
``chromium`` driven by Playwright; no browser is downloaded): open, search, open an article,
see the Related tab, take a note. Screenshots are kept in ``.test-artifacts/browser/``."""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from briefreader.cli import main
from tests.conftest import REPO, make_workspace

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARTIFACTS = REPO / ".test-artifacts" / "browser"
_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-_]")

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed"),
    pytest.mark.skipif(
        importlib.util.find_spec("playwright") is None, reason="playwright is not installed"
    ),
    pytest.mark.skipif(
        importlib.util.find_spec("textual_serve") is None, reason="textual-serve not installed"
    ),
]


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """``briefreader serve`` on a free loopback port over an indexed sample workspace."""
    root = make_workspace(tmp_path, sample=True)
    (root / "briefreader.toml").write_text('[entities]\nrecogniser = "rules"\n')
    assert main(["-w", str(root), "index", "-q"]) == 0
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    argv = [sys.executable, "-m", "briefreader", "-w", str(root), "serve", "--port", str(port)]
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(url, timeout=2).close()
                break
            except OSError:
                assert time.monotonic() < deadline and process.poll() is None, "serve failed"
                time.sleep(0.3)
        yield url, root
    finally:
        process.terminate()
        process.wait(timeout=30)


class Tab:
    """A browser tab on the served reader: keys in, the terminal's text (as received) out."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.received: list[str] = []
        page.on("websocket", lambda ws: ws.on("framereceived", self._frame))

    def _frame(self, payload: str | bytes) -> None:
        text = payload if isinstance(payload, str) else payload.decode("utf-8", "replace")
        self.received.append(_ANSI.sub("", text))

    def wait_for(self, text: str, seconds: float = 45) -> bool:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if text in "".join(self.received):
                return True
            self.page.wait_for_timeout(250)
        return False

    def key(self, key: str, until: str) -> None:
        """Press ``key`` and wait until the screen shows ``until`` (the app took it)."""
        self.received.clear()
        self.page.keyboard.press(key)
        assert self.wait_for(until), f"after {key}: no {until!r} on the screen"

    def type(self, text: str) -> None:
        self.received.clear()
        self.page.keyboard.type(text, delay=80)

    def shot(self, name: str) -> None:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def test_browser_open_search_article_related_note(served: tuple[str, Path], capsys) -> None:
    from playwright.sync_api import sync_playwright

    url, root = served
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            tab = Tab(browser.new_page(viewport={"width": 1200, "height": 800}))
            tab.page.goto(url)
            assert tab.wait_for("6 articles"), "the reader did not open in the browser"
            tab.page.wait_for_timeout(1500)
            tab.shot("1-open")
            tab.page.click("#terminal")  # keys go to the terminal, as a user's would
            tab.key("/", until="Leave search")
            tab.type("Kataib")
            assert tab.wait_for("Kataib Hezbollah"), "no search results"
            tab.shot("2-search")
            tab.key("Enter", until="¶")  # the article's status line: paragraph n of N
            assert tab.wait_for("Related")
            tab.page.wait_for_timeout(1000)
            tab.shot("3-article-related")
            tab.key("a", until="ctrl+s save")  # the note editor
            tab.type("browser note #web")
            tab.key("Control+s", until="Note saved")
            tab.shot("4-note")
        finally:
            browser.close()
    capsys.readouterr()
    assert main(["-w", str(root), "notes", "list", "--json"]) == 0
    notes = json.loads(capsys.readouterr().out)["notes"]
    assert [(n["body"], n["tags"]) for n in notes] == [("browser note #web", ["web"])]
    assert notes[0]["article_id"] == "004_6c8c47967f33c65d"
