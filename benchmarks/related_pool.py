"""Draw the query passages of the related judged set and pool their candidates for judging.

``python -m benchmarks.related_pool --out POOL.json --sheet SHEET.txt`` follows
``data/related_guidelines.md``: a seeded random draw of paragraphs of at least 20 words (30
from each BBC section, 15 from the sample), then the top 5 of BM25 over passages, plain MiniLM
cosine and the shipped ranking (threshold off), merged per query without saying which ranker
proposed what. The sheet lists each query with its pooled candidates in a shuffled order, for
the judge to read.

``--round 2`` pools again for the queries of the judged set, without drawing new ones: the top
5 of every compared method (``ROUND_2_METHODS``: the shipped default, the semantic mode and the
fusion without entities with their threshold off, BM25, MiniLM cosine and their reciprocal-rank
fusion), keeping only the pairs no earlier round judged. ``--assemble-round 2 GRADES --judge
WHO`` adds the grades as that round's (``judged_round2``), with the judge and the date; grades
already given are never changed, and the queries and their split stay as they are.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks.related_corpus import (
    DEFAULT_CACHE,
    copy_aliases,
    open_eval_library,
    resolve_copy,
)
from benchmarks.related_rankers import (
    Ranker,
    bm25_ranker,
    cosine_ranker,
    describe,
    related_ranker,
    rrf,
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
JUDGED_SET = Path(__file__).parent / "data" / "related_judged_set.json"


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


def round_2_methods() -> list[tuple[str, Ranker]]:
    """The methods whose top 5 the second round pools (thresholds off: what each would show
    first, whatever the cut)."""
    return [
        ("shipped", related_ranker(unthresholded(RelatedOptions()))),
        ("semantic", related_ranker(unthresholded(RelatedOptions(semantic=True)))),
        ("fusion", related_ranker(unthresholded(RelatedOptions(entities=False)))),
        ("bm25", bm25_ranker),
        ("minilm", cosine_ranker),
        ("rrf", rrf([bm25_ranker, cosine_ranker])),
    ]


def pool_unjudged(
    library: Library, query: dict[str, Any], rng: random.Random, aliases: dict[str, str]
) -> dict[str, list[str]]:
    """The merged top ``POOL_DEPTH`` of the round-2 methods that no round judged yet, in a
    shuffled order, each with the methods that proposed it (never shown to the judge).
    Passages of articles indexed as copies are named by the kept article (``aliases``)."""
    judged = {resolve_copy(p, aliases) for p in judged_pairs(query)}
    merged: dict[str, list[str]] = {}
    for name, ranker in round_2_methods():
        for candidate_id in ranker(library, resolve_copy(query["id"], aliases), POOL_DEPTH):
            if candidate_id not in judged:
                merged.setdefault(candidate_id, []).append(name)
    order = sorted(merged)
    rng.shuffle(order)
    return {candidate_id: merged[candidate_id] for candidate_id in order}


def judged_pairs(query: dict[str, Any]) -> dict[str, int]:
    """Every grade of a query, all rounds (a pair is judged in one round only)."""
    grades = dict(query["judged"])
    for key in sorted(k for k in query if k.startswith("judged_round")):
        overlap = grades.keys() & query[key].keys()
        if overlap:
            raise ValueError(f"{query['id']}: judged twice ({sorted(overlap)[:3]})")
        grades.update(query[key])
    return grades


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
    by_number = read_grade_lines(grades_file)
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


def read_grade_lines(grades_file: Path) -> dict[int, tuple[list[int], str]]:
    """``Q<n> <grade> <grade> … | note`` lines by query number (grades 0, 1 or 2)."""
    lines = [line for line in grades_file.read_text(encoding="utf-8").splitlines() if line]
    by_number = {}
    for line in lines:
        head, _, note = line.partition("|")
        label, *grades = head.split()
        values = [int(g) for g in grades]
        if any(g not in (0, 1, 2) for g in values):
            raise ValueError(f"{label}: grades are 0, 1 or 2")
        by_number[int(label.lstrip("Q"))] = (values, note.strip())
    return by_number


def assemble_round(
    pools: dict[str, dict[str, list[str]]],
    grades_file: Path,
    judged_set: Path,
    about: dict[str, Any],
) -> None:
    """Add a later round's grades to the judged set, beside the earlier rounds' (unchanged).

    ``pools`` are the round's unjudged pairs per query in sheet order (queries with none are
    left out of the sheet and its numbering); ``about`` records the round (number, judge,
    date, methods pooled) in ``rounds``.
    """
    data = json.loads(judged_set.read_text(encoding="utf-8"))
    by_number = read_grade_lines(grades_file)
    key = f"judged_round{about['round']}"
    queries = {q["id"]: q for q in data["queries"]}
    numbered = [(query_id, pool) for query_id, pool in pools.items() if pool]
    for number, (query_id, candidates) in enumerate(numbered, 1):
        grades, note = by_number[number]
        if len(grades) != len(candidates):
            raise ValueError(f"Q{number}: {len(grades)} grades for {len(candidates)} candidates")
        query = queries[query_id]
        if key in query:
            raise ValueError(f"{query_id}: round {about['round']} is already recorded")
        query[key] = dict(zip(candidates, grades, strict=True))
        query[f"pooled_by_round{about['round']}"] = candidates
        if note:
            query[f"note_round{about['round']}"] = note
        judged_pairs(query)  # raises if a pair was judged before
    about = {**about, "pairs": sum(len(p) for _, p in numbered)}
    data["rounds"] = [*data.get("rounds", []), about]
    judged_set.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    from benchmarks.related_eval import frozen_test_hash

    data[f"test_sha256_round{about['round']}"] = frozen_test_hash(judged_set, all_rounds=True)
    judged_set.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"round {about['round']}: {about['pairs']} pairs over {len(numbered)} queries")


def pool_round_2(library: Library, out: Path, sheet: Path) -> None:
    """Pool the judged set's queries again (``pool_unjudged``) and write the round's sheet."""
    data = json.loads(JUDGED_SET.read_text(encoding="utf-8"))
    rng = random.Random(SEED + 2)
    aliases = copy_aliases(library)
    pools = {q["id"]: pool_unjudged(library, q, rng, aliases) for q in data["queries"]}
    out.write_text(json.dumps(pools, indent=1), encoding="utf-8")
    write_sheet(library, {resolve_copy(q, aliases): p for q, p in pools.items() if p}, sheet)
    sizes = [len(p) for p in pools.values()]
    print(f"round 2: {sum(sizes)} unjudged pairs over {sum(1 for s in sizes if s)} queries")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="pool JSON to write")
    parser.add_argument("--sheet", type=Path, required=True, help="judging sheet to write")
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help="workspace cache")
    parser.add_argument(
        "--assemble", type=Path, help="grade lines: write the judged set to data/ instead"
    )
    parser.add_argument("--round", type=int, choices=(2,), help="pool a later round")
    parser.add_argument("--assemble-round", type=Path, help="grade lines of the later round")
    parser.add_argument("--judge", default="", help="who judged the later round")
    args = parser.parse_args(argv)
    if args.assemble_round:
        about = {
            "round": args.round or 2,
            "judge": args.judge,
            "date": datetime.now(UTC).date().isoformat(),
            "guidelines_version": GUIDELINES_VERSION,
            "pooled": [name for name, _ in round_2_methods()],
            "depth": POOL_DEPTH,
        }
        pools = json.loads(args.out.read_text(encoding="utf-8"))
        assemble_round(pools, args.assemble_round, JUDGED_SET, about)
        return 0
    if args.round == 2:
        pool_round_2(open_eval_library(args.cache, semantic=True), args.out, args.sheet)
        return 0
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
