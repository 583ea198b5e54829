"""``briefreader serve``: the reader served by textual-serve on loopback, driven over its
websocket as a browser tab would (open, search); other addresses refused or warned about."""

from __future__ import annotations

import asyncio
import importlib.util
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from briefreader.cli import main
from briefreader.cli.serve import is_loopback_host, reader_command
from tests.conftest import make_workspace

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("textual_serve") is None,
    reason="textual-serve is not installed (pip install 'briefreader[serve]')",
)
_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-_]")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def served(tmp_path: Path) -> Iterator[str]:
    """``briefreader serve`` on a free loopback port, over an indexed sample workspace."""
    root = make_workspace(tmp_path, sample=True)
    (root / "briefreader.toml").write_text('[entities]\nrecogniser = "rules"\n')
    assert main(["-w", str(root), "index", "-q"]) == 0
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "briefreader", "-w", str(root), "serve", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_for(url, process)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


def _wait_for(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"serve exited: {process.stderr.read() if process.stderr else ''}")
        try:
            with urllib.request.urlopen(url, timeout=5):
                return
        except OSError:
            time.sleep(0.3)
    raise AssertionError("serve did not answer within 60 s")


def test_serve_answers_on_loopback_with_the_page(served: str) -> None:
    with urllib.request.urlopen(served, timeout=10) as response:
        page = response.read().decode("utf-8")
    assert response.status == 200
    assert "briefreader" in page and "/ws" in page


async def _screens(url: str, keys: list[str], wanted: str, seconds: float = 60) -> tuple[str, str]:
    """Open the websocket as a browser tab does; the screen's text once the first screen is
    drawn (it shows "Search" and then goes quiet), and after typing ``keys`` (until ``wanted``
    shows, or time runs out)."""
    import aiohttp

    async with (
        aiohttp.ClientSession() as session,
        session.ws_connect(url.replace("http", "ws") + "/ws?width=100&height=30") as socket_,
    ):
        deadline = time.monotonic() + seconds
        before = await _read_until(
            socket_, lambda text, quiet: "Search" in text and quiet, deadline
        )
        for key in keys:
            await socket_.send_json(["stdin", key])
            await asyncio.sleep(0.1)
        after = await _read_until(socket_, lambda text, _quiet: wanted in text, deadline)
    return before, after


async def _read_until(socket_: Any, done: Callable[[str, bool], bool], deadline: float) -> str:
    """The text of the terminal output until ``done(text, quiet)``; quiet: no output for 1.5 s."""
    import aiohttp

    text = ""
    while time.monotonic() < deadline:
        try:
            message = await socket_.receive(timeout=1.5)
        except TimeoutError:
            if done(text, True):
                break
            continue
        if message.type == aiohttp.WSMsgType.BINARY:
            text += _ANSI.sub("", message.data.decode("utf-8", "replace"))
        if done(text, False):
            break
    return text


def test_serve_runs_the_reader_and_searches_over_the_websocket(served: str) -> None:
    before, after = asyncio.run(_screens(served, ["/", *"Kataib", "\r"], "Kataib Hezbollah"))
    assert "Search" in before and "Kataib Hezbollah" not in before
    assert "Kataib Hezbollah" in after  # a search hit, drawn by the served reader


def test_other_addresses_need_allow_remote_and_get_a_warning(tmp_path: Path, capsys) -> None:
    root = make_workspace(tmp_path)
    assert main(["-w", str(root), "serve", "--host", "0.0.0.0"]) == 2
    assert "--allow-remote" in capsys.readouterr().err
    assert main(["-w", str(root), "serve", "--port", "70000"]) == 2
    assert is_loopback_host("127.0.0.1") and is_loopback_host("::1")
    assert is_loopback_host("localhost") and not is_loopback_host("192.168.1.5")
    assert reader_command("/a b").endswith("-m briefreader -w '/a b'")


def test_remote_address_with_allow_remote_warns(tmp_path: Path) -> None:
    root = make_workspace(tmp_path)
    port = _free_port()
    argv = ["-w", str(root), "serve", "--host", "0.0.0.0", "--port", str(port), "--allow-remote"]
    process = subprocess.Popen(
        [sys.executable, "-m", "briefreader", *argv],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _wait_for(f"http://127.0.0.1:{port}", process)  # type: ignore[arg-type]
    finally:
        process.terminate()
        _out, err = process.communicate(timeout=30)
    assert "warning: serving on 0.0.0.0" in " ".join(err.split())
