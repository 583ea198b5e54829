"""Candidate gathering: passages of other articles reached by the paragraph's key terms
(term-at-a-time over the postings, within a budget, re-scored with BM25), by its entities,
and with the semantic extra by embedding."""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable, Sequence

from briefreader.search.related.model import Candidate, Profile, RelatedOptions
from briefreader.search.related.stats import SearcherStats, bm25
from briefreader.search.related.vocabulary import members

# Candidate gathering reads at most about this many postings (a bound on latency at scale).
POSTINGS_BUDGET = 20_000
MIN_GATHER_TERMS = 4


def lexical_candidates(
    stats: SearcherStats, own: set[int], profile: Profile, options: RelatedOptions
) -> dict[str, Candidate]:
    """Passages of other articles sharing the most key-term weight.

    Term-at-a-time over the postings (``weight × idf × tf-saturation`` per term) picks twice
    ``options.candidates``; those are re-scored with BM25's length norm from their stored key
    terms and the best kept. A candidate's score is divided by the paragraph's score against
    itself, which makes scores comparable between paragraphs.
    """
    if not profile.weights:
        return {}
    scores: dict[int, float] = {}
    stats.accumulate("body", within_budget(stats, weighted(stats, profile)), scores)
    for docnum in own:
        scores.pop(docnum, None)
    wide = heapq.nlargest(2 * options.candidates, scores, key=lambda d: (scores[d], -d))
    found = [candidate(stats, docnum) for docnum in wide]
    lexical_shares(stats, profile, found)
    found.sort(key=lambda c: (-c.lexical, c.docnum))
    return {c.passage_id: c for c in found[: options.candidates]}


def weighted(stats: SearcherStats, profile: Profile) -> dict[str, float]:
    """The query's key-term weights times idf (what BM25 sums)."""
    return {t: w * stats.idf("body", t) for t, w in profile.weights.items()}


def lexical_shares(stats: SearcherStats, profile: Profile, found: Iterable[Candidate]) -> None:
    """Set each candidate's ``lexical``: its BM25 over the paragraph's BM25 against itself.

    The divisor is never less than a typical paragraph's score against itself
    (``reference_self_score``): a paragraph that says little — a byline, "Sometimes the
    messenger is al-Sudani." — would otherwise be fully matched by any passage repeating its
    one or two names, however common they are.
    """
    query = weighted(stats, profile)
    own_score = bm25(query, profile.counts, sum(profile.counts.values()), stats)
    own_score = max(own_score, stats.reference_self_score)
    for each in found:
        counts = each.key_terms.counts
        score = bm25(query, counts, len(each.key_terms.sequence), stats)
        each.lexical = min(score / own_score, 1.0) if own_score else 0.0


def within_budget(stats: SearcherStats, query: dict[str, float]) -> list[tuple[str, float]]:
    """The (stem, weight) pairs to gather candidates with: heaviest first, within a budget.

    Each term costs its posting count. Heavy terms are taken while they fit in
    ``POSTINGS_BUDGET`` (the first ``MIN_GATHER_TERMS`` always), so latency stays bounded as
    the corpus grows; skipped terms (common ones, whose long lists say little) still count
    when the gathered candidates are re-scored.
    """
    chosen: list[tuple[str, float]] = []
    spent = 0
    for term, weight in sorted(query.items(), key=lambda kv: (-kv[1], kv[0])):
        cost = stats.key_df("body", term)
        if spent + cost > POSTINGS_BUDGET and len(chosen) >= MIN_GATHER_TERMS:
            continue
        spent += cost
        chosen.extend((member, weight) for member in members(term))
    return chosen


def candidate(stats: SearcherStats, docnum: int) -> Candidate:
    """A candidate from a passage document's stored fields."""
    fields, terms = stats.stored(docnum)
    return Candidate(fields["doc_id"], fields["article_id"], fields.get("text", ""), docnum, terms)


def entity_candidates(
    stats: SearcherStats,
    own: set[int],
    profile: Profile,
    options: RelatedOptions,
    found: dict[str, Candidate],
) -> None:
    """Add passages sharing the paragraph's entities; record shared entities on each."""
    holders = {key: stats.docnums("entity", key) for key in profile.entities}
    mask = stats.mask
    scores: dict[int, float] = {}
    for key, docnums in holders.items():
        for docnum in docnums:
            if mask[docnum] and docnum not in own:
                scores[docnum] = scores.get(docnum, 0.0) + profile.entities[key]
    by_id = {c.passage_id: c for c in found.values()}
    for docnum, _ in sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))[: options.candidates]:
        new = candidate(stats, docnum)
        new = by_id.setdefault(new.passage_id, new)
        found[new.passage_id] = new
    for each in found.values():
        docnum = each.docnum
        each.entities = {key for key, docnums in holders.items() if docnum in docnums}


def nearest_candidates(
    stats: SearcherStats,
    own: set[int],
    profile: Profile,
    nearest: Sequence[tuple[str, str]],
    text_hash: Callable[[str], str],
    found: dict[str, Candidate],
) -> None:
    """Add the passages nearest by embedding (``semantic.DENSE_CANDIDATES`` of them) that
    are still live in the index with the text that was embedded."""
    from briefreader.search.semantic import DENSE_CANDIDATES

    taken = 0
    new = []
    for passage_id, key in nearest:
        if taken >= DENSE_CANDIDATES:
            break
        if passage_id in found:
            taken += 1
            continue
        docnum = stats.index.document_number(passage_id)
        if docnum is None or not stats.mask[docnum] or docnum in own:
            continue
        added = candidate(stats, docnum)
        if text_hash(added.text) == key:
            taken += 1
            new.append(added)
            found[passage_id] = added
    if profile.weights:
        lexical_shares(stats, profile, new)
