"""Related-passage quality and speed.

``python -m benchmarks.related_eval`` indexes the sample corpus in a temporary workspace and
prints nDCG@5, recall@5 and MRR per method against ``data/related_judgments.json``, plus how
many "nothing related" queries stayed quiet. Methods: Whoosh ``more_like`` with its defaults,
our key-term ranking, + shared figures, + entities (an index built with the entities engine's
mentions), + the semantic extra (when installed).

``--sweep`` prints the metrics over a range of thresholds (to calibrate ``DEFAULT_THRESHOLD``);
``--cv`` chooses the threshold (and, with the semantic extra, the fusion weight) by
leave-one-query-out and split-half cross-validation and prints the held-out figures beside
the in-sample ones;
``--latency`` times ``find_related`` per passage (p50/p95, cache off) on the sample and, with
``--bbc``, on the BBC News corpus from ``../shared/corpora`` (index built in a temp folder), or
with ``--workspace PATH`` on an indexed workspace (``benchmarks.corpus`` builds BBC ×4/×16).
"""

from __future__ import annotations

import argparse
import json
import math
import random
import shutil
import statistics
import sys
import tarfile
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

from briefreader.models import Article, ProgressFn
from briefreader.search.index.enrich import Enrichment, NoEnrichment
from briefreader.search.index.indexer import update_index
from briefreader.search.library import Library
from briefreader.search.related import RelatedOptions, clear_cache, find_related, shown_count
from briefreader.workspace import Workspace

REPO = Path(__file__).resolve().parent.parent
JUDGMENTS = Path(__file__).parent / "data" / "related_judgments.json"
SAMPLE = REPO / "src" / "briefreader" / "sample"
BBC = REPO.parent / "shared" / "corpora" / "bbc-news.tar.gz"
K = 5

Ranker = Callable[[Library, str], list[str]]


def load_judgments() -> list[dict[str, object]]:
    """The judged queries: id, note, relevant {passage id: grade}."""
    return list(json.loads(JUDGMENTS.read_text(encoding="utf-8"))["queries"])


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
    (root / "index").mkdir(parents=True, exist_ok=True)
    shutil.copytree(source, root / "articles")
    workspace = Workspace(root)
    update_index(workspace, enricher=entity_enricher if entities else NoEnrichment())
    return Library.open(workspace)


# ---------------------------------------------------------------------------- rankers


def more_like_ranker(library: Library, passage_id: str) -> list[str]:
    """Whoosh's ``more_like`` with its defaults (5 key terms), passages of other articles."""
    article, passage = library.passage(passage_id)
    with library.lock:
        searcher = library.searcher
        docnum = searcher.document_number(doc_id=passage_id)
        results = searcher.more_like(docnum, "body", text=passage.text, top=200)
        ids = [
            hit["doc_id"]
            for hit in results
            if hit["kind"] == "passage" and hit["article_id"] != article.id
        ]
    return ids[:K]


def related_ranker(options: RelatedOptions) -> Ranker:
    """``find_related`` with these options."""

    def rank(library: Library, passage_id: str) -> list[str]:
        result = find_related(library, passage_id, limit=K, options=options)
        return [item.passage_id for item in result.items]

    return rank


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


def evaluate(
    library: Library, ranker: Ranker, queries: list[dict[str, object]]
) -> dict[str, float]:
    """Mean metrics over queries with relevant passages; quiet share over empty ones."""
    scores: dict[str, list[float]] = {"ndcg": [], "recall": [], "mrr": []}
    quiet = []
    for entry in queries:
        relevant = dict(entry["relevant"])  # type: ignore[call-overload]
        ranked = ranker(library, str(entry["id"]))
        if not relevant:
            quiet.append(1.0 if not ranked else 0.0)
            continue
        scores["ndcg"].append(ndcg(ranked, relevant))
        scores["recall"].append(recall(ranked, relevant))
        scores["mrr"].append(reciprocal_rank(ranked, relevant))
    summary = {name: statistics.fmean(values) for name, values in scores.items()}
    summary["quiet"] = sum(quiet)
    summary["empty"] = len(quiet)
    return summary


def semantic_available() -> bool:
    """True when the semantic extra (sentence-transformers + packaged model) is installed."""
    from briefreader.search import semantic

    return semantic.available() is None


