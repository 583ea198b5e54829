"""Related-passage quality on the judged set (dev and test reported apart) and speed.

``python -m benchmarks.related_eval`` opens the evaluation workspace (BBC News plus the sample,
indexed as a default install does it, built once into ``--cache``; see
``benchmarks/related_corpus.py``) and prints, for the dev and the test split of
``data/related_judged_set.json`` separately, per method: nDCG@5, recall@5 and MRR over the
real queries with 95% bootstrap intervals (queries resampled), how many "nothing related"
probes stayed empty, and how many real queries were wrongly left empty. Methods: BM25 over
passages, the fusion without entities, the default ranking, and with the semantic extra
installed the plain MiniLM cosine, reciprocal-rank fusion of BM25 and MiniLM, and the
semantic mode.

``--calibrate [--semantic]`` prints, on **dev only**, the figures over a grid of "nothing
related" thresholds (to set ``DEFAULT_THRESHOLD`` and ``SEMANTIC_THRESHOLD``);
``--latency`` times ``find_related`` per passage (p50/p95, cache off) on the sample and, with
``--bbc``, on the BBC News corpus from ``../shared/corpora`` (index built in a temp folder), or
with ``--workspace PATH`` on an indexed workspace (``benchmarks.corpus`` builds BBC ×4/×16).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import random
import statistics
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.related_corpus import (
    DEFAULT_CACHE,
    copy_aliases,
    open_eval_library,
    resolve_copy,
)
from benchmarks.related_rankers import Ranker, bm25_ranker, cosine_ranker, related_ranker, rrf
from briefreader.models import Article, ProgressFn
from briefreader.search.index.enrich import Enrichment, NoEnrichment
from briefreader.search.index.indexer import update_index
from briefreader.search.library import Library
from briefreader.search.related import RelatedOptions, clear_cache, find_related
from briefreader.workspace import Workspace

REPO = Path(__file__).resolve().parent.parent
JUDGED_SET = Path(__file__).parent / "data" / "related_judged_set.json"
SAMPLE = REPO / "src" / "briefreader" / "sample"
BBC = REPO.parent / "shared" / "corpora" / "bbc-news.tar.gz"
K = 5
BOOTSTRAP_ROUNDS = 2000


@dataclass(frozen=True)
class Query:
    """A judged query passage: its split and the grades of its pooled candidates (0 left out)."""

    id: str
    split: str
    relevant: dict[str, int]

    @property
    def probe(self) -> bool:
        """True for a "nothing related" probe (no candidate graded 1 or 2)."""
        return not self.relevant


def load_judged(path: Path = JUDGED_SET, rounds: int | None = None) -> list[Query]:
    """The judged queries of the data file, with the grades of every judging round (or of
    the first ``rounds`` only)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    return [
        Query(q["id"], q["split"], {p: g for p, g in _grades(q, rounds).items() if g > 0})
        for q in data["queries"]
    ]


def _grades(query: dict[str, Any], rounds: int | None = None) -> dict[str, int]:
    """A query's grades over its rounds: ``judged`` (round 1), then ``judged_round2``…"""
    grades = dict(query["judged"])
    number = 2
    while f"judged_round{number}" in query and (rounds is None or number <= rounds):
        grades.update(query[f"judged_round{number}"])
        number += 1
    return grades


def resolved(queries: Sequence[Query], aliases: dict[str, str]) -> list[Query]:
    """The queries with passages of dropped copies named by the kept article's passage (the
    same text; the better grade if both were judged)."""
    found = []
    for query in queries:
        relevant: dict[str, int] = {}
        for passage_id, grade in query.relevant.items():
            key = resolve_copy(passage_id, aliases)
            relevant[key] = max(grade, relevant.get(key, 0))
        found.append(Query(resolve_copy(query.id, aliases), query.split, relevant))
    return found


