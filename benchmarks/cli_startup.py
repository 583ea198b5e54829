"""``python -m benchmarks.cli_startup [--runs N] [COMMAND...]``: start-up cost of the CLI.

Runs ``briefreader --help`` (or the given arguments) N times as a fresh process and prints the
median and best wall-clock and CPU seconds with the machine's load, then the slowest imports
of ``briefreader.cli`` from ``python -X importtime`` (cumulative microseconds).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence


def time_runs(command: Sequence[str], runs: int) -> tuple[list[float], list[float]]:
    """Wall-clock and CPU (user + system) seconds of each run of ``command``."""
    walls: list[float] = []
    cpus: list[float] = []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run(command, stdout=subprocess.DEVNULL, check=True)
        walls.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return walls, cpus


def slowest_imports(module: str, count: int) -> list[tuple[int, str]]:
    """The ``count`` imports with the largest cumulative time when importing ``module``."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", f"import {module}"],
        capture_output=True,
        text=True,
        check=True,
    )
    rows = []
    for line in result.stderr.splitlines():
        parts = line.split("|")
        if len(parts) == 3 and parts[1].strip().isdigit():
            rows.append((int(parts[1]), parts[2].rstrip()))
    return sorted(rows, reverse=True)[:count]


def main(argv: Sequence[str] | None = None) -> int:
    """Measure and print; returns the exit code."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.cli_startup")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("args", nargs="*", default=["--help"])
    options = parser.parse_args(argv)
    program = shutil.which("briefreader") or "briefreader"
    command = [program, *options.args]
    walls, cpus = time_runs(command, options.runs)
    load = os.getloadavg()[0]
    print(f"{' '.join(['briefreader', *options.args])}: {options.runs} runs, load {load:.2f}")
    print(f"  wall s: median {statistics.median(walls):.3f}, best {min(walls):.3f}")
    print(f"  CPU s:  median {statistics.median(cpus):.3f}, best {min(cpus):.3f}")
    print("import briefreader.cli, slowest cumulative imports (µs):")
    for micros, name in slowest_imports("briefreader.cli", 8):
        print(f"  {micros:>8} {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
