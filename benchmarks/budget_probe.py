"""``python -m benchmarks.budget_probe WORKSPACE [--slow QUERY] [--next QUERY]``: the query
budget in the reader (issue 19): how long a slow query takes to be refused in the search bar,
and how soon the next query's results come when it is typed while the slow one runs.

Opens the reader headless (Pilot, 120×40) on the workspace, waits for its index, then (1) sets
the search bar to the slow query and times until its refusal (or its results) is shown;
(2) sets it to the slow query again, 0.3 s later to the next one, and times until the next
query's results are shown. A heartbeat task on the app's event loop measures the longest
freeze throughout. After each, the search threads still running and the CPU burned in the
next half second (a dropped or refused search must leave nothing running). Prints JSON. The
reader may update the workspace's index on start: give it a copy, never a workspace to keep.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import threading
import time
from pathlib import Path
from typing import Any

from benchmarks.paste_probe import SIZE, TIMEOUT, Heartbeat, reader_ready
from benchmarks.tui_probe import _poll

SLOW = "th* co*"  # at BBC x4: under the cost limit, over 2 s on a busy machine
NEXT = "prime minister"


def _cpu() -> float:
    times = os.times()
    return times.user + times.system


def _status(bar: Any) -> str:
    return str(bar.query_one("#search-status").render())


async def _left_running(app: Any) -> dict[str, Any]:
    cpu = _cpu()
    await asyncio.sleep(0.5)
    return {
        "search_workers_running": sum(
            1 for w in app.workers if w.group == "search" and not w.is_finished
        ),
        "threads": threading.active_count(),
        "cpu_s_in_next_0.5_s": round(_cpu() - cpu, 3),
    }


async def probe(workspace_dir: Path, slow: str, following: str) -> dict[str, Any]:
    """One headless reader session (see the module docstring)."""
    from briefreader.tui.app import ReaderApp
    from briefreader.tui.settings import ReaderSettings
    from briefreader.workspace import Workspace

    app = ReaderApp(Workspace(workspace_dir), ReaderSettings(animations=False, cursor_blink=False))
    async with app.run_test(size=SIZE) as pilot:
        screen = await reader_ready(app, pilot)
        bar = screen.search_bar

        beat = Heartbeat()
        ticker = asyncio.create_task(beat.run())
        result: dict[str, Any] = {"load_before": os.getloadavg()}
        cpu, start = _cpu(), time.perf_counter()
        bar.input.value = slow
        await _poll(lambda: "longer than" in _status(bar) or screen.results_query == slow, TIMEOUT)
        result["slow_query"] = {
            "query": slow,
            "to_status_s": round(time.perf_counter() - start, 3),
            "status": _status(bar),
            "cpu_s": round(_cpu() - cpu, 3),
            **(await _left_running(app)),
        }
        bar.input.value = ""
        await _poll(lambda: all(w.is_finished for w in app.workers if w.group == "search"), 30)
        cpu = _cpu()
        bar.input.value = slow
        await pilot.pause(0.3)
        start = time.perf_counter()
        bar.input.value = following
        await _poll(lambda: screen.results_query == following, TIMEOUT)
        result["next_query"] = {
            "query": following,
            "typed_after_s": 0.3,
            "to_results_s": round(time.perf_counter() - start, 3),
            "status": _status(bar),
            "cpu_s": round(_cpu() - cpu, 3),
            **(await _left_running(app)),
        }
        beat.running = False
        await ticker
        result.update(
            articles=len(screen.library.articles()),
            longest_freeze_s=round(beat.longest, 3),
            load_after=os.getloadavg(),
        )
        return result


def main() -> None:
    """Run the probe and print its JSON."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.budget_probe")
    parser.add_argument("workspace", type=Path)
    parser.add_argument("--slow", default=SLOW, help=f"the slow query ({SLOW!r})")
    parser.add_argument("--next", default=NEXT, help=f"the query typed on ({NEXT!r})")
    args = parser.parse_args()
    found = asyncio.run(probe(args.workspace.resolve(), args.slow, args.next))
    print(json.dumps(found, indent=2))


if __name__ == "__main__":
    main()