def frozen_test_hash(path: Path = JUDGED_SET, all_rounds: bool = False) -> str:
    """SHA-256 of the test split's queries and grades (canonical JSON): the frozen split.

    Round 1 alone by default (the hash recorded when the split was made, which later rounds
    leave valid since they never change a grade); ``all_rounds`` hashes every round's grades.
    """
    data = json.loads(path.read_text(encoding="utf-8"))
    test = sorted(
        (
            {"id": q["id"], "judged": _grades(q) if all_rounds else q["judged"]}
            for q in data["queries"]
            if q["split"] == "test"
        ),
        key=lambda q: q["id"],
    )
    canonical = json.dumps(test, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


# ---------------------------------------------------------------------------- metrics


def ndcg(ranked: Sequence[str], relevant: dict[str, int]) -> float:
    """nDCG@K with the grade as gain."""
    dcg = sum(relevant.get(p, 0) / math.log2(i + 2) for i, p in enumerate(ranked[:K]))
    ideal = sorted(relevant.values(), reverse=True)[:K]
    best = sum(g / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / best if best else 0.0


def recall(ranked: Sequence[str], relevant: dict[str, int]) -> float:
    """Share of the relevant passages (grade ≥ 1) found in the top K (capped at K relevant)."""
    found = sum(1 for p in ranked[:K] if relevant.get(p, 0) > 0)
    return found / min(len(relevant), K)


def reciprocal_rank(ranked: Sequence[str], relevant: dict[str, int]) -> float:
    """1/rank of the first relevant passage (0 if none in the top K)."""
    for i, p in enumerate(ranked[:K]):
        if relevant.get(p, 0) > 0:
            return 1.0 / (i + 1)
    return 0.0


MEASURES: dict[str, Callable[[Sequence[str], dict[str, int]], float]] = {
    "nDCG@5": ndcg,
    "R@5": recall,
    "MRR": reciprocal_rank,
}


def bootstrap(values: Sequence[float], seed: int = 16) -> tuple[float, float]:
    """95% percentile interval of the mean, queries resampled with replacement."""
    rng = random.Random(seed)
    means = sorted(
        statistics.fmean(rng.choices(values, k=len(values))) for _ in range(BOOTSTRAP_ROUNDS)
    )
    return means[int(0.025 * len(means))], means[int(0.975 * len(means)) - 1]


@dataclass(frozen=True)
class Scores:
    """One method's figures on one split."""

    measures: dict[str, list[float]]
    probes_empty: int
    probes: int
    wrongly_empty: int
    real: int


def score(rankings: dict[str, list[str]], queries: Sequence[Query]) -> Scores:
    """The measures of ``rankings`` (query id -> shown ids) over ``queries``."""
    measures: dict[str, list[float]] = {name: [] for name in MEASURES}
    probes = [q for q in queries if q.probe]
    real = [q for q in queries if not q.probe]
    for query in real:
        for name, measure in MEASURES.items():
            measures[name].append(measure(rankings[query.id], query.relevant))
    return Scores(
        measures,
        sum(1 for q in probes if not rankings[q.id]),
        len(probes),
        sum(1 for q in real if not rankings[q.id]),
        len(real),
    )


def table_row(name: str, scores: Scores) -> str:
    """A markdown row: mean [interval] per measure, probes empty, real queries wrongly empty."""
    cells = [name]
    for values in scores.measures.values():
        low, high = bootstrap(values)
        cells.append(f"{statistics.fmean(values):.3f} [{low:.2f}–{high:.2f}]")
    cells.append(f"{scores.probes_empty}/{scores.probes}")
    cells.append(f"{scores.wrongly_empty}/{scores.real}")
    return "| " + " | ".join(cells) + " |"


# ---------------------------------------------------------------------------- methods


def semantic_available() -> bool:
    """True when the semantic extra (sentence-transformers + packaged model) is installed."""
    from briefreader.search import semantic

    return semantic.available() is None


def methods(semantic: bool) -> list[tuple[str, Ranker]]:
    """The compared methods (the semantic ones only when the extra is installed)."""
    chosen: list[tuple[str, Ranker]] = [
        ("BM25 on passages", bm25_ranker),
        ("fusion without entities", related_ranker(RelatedOptions(entities=False))),
        ("briefreader default", related_ranker(RelatedOptions())),
    ]
    if semantic:
        chosen += [
            ("MiniLM cosine", cosine_ranker),
            ("RRF of BM25 and MiniLM cosine", rrf([bm25_ranker, cosine_ranker])),
            ("briefreader semantic", related_ranker(RelatedOptions(semantic=True))),
        ]
    return chosen


def quality_table(cache: Path, rounds: int | None = None) -> None:
    """Print dev and test tables for every method (grades of every round, or of the first
    ``rounds``), with the share of each method's shown top 5 that no round judged."""
    queries = load_judged(rounds=rounds)
    semantic = semantic_available()
    if not semantic:
        print("semantic extra not installed (make install-semantic): semantic rows left out")
    library = open_eval_library(cache, semantic=True)
    aliases = copy_aliases(library)
    queries = resolved(queries, aliases)
    judged = judged_ids(rounds, aliases)
    copies = sum(":p" not in key for key in aliases)
    print(f"{copies} judged articles indexed as copies of another: resolved to it")
    rankings = {}
    for name, ranker in methods(semantic):
        rankings[name] = {q.id: ranker(library, q.id, K) for q in queries}
    print(f"test split sha256 {frozen_test_hash()} (round 1)")
    print(f"test split sha256 {frozen_test_hash(all_rounds=True)} (every round)")
    for split in ("dev", "test"):
        part = [q for q in queries if q.split == split]
        probes = sum(1 for q in part if q.probe)
        print(f"\n### {split}: {len(part) - probes} real queries, {probes} probes\n")
        print(
            "| method | nDCG@5 | R@5 | MRR | probes empty | real queries wrongly empty "
            "| unjudged in top 5 |"
        )
        print("|---|---|---|---|---|---|---|")
        for name, ranking in rankings.items():
            unjudged = unjudged_share(ranking, part, judged)
            print(table_row(name, score(ranking, part))[:-1] + f"| {unjudged:.1%} |")
    print_gaps(rankings, queries)


def split_ndcg(ranking: dict[str, list[str]], queries: Sequence[Query], split: str) -> list[float]:
    """nDCG@5 of every real query of ``split``, in the judged set's order."""
    return [ndcg(ranking[q.id], q.relevant) for q in queries if q.split == split and not q.probe]


def gap_interval(
    dev: Sequence[float], test: Sequence[float], seed: int = 16
) -> tuple[float, float]:
    """95% interval of mean(dev) − mean(test), each split's queries resampled on its own."""
    rng = random.Random(seed)
    gaps = sorted(
        statistics.fmean(rng.choices(dev, k=len(dev)))
        - statistics.fmean(rng.choices(test, k=len(test)))
        for _ in range(BOOTSTRAP_ROUNDS)
    )
    return gaps[int(0.025 * len(gaps))], gaps[int(0.975 * len(gaps)) - 1]


def gap_row(name: str, dev: Sequence[float], test: Sequence[float]) -> str:
    """A markdown row: dev mean, test mean, dev − test with its interval."""
    low, high = gap_interval(dev, test)
    gap = statistics.fmean(dev) - statistics.fmean(test)
    return (
        f"| {name} | {statistics.fmean(dev):.3f} | {statistics.fmean(test):.3f} "
        f"| {gap:+.3f} [{low:+.2f} – {high:+.2f}] |"
    )


def print_gaps(rankings: dict[str, dict[str, list[str]]], queries: Sequence[Query]) -> None:
    """The dev–test gap of every method, and of its lift over BM25 (per query, paired).

    A ranking tuned to dev scores higher on dev than on test; a split whose test queries are
    easier lifts every method, the untuned BM25 included. The lift over BM25 on the same
    queries takes the split's difficulty out: its dev − test gap is the part tuning could own.
    """
    baseline = rankings.get("BM25 on passages")
    print("\n### dev − test, nDCG@5 (95% interval, each split resampled)\n")
    print("| method | dev | test | dev − test |")
    print("|---|---|---|---|")
    for name, ranking in rankings.items():
        print(
            gap_row(name, split_ndcg(ranking, queries, "dev"), split_ndcg(ranking, queries, "test"))
        )
    if baseline is None:
        return
    print("\n### lift over BM25 on the same queries, nDCG@5\n")
    print("| method | dev lift | test lift | dev − test |")
    print("|---|---|---|---|")
    for name, ranking in rankings.items():
        if ranking is baseline:
            continue
        lifts = {
            split: [
                mine - base
                for mine, base in zip(
                    split_ndcg(ranking, queries, split),
                    split_ndcg(baseline, queries, split),
                    strict=True,
                )
            ]
            for split in ("dev", "test")
        }
        print(gap_row(name, lifts["dev"], lifts["test"]))


def judged_ids(rounds: int | None, aliases: dict[str, str]) -> dict[str, set[str]]:
    """Every judged candidate of each query (any grade), over the rounds asked for."""
    data = json.loads(JUDGED_SET.read_text(encoding="utf-8"))
    return {
        resolve_copy(q["id"], aliases): {resolve_copy(p, aliases) for p in _grades(q, rounds)}
        for q in data["queries"]
    }


def unjudged_share(
    rankings: dict[str, list[str]], queries: Sequence[Query], judged: dict[str, set[str]]
) -> float:
    """Share of the shown top-5 items that no judging round graded (they count as 0)."""
    shown = [(q.id, p) for q in queries for p in rankings[q.id][:K]]
    return sum(1 for q, p in shown if p not in judged[q]) / len(shown) if shown else 0.0


# ---------------------------------------------------------------------------- calibration


def calibrate(cache: Path, semantic: bool, rounds: int | None = None) -> None:
    """Dev only: the figures over a grid of floors and thresholds of the shown list.

    Each dev query is ranked once with the threshold off; each (floor, threshold) pair is then
    applied as ``find_related`` applies it (``shown_count``).
    """
    from briefreader.search.related import shown_count

    library = open_eval_library(cache, semantic=True)
    dev = [
        q for q in resolved(load_judged(rounds=rounds), copy_aliases(library)) if q.split == "dev"
    ]
    options = RelatedOptions(semantic=semantic, threshold=0.0, floor=0.0)
    scored = {}
    for query in dev:
        result = find_related(library, query.id, limit=50, options=options)
        scored[query.id] = [(item.passage_id, item.score) for item in result.items]
    print("| floor | threshold | nDCG@5 | probes empty | real wrongly empty |")
    print("|---|---|---|---|---|")
    grid: dict[tuple[float, float], Scores] = {}
    for floor in [round(0.02 * i, 2) for i in range(0, 21)]:
        for threshold in [round(floor + 0.02 * i, 2) for i in range(0, 10, 2)]:
            rankings = {}
            for query_id, items in scored.items():
                count = shown_count([s for _, s in items], threshold, floor)
                rankings[query_id] = [p for p, _ in items[: min(count, K)]]
            result = grid[(floor, threshold)] = score(rankings, dev)
            mean = statistics.fmean(result.measures["nDCG@5"])
            print(
                f"| {floor:.2f} | {threshold:.2f} | {mean:.3f} "
                f"| {result.probes_empty}/{result.probes} | {result.wrongly_empty}/{result.real} |"
            )
    floor, threshold = choose(grid)
    print(f"\nchosen on dev: floor {floor:.2f}, threshold {threshold:.2f}")


MAX_WRONGLY_EMPTY = 0.05
PLATEAU = 0.005


def choose(grid: dict[tuple[float, float], Scores]) -> tuple[float, float]:
    """The (floor, threshold) the rule picks from a dev grid.

    Floor: among floors that leave at most ``MAX_WRONGLY_EMPTY`` of the real queries empty,
    the one maximising the summed utility (nDCG@5 of each real query, 1 for each probe left
    empty). Threshold: the largest at that floor whose nDCG@5 is within ``PLATEAU`` of the
    floor's best, so "loosely related" labels as much as it can without costing ranking.
    """

    def mean(key: tuple[float, float]) -> float:
        return statistics.fmean(grid[key].measures["nDCG@5"])

    def utility(key: tuple[float, float]) -> float:
        return mean(key) * grid[key].real + grid[key].probes_empty

    allowed = [k for k, s in grid.items() if s.wrongly_empty <= MAX_WRONGLY_EMPTY * s.real]
    floor = max(allowed, key=lambda k: (utility(k), -k[0]))[0]
    at_floor = [k for k in allowed if k[0] == floor]
    best = max(mean(k) for k in at_floor)
    return floor, max(k[1] for k in at_floor if mean(k) >= best - PLATEAU)


# ---------------------------------------------------------------------------- latency


def entity_enricher(articles: Sequence[Article], progress: ProgressFn) -> dict[str, Enrichment]:
    """Index entity fields and payloads as the entities engine produces them."""
    from briefreader.text.entities import (
        extract_entities,
        index_fields,
        passage_index_fields,
        to_payload,
    )

    extraction = extract_entities(articles)
    result = {}
    for article in articles:
        mentions = extraction.mentions.get(article.id, [])
        result[article.id] = Enrichment(
            fields=index_fields(mentions),
            passage_fields=passage_index_fields(article, mentions),
            payload=to_payload(mentions, extraction.recogniser),
        )
    return result


def build_workspace(root: Path, source: Path, entities: bool) -> Library:
    """Copy article files into a fresh workspace, index them and open the library."""
    import shutil

    (root / "index").mkdir(parents=True, exist_ok=True)
    shutil.copytree(source, root / "articles")
    workspace = Workspace(root)
    update_index(workspace, enricher=entity_enricher if entities else NoEnrichment())
    return Library.open(workspace)


def latency(library: Library, label: str, count: int, options: RelatedOptions) -> None:
    """p50/p95 of find_related over random passages, cache cleared before each call: wall
    time, and the calling thread's CPU time (what the call costs whatever the machine's load;
    on the shared 2-core machine wall time mostly measures the other users)."""
    ids = [p.id for summary in library.articles() for p in library.article(summary.id).passages]
    random.Random(7).shuffle(ids)
    timings, cpu = [], []
    for passage_id in ids[:count]:
        clear_cache(library)
        started, started_cpu = time.perf_counter(), time.thread_time()
        find_related(library, passage_id, limit=K, options=options)
        timings.append((time.perf_counter() - started) * 1000)
        cpu.append((time.thread_time() - started_cpu) * 1000)
    print(f"{label}: {len(ids)} passages, {len(timings)} timed:")
    for name, values in (("wall", timings), ("CPU of the calling thread", cpu)):
        values.sort()
        p95 = values[min(len(values) - 1, int(len(values) * 0.95))]
        print(
            f"  {name}: p50 {statistics.median(values):.1f} ms, p95 {p95:.1f} ms, "
            f"max {values[-1]:.1f} ms"
        )


def dense_latency(tmp: Path, rows: int, count: int) -> None:
    """Time the semantic extra's per-paragraph vector work on a store of ``rows`` random unit
    vectors (memory-mapped .npy, as written by ``semantic.update_embeddings``): the
    brute-force nearest-passage search and the centred cosines of 40 candidates."""
    import numpy as np

    from briefreader.search import semantic

    rng = np.random.default_rng(7)
    folder = tmp / "dense"
    folder.mkdir()
    name = f"{semantic.VECTOR_PREFIX}synthetic.npy"
    matrix = np.lib.format.open_memmap(
        folder / name, mode="w+", dtype=np.float32, shape=(rows, semantic.DIM)
    )
    for start in range(0, rows, 20_000):
        block = rng.standard_normal((min(20_000, rows - start), semantic.DIM), dtype=np.float32)
        block += 0.5  # a shared direction, like a corpus about one subject
        matrix[start : start + len(block)] = block / np.linalg.norm(block, axis=1)[:, None]
    matrix.flush()
    del matrix
    ids = [f"a{i // 5}:p{i % 5}" for i in range(rows)]
    meta = {"recipe": semantic.RECIPE, "dim": semantic.DIM, "vectors": name, "ids": ids}
    meta["hashes"] = [f"{i:020d}" for i in range(rows)]
    (folder / semantic.STORE_FILE).write_text(json.dumps(meta), encoding="utf-8")
    started = time.perf_counter()
    store = semantic.EmbeddingStore(folder)
    opened = time.perf_counter() - started
    started = time.perf_counter()
    store.centring()
    centring = time.perf_counter() - started
    queries = rng.integers(0, rows, count)
    timings = []
    for row in queries.tolist():
        started = time.perf_counter()
        query = np.asarray(store.matrix[row])
        store.nearest(query, 2 * semantic.DENSE_CANDIDATES + 48)
        others = [store.matrix[int(r)] for r in rng.integers(0, rows, 40)]
        store.centred_cosines(query, others)
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    p95 = timings[min(len(timings) - 1, int(len(timings) * 0.95))]
    print(
        f"dense store {rows} x {semantic.DIM} float32: opened in {opened * 1000:.0f} ms, "
        f"corpus mean in {centring * 1000:.0f} ms (once); per paragraph over {count}: "
        f"p50 {statistics.median(timings):.1f} ms, p95 {p95:.1f} ms, max {timings[-1]:.1f} ms"
    )


def bbc_library(tmp: Path) -> Library | None:
    """Index the BBC corpus in a temporary workspace (None when the corpus is absent)."""
    if not BBC.is_file():
        print(f"BBC corpus not found at {BBC}: skipped")
        return None
    source = tmp / "bbc-src"
    with tarfile.open(BBC) as archive:
        archive.extractall(source, filter="data")
    roots = [p for p in source.iterdir() if p.is_dir()]
    folder = roots[0] if len(roots) == 1 else source
    started = time.perf_counter()
    library = build_workspace(tmp / "bbc", folder, entities=False)
    print(f"BBC indexed in {time.perf_counter() - started:.0f} s")
    return library


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calibrate", action="store_true", help="threshold grid, dev only")
    parser.add_argument("--semantic", action="store_true", help="calibrate/latency, semantic")
    parser.add_argument(
        "--cache", type=Path, default=DEFAULT_CACHE, help="evaluation workspace cache folder"
    )
    parser.add_argument("--latency", action="store_true", help="time find_related")
    parser.add_argument("--bbc", action="store_true", help="also time on the BBC corpus")
    parser.add_argument(
        "--dense-rows", type=int, help="with --latency: time the vector search on N rows"
    )
    parser.add_argument("-n", type=int, default=300, help="passages to time (300)")
    parser.add_argument(
        "--rounds", type=int, help="use the grades of the first N judging rounds only (all)"
    )
    parser.add_argument(
        "--workspace", type=Path, help="with --latency: time an indexed workspace (e.g. BBC ×16)"
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="related-eval-") as name:
        tmp = Path(name)
        if args.calibrate:
            calibrate(args.cache, args.semantic, args.rounds)
        elif args.latency and args.dense_rows:
            dense_latency(tmp, args.dense_rows, args.n)
        elif args.latency and args.workspace:
            options = RelatedOptions(semantic=args.semantic)
            latency(Library.open(Workspace(args.workspace)), str(args.workspace), args.n, options)
        elif args.latency:
            options = RelatedOptions(semantic=args.semantic)
            latency(build_workspace(tmp / "s", SAMPLE, False), "sample", args.n, options)
            library = bbc_library(tmp) if args.bbc else None
            if library is not None:
                latency(library, "BBC", args.n, options)
        else:
            quality_table(args.cache, args.rounds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
