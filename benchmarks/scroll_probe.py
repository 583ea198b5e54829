"""Scrolling a page in the reader, headless, measured page by page.

``python -m benchmarks.scroll_probe WORKSPACE [--pages N] [--article ID] [--profile FILE]``
opens the article with the most paragraphs (or ``--article``), pages down to the end and back
(``--pages`` pages in all) and prints JSON: per page the wall time from the page action to
the next paint (as :mod:`benchmarks.tui_probe` times it) and the main thread's CPU time over
the same span (``time.thread_time``: what the reader itself spent, without the workers or the
wait for a CPU that a loaded machine adds), with the process's CPU seconds and the load
average. ``--profile`` writes cProfile stats of the page loop (main thread) to FILE.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks.timing import summarize_ms
from benchmarks.tui_probe import SIZE, TIMEOUT, PaintClock, _poll, _until


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
    pilot: Any, view: Any, clock: PaintClock, pages: int, profiler: cProfile.Profile | None
) -> tuple[list[float], list[float]]:
    """Page down to the end, then up to the top, and so on: wall and CPU seconds per page."""
    walls, cpus, action = [], [], "page_down"
    while len(walls) < pages:
        before = view.scroll_offset.y
        start, cpu = time.perf_counter(), time.thread_time()
        if profiler is not None:
            profiler.enable()
        await view.app.run_action(action, view)
        moved = await _poll(lambda b=before: view.scroll_offset.y != b, 1)
        painted = await clock.after(time.perf_counter()) if moved else None
        if profiler is not None:
            profiler.disable()
        if painted is None:  # at an end of the article: page back the other way
            action = "page_up" if action == "page_down" else "page_down"
        else:
            walls.append(painted - start)
            cpus.append(time.thread_time() - cpu)
        await pilot.pause()
    return walls, cpus


async def run(workspace_dir: Path, pages: int, article: str | None, profile: Path | None) -> Any:
    """One headless reader session; see the module docstring."""
    from briefreader.tui.app import ReaderApp
    from briefreader.workspace import Workspace

    app = ReaderApp(Workspace(workspace_dir))
    clock = PaintClock(app)
    profiler = cProfile.Profile() if profile else None
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        await _poll(lambda: getattr(screen, "library", None) is not None, TIMEOUT)
        await _until(pilot, lambda: not screen.query_one("#indexing").display, 120)
        article_id, passages = await _open(pilot, screen, article)
        cpu0 = time.process_time()
        walls, cpus = await _pages(pilot, screen.view, clock, pages, profiler)
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
    }


def main(argv: list[str]) -> int:
    """Parse the arguments, run the session, print its JSON."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.scroll_probe")
    parser.add_argument("workspace", type=Path)
    parser.add_argument("--pages", type=int, default=40)
    parser.add_argument("--article", default=None)
    parser.add_argument("--profile", type=Path, default=None)
    args = parser.parse_args(argv)
    print(json.dumps(asyncio.run(run(args.workspace, args.pages, args.article, args.profile))))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