# ---------------------------------------------------------------------------- reports


def quality_table(tmp: Path) -> None:
    """Print the quality table for every method."""
    queries = load_judgments()
    plain = build_workspace(tmp / "plain", SAMPLE, entities=False)
    enriched = build_workspace(tmp / "entities", SAMPLE, entities=True)
    lexical = RelatedOptions(figures=False, entities=False)
    methods: list[tuple[str, Library, Ranker]] = [
        ("whoosh more_like (defaults)", plain, more_like_ranker),
        ("key terms", plain, related_ranker(lexical)),
        ("key terms + figures (default)", plain, related_ranker(RelatedOptions())),
        ("+ entities", enriched, related_ranker(RelatedOptions())),
    ]
    if semantic_available():
        methods.append(("+ semantic (extra)", plain, related_ranker(RelatedOptions(semantic=True))))
        methods.append(
            ("+ entities + semantic", enriched, related_ranker(RelatedOptions(semantic=True)))
        )
    else:
        print("semantic extra not installed: pip install 'briefreader[semantic]'")
    nonempty = sum(1 for q in queries if q["relevant"])
    print(f"{nonempty} judged queries with related passages, {len(queries) - nonempty} without\n")
    print(f"| method | nDCG@{K} | recall@{K} | MRR | quiet on empty |")
    print("|---|---|---|---|---|")
    for name, library, ranker in methods:
        m = evaluate(library, ranker, queries)
        print(
            f"| {name} | {m['ndcg']:.3f} | {m['recall']:.3f} | {m['mrr']:.3f} "
            f"| {int(m['quiet'])}/{int(m['empty'])} |"
        )


def sweep(tmp: Path, semantic: bool, entities: bool) -> None:
    """Metrics over thresholds, to calibrate the "nothing related" cut."""
    queries = load_judgments()
    library = build_workspace(tmp / "sweep", SAMPLE, entities=entities)
    base = RelatedOptions(semantic=semantic)
    print("| threshold | nDCG@5 | recall@5 | MRR | quiet on empty |")
    print("|---|---|---|---|---|")
    for step in range(0, 13):
        threshold = step * 0.025
        m = evaluate(library, related_ranker(replace(base, threshold=threshold)), queries)
        print(
            f"| {threshold:.3f} | {m['ndcg']:.3f} | {m['recall']:.3f} | {m['mrr']:.3f} "
            f"| {int(m['quiet'])}/{int(m['empty'])} |"
        )


# ---------------------------------------------------------------------------- cross-validation

Params = tuple[float, float]  # (semantic weight, threshold)
THRESHOLDS = [round(0.01 * i, 2) for i in range(5, 46)]
WEIGHTS = [round(0.05 * i, 2) for i in range(0, 21)]
WINDOW = 0.02


def utilities(
    library: Library, queries: list[dict[str, object]], options: RelatedOptions
) -> dict[float, dict[str, float]]:
    """Per threshold, each query's utility: nDCG@K, or 1/0 quiet for a no-related query.

    Ranks once with threshold 0 and applies each threshold as ``find_related`` does.
    """
    ranked = {}
    for entry in queries:
        result = find_related(
            library, str(entry["id"]), limit=1000, options=replace(options, threshold=0.0)
        )
        ranked[str(entry["id"])] = [(item.passage_id, item.score) for item in result.items]
    table: dict[float, dict[str, float]] = {}
    for threshold in THRESHOLDS:
        row = {}
        for entry in queries:
            items = ranked[str(entry["id"])]
            shown = [p for p, _ in items[: min(shown_count([s for _, s in items], threshold), K)]]
            relevant = dict(entry["relevant"])  # type: ignore[call-overload]
            row[str(entry["id"])] = ndcg(shown, relevant) if relevant else float(not shown)
        table[threshold] = row
    return table


