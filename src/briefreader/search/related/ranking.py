"""The ranking, stage after stage: profile the paragraph, gather candidates, score them,
fuse the semantic extra's cosine, cut at the floor and threshold, explain what is shown."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from briefreader.models import Article, Passage
from briefreader.search.related.cache import cache_for
from briefreader.search.related.calibration import shown_count
from briefreader.search.related.candidates import (
    entity_candidates,
    lexical_candidates,
    nearest_candidates,
)
from briefreader.search.related.explain import figure_lines, related_item
from briefreader.search.related.model import (
    SCORE_DECIMALS,
    RelatedOptions,
    RelatedResult,
    UnknownPassage,
)
from briefreader.search.related.profile import profile as paragraph_profile
from briefreader.search.related.scoring import rescore_lexical, score
from briefreader.search.related.stats import stats_for

if TYPE_CHECKING:
    from briefreader.search.backend import SearchBackend


def find_related(
    library: SearchBackend,
    passage_id: str,
    limit: int = 5,
    options: RelatedOptions | None = None,
) -> RelatedResult:
    """The passages of other articles most related to ``passage_id``, best first.

    Thread-safe (holds ``library.lock`` while searching) and cached per passage until the
    library is refreshed. Options default to the workspace's ``[related]`` settings.

    Raises:
        UnknownPassage: no passage has this id.
    """
    options = options or options_for(library)
    cache = cache_for(library)
    key = (passage_id, limit, options)
    cached = cache.get(key)
    if cached is not None:
        return cached
    try:
        article, passage = library.passage(passage_id)
    except KeyError as error:
        raise UnknownPassage(passage_id) from error
    result = rank(library, article, passage, limit, options)
    cache.put(key, result)
    return result


def options_for(library: SearchBackend) -> RelatedOptions:
    """Options from the workspace's ``[related]`` settings (``semantic``, ``threshold``)."""
    section = library.settings().section("related")
    options = RelatedOptions(semantic=bool(section.get("semantic", False)))
    if isinstance(section.get("threshold"), int | float):
        options = replace(options, threshold=float(section["threshold"]))
    return options


def rank(
    library: SearchBackend, article: Article, passage: Passage, limit: int, options: RelatedOptions
) -> RelatedResult:
    """Profile the paragraph, gather candidates, score, explain, cut at the threshold."""
    semantic, notice = semantic_module() if options.semantic else (None, "")
    nearest: list[tuple[str, str]] = []
    if semantic is not None:  # before taking the library lock: may embed the paragraph
        nearest, notice = semantic.nearest_passages(library, passage)
    with library.lock:
        stats = stats_for(library)
        own = {d for d in stats.docnums("article_id", article.id) if stats.mask[d]}
        profile = paragraph_profile(library, stats, article, passage, own, options)
        candidates = lexical_candidates(stats, own, profile, options)
        if options.entities and profile.entities:
            entity_candidates(stats, own, profile, options, candidates)
        if nearest and semantic is not None:
            nearest_candidates(stats, own, profile, nearest, semantic.text_hash, candidates)
        for candidate in candidates.values():
            rescore_lexical(candidate, profile, stats, options)
            score(candidate, profile, stats, options)
    if semantic is not None and candidates:
        weight = options.semantic_weight
        weight = semantic.SEMANTIC_WEIGHT if weight is None else weight
        notice = semantic.rerank(library, passage, list(candidates.values()), weight) or notice
    if options.semantic and semantic is None:  # extra missing: lexical scores, lexical cut
        options = replace(options, semantic=False)
    ranked = sorted(candidates.values(), key=lambda c: (-c.score, c.passage_id))
    # The cut and the "loosely related" flag read the score as shown (4 decimals), so a
    # shown 0.26 is never "below the threshold 0.26".
    shown_scores = [round(c.score, SCORE_DECIMALS) for c in ranked]
    visible = shown_count(shown_scores, options.cutoff, options.floor_cutoff)
    shown = ranked[: min(visible, limit)]
    items = tuple(related_item(library, c, profile) for c in shown)
    subjects, lines = figure_lines(profile.figures, [c.figures for c in shown])
    hidden = len(ranked) - visible
    return RelatedResult(
        passage.id,
        article.id,
        items,
        options.cutoff,
        tuple(profile.figures),
        lines,
        hidden,
        notice,
        loosely_related=bool(shown) and shown_scores[0] < options.cutoff,
        figure_subjects=subjects,
    )


def semantic_module() -> tuple[Any, str]:
    """``search.semantic`` when the extra is installed, else None and the reason."""
    from briefreader.search import semantic

    reason = semantic.available()
    if reason:
        return None, f"semantic ranking off: {reason}"
    return semantic, ""
