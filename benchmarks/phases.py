"""The two phases of an index run, measured: text phase, entity phase, total; CPU seconds
(this process and its worker processes), wall seconds, load average, peak RSS of the process
tree; with the entity process pool and without it, interleaved in one run.

    python -m benchmarks.phases --scale 1 --rounds 1

Each measurement runs ``run_index`` on a fresh copy of the corpus (no index, no entity cache)
in a child process of its own (``--one``), so its RSS and CPU time are its own.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

MODES = {"pool": None, "no-pool": 1}  # [entities] processes: default, or one process


def _cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _proc_kb(path: str, key: str) -> int:
    """The kB figure on the line starting with ``key`` of a /proc file (0 if unreadable)."""
    try:
        with open(path, encoding="ascii") as handle:
            for line in handle:
                if line.startswith(key):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def _rss_kb(pid: int) -> int:
    return _proc_kb(f"/proc/{pid}/status", "VmRSS:")


def _pss_kb(pid: int) -> int:
    """Proportional set size: each shared page divided among the processes sharing it."""
    return _proc_kb(f"/proc/{pid}/smaps_rollup", "Pss:")


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            found += [int(x) for x in task.read_text().split()]
        except OSError:
            continue
    return found


class TreeRss:
    """Samples this process plus its children every ``interval`` seconds; keeps the peak
    RSS sum (shared pages counted in each process) and, every ``pss_every``-th sample, the
    peak PSS sum (shared pages divided among them: what the tree costs the machine; reading
    it costs ~2 CPU ms per GB-sized process, charged to this process), with this process's
    own PSS at that peak. ``split()`` starts a new phase: ``phases`` keeps each earlier
    phase's peaks (``peak_*`` stay the whole run's)."""

    def __init__(self, interval: float = 0.05, pss_every: int = 5) -> None:
        self.peak_kb = 0
        self.peak_pss_kb = 0
        self.main_pss_at_peak_kb = 0
        self.phases: list[dict[str, float]] = []
        self._phase = {"rss_kb": 0, "pss_kb": 0, "main_pss_kb": 0}
        self.interval = interval
        self.pss_every = pss_every
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> TreeRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.split()

    def split(self) -> None:
        """End the current phase: its peaks (MB) go to ``phases``."""
        with self._lock:
            self.phases.append(
                {key[:-3] + "_mb": round(kb / 1024, 1) for key, kb in self._phase.items()}
            )
            self._phase = {"rss_kb": 0, "pss_kb": 0, "main_pss_kb": 0}

    def _run(self) -> None:
        me, ticks = os.getpid(), 0
        while not self._stop.wait(self.interval):
            tree = [me, *_children(me)]
            rss = sum(_rss_kb(pid) for pid in tree)
            with self._lock:
                self.peak_kb = max(self.peak_kb, rss)
                self._phase["rss_kb"] = max(self._phase["rss_kb"], rss)
            if ticks % self.pss_every == 0:
                main = _pss_kb(me)
                pss = main + sum(_pss_kb(pid) for pid in tree[1:])
                with self._lock:
                    if pss > self.peak_pss_kb:
                        self.peak_pss_kb, self.main_pss_at_peak_kb = pss, main
                    if pss > self._phase["pss_kb"]:
                        self._phase["pss_kb"], self._phase["main_pss_kb"] = pss, main
            ticks += 1


def _mark() -> dict[str, float]:
    return {"wall": time.perf_counter(), "cpu": _cpu(), "load": os.getloadavg()[0]}


class EntityPhaseStart:
    """Records the moment an index run's entity phase starts (``pipeline.run_entities`` is
    wrapped while the context is open): ``mark`` is None if it never started, or if this
    version of briefreader has one phase only."""

    def __init__(self, on_start: Callable[[], None] | None = None) -> None:
        self.mark: dict[str, float] | None = None
        self.on_start = on_start  # called as the phase starts (``TreeRss.split``)
        self._module: Any = None
        self._original: Any = None

    def __enter__(self) -> EntityPhaseStart:
        try:
            from briefreader import pipeline
        except ImportError:
            return self
        self._module, self._original = pipeline, getattr(pipeline, "run_entities", None)
        if self._original is not None:
            pipeline.run_entities = self._wrapped  # type: ignore[assignment]
        return self

    def __exit__(self, *exc: object) -> None:
        if self._original is not None:
            self._module.run_entities = self._original

    def _wrapped(self, *args: Any, **kwargs: Any) -> Any:
        self.mark = _mark()
        if self.on_start is not None:
            self.on_start()
        return self._original(*args, **kwargs)


def measure_one(root: Path) -> dict[str, Any]:
    """Index the workspace at ``root`` once (both phases); the figures as JSON."""
    from briefreader import pipeline
    from briefreader.workspace import Workspace

    with TreeRss() as rss, EntityPhaseStart() as switch:
        start = _mark()
        run = pipeline.run_index(Workspace(root))
        end = _mark()
    entities = run.entities
    middle = switch.mark or end
    return {
        "articles": run.report.articles,
        "text_wall": middle["wall"] - start["wall"],
        "text_cpu": middle["cpu"] - start["cpu"],
        "entity_wall": end["wall"] - middle["wall"],
        "entity_cpu": end["cpu"] - middle["cpu"],
        "total_wall": end["wall"] - start["wall"],
        "total_cpu": end["cpu"] - start["cpu"],
        "load": [mark["load"] for mark in (start, middle, end)],
        "peak_rss_mb": rss.peak_kb / 1024,
        "peak_pss_mb": rss.peak_pss_kb / 1024,
        "main_peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "commits": entities.commits if entities else 0,
        "recognised": entities.recognised if entities else 0,
    }


def _fresh_copy(source: Path, processes: int | None, into: Path) -> Path:
    """The corpus's articles and settings in a new workspace, [entities] processes set."""
    shutil.copytree(source / "articles", into / "articles")
    (into / "index").mkdir()
    path = source / "briefreader.toml"
    settings = path.read_text(encoding="utf-8") if path.is_file() else ""
    if processes is not None:
        header = "" if "[entities]" in settings else "[entities]\n"
        settings += f"{header}processes = {processes}\n"
    (into / "briefreader.toml").write_text(settings, encoding="utf-8")
    return into


