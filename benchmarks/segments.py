"""What one-file updates do to the index's segments and to query time, per merge policy.

``python -m benchmarks.segments [--scale 1] [--updates 20] [--per-kind 40] [--repeats 3]``
(``--keep`` leaves the workspaces; ``--reuse FOLDER`` redoes only the updates and queries there)

Builds the BBC corpus ×scale once (``recogniser = "rules"``), copies the workspace for each
merge policy (``tiered``: ours; ``gathered``: ours with up to ``SMALL_SEGMENTS`` small
segments left unmerged, ``gathering_small``; ``whoosh``: Whoosh's default ``MERGE_SMALL``),
makes the same
``--updates`` one-file changes to each copy (one ``update_index`` per change: seconds, CPU
seconds and segment count after each), copies the tiered one once more and merges it into one
segment (``updated-merged``, ``briefreader index --merge``: its seconds and CPU seconds), then
builds a fresh index of the final files, and a merged copy of that too (``fresh-merged``). The query
set (common, rare, AND, phrase, prefix, entity; top 20 with snippets, as ``search`` returns
them) runs once untimed over every index (every query warmed on every index: file cache, term
infos), then interleaved query by query over the fresh and the updated indexes, their order
rotating, ``--repeats`` times each. Every phase records its CPU seconds (user + system) and
the load average before and after. Prints a table; writes JSON to ``benchmarks/results``.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from whoosh import writing

from benchmarks.corpus import build_corpus, read_sources, remove_corpus
from benchmarks.queries import Query, entity_queries, indexed_entity_names, query_sets
from benchmarks.report import write_results
from benchmarks.timing import summarize_ms
from briefreader.search.index import full_merge, indexer, merging
from briefreader.search.library import Library
from briefreader.workspace import Workspace

SMALL_SEGMENTS = 4  # the small segments the ``gathered`` policy lets wait


def gathers(sizes: Sequence[int], new_documents: int, limit: int = SMALL_SEGMENTS) -> bool:
    """Does a commit of ``new_documents`` leave the segments of ``sizes`` (live documents)
    as they are, the empty ones aside: it is small (tier 0), at most ``limit`` small
    segments exist with it, and no two larger ones share a tier."""
    if merging.tier(new_documents) > 0:
        return False
    tiers = [merging.tier(size) for size in sizes if size > 0]
    larger = [level for level in tiers if level > 0]
    return tiers.count(0) + 1 <= limit and len(larger) == len(set(larger))


def gathering_small(policy: Any, limit: int = SMALL_SEGMENTS) -> Any:
    """``policy`` with small commits gathered (tried, not adopted: docs/scale.md): a small
    commit keeps its own segment until ``limit`` small segments wait, and the next one
    merges them all (``gathers``)."""

    def merge(writer: Any, segments: list[Any]) -> list[Any]:
        sizes = [segment.doc_count() for segment in segments]
        if gathers(sizes, writer.docnum, limit):
            return [segment for segment, size in zip(segments, sizes, strict=True) if size]
        return policy(writer, segments)

    return merge


POLICIES: dict[str, Callable[[Any, list[Any]], list[Any]]] = {
    "tiered": merging.tiered_merge,
    "gathered": gathering_small(merging.tiered_merge),
    "whoosh": writing.MERGE_SMALL,
}
RESULTS = Path(__file__).resolve().parent / "results"


def cpu_seconds() -> float:
    """User + system CPU seconds of this process so far."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class Phase:
    """Wall and CPU seconds and the load average around one phase of the run."""

    def __init__(self) -> None:
        self.wall = time.perf_counter()
        self.cpu = cpu_seconds()
        self.load_before = os.getloadavg()[0]

    def done(self) -> dict[str, float]:
        """The phase's figures."""
        return {
            "wall_s": round(time.perf_counter() - self.wall, 3),
            "cpu_s": round(cpu_seconds() - self.cpu, 3),
            "load_before": round(self.load_before, 2),
            "load_after": round(os.getloadavg()[0], 2),
        }


def index_workspace(workspace: Workspace, policy: str, rebuild: bool = False) -> dict[str, Any]:
    """One ``update_index`` run under ``policy``: its figures and the segment count after."""
    indexer.MERGE_POLICY = POLICIES[policy]
    phase = Phase()
    report = indexer.update_index(workspace, rebuild=rebuild)
    figures = phase.done()
    library = Library.open(workspace)
    try:
        figures["segments"] = len(list(library.searcher.reader().leaf_readers()))
        figures["deleted_docs"] = library.searcher.reader().doc_count_all() - (
            library.searcher.reader().doc_count()
        )
    finally:
        library.close()
    figures["commit_s"] = round(report.timings.get("commit", 0.0), 3)
    return figures


def change_file(path: Path, number: int) -> None:
    """A one-file update as an editor makes it: a sentence appended to the story."""
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(f"\nUpdate {number}: this story was corrected after publication.\n")


