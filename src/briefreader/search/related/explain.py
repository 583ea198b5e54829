"""Explaining a result: each shown passage as a ``RelatedItem`` with its ``why`` line
(shared entities, key terms, figures), and the figures side by side ("160 · 91 · 70
attacks")."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from briefreader.search.figures import Figure, shared_subjects, side_by_side
from briefreader.search.related.model import SCORE_DECIMALS, Candidate, Profile, RelatedItem

if TYPE_CHECKING:
    from briefreader.search.backend import SearchBackend


def related_item(library: SearchBackend, candidate: Candidate, profile: Profile) -> RelatedItem:
    """The shown form of a scored candidate, with what it shares with the paragraph."""
    summary = library.summary(candidate.article_id)
    subjects = shared_subjects(profile.figures, candidate.figures)
    figures = tuple(f for f in candidate.figures if f.subject in subjects)
    terms = shared_terms(candidate, profile)
    keys = sorted(candidate.entities, key=lambda k: (-profile.entities.get(k, 0.0), k))
    entities = tuple(dict.fromkeys(profile.entity_names.get(k, k) for k in keys))
    return RelatedItem(
        passage_id=candidate.passage_id,
        article_id=candidate.article_id,
        title=summary.title if summary else candidate.article_id,
        score=round(candidate.score, SCORE_DECIMALS),
        text=candidate.text,
        why=why(entities, terms, figures),
        figures=figures,
        shared_terms=terms,
        shared_entities=entities,
    )


def shared_terms(candidate: Candidate, profile: Profile) -> tuple[str, ...]:
    """Shared key terms, heaviest first, as the words the paragraph uses; name particles
    ("Al" of "al-Sudani", "bin", "von") are part of a name, not a term on their own."""
    shown = candidate.terms - profile.particles
    ordered = sorted(shown, key=lambda t: (-profile.weights.get(t, 0.0), t))
    return tuple(profile.surface.get(t, t) for t in ordered)


def why(entities: Sequence[str], terms: Sequence[str], figures: Iterable[Figure]) -> str:
    """One line: "entities: Renad Mansour · terms: withdrawal, troops · figures: 91 attacks"."""
    parts = []
    if entities:
        parts.append("entities: " + ", ".join(entities[:4]))
    if terms:
        parts.append("terms: " + ", ".join(terms[:6]))
    labels = [f.label for f in figures]
    if labels:
        parts.append("figures: " + ", ".join(labels[:3]))
    return " · ".join(parts)


def figure_lines(
    own: Sequence[Figure], others: Sequence[Sequence[Figure]]
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Side-by-side lines for every subject the paragraph and a related passage both count,
    and the subject of each line."""
    subjects, lines = [], []
    for subject in dict.fromkeys(f.subject for f in own if f.comparable):
        line = side_by_side([own, *others], subject)
        if line:
            subjects.append(subject)
            lines.append(line)
    return tuple(subjects), tuple(lines)
