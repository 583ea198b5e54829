"""``python -m benchmarks.paste_probe WORKSPACE [--chars N]``: the reader's longest freeze
while an unbracketed paste of ``N`` characters (10,000) arrives in its search bar.

A terminal without bracketed paste sends a paste as one key per character. The probe opens
the reader headless (Pilot, 120×40) on the workspace, waits for its index, then posts the
paste's keys to the app as the terminal driver would (one ``Key`` event each, at once) and
measures, with a heartbeat task on the app's event loop every 10 ms, the longest time the
loop did not run (the freeze), until the last query's results are in the list. It prints
JSON: the freeze, the time to settle, the searches run, CPU seconds and the load. The reader
may update the workspace's index on start: give it a copy, never a workspace to keep as is.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import time
from pathlib import Path
from typing import Any

from benchmarks.timing import peak_rss_mb
from benchmarks.tui_probe import _poll

SIZE = (120, 40)
BEAT = 0.01
TIMEOUT = 600.0


class Heartbeat:
    """Ticks every ``BEAT`` seconds on the event loop; the longest gap is a freeze."""

    def __init__(self) -> None:
        self.longest = 0.0
        self.running = True

    async def run(self) -> None:
        """Until stopped, sleep one beat and remember how late the loop woke up."""
        while self.running:
            start = time.perf_counter()
            await asyncio.sleep(BEAT)
            self.longest = max(self.longest, time.perf_counter() - start - BEAT)


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def reader_ready(app: Any, pilot: Any) -> Any:
    """The reader's main screen once its index is open and no indexing runs (then 1 s more)."""
    screen = app.screen
    await _poll(lambda: getattr(screen, "library", None) is not None, TIMEOUT)
    await _poll(lambda: not screen.query_one("#indexing").display, TIMEOUT)
    await pilot.pause(1.0)
    return screen


async def probe(workspace_dir: Path, chars: int) -> dict[str, Any]:
    """One headless reader session: the paste, timed (see the module docstring)."""
    from textual import events
    from textual.keys import _character_to_key

    from briefreader.tui.app import ReaderApp
    from briefreader.tui.settings import ReaderSettings
    from briefreader.workspace import Workspace

    app = ReaderApp(Workspace(workspace_dir), ReaderSettings(animations=False, cursor_blink=False))
    async with app.run_test(size=SIZE) as pilot:
        screen = await reader_ready(app, pilot)
        field = screen.search_bar.input
        field.focus()
        await pilot.pause()
        searches: list[str] = []
        original = screen.run_search

        def counting(query: str, **kwargs: Any) -> None:
            searches.append(query)
            original(query, **kwargs)

        screen.run_search = counting
        paste = ("harbour council " * (chars // 16 + 1))[:chars]
        beat = Heartbeat()
        ticker = asyncio.create_task(beat.run())
        cpu, load, start = _cpu(), os.getloadavg(), time.perf_counter()
        for char in paste:
            app.post_message(events.Key(_character_to_key(char), char))
        settled = await _poll(
            lambda: (
                len(field.value) == min(chars, field.max_length or chars)
                and bool(searches)
                and searches[-1] == field.value
                and all(w.is_finished for w in app.workers if w.group == "search")
            ),
            TIMEOUT,
        )
        status = str(screen.search_bar.query_one("#search-status").render())
        elapsed = time.perf_counter() - start
        beat.running = False
        await ticker
        return {
            "workspace": str(workspace_dir),
            "articles": len(screen.library.articles()),
            "paste_chars": chars,
            "input_chars": len(field.value),
            "settled": settled,
            "longest_freeze_s": round(beat.longest, 3),
            "paste_to_results_s": round(elapsed, 3),
            "searches": len(searches),
            "status": status,
            "cpu_s": round(_cpu() - cpu, 2),
            "load_before": load,
            "load_after": os.getloadavg(),
            "peak_rss_mb": peak_rss_mb(),
        }


def main() -> None:
    """Run the probe and print its JSON."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.paste_probe")
    parser.add_argument("workspace", type=Path)
    parser.add_argument("--chars", type=int, default=10_000, help="characters pasted (10,000)")
    args = parser.parse_args()
    print(json.dumps(asyncio.run(probe(args.workspace.resolve(), args.chars)), indent=2))


if __name__ == "__main__":
    main()
