"""The reader (TUI) measured headless with Textual's Pilot, in a process of its own.

``python -m benchmarks.tui_probe WORKSPACE QUERIES.json T0`` where ``T0`` is the parent's
``time.time()`` just before starting this process: prints JSON with cold start to first paint,
to the first results, keystroke → results painted per query, opening the longest article and
scrolling a page (wall to the paint, and the main thread's CPU over it), and the process's
peak memory.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks.timing import peak_rss_mb

SIZE = (120, 40)
TIMEOUT = 30.0


class PaintClock:
    """Wraps ``App._display`` to time every paint; renders segments as a terminal would
    (and hands them to ``sink``, if given, before the paint counts as done)."""

    def __init__(self, app: Any, sink: Callable[[str], Any] | None = None) -> None:
        self.times: list[float] = []
        self.first_wall = 0.0
        original = app._display

        def display(screen: Any, renderable: Any) -> None:
            original(screen, renderable)
            if renderable is not None and hasattr(renderable, "render_segments"):
                data = renderable.render_segments(app.console)
                if sink is not None:
                    sink(data)
                self.times.append(time.perf_counter())
                self.first_wall = self.first_wall or time.time()

        app._display = display

    async def after(self, moment: float, timeout: float = 5.0) -> float | None:
        """The time of the first paint after ``moment`` (None on timeout)."""
        deadline = time.perf_counter() + timeout
        while not (self.times and self.times[-1] > moment):
            if time.perf_counter() > deadline:
                return None
            await asyncio.sleep(0.0005)
        return next(t for t in self.times if t > moment)


async def _until(pilot: Any, ready: Callable[[], bool], timeout: float = TIMEOUT) -> bool:
    """Let the app run until ``ready()`` (then one more pause so it paints); False on timeout."""
    deadline = time.perf_counter() + timeout
    while not ready():
        if time.perf_counter() > deadline:
            return False
        await asyncio.sleep(0.0005)
    await pilot.pause()
    return True


def _key(char: str) -> str:
    from textual.keys import _character_to_key

    return _character_to_key(char)


async def _poll(ready: Callable[[], bool], timeout: float) -> bool:
    """Yield to the app until ``ready()`` without Pilot's own waits; False on timeout."""
    deadline = time.perf_counter() + timeout
    while not ready():
        if time.perf_counter() > deadline:
            return False
        await asyncio.sleep(0.0005)
    return True


async def _keystrokes(
    pilot: Any, screen: Any, queries: list[str], clock: PaintClock
) -> tuple[list[float], list[str]]:
    """Seconds from the last key of each query to its results being in the results list.

    The key is posted to the search field as a Textual key event (Pilot's ``press`` adds
    ~100 ms of its own waiting, see ``noop_key_s``); the clock stops at the first paint after
    the results are in the list.
    Returns the samples and the queries whose results never showed (within 5 s).
    """
    from textual import events

    field = screen.search_bar.input
    samples, missing = [], []
    for text in queries:
        field.value = text[:-1]
        field.cursor_position = len(field.value)
        await _until(pilot, lambda: True)
        start = time.perf_counter()
        field.post_message(events.Key(_key(text[-1]), text[-1]))
        painted = None
        if await _poll(lambda t=text: screen.results_query == t and field.value == t, 5):
            painted = await clock.after(time.perf_counter())
        if painted is not None:
            samples.append(painted - start)
        else:
            missing.append(f"{text!r} -> {field.value!r}")
    return samples, missing


async def _open_longest(pilot: Any, screen: Any, clock: PaintClock) -> dict[str, Any]:
    """Open the article with the most passages (to its first paint); then page down."""
    from briefreader.tui.messages import OpenRequest

    longest = max(screen.library.articles(), key=lambda s: s.passages)
    screen.search.results_query = ""
    start = time.perf_counter()
    screen.open_article(OpenRequest(longest.id, passage=0), jump=False)
    painted = None
    if await _poll(lambda: screen.article_id == longest.id, 10):
        painted = await clock.after(time.perf_counter())
    view = screen.view
    view.focus()
    await pilot.pause()
    noop = []
    for _ in range(10):  # the harness's floor: Pilot's press on a key nothing is bound to
        start_noop = time.perf_counter()
        await pilot.press("f19")
        noop.append(time.perf_counter() - start_noop)
    scrolls, scroll_cpu, action = [], [], "page_down"
    for _ in range(30):
        before = view.scroll_offset.y
        start_scroll, start_cpu = time.perf_counter(), time.thread_time()
        await screen.app.run_action(action, view)
        if await _poll(lambda b=before: view.scroll_offset.y != b, 1):
            moment = await clock.after(time.perf_counter())
            if moment is not None:
                scrolls.append(moment - start_scroll)
                scroll_cpu.append(time.thread_time() - start_cpu)
        else:  # at an end of the article: page back the other way
            action = "page_up" if action == "page_down" else "page_down"
        await pilot.pause()
    return {
        "article_id": longest.id,
        "passages": longest.passages,
        "open_s": painted - start if painted else None,
        "scroll_s": scrolls,
        "scroll_cpu_s": scroll_cpu,  # the main thread's CPU over the same spans
        "noop_key_s": noop,
    }


async def run(workspace_dir: Path, queries: list[str], t0: float) -> dict[str, Any]:
    """One headless reader session; see the module docstring."""
    from briefreader.tui.app import ReaderApp
    from briefreader.workspace import Workspace

    app = ReaderApp(Workspace(workspace_dir))
    clock = PaintClock(app)
    result: dict[str, Any] = {}
    async with app.run_test(size=SIZE) as pilot:
        await clock.after(0.0, TIMEOUT)
        result["first_paint_s"] = clock.first_wall - t0
        screen = app.screen
        ready = await _poll(lambda: getattr(screen, "library", None) is not None, TIMEOUT)
        result["first_results_s"] = time.time() - t0 if ready else None
        await _until(pilot, lambda: not screen.query_one("#indexing").display, 120)
        result["keystroke_s"], result["keystroke_missing"] = await _keystrokes(
            pilot, screen, queries, clock
        )
        result["open_longest"] = await _open_longest(pilot, screen, clock)
        result["peak_rss_mb"] = peak_rss_mb()
    return result


def main(argv: list[str]) -> int:
    """Run the session and print its JSON."""
    workspace, queries_file, t0 = Path(argv[0]), Path(argv[1]), float(argv[2])
    queries = json.loads(queries_file.read_text(encoding="utf-8"))
    print(json.dumps(asyncio.run(run(workspace, queries, t0))))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
