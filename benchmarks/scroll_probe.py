"""Scrolling a page in the reader, headless, measured page by page.

``python -m benchmarks.scroll_probe WORKSPACE [--pages N] [--article ID] [--profile FILE]``
opens the article with the most paragraphs (or ``--article``), pages down to the end and back
(``--pages`` pages in all) and prints JSON: per page the wall time from the page action to
the next paint (as :mod:`benchmarks.tui_probe` times it) and the main thread's CPU time over
the same span (``time.thread_time``: what the reader itself spent, without the workers or the
wait for a CPU that a loaded machine adds), with the process's CPU seconds and the load
average. ``--profile`` writes cProfile stats of the page loop (main thread) to FILE;
``--stages`` adds the main thread's CPU per page in each stage of a page (Textual's
compositor, each widget's lines, the reader's page action and message handlers), without a
profiler's overhead. ``--changes-only`` passes every frame through the reader's
``ScreenDiff`` (what the terminal driver does over SSH, on the main thread) before the paint
counts as done.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import os
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks.timing import summarize_ms
from benchmarks.tui_probe import SIZE, TIMEOUT, PaintClock, _poll, _until


class Stages:
    """Main-thread CPU seconds per stage, from wrappers around the methods a page runs."""

    def __init__(self) -> None:
        self.seconds: defaultdict[str, float] = defaultdict(float)
        self.on = False

    def wrap(self, cls: type, name: str, label: Callable[[Any], str] | None = None) -> None:
        """Time ``cls.name`` (a sync method); ``label(self)`` names the stage per call."""
        original = getattr(cls, name)

        def timed(obj: Any, *args: Any, **kwargs: Any) -> Any:
            start = time.thread_time()
            try:
                return original(obj, *args, **kwargs)
            finally:
                if self.on:
                    key = label(obj) if label else f"{cls.__name__}.{name}"
                    self.seconds[key] += time.thread_time() - start

        setattr(cls, name, timed)

    def install(self, view: Any) -> None:
        """Wrap the compositor, every widget's lines, the page action and the message
        handlers (the frame timer holds Textual's own bound method: not wrapped)."""
        from textual._compositor import Compositor
        from textual.message_pump import MessagePump
        from textual.widget import Widget

        self.wrap(Compositor, "render_update", lambda _: "  compositor: the changed lines")
        for cls in {Widget, type(view), type(view.vertical_scrollbar)}:
            if "render_lines" in cls.__dict__:  # a class's own, else Widget's wrapper times it
                self.wrap(cls, "render_lines", lambda w: f"    lines of {type(w).__name__}")
        self.wrap(type(view), "_page", lambda _: "page action (scroll, cursor, status)")
        dispatch = MessagePump._dispatch_message

        async def timed(pump: Any, message: Any) -> Any:
            start = time.thread_time()
            try:
                return await dispatch(pump, message)
            finally:
                if self.on:
                    self.seconds[f"message {type(message).__name__}"] += time.thread_time() - start

        MessagePump._dispatch_message = timed  # type: ignore[method-assign]

    def per_page(self, pages: int) -> dict[str, float]:
        """Milliseconds per page by stage, largest first (nested stages are indented)."""
        ordered = sorted(self.seconds.items(), key=lambda item: -item[1])
        return {name: round(seconds / pages * 1000, 3) for name, seconds in ordered}


async def _open(pilot: Any, screen: Any, article_id: str | None) -> tuple[str, int]:
    """Open the wanted (or the longest) article, focus it, let the Related list settle."""
    from briefreader.tui.messages import OpenRequest

    summaries = list(screen.library.articles())
    if article_id is None:
        chosen = max(summaries, key=lambda s: s.passages)
    else:
        chosen = next(s for s in summaries if s.id == article_id)
    screen.search.results_query = ""
    screen.open_article(OpenRequest(chosen.id, passage=0), jump=False)
    await _poll(lambda: screen.article_id == chosen.id, 10)
    screen.view.focus()
    await pilot.pause(2.0)  # the entity list and the Related list arrive after the article
    return chosen.id, chosen.passages


async def _pages(
    pilot: Any,
    view: Any,
    clock: PaintClock,
    pages: int,
    profiler: cProfile.Profile | None,
    stages: Stages,
) -> tuple[list[float], list[float]]:
    """Page down to the end, then up to the top, and so on: wall and CPU seconds per page."""
    walls, cpus, action = [], [], "page_down"
    while len(walls) < pages:
        before = view.scroll_offset.y
        start, cpu = time.perf_counter(), time.thread_time()
        if profiler is not None:
            profiler.enable()
        stages.on = True
        await view.app.run_action(action, view)
        moved = await _poll(lambda b=before: view.scroll_offset.y != b, 1)
        painted = await clock.after(time.perf_counter()) if moved else None
        stages.on = False
        if profiler is not None:
            profiler.disable()
        if painted is None:  # at an end of the article: page back the other way
            action = "page_up" if action == "page_down" else "page_down"
        else:
            walls.append(painted - start)
            cpus.append(time.thread_time() - cpu)
        await pilot.pause()
    return walls, cpus


def _screen_diff() -> Callable[[str], str]:
    """The changes-only filter of a terminal of the probe's size."""
    from briefreader.tui.screen_diff import ScreenDiff

    diff = ScreenDiff()
    diff.resized(SIZE)
    return diff.frame


async def run(
    workspace_dir: Path,
    pages: int,
    article: str | None,
    profile: Path | None,
    stages: bool,
    changes_only: bool = False,
) -> Any:
    """One headless reader session; see the module docstring."""
    from briefreader.tui.app import ReaderApp
    from briefreader.workspace import Workspace

    app = ReaderApp(Workspace(workspace_dir))
    clock = PaintClock(app, _screen_diff() if changes_only else None)
    profiler = cProfile.Profile() if profile else None
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        await _poll(lambda: getattr(screen, "library", None) is not None, TIMEOUT)
        await _until(pilot, lambda: not screen.query_one("#indexing").display, 120)
        article_id, passages = await _open(pilot, screen, article)
        timer = Stages()
        if stages:
            timer.install(screen.view)
        cpu0 = time.process_time()
        walls, cpus = await _pages(pilot, screen.view, clock, pages, profiler, timer)
        cpu_s = time.process_time() - cpu0
    if profiler is not None and profile is not None:
        profiler.dump_stats(str(profile))
    return {
        "article_id": article_id,
        "passages": passages,
        "wall": summarize_ms(walls),
        "main_thread_cpu": summarize_ms(cpus),
        "cpu_s": round(cpu_s, 2),
        "load": os.getloadavg(),
        "wall_ms": [round(w * 1000, 2) for w in walls],
        "cpu_ms": [round(c * 1000, 2) for c in cpus],
        **({"stages_ms_per_page": timer.per_page(len(walls))} if stages else {}),
    }


def main(argv: list[str]) -> int:
    """Parse the arguments, run the session, print its JSON."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.scroll_probe")
    parser.add_argument("workspace", type=Path)
    parser.add_argument("--pages", type=int, default=40)
    parser.add_argument("--article", default=None)
    parser.add_argument("--profile", type=Path, default=None)
    parser.add_argument("--stages", action="store_true")
    parser.add_argument("--changes-only", action="store_true")
    args = parser.parse_args(argv)
    result = run(
        args.workspace, args.pages, args.article, args.profile, args.stages, args.changes_only
    )
    print(json.dumps(asyncio.run(result)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
