"""The ranking's types: its options and results (public), and what flows between its stages
(a paragraph's ``Profile``, a passage's ``KeyTerms``, a ``Candidate`` being scored)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from briefreader.models import parse_passage_id
from briefreader.search.figures import Figure
from briefreader.search.related.calibration import (
    DEFAULT_FLOOR,
    DEFAULT_THRESHOLD,
    SEMANTIC_FLOOR,
    SEMANTIC_THRESHOLD,
)

SCORE_DECIMALS = 4  # a related item's score as shown, cut and flagged

# The query is the paragraph's 32 heaviest key terms (24 before): with names no longer
# boosted, 24 dropped names and words long paragraphs share ("US", "Iran"). Dev nDCG@5 is the
# same for 24, 40 and all terms (0.691 / 0.689 / 0.688); all terms doubled the time per
# paragraph (BBC x1, loaded machine: p50 250 ms against 130 ms at 24 and 187 ms at 32).
MAX_QUERY_TERMS: int | None = 32


class UnknownPassage(KeyError):
    """No passage has this id (the message says which)."""

    def __str__(self) -> str:
        passage_id = self.args[0]
        if isinstance(passage_id, str) and parse_passage_id(passage_id) is not None:
            return f"no passage with id {passage_id!r} in the index (removed, or re-indexed?)"
        return f"no passage with id {passage_id!r} (ids look like ARTICLE-ID:p3)"


@dataclass(frozen=True)
class RelatedOptions:
    """Knobs of the ranking; the defaults are the tuned ones.

    ``entities`` uses stored entity mentions, ``figures`` the shared-figure bonus, ``semantic``
    the optional embeddings (nearest passages and score fusion, ``semantic_weight`` the share
    of the centred cosine, None for ``semantic.SEMANTIC_WEIGHT``); ``threshold`` hides weaker
    matches (0 shows all; None takes the calibrated default of the mode); ``floor`` is the
    score under which nothing is shown, not even as "loosely related" (None: the mode's
    calibrated floor, never above the threshold).
    """

    max_terms: int | None = MAX_QUERY_TERMS
    candidates: int = 30
    entities: bool = True
    figures: bool = True
    names: bool = True
    semantic: bool = False
    threshold: float | None = None
    semantic_weight: float | None = None
    floor: float | None = None

    @property
    def cutoff(self) -> float:
        """The threshold in force."""
        if self.threshold is not None:
            return self.threshold
        return SEMANTIC_THRESHOLD if self.semantic else DEFAULT_THRESHOLD

    @property
    def floor_cutoff(self) -> float:
        """The floor in force (never above the threshold)."""
        if self.floor is not None:
            return min(self.floor, self.cutoff)
        return min(SEMANTIC_FLOOR if self.semantic else DEFAULT_FLOOR, self.cutoff)


@dataclass(frozen=True)
class RelatedItem:
    """One related passage, with the reasons it was chosen."""

    passage_id: str
    article_id: str
    title: str
    score: float
    text: str
    why: str
    figures: tuple[Figure, ...] = ()
    shared_terms: tuple[str, ...] = ()
    shared_entities: tuple[str, ...] = ()


@dataclass(frozen=True)
class RelatedResult:
    """The related passages of one paragraph, best first.

    ``figures_lines`` put figures about the same subject side by side ("160 · 91 · 70
    attacks"); ``below_threshold`` counts candidates that were found but hidden;
    ``loosely_related`` is True when the best is under the threshold but over the floor, so
    only the best one or two are shown, as "loosely related".
    """

    passage_id: str
    article_id: str
    items: tuple[RelatedItem, ...]
    threshold: float
    figures: tuple[Figure, ...] = ()
    figures_lines: tuple[str, ...] = ()
    below_threshold: int = 0
    notice: str = ""
    loosely_related: bool = False
    figure_subjects: tuple[str, ...] = ()  # the subject of each of ``figures_lines``

    @property
    def nothing_related(self) -> bool:
        """True when no other article says anything close enough to show."""
        return not self.items


@dataclass
class Profile:
    """What a paragraph is about: weighted key terms, names, entities, figures."""

    weights: dict[str, float]
    vector: dict[str, float]
    counts: Counter[str]
    bigrams: set[tuple[str, str]]
    surface: dict[str, str]
    names: set[str]
    entities: dict[str, float]
    entity_names: dict[str, str]
    figures: list[Figure]
    # Terms the paragraph uses only as a particle of a name ("al" of "al-Sudani"): evidence
    # like any term, but no reason to show on their own.
    particles: frozenset[str] = frozenset()


@dataclass(frozen=True)
class KeyTerms:
    """A passage's key terms: counts, the terms that are names, the sequence (for bigrams)."""

    counts: Counter[str]
    names: frozenset[str]
    sequence: tuple[str, ...]


@dataclass
class Candidate:
    """A passage of another article being scored against the paragraph."""

    passage_id: str
    article_id: str
    text: str
    docnum: int
    key_terms: KeyTerms
    lexical: float = 0.0
    terms: set[str] = field(default_factory=set)
    entities: set[str] = field(default_factory=set)
    figures: list[Figure] = field(default_factory=list)
    semantic: float | None = None
    score: float = 0.0
