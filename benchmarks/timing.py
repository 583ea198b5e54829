"""Small helpers shared by the measurements: statistics, skips, clocks, memory."""

from __future__ import annotations

import math
import resource
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any


class Skip(Exception):
    """A measurement cannot run (its feature is not there yet); the message says why."""


def percentile(values: Sequence[float], fraction: float) -> float:
    """The nearest-rank percentile of ``values`` (``fraction`` in 0..1)."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def summarize_ms(seconds: Sequence[float]) -> dict[str, Any]:
    """Median, p95, mean, min, max (milliseconds) and the number of samples."""
    if not seconds:
        return {"n": 0}
    ms = [s * 1000 for s in seconds]
    return {
        "n": len(ms),
        "median_ms": round(statistics.median(ms), 3),
        "p95_ms": round(percentile(ms, 0.95), 3),
        "mean_ms": round(statistics.fmean(ms), 3),
        "min_ms": round(min(ms), 3),
        "max_ms": round(max(ms), 3),
    }


def timed(function: Callable[[], Any]) -> tuple[float, Any]:
    """Run ``function`` once; return (seconds, its result)."""
    start = time.perf_counter()
    result = function()
    return time.perf_counter() - start, result


def peak_rss_mb() -> float:
    """This process's peak resident memory so far, in MB.

    Linux: ``VmHWM`` of this process's own address space. Not ``ru_maxrss``: Linux carries it
    over from the parent through fork and exec, so a child spawned by a big benchmark process
    would report the parent's size.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("VmHWM:"):
                    return round(int(line.split()[1]) / 1024, 1)
    except (OSError, ValueError, IndexError):
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(peak / (1e6 if sys.platform == "darwin" else 1024), 1)


def current_rss_mb() -> float:
    """This process's current resident memory in MB (Linux; falls back to the peak)."""
    try:
        with open("/proc/self/statm", encoding="ascii") as handle:
            pages = int(handle.read().split()[1])
    except (OSError, ValueError, IndexError):
        return peak_rss_mb()
    return round(pages * resource.getpagesize() / 1e6, 1)


def resident_parts_mb() -> dict[str, float]:
    """This process's resident memory now, in parts (Linux; empty elsewhere): ``anon_mb``
    (its own heap and stacks) and ``file_mb`` (pages of mapped files, most of them the
    index's segments that Whoosh maps: the kernel's page cache, shared and reclaimable)."""
    parts: dict[str, float] = {}
    try:
        with open("/proc/self/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith(("RssAnon:", "RssFile:")):
                    key = "anon_mb" if line.startswith("RssAnon") else "file_mb"
                    parts[key] = round(int(line.split()[1]) / 1024, 1)
    except (OSError, ValueError, IndexError):
        return {}
    return parts


def cpu_seconds() -> float:
    """User + system CPU seconds of this process and of its children that have finished."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime
