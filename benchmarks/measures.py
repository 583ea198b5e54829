"""The measurements: one small function each, raising ``Skip`` when its feature is missing.

Every function takes the shared ``Bench`` state and returns a JSON-able dict. Order matters
only in ``run.py``: measurements that change the corpus (incremental re-index) run last.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from benchmarks.baselines import Fts5, PlainWhoosh, Ripgrep
from benchmarks.corpus import BenchCorpus
from benchmarks.queries import Query, entity_queries, indexed_entity_names
from benchmarks.timing import Skip, summarize_ms, timed

REPO = Path(__file__).resolve().parent.parent


@dataclass
class Bench:
    """What the measurements share for one scale."""

    corpus: BenchCorpus
    queries: list[Query]
    quick: bool
    library: Any = None
    fts: Fts5 | None = None
    whoosh: PlainWhoosh | None = None
    rg: Ripgrep | None = None
    results: dict[str, Any] = field(default_factory=dict)
    all_queries: list[Query] = field(default_factory=list)  # with entity queries, once known

    @property
    def workspace_dir(self) -> Path:
        return self.corpus.workspace.root

    @property
    def scratch(self) -> Path:
        return self.corpus.workspace.root.parent


def _python_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH", "")]))
    return env


def _run_probe(module: str, *args: str, timeout: float = 7200, echo: str = "") -> dict[str, Any]:
    """Run ``python -m module args`` and return the JSON object it prints last. Lines of its
    stderr starting with ``echo`` are passed on as they come (a long build's heartbeat)."""
    command = [sys.executable, "-m", module, *args]
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_python_env()
    ) as process:
        tail: deque[str] = deque(maxlen=3)
        reader = threading.Thread(target=_pass_on, args=(process.stderr, echo, tail), daemon=True)
        reader.start()
        timed_out = threading.Event()
        killer = threading.Timer(timeout, _kill, args=(process, timed_out))
        killer.start()
        stdout = process.stdout.read() if process.stdout else ""
        process.wait()
        killer.cancel()
        reader.join()
    if timed_out.is_set():
        raise TimeoutError(f"{module} did not finish within {timeout:.0f} s")
    if process.returncode != 0:
        lines = list(tail) or stdout.strip().splitlines()[-3:]
        raise RuntimeError(f"{module} failed: {' | '.join(lines)}")
    result: dict[str, Any] = json.loads(stdout.strip().splitlines()[-1])
    return result


def _kill(process: subprocess.Popen[str], timed_out: threading.Event) -> None:
    timed_out.set()
    process.kill()


def _pass_on(stream: IO[str] | None, echo: str, tail: deque[str]) -> None:
    """Keep the last lines of ``stream``; print those starting with ``echo`` (if given)."""
    for line in stream or ():
        if echo and line.startswith(echo):
            print(line.rstrip(), file=sys.stderr, flush=True)
        elif line.strip():
            tail.append(line.strip())


def build_timeout(megabytes: float) -> float:
    """Seconds the build probe may take: an hour, plus two minutes per MB of text (×32 with
    spaCy is hours on 2 cores; a hung build still ends)."""
    return 3600 + 120 * megabytes


def _write_queries(bench: Bench, name: str, texts: list[str]) -> Path:
    path = bench.scratch / name
    path.write_text(json.dumps(texts), encoding="utf-8")
    return path


# ---------------------------------------------------------------------------- index build


