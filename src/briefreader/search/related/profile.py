"""What the paragraph is about: its weighted key terms (document frequency taken outside its
own article), its names, its entity keys weighted by idf, its figures."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from briefreader.models import Article, Passage
from briefreader.search.figures import extract_figures
from briefreader.search.index.terms import analyse_terms
from briefreader.search.related.model import Profile, RelatedOptions
from briefreader.search.related.stats import NAME_BOOST, SearcherStats, idf
from briefreader.search.related.vocabulary import (
    bigrams,
    credit_terms,
    folded,
    is_evidence,
    name_particle_terms,
    never_evidence,
)

if TYPE_CHECKING:
    from briefreader.search.backend import SearchBackend

# Entities in more than this share of documents (the country every article is about) are
# background, not a reason to relate two paragraphs: their weight fades to none at twice it.
ENTITY_MAX_SHARE = 0.05


def profile(
    library: SearchBackend,
    stats: SearcherStats,
    article: Article,
    passage: Passage,
    own_docs: set[int],
    options: RelatedOptions,
) -> Profile:
    """Weighted key terms of the paragraph, its names, entities and figures."""
    counts, surface, names, sequence = folded(
        analyse_terms(stats.analyzer, passage.text), stats.fold
    )
    own = own_article_frequencies(stats, own_docs)
    weights = {}
    credits = credit_terms(stats.analyzer, passage.text)
    for term, count in counts.items():
        outside = stats.key_df("body", term) - own.get(term, 0)
        if outside <= 0 or term in credits or never_evidence(surface.get(term, term)):
            continue
        weight = (1.0 + math.log(count)) * idf(stats.total, outside)
        if options.names and term in names:
            weight *= NAME_BOOST
        weights[term] = weight
    top = dict(sorted(weights.items(), key=lambda kv: (-kv[1], kv[0]))[: options.max_terms])
    entities, entity_names = (
        entity_keys(library, stats, article, passage) if options.entities else ({}, {})
    )
    figures = extract_figures(passage.text) if options.figures else []
    return Profile(
        top,
        weights,
        counts,
        bigrams(sequence),
        surface,
        names & set(top),
        entities,
        entity_names,
        figures,
        frozenset(stats.fold.get(t, t) for t in name_particle_terms(stats.analyzer, passage.text)),
    )


def own_article_frequencies(stats: SearcherStats, own_docs: set[int]) -> Counter[str]:
    """Document frequency of each key term inside the article (its passages plus the article)."""
    frequencies: Counter[str] = Counter()
    for docnum in own_docs:
        frequencies.update(stats.stored(docnum)[1].counts.keys())
    for term in frequencies:
        frequencies[term] += 1  # the article document holds every term of its passages
    return frequencies


def common_entity_factor(frequency: int, total: int) -> float:
    """How much of its weight an entity in ``frequency`` of ``total`` documents keeps: all of
    it up to ``ENTITY_MAX_SHARE``, then less and less, none from twice that share. A fade, not
    a cliff: in a small corpus one more paragraph naming it must not turn full evidence into
    none."""
    share = frequency / max(total, 1)
    if share <= ENTITY_MAX_SHARE:
        return 1.0
    return max(0.0, 2.0 - share / ENTITY_MAX_SHARE)


def entity_keys(
    library: SearchBackend, stats: SearcherStats, article: Article, passage: Passage
) -> tuple[dict[str, float], dict[str, str]]:
    """The paragraph's entity keys weighted by idf, and a display name for each (or empty)."""
    mentions = stored_mentions(library, article)
    inside = [
        m for m in mentions if passage.start <= m.start and m.end <= passage.end and is_evidence(m)
    ]
    if not inside:
        return {}, {}
    from briefreader.text.entities.store import mention_terms

    keys: dict[str, float] = {}
    names: dict[str, str] = {}
    for mention in inside:
        for key in mention_terms(mention):
            frequency = stats.df("entity", key)
            share = common_entity_factor(frequency, stats.total)
            if frequency > 1 and share > 0:
                keys[key] = idf(stats.total, frequency) * share
                names.setdefault(key, mention.name or mention.text)
    return keys, names


def stored_mentions(library: SearchBackend, article: Article) -> Sequence[Any]:
    """Entity mentions the indexer stored with the article (none when entities are off)."""
    try:
        payload = library.extra(article.id)
    except KeyError:
        return ()
    if not payload.get("entities"):
        return ()
    from briefreader.text.entities.store import from_payload

    try:
        return from_payload(article, payload) or ()
    except (KeyError, TypeError, ValueError):
        return ()
