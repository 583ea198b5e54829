"""Related-passage quality and speed.

``python -m benchmarks.related_eval`` indexes the sample corpus in a temporary workspace and
prints nDCG@5, recall@5 and MRR per method against ``data/related_judgments.json``, plus how
many "nothing related" queries stayed quiet. Methods: Whoosh ``more_like`` with its defaults,
our key-term ranking, + shared figures, + entities (an index built with the entities engine's
mentions), + the semantic extra (when installed).

``--sweep`` prints the metrics over a range of thresholds (to calibrate ``DEFAULT_THRESHOLD``);
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
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

from briefreader.models import Article
from briefreader.search.enrich import NoEnrichment
from briefreader.search.indexer import Enrichment, ProgressFn, update_index
from briefreader.search.library import Library
from briefreader.search.related import RelatedOptions, clear_cache, find_related
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
    parser.add_argument("--semantic", action="store_true", help="sweep with the semantic extra")
    parser.add_argument("--entities", action="store_true", help="sweep on the entity index")
    parser.add_argument("--latency", action="store_true", help="time find_related")
    parser.add_argument("--bbc", action="store_true", help="also time on the BBC corpus")
    parser.add_argument("-n", type=int, default=300, help="passages to time (300)")
    parser.add_argument(
        "--workspace", type=Path, help="with --latency: time an indexed workspace (e.g. BBC ×16)"
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="related-eval-") as name:
        tmp = Path(name)
        if args.sweep:
            sweep(tmp, args.semantic, args.entities)
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