def measure_build(bench: Bench) -> dict[str, Any]:
    """Full index build in a fresh process: MB/s, where the time goes, progress, peak RSS;
    the text phase (searchable, readable) apart from the entity phase."""
    mb = bench.corpus.megabytes
    result = _run_probe(
        "benchmarks.probe",
        "build",
        str(bench.workspace_dir),
        timeout=build_timeout(mb),
        echo="    build:",
    )
    result["mb"] = round(mb, 2)
    result["files"] = bench.corpus.files
    result["mb_per_s"] = round(mb / result["seconds"], 3)
    if result.get("cpu_s"):
        result["mb_per_cpu_s"] = round(mb / result["cpu_s"], 3)
    text = result.get("text_phase")
    if text and text["wall_s"] and text["cpu_s"]:
        text["mb_per_s"] = round(mb / text["wall_s"], 3)
        text["mb_per_cpu_s"] = round(mb / text["cpu_s"], 3)
    index_bytes = sum(p.stat().st_size for p in bench.corpus.workspace.index_dir.rglob("*"))
    result["index_mb"] = round(index_bytes / 1e6, 1)
    result["x_text"] = round(index_bytes / 1e6 / mb, 2)
    return result


def measure_fts5_build(bench: Bench) -> dict[str, Any]:
    """Build the SQLite FTS5 baseline over the same files."""
    path = bench.scratch / "fts5.sqlite"
    seconds, fts = timed(lambda: Fts5.build(bench.corpus.workspace.articles_dir, path))
    bench.fts = fts
    return {
        "seconds": round(seconds, 3),
        "mb_per_s": round(bench.corpus.megabytes / seconds, 2),
        "db_mb": round(path.stat().st_size / 1e6, 1),
    }


def measure_whoosh_build(bench: Bench) -> dict[str, Any]:
    """Build the plain Whoosh baseline over the same files, in this process (CPU counted)."""
    folder = bench.scratch / "plain-whoosh"
    cpu = _cpu_seconds()
    seconds, plain = timed(lambda: PlainWhoosh.build(bench.corpus.workspace.articles_dir, folder))
    cpu = _cpu_seconds() - cpu
    bench.whoosh = plain
    index_mb = sum(p.stat().st_size for p in folder.rglob("*")) / 1e6
    return {
        "seconds": round(seconds, 3),
        "cpu_s": round(cpu, 2),
        "mb_per_s": round(bench.corpus.megabytes / seconds, 3),
        "mb_per_cpu_s": round(bench.corpus.megabytes / cpu, 3) if cpu else None,
        "index_mb": round(index_mb, 1),
        "x_text": round(index_mb / bench.corpus.megabytes, 2),
    }


