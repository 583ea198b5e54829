"""Draw the query passages of the related judged set and pool their candidates for judging.

``python -m benchmarks.related_pool --out POOL.json --sheet SHEET.txt`` follows
``data/related_guidelines.md``: a seeded random draw of paragraphs of at least 20 words (30
from each BBC section, 15 from the sample), then the top 5 of BM25 over passages, plain MiniLM
cosine and the shipped ranking (threshold off), merged per query without saying which ranker
proposed what. The sheet lists each query with its pooled candidates in a shuffled order, for
the judge to read.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
from collections.abc import Sequence
from pathlib import Path

from benchmarks.related_corpus import DEFAULT_CACHE, open_eval_library
from benchmarks.related_rankers import (
    cosine_ranker,
    describe,
    related_ranker,
    unthresholded,
    whoosh_bm25_ranker,
)
from briefreader.search.library import Library
from briefreader.search.related import RelatedOptions

SEED = 16
GUIDELINES_VERSION = 1
POOL_DEPTH = 5
MIN_WORDS = 20
BBC_SECTIONS = ("business", "entertainment", "politics", "sport", "tech")
PER_SECTION = 30
FROM_SAMPLE = 15


def draw_queries(library: Library, seed: int = SEED) -> list[str]:
    """The query passage ids: a fixed random draw per BBC section and from the sample."""
    groups: dict[str, list[str]] = {}
    for summary in sorted(library.articles(), key=lambda s: s.id):
        section = summary.id.split("_", 1)[0]
        group = section if section in BBC_SECTIONS else "sample"
        for passage in library.article(summary.id).passages:
            if len(passage.text.split()) >= MIN_WORDS:
                groups.setdefault(group, []).append(passage.id)
    rng = random.Random(seed)
    chosen = []
    for group in (*BBC_SECTIONS, "sample"):
        size = FROM_SAMPLE if group == "sample" else PER_SECTION
        chosen.extend(sorted(rng.sample(groups[group], size)))
    return chosen


def pool(library: Library, query_id: str, rng: random.Random) -> dict[str, list[str]]:
    """The merged top ``POOL_DEPTH`` of the three pooling rankers, in a shuffled order, each
    with the rankers that proposed it (kept for analysis, never shown to the judge)."""
    shipped = related_ranker(unthresholded(RelatedOptions()))
    merged: dict[str, list[str]] = {}
    rankers = (("bm25", whoosh_bm25_ranker), ("minilm", cosine_ranker), ("shipped", shipped))
    for name, ranker in rankers:
        for candidate_id in ranker(library, query_id, POOL_DEPTH):
            merged.setdefault(candidate_id, []).append(name)
    order = sorted(merged)
    rng.shuffle(order)
    return {candidate_id: merged[candidate_id] for candidate_id in order}


def split_of(article_id: str) -> str:
    """ "dev" or "test" for a query's article: a seeded hash, about 60% dev."""
    digest = hashlib.sha256(f"{SEED}:{article_id}".encode()).digest()
    return "dev" if digest[0] < 0.6 * 256 else "test"


def write_sheet(library: Library, pools: dict[str, dict[str, list[str]]], sheet: Path) -> None:
    """The judging sheet: each query's text, then its candidates numbered in pool order."""
    lines = []
    for number, (query_id, candidates) in enumerate(pools.items(), 1):
        query = describe(library, query_id)
        lines += [f"=== Q{number} {query_id} | {query['title']}", query["text"], ""]
        for index, candidate_id in enumerate(candidates, 1):
            candidate = describe(library, candidate_id)
            lines += [f"  c{index} {candidate_id} | {candidate['title']}", f"  {candidate['text']}"]
        lines.append("")
    sheet.write_text("\n".join(lines), encoding="utf-8")


def assemble(pools: dict[str, dict[str, list[str]]], grades_file: Path, out: Path) -> None:
    """Write the judged set from the pools and the judge's grade lines.

    A grade line is ``Q<n> <grade of c1> <grade of c2> … | note``, in the sheet's order.
    Queries are split by article (``split_of``) and the test split's hash recorded.
    """
    lines = [line for line in grades_file.read_text(encoding="utf-8").splitlines() if line]
    by_number = {}
    for line in lines:
        head, _, note = line.partition("|")
        label, *grades = head.split()
        by_number[int(label.lstrip("Q"))] = ([int(g) for g in grades], note.strip())
    queries = []
    for number, (query_id, candidates) in enumerate(pools.items(), 1):
        grades, note = by_number[number]
        if len(grades) != len(candidates):
            raise ValueError(f"Q{number}: {len(grades)} grades for {len(candidates)} candidates")
        queries.append(
            {
                "id": query_id,
                "split": split_of(query_id.rsplit(":p", 1)[0]),
                "note": note,
                "judged": dict(zip(candidates, grades, strict=True)),
                "pooled_by": candidates,
            }
        )
    data = {
        "about": "Related-passage judged set: BBC News (2004-05) and the sample corpus, "
        "judged to related_guidelines.md by reading both passages; pooled from BM25 over "
        "passages, plain MiniLM cosine and the shipped ranking (top 5 each). Grades: 2 same "
        "event/claim/figure/person-in-role, 1 same subject, 0 else (unjudged count as 0). A "
        "query with no grade above 0 is a 'nothing related' probe. Split by article before "
        "any tuning; never tune on 'test'.",
        "guidelines_version": GUIDELINES_VERSION,
        "queries": queries,
    }
    out.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    from benchmarks.related_eval import frozen_test_hash

    data["test_sha256"] = frozen_test_hash(out)
    out.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"test split sha256 {data['test_sha256']}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="pool JSON to write")
    parser.add_argument("--sheet", type=Path, required=True, help="judging sheet to write")
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help="workspace cache")
    parser.add_argument(
        "--assemble", type=Path, help="grade lines: write the judged set to data/ instead"
    )
    args = parser.parse_args(argv)
    if args.assemble:
        pools = json.loads(args.out.read_text(encoding="utf-8"))
        assemble(pools, args.assemble, Path(__file__).parent / "data" / "related_judged_set.json")
        return 0
    library = open_eval_library(args.cache, semantic=True)
    queries = draw_queries(library)
    rng = random.Random(SEED)
    pools = {query_id: pool(library, query_id, rng) for query_id in queries}
    args.out.write_text(json.dumps(pools, indent=1), encoding="utf-8")
    write_sheet(library, pools, args.sheet)
    sizes = [len(p) for p in pools.values()]
    print(f"{len(pools)} queries, {sum(sizes)} pooled candidates ({max(sizes)} at most)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