def run(scale: int, rounds: int, output: Path | None, limit: int | None = None) -> dict[str, Any]:
    """Interleave the modes ``rounds`` times on fresh copies of BBC × ``scale``."""
    from benchmarks.corpus import build_corpus, remove_corpus

    corpus = build_corpus(scale, limit, entities="spacy")
    mb = corpus.text_bytes / 1e6
    rows: dict[str, list[dict[str, Any]]] = {mode: [] for mode in MODES}
    try:
        for round_number in range(rounds):
            for mode, processes in MODES.items():
                with tempfile.TemporaryDirectory(prefix="phases-") as temp:
                    root = _fresh_copy(corpus.workspace.root, processes, Path(temp) / "ws")
                    result = subprocess.run(
                        [sys.executable, "-m", "benchmarks.phases", "--one", str(root)],
                        capture_output=True,
                        text=True,
                        check=True,
                    )
                    row = json.loads(result.stdout.strip().splitlines()[-1])
                rows[mode].append(row)
                print(f"round {round_number + 1} {mode}: {json.dumps(row)}", flush=True)
    finally:
        remove_corpus(corpus)
    summary = {mode: _summary(items, mb) for mode, items in rows.items()}
    payload = {
        "scale": scale,
        "limit": limit,
        "text_mb": mb,
        "rounds": rounds,
        "runs": rows,
        "median": summary,
    }
    if output is not None:
        output.write_text(json.dumps(payload, indent=2), encoding="utf-8")
    return payload


def _summary(items: list[dict[str, Any]], mb: float) -> dict[str, float]:
    def median(key: str) -> float:
        return float(statistics.median(item[key] for item in items))

    result = {key: median(key) for key in items[0] if isinstance(items[0][key], int | float)}
    for phase in ("text", "entity", "total"):
        result[f"{phase}_mb_per_cpu_s"] = mb / result[f"{phase}_cpu"]
        result[f"{phase}_mb_per_s"] = mb / result[f"{phase}_wall"]
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--limit", type=int, help="only this many BBC articles (a smoke run)")
    parser.add_argument("--output", type=Path)
    parser.add_argument("--one", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one is not None:
        print(json.dumps(measure_one(args.one)))
        return 0
    payload = run(args.scale, args.rounds, args.output, args.limit)
    print(json.dumps(payload["median"], indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