def update_files(workspace: Workspace, policy: str, picks: Sequence[Path]) -> list[dict[str, Any]]:
    """Change each picked file (same names in this workspace), re-index after each one."""
    rounds = []
    for number, pick in enumerate(picks, start=1):
        change_file(workspace.articles_dir / pick.name, number)
        rounds.append(index_workspace(workspace, policy))
    return rounds


def copy_workspace(source: Workspace, name: str) -> Workspace:
    """A copy of the workspace (articles, settings and index) beside it."""
    target = source.root.parent / name
    shutil.copytree(source.root, target, symlinks=True)
    return Workspace(target)


def fresh_copy(source: Workspace) -> Workspace:
    """A workspace with the same files and settings as ``source`` and no index yet."""
    target = source.root.parent / "fresh"
    shutil.copytree(source.root, target, ignore=shutil.ignore_patterns("index"), symlinks=True)
    return Workspace(target)


def time_queries(
    libraries: dict[str, Library], queries: Sequence[Query], repeats: int
) -> dict[str, dict[str, list[float]]]:
    """Seconds per search, per library and query kind, interleaved query by query."""
    names = list(libraries)
    samples: dict[str, dict[str, list[float]]] = {name: {} for name in names}
    for query in queries:  # warm-up, every query on every index: file cache, term infos
        for library in libraries.values():
            library.search(query.brief, limit=20)
    for position, query in enumerate(queries):
        for repeat in range(repeats):
            shift = (position + repeat) % len(names)
            for name in names[shift:] + names[:shift]:
                start = time.perf_counter()
                libraries[name].search(query.brief, limit=20)
                elapsed = time.perf_counter() - start
                samples[name].setdefault(query.kind, []).append(elapsed)
    return samples


def summarize_queries(samples: dict[str, dict[str, list[float]]]) -> dict[str, Any]:
    """p50/p95 per library, overall and per query kind."""
    summary: dict[str, Any] = {}
    for name, kinds in samples.items():
        every = [s for row in kinds.values() for s in row]
        summary[name] = {"all": summarize_ms(every)}
        summary[name].update({kind: summarize_ms(row) for kind, row in kinds.items()})
    return summary


def query_set(library: Library, per_kind: int) -> list[Query]:
    """The fixed query sets plus entity queries drawn from the index's entity terms."""
    queries = query_sets(read_sources(), per_kind)
    names = indexed_entity_names(library.searcher.reader())
    return queries + entity_queries(names, per_kind)


def run(
    scale: int, updates: int, per_kind: int, repeats: int, keep: bool = False
) -> dict[str, Any]:
    """The whole measurement; the JSON-ready results (``keep``: leave the workspaces)."""
    corpus = build_corpus(scale, entities="rules")
    try:
        base = corpus.workspace
        result: dict[str, Any] = {"scale": scale, "articles": corpus.files, "updates": updates}
        result["build"] = index_workspace(base, "tiered", rebuild=True)
        copies = update_copies(base, updates, result)
        fresh = fresh_copy(copies["tiered"])
        result["fresh_build"] = index_workspace(fresh, "tiered", rebuild=True)
        compare(fresh, copies, per_kind, repeats, result)
        return result
    finally:
        if keep:
            print(f"kept {corpus.workspace.root.parent}")
        else:
            remove_corpus(corpus)


def rerun(kept: Path, updates: int, per_kind: int, repeats: int) -> dict[str, Any]:
    """The updates and queries again on a folder ``--keep`` left (its ``ws`` as built, its
    ``fresh`` index of the updated files): the merge policy as it is now, without the builds."""
    base, fresh = Workspace(kept / "ws"), Workspace(kept / "fresh")
    for name in (*(f"updated-{p}" for p in POLICIES), "updated-merged", "fresh-merged"):
        shutil.rmtree(kept / name, ignore_errors=True)
    files = len(list(base.articles_dir.glob("*.txt")))
    result: dict[str, Any] = {"reused": str(kept), "articles": files, "updates": updates}
    result["scale"] = round(files / 2225)
    compare(fresh, update_copies(base, updates, result), per_kind, repeats, result)
    return result


def pick_files(workspace: Workspace, count: int) -> list[Path]:
    """``count`` article files spread over the corpus (the same ones on every run)."""
    files = sorted(workspace.articles_dir.glob("*.txt"))
    return [files[(i * 7919) % len(files)] for i in range(count)]


def update_copies(base: Workspace, updates: int, result: dict[str, Any]) -> dict[str, Workspace]:
    """A copy of the built workspace per policy, each given the same one-file updates."""
    picks = pick_files(base, updates)
    copies = {policy: copy_workspace(base, f"updated-{policy}") for policy in POLICIES}
    result["rounds"] = {p: update_files(ws, p, picks) for p, ws in copies.items()}
    copies["merged"] = merged_copy(copies["tiered"], "updated-merged", result, "merge")
    return copies