def cross_validate(
    table: dict[Params, dict[str, float]], queries: list[dict[str, object]], seed: int = 7
) -> None:
    """In-sample best parameters vs. leave-one-query-out and split-half choices.

    The parameters maximise the utility summed over the training queries (nDCG@5 of a
    query with related passages, 1 for each quiet no-related query), averaged over
    thresholds within ``WINDOW`` (the optimum is a plateau with a cliff at its upper edge;
    the average picks a point inside it rather than at the edge). Reported: nDCG@5 over
    queries with related passages, quiet count.
    """
    ids = [str(q["id"]) for q in queries]
    related = [str(q["id"]) for q in queries if q["relevant"]]
    empty = [i for i in ids if i not in related]

    def smoothed(key: Params, training: Sequence[str]) -> float:
        weight, threshold = key
        near = [k for k in table if k[0] == weight and abs(k[1] - threshold) <= WINDOW + 1e-9]
        return statistics.fmean(sum(table[k][q] for q in training) for k in near)

    def best(training: Sequence[str]) -> Params:
        return max(table, key=lambda k: (smoothed(k, training), -k[0], -k[1]))

    def report(label: str, values: dict[str, float]) -> None:
        quiet = sum(values[q] for q in empty)
        print(f"| {label} | {statistics.fmean(values[q] for q in related):.3f} ", end="")
        print(f"| {quiet:.0f}/{len(empty)} |")

    chosen = best(ids)
    print("| choice | nDCG@5 | quiet on empty |")
    print("|---|---|---|")
    report(f"in-sample best (weight, threshold) = {chosen}", table[chosen])
    held_out, picks = {}, []
    for query in ids:
        params = best([q for q in ids if q != query])
        picks.append(params)
        held_out[query] = table[params][query]
    report("leave-one-query-out", held_out)
    rng = random.Random(seed)
    halves: list[float] = []
    for _ in range(200):
        order = ids[:]
        rng.shuffle(order)
        for train, test in ((order[::2], order[1::2]), (order[1::2], order[::2])):
            params = best(train)
            halves.extend(table[params][q] for q in test if q in related)
    print(f"| split-half (200 random splits, both ways) | {statistics.fmean(halves):.3f} | — |")
    common = ", ".join(f"{p} ×{n}" for p, n in Counter(picks).most_common(3))
    print(f"\nleave-one-out choices: {common}")


def cv(tmp: Path, semantic: bool) -> None:
    """Cross-validated choice of the threshold (and the semantic fusion weight)."""
    queries = load_judgments()
    library = build_workspace(tmp / "cv", SAMPLE, entities=False)
    table: dict[Params, dict[str, float]] = {}
    for weight in WEIGHTS if semantic else [0.0]:
        options = RelatedOptions(semantic=semantic, semantic_weight=weight)
        for threshold, row in utilities(library, queries, options).items():
            table[(weight, threshold)] = row
    cross_validate(table, queries)


def latency(library: Library, label: str, count: int, options: RelatedOptions) -> None:
    """p50/p95 of find_related over random passages, cache cleared before each call."""
    ids = [p.id for summary in library.articles() for p in library.article(summary.id).passages]
    random.Random(7).shuffle(ids)
    timings = []
    for passage_id in ids[:count]:
        clear_cache(library)
        started = time.perf_counter()
        find_related(library, passage_id, limit=K, options=options)
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    p95 = timings[min(len(timings) - 1, int(len(timings) * 0.95))]
    print(
        f"{label}: {len(ids)} passages, {len(timings)} timed: "
        f"p50 {statistics.median(timings):.1f} ms, p95 {p95:.1f} ms, max {timings[-1]:.1f} ms"
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
    parser.add_argument("--sweep", action="store_true", help="metrics over thresholds")
    parser.add_argument("--cv", action="store_true", help="cross-validated parameter choice")
    parser.add_argument("--semantic", action="store_true", help="sweep/cv/latency, semantic")
    parser.add_argument("--entities", action="store_true", help="sweep on the entity index")
    parser.add_argument("--latency", action="store_true", help="time find_related")
    parser.add_argument("--bbc", action="store_true", help="also time on the BBC corpus")
    parser.add_argument(
        "--dense-rows", type=int, help="with --latency: time the vector search on N rows"
    )
    parser.add_argument("-n", type=int, default=300, help="passages to time (300)")
    parser.add_argument(
        "--workspace", type=Path, help="with --latency: time an indexed workspace (e.g. BBC ×16)"
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="related-eval-") as name:
        tmp = Path(name)
        if args.sweep:
            sweep(tmp, args.semantic, args.entities)
        elif args.cv:
            cv(tmp, args.semantic)
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
            quality_table(tmp)
    return 0


if __name__ == "__main__":
    sys.exit(main())
