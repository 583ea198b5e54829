"""Scoring a gathered candidate: the tf-idf cosine mixed with its BM25 share, a bonus for
shared adjacent term pairs, the share of the paragraph's entity weight, and a bonus for a
figure about the same subject."""

from __future__ import annotations

import math

from briefreader.search.figures import shared_subjects
from briefreader.search.related.model import Candidate, Profile, RelatedOptions
from briefreader.search.related.stats import SearcherStats
from briefreader.search.related.vocabulary import bigrams

ENTITY_WEIGHT = 0.1
FIGURE_BONUS = 0.15
COSINE_MIX = 0.5
BIGRAM_BONUS = 0.1


def rescore_lexical(
    candidate: Candidate,
    profile: Profile,
    stats: SearcherStats,
    options: RelatedOptions,
) -> None:
    """Cosine of tf-idf vectors (both sides), mixed with the query-side share, + bigrams."""
    key_terms = candidate.key_terms
    candidate.terms = {t for t in key_terms.counts if t in profile.weights}
    weights, norm = stats.vector(candidate.docnum, options.names)
    dot = sum(w * profile.vector.get(t, 0.0) for t, w in weights.items())
    query_norm = math.sqrt(sum(w * w for w in profile.vector.values()))
    cosine = dot / (norm * query_norm) if norm and query_norm else 0.0
    candidate.lexical = COSINE_MIX * cosine + (1 - COSINE_MIX) * candidate.lexical
    shared = len(profile.bigrams & bigrams(key_terms.sequence))
    candidate.lexical += BIGRAM_BONUS * min(shared, 3) / 3


def score(
    candidate: Candidate, profile: Profile, stats: SearcherStats, options: RelatedOptions
) -> None:
    """Lexical share, plus the share of entity weight, plus a bonus for a shared figure."""
    total_score = candidate.lexical
    if candidate.entities and profile.entities:
        total = sum(profile.entities.values())
        shared = sum(profile.entities.get(k, 0.0) for k in candidate.entities)
        total_score += ENTITY_WEIGHT * shared / total
    if options.figures and profile.figures:
        candidate.figures = stats.figures(candidate.docnum, candidate.text)
        if shared_subjects(profile.figures, candidate.figures):
            total_score += FIGURE_BONUS
    candidate.score = total_score