def merged_copy(source: Workspace, name: str, result: dict[str, Any], key: str) -> Workspace:
    """A copy ``name`` of ``source`` merged back into one segment (``briefreader index
    --merge``): the merge's cost goes in ``result[key]``."""
    target = copy_workspace(source, name)
    phase = Phase()
    report = full_merge.merge_segments(target)
    result[key] = phase.done() | {
        "segments_before": report.segments_before,
        "segments_after": report.segments_after,
        "documents": report.documents,
    }
    return target


def compare(
    fresh: Workspace,
    copies: dict[str, Workspace],
    per_kind: int,
    repeats: int,
    result: dict[str, Any],
) -> None:
    """Time the query set over the fresh and the updated indexes, interleaved."""
    fresh_merged = merged_copy(fresh, "fresh-merged", result, "fresh_merge")
    libraries = {"fresh": Library.open(fresh), "fresh-merged": Library.open(fresh_merged)}
    libraries.update({f"updated-{p}": Library.open(ws) for p, ws in copies.items()})
    queries = query_set(libraries["fresh"], per_kind)
    phase = Phase()
    samples = time_queries(libraries, queries, repeats)
    result["queries_phase"] = phase.done()
    result["queries"] = summarize_queries(samples)
    result["query_count"] = len(queries)
    for library in libraries.values():
        library.close()


def print_table(result: dict[str, Any]) -> None:
    """The figures a reader of docs/performance.md needs."""
    print(f"BBC ×{result['scale']} ({result['articles']} files), {result['updates']} updates")
    build = result.get("build")
    if build:
        print(
            f"build: {build['wall_s']} s wall, {build['cpu_s']} CPU s, load {build['load_before']}"
        )
    for policy, rounds in result["rounds"].items():
        walls = [r["wall_s"] for r in rounds]
        cpus = [r["cpu_s"] for r in rounds]
        segments = [r["segments"] for r in rounds]
        print(
            f"{policy:>7}: re-index median {sorted(walls)[len(walls) // 2]:.3f} s, "
            f"max {max(walls):.3f} s wall (CPU median {sorted(cpus)[len(cpus) // 2]:.3f} s), "
            f"segments per update {segments}, deleted docs after {rounds[-1]['deleted_docs']}"
        )
    for key in ("merge", "fresh_merge"):
        merge = result.get(key)
        if merge:
            print(
                f"{key}: {merge['segments_before']} -> {merge['segments_after']} segments, "
                f"{merge['wall_s']} s wall, {merge['cpu_s']} CPU s, load {merge['load_before']}"
            )
    phase = result["queries_phase"]
    print(
        f"queries: {result['query_count']} × repeats, {phase['wall_s']} s wall, "
        f"{phase['cpu_s']} CPU s, load {phase['load_before']} -> {phase['load_after']}"
    )
    fresh = result["queries"]["fresh"]
    kinds = [k for k in fresh if k != "all"]
    print(f"{'index':<16} {'p50':>7} {'p95':>7}  " + " ".join(f"{k:>8}" for k in kinds))
    for name, row in result["queries"].items():
        cells = " ".join(f"{row[k]['p95_ms']:8.1f}" for k in kinds)
        all_ = row["all"]
        ratio = all_["p95_ms"] / fresh["all"]["p95_ms"]
        print(f"{name:<16} {all_['median_ms']:7.2f} {all_['p95_ms']:7.2f}  {cells}  ×{ratio:.3f}")
    merged, fresh_merged = (
        result["queries"].get("updated-merged"),
        result["queries"].get("fresh-merged"),
    )
    if merged and fresh_merged:
        ratio = merged["all"]["p95_ms"] / fresh_merged["all"]["p95_ms"]
        print(f"updated-merged / fresh-merged p95: ×{ratio:.3f}")


def main(argv: Sequence[str] | None = None) -> int:
    """Run, print, save."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.segments", description=__doc__)
    parser.add_argument("--scale", type=int, default=1, help="copies of the BBC corpus (1)")
    parser.add_argument("--updates", type=int, default=20, help="one-file updates (20)")
    parser.add_argument("--per-kind", type=int, default=40, help="queries per kind (40)")
    parser.add_argument("--repeats", type=int, default=3, help="runs of each query (3)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary workspaces")
    parser.add_argument(
        "--reuse", type=Path, help="a folder --keep left: redo the updates and queries only"
    )
    args = parser.parse_args(argv)
    if args.reuse:
        result = rerun(args.reuse, args.updates, args.per_kind, args.repeats)
    else:
        result = run(args.scale, args.updates, args.per_kind, args.repeats, args.keep)
    result["when"] = datetime.now(UTC).isoformat(timespec="seconds")
    print_table(result)
    stamp = datetime.now(UTC).strftime("%Y-%m-%d")
    path = write_results(result, f"{stamp}-segments-x{args.scale}", RESULTS)
    print(f"saved {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