def _cpu_seconds() -> float:
    """User + system CPU seconds of this process so far."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def open_library(bench: Bench) -> dict[str, Any]:
    """Open the library once (kept for every in-process measurement)."""
    from briefreader.search.library import Library

    seconds, library = timed(lambda: Library.open(bench.corpus.workspace))
    bench.library = library
    segments = len(list(library.searcher.reader().leaf_readers()))
    return {"open_ms": round(seconds * 1000, 2), "segments": segments}


# ---------------------------------------------------------------------------- queries


def _entity_set(bench: Bench, count: int) -> list[Query]:
    if "entity" not in bench.library.schema.names():
        raise Skip("the index has no entity field")
    names = indexed_entity_names(bench.library.searcher.reader())
    if not names:
        raise Skip("no entities in the index (NER is not wired into indexing yet)")
    return entity_queries(names, count)


def measure_queries(bench: Bench) -> dict[str, Any]:
    """Top 20 with snippets, warm and in process, interleaved with FTS5 and ripgrep."""
    queries = list(bench.queries)
    per_kind = max(1, len(queries) // 5)
    try:
        queries += _entity_set(bench, per_kind)
        entities_note = ""
    except Skip as reason:
        entities_note = str(reason)
    try:
        bench.rg = bench.rg or Ripgrep(bench.corpus.workspace.articles_dir)
        rg_note = ""
    except Skip as reason:
        rg_note = str(reason)
    # Warm-up: file cache, lazily loaded term infos; the first 20 queries and the first of
    # each kind (the first entity query loads the entity fields' data).
    first_of_kind = {query.kind: query for query in reversed(queries)}
    for query in [*queries[:20], *first_of_kind.values()]:
        bench.library.search(query.brief, limit=20)
    bench.all_queries = queries
    samples: dict[str, dict[str, list[float]]] = {}
    cpu: dict[str, float] = {}
    errors: list[str] = []
    for query in queries:
        row = samples.setdefault(
            query.kind, {"briefreader": [], "whoosh": [], "fts5": [], "rg": []}
        )
        cpu_before = time.process_time()
        try:
            row["briefreader"].append(timed(lambda q=query: _brief(bench, q))[0])
        except Exception as error:  # a query our language rejects: count it, keep going
            errors.append(f"{query.brief!r}: {error}")
        cpu[query.kind] = cpu.get(query.kind, 0.0) + time.process_time() - cpu_before
        if bench.whoosh is not None:
            row["whoosh"].append(timed(lambda q=query: bench.whoosh.search_text(q))[0])
        if bench.fts is not None:
            row["fts5"].append(timed(lambda q=query: bench.fts.search(q))[0])
        if bench.rg is not None:
            row["rg"].append(timed(lambda q=query: bench.rg.search(q))[0])
    kinds = {
        kind: _ratios({k: summarize_ms(v) for k, v in row.items()})
        | {"briefreader_cpu_s": round(cpu[kind], 3)}
        for kind, row in samples.items()
    }
    everything = {
        system: summarize_ms([s for row in samples.values() for s in row[system]])
        for system in ("briefreader", "fts5", "rg")
    }
    # "all" compares plain Whoosh on the text queries only, as before entity queries were
    # given to it as phrases; the entity kind has its own ratio.
    everything["whoosh"] = summarize_ms(
        [s for kind, row in samples.items() if kind != "entity" for s in row["whoosh"]]
    )
    # Plain Whoosh has no entity fields: its ratio compares the same (text) queries.
    everything["briefreader_text"] = summarize_ms(
        [s for kind, row in samples.items() if kind != "entity" for s in row["briefreader"]]
    )
    return {
        "kinds": kinds,
        "all": _ratios(everything),
        "queries": len(queries),
        "errors": errors[:10],
        "skipped": {k: v for k, v in {"entity": entities_note, "rg": rg_note}.items() if v},
    }


def _brief(bench: Bench, query: Query) -> int:
    result = bench.library.search(query.brief, limit=20)
    return len(result.hits)


def _ratios(stats: dict[str, dict[str, Any]]) -> dict[str, Any]:
    mine = stats.get("briefreader", {})
    for other in ("whoosh", "fts5", "rg"):
        theirs = stats.get(other, {})
        compared = stats.get("briefreader_text", mine) if other == "whoosh" else mine
        for key in ("median_ms", "p95_ms"):
            if compared.get(key) and theirs.get(key):
                stats[f"x_{other}_{key.split('_')[0]}"] = round(compared[key] / theirs[key], 2)
    return stats


# ---------------------------------------------------------------------------- reading


def measure_related(bench: Bench) -> dict[str, Any]:
    """``find_related`` for one paragraph (first call per passage: no cache)."""
    try:
        from briefreader.search.related import find_related
    except ImportError as error:
        raise Skip(f"briefreader.search.related is not there yet ({error})") from error
    summaries = sorted(bench.library.articles(), key=lambda s: s.id)
    step = max(1, len(summaries) // (30 if bench.quick else 100))
    passages = [f"{s.id}:p{min(2, s.passages)}" for s in summaries[::step] if s.passages]
    find_related(bench.library, passages[0], limit=5)  # warm-up (settings, analyzers)
    samples = [timed(lambda p=p: find_related(bench.library, p, limit=5))[0] for p in passages[1:]]
    cached = [timed(lambda p=p: find_related(bench.library, p, limit=5))[0] for p in passages[1:21]]
    return {"cold": summarize_ms(samples), "cached": summarize_ms(cached)}


def measure_open_article(bench: Bench) -> dict[str, Any]:
    """Load and parse the stored article (library level, not painted), longest first."""
    longest = sorted(bench.library.articles(), key=lambda s: -s.passages)[:10]
    samples = []
    for summary in longest:
        clear = getattr(getattr(bench.library, "_article_cache", None), "cache_clear", None)
        if clear:
            clear()
        samples.append(timed(lambda s=summary: bench.library.article(s.id))[0])
    return {"longest_passages": longest[0].passages, "load": summarize_ms(samples)}


# ---------------------------------------------------------------------------- processes


def _cli() -> list[str]:
    script = Path(sys.executable).with_name("briefreader")
    return [str(script)] if script.exists() else [sys.executable, "-m", "briefreader"]


def measure_cli_search(bench: Bench) -> dict[str, Any]:
    """``briefreader search`` in a cold process: wall time from spawn to exit."""
    runs = 4 if bench.quick else 20
    texts = [q.brief for q in bench.queries[:: max(1, len(bench.queries) // runs)]][:runs]
    samples = []
    for text in texts:
        command = [*_cli(), "-w", str(bench.workspace_dir), "search", "--", text]
        seconds, done = timed(
            lambda c=command: subprocess.run(c, capture_output=True, env=_python_env())
        )
        if done.returncode in (0, 1):
            samples.append(seconds)
    if not samples:
        raise Skip("briefreader search failed in every run")
    return summarize_ms(samples)


MEMORY_QUERIES = 1000  # issue 15: the library process after 1,000 queries


def measure_reader_memory(bench: Bench) -> dict[str, Any]:
    """Memory of a process that opens the library, runs 1,000 queries (the query sets,
    entity queries included, cycled) and opens the longest articles."""
    texts = [q.brief for q in bench.all_queries or bench.queries]
    path = _write_queries(bench, "reader-queries.json", texts)
    count = str(MEMORY_QUERIES)
    return _run_probe("benchmarks.probe", "reader", str(bench.workspace_dir), str(path), count)


def measure_tui(bench: Bench) -> dict[str, Any]:
    """The reader headless (Pilot): cold start, keystroke → results, open, scroll, memory."""
    try:
        from briefreader.tui.app import ReaderApp  # noqa: F401
    except ImportError as error:
        raise Skip(f"briefreader.tui.app is not there yet ({error})") from error
    count = 10 if bench.quick else 100
    texts = [q.brief for q in bench.queries if q.brief[-1].isalnum() or q.brief[-1] in '"*']
    texts = texts[:: max(1, len(texts) // count)][:count]
    path = _write_queries(bench, "tui-queries.json", texts)
    raw = _run_probe("benchmarks.tui_probe", str(bench.workspace_dir), str(path), str(time.time()))
    opened = raw.get("open_longest", {})
    return {
        "first_paint_s": round(raw["first_paint_s"], 3),
        "first_results_s": raw.get("first_results_s") and round(raw["first_results_s"], 3),
        "keystroke": summarize_ms(raw.get("keystroke_s", [])),
        "keystrokes_asked": len(texts),
        "keystrokes_missing": raw.get("keystroke_missing", [])[:10],
        "open_longest_ms": opened.get("open_s") and round(opened["open_s"] * 1000, 1),
        "longest_passages": opened.get("passages"),
        "scroll": summarize_ms(opened.get("scroll_s", [])),
        "scroll_cpu": summarize_ms(opened.get("scroll_cpu_s", [])),
        "pilot_noop_key": summarize_ms(opened.get("noop_key_s", [])),
        "peak_rss_mb": raw.get("peak_rss_mb"),
    }


# ---------------------------------------------------------------------------- updates


def _touch(path: Path, round_number: int) -> None:
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(f"\nA late correction, number {round_number}, was added to this story.\n")


def measure_incremental(bench: Bench) -> dict[str, Any]:
    """Re-index after one file changes: in process (the reader's case) and the CLI."""
    from briefreader.search.index.indexer import update_index

    files = sorted(bench.corpus.workspace.articles_dir.glob("*.txt"))
    picks = [files[(i * 7919) % len(files)] for i in range(6)]
    in_process, timings = [], []
    for number, path in enumerate(picks[:3]):
        _touch(path, number)
        seconds, report = timed(lambda: update_index(bench.corpus.workspace))
        in_process.append(seconds)
        timings.append({k: round(v, 3) for k, v in report.timings.items()})
    cli = []
    for number, path in enumerate(picks[3:], start=3):
        _touch(path, number)
        command = [*_cli(), "-w", str(bench.workspace_dir), "index", "-q"]
        cli.append(timed(lambda c=command: subprocess.run(c, capture_output=True))[0])
    refresh_s, _ = timed(bench.library.refresh)
    return {
        "in_process": summarize_ms(in_process),
        "timings": timings,
        "cli": summarize_ms(cli),
        "library_refresh_ms": round(refresh_s * 1000, 2),
    }


UPDATES = 20  # issue 15: "after 20 one-file updates"


def measure_updates(bench: Bench) -> dict[str, Any]:
    """20 one-file updates on a copy of the built workspace (each query timed once, not
    twice, with ``--quick``), one index
    run each (``benchmarks.segments``: seconds, CPU seconds, segments after each); then the
    query set over the index as built and the updated copy, interleaved query by query; then
    the copy merged into one segment (``index --merge``, the reader's idle merge) and timed
    against the built index again. The copy is deleted at the end."""
    from benchmarks import segments
    from briefreader.search.index import full_merge

    updates, repeats = UPDATES, (1 if bench.quick else 2)
    queries = bench.all_queries or bench.queries
    copy = segments.copy_workspace(bench.corpus.workspace, "updated")
    try:
        rounds = segments.update_files(copy, "tiered", segments.pick_files(copy, updates))
        result: dict[str, Any] = {
            "updates": updates,
            "reindex": summarize_ms([r["wall_s"] for r in rounds]),
            "reindex_cpu_s": round(statistics.median(r["cpu_s"] for r in rounds), 3),
            "segments": [r["segments"] for r in rounds],
            "load": [rounds[0]["load_before"], rounds[-1]["load_after"]],
        }
        result["updated"] = _against_built(bench, copy, queries, repeats)
        phase = segments.Phase()
        report = full_merge.merge_segments(copy)
        result["merge"] = phase.done() | {
            "segments_before": report.segments_before,
            "segments_after": report.segments_after,
        }
        result["merged"] = _against_built(bench, copy, queries, repeats)
    finally:
        shutil.rmtree(copy.root, ignore_errors=True)
    return result


def _against_built(bench: Bench, workspace: Any, queries: list[Query], repeats: int) -> Any:
    """The query set over the built index and ``workspace``'s, interleaved: p50/p95 of each,
    per kind, and the ratio of their p95s (``x_p95``: above 1, the updated one is slower)."""
    from benchmarks import segments
    from briefreader.search.library import Library

    updated = Library.open(workspace)
    try:
        phase = segments.Phase()
        samples = segments.time_queries(
            {"built": bench.library, "updated": updated}, queries, repeats
        )
        result: dict[str, Any] = phase.done()
        result["load"] = [result["load_before"], result["load_after"]]
    finally:
        updated.close()
    summary = segments.summarize_queries(samples)
    result |= {"built": summary["built"], "updated": summary["updated"]}
    result["x_p95"] = {
        kind: round(stats["p95_ms"] / summary["built"][kind]["p95_ms"], 3)
        for kind, stats in summary["updated"].items()
        if stats.get("p95_ms") and summary["built"][kind].get("p95_ms")
    }
    return result


def scratch_dir() -> Path:
    """A temp folder for a whole run."""
    return Path(tempfile.mkdtemp(prefix="briefbench-"))
