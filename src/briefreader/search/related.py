"""Related passages: for one paragraph, what the *other* articles say about the same thing.

The ranking runs on the passage documents of the index:

1. **Key terms.** The paragraph is analysed with the index's own analyzer (stemmed), general
   news synonyms folded (``SYNONYM_GROUPS``); each term is weighted ``(1 + log tf) × idf``,
   where the document frequency leaves out the paragraph's own article (a term only that
   article uses cannot find anything elsewhere). Names weigh like other words; agency and
   credit names, credit-line words and months are never evidence. The top ``max_terms`` key
   terms (32) gather candidates by term-at-a-time scoring over their posting blocks
   (``search/postings.py``, within a postings budget), own article left out; the best are
   re-scored with BM25 and the tf-idf cosine from the key terms each passage document stores
   (``passage_terms``), never re-analysing text.
2. **Entities.** When the entities engine has stored mentions with the article, the paragraph's
   canonical entity keys (idf-weighted; dates and agencies left out) query the ``entity``
   field; a candidate's share of the paragraph's entity weight is added to its score. Without
   stored entities this part is silent.
3. **Figures.** Candidates that state a quantity about the same subject (attacks, troops) get
   a bonus, and the figures are shown side by side ("160 · 91 · 70 attacks"); "two countries"
   is not a stated quantity (``Figure.claim``).

Scores are made comparable across paragraphs by dividing the lexical score by the score of the
paragraph against itself (or a typical paragraph's, when larger), so one floor and one
threshold per mode (``DEFAULT_FLOOR``, ``DEFAULT_THRESHOLD``, calibrated on the dev split of
the judged set in ``benchmarks/data``) decide "nothing related" and "loosely related".
Results are cached per passage until the library's searcher changes (``SearchBackend.refresh``).

The optional semantic ranking (``[related] semantic = true``, extra ``briefreader[semantic]``)
lives in ``search/semantic.py`` and is imported only when asked for: the passages nearest by
embedding join the candidates, and a centred cosine is fused into every candidate's score.
"""

from __future__ import annotations

import heapq
import itertools
import math
import re
import statistics
import threading
import weakref
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from briefreader.models import Article, Passage
from briefreader.search.figures import Figure, extract_figures, shared_subjects, side_by_side
from briefreader.search.index.terms import (
    CALENDAR_WORDS,
    NAME_MARK,
    AnalysedTerms,
    analyse_terms,
    passage_terms,
    word_set,
)
from briefreader.search.postings import K1

if TYPE_CHECKING:
    from briefreader.search.backend import PassageStatistics, SearchBackend


# "Closely related" thresholds and "nothing related" floors, per mode, chosen on the dev split
# of the judged set by the rule in ``benchmarks.related_eval.choose``
# (``python -m benchmarks.related_eval --calibrate [--semantic]``; docs/related.md).
DEFAULT_THRESHOLD = 0.26
SEMANTIC_THRESHOLD = 0.28
# Proper names are weighted by their idf like any other term. A boost on top favoured the
# names every article repeats ("Prime Minister", the country's leader) over the words that
# carry the claim; dev nDCG@5 0.685 unboosted against 0.675 boosted.
NAME_BOOST = 1.0
# The query is the paragraph's 32 heaviest key terms (24 before): with names no longer
# boosted, 24 dropped names and words long paragraphs share ("US", "Iran"). Dev nDCG@5 is the
# same for 24, 40 and all terms (0.691 / 0.689 / 0.688); all terms doubled the time per
# paragraph (BBC x1, loaded machine: p50 250 ms against 130 ms at 24 and 187 ms at 32).
MAX_QUERY_TERMS: int | None = 32
ENTITY_WEIGHT = 0.1
# Entities in more than this share of documents (the country every article is about) are
# background, not a reason to relate two paragraphs.
ENTITY_MAX_SHARE = 0.05
FIGURE_BONUS = 0.15
COSINE_MIX = 0.5
BIGRAM_BONUS = 0.1
BM25_B = 0.75
# Candidate gathering reads at most about this many postings (a bound on latency at scale).
POSTINGS_BUDGET = 20_000
MIN_GATHER_TERMS = 4
KEY_TERM_SHARE = 0.85
# Below the floor nothing is shown. Between the floor and the threshold the best
# ``LOOSE_ITEMS`` are shown as "loosely related"; once the best clears the threshold every
# candidate down to the floor is listed.
DEFAULT_FLOOR = 0.18
SEMANTIC_FLOOR = 0.24
LOOSE_ITEMS = 2
# News agencies and picture credits say who reported or photographed a story, never what it
# is about: never evidence, neither as entities nor as key terms (name keys, lower case).
CREDIT_NAMES = frozenset(
    {
        "reuters",
        "ap",
        "afp",
        "associated press",
        "agence france-presse",
        "agence france presse",
        "getty",
        "getty images",
        "epa",
        "xinhua",
        "upi",
        "dpa",
        "ansa",
        "efe",
        "kyodo",
        "yonhap",
        "press association",
        "pa",
        "bloomberg",
    }
)
# Words of credit and byline lines ("X reported from Beirut. Y contributed to this report"):
# they say who wrote a paragraph, like the reporting verbs the key terms already leave out.
CREDIT_WORDS = word_set("reported reporting contributed contributing photo photos")
_CREDIT_NAME_RE = re.compile(
    r"\b(?:" + "|".join(re.escape(n) for n in sorted(CREDIT_NAMES, key=len, reverse=True)) + r")\b",
    re.IGNORECASE,
)
# Entity types that are never evidence of the same event: dates ("March", "last week").
UNRELATING_TYPES = frozenset({"DATE"})

# Different words for the same thing in news text, folded to one key term before weighting
# and matching (general vocabulary, not tuned per corpus; see docs/related.md). One group
# per line; a word's stem stands for every inflection ("withdrawal", "withdraw" share one).
SYNONYM_GROUPS = (
    "withdrawal withdraw withdrawn drawdown pullout",
    "waiver exemption exempt waive",
    "ceasefire truce",
    "purchase buy bought",
    "acquisition takeover",
    "lawmaker legislator",
    "film movie",
    "kidnapping kidnap abduction abduct",
    "militant insurgent",
    "phone cellphone handset smartphone",
    "poll survey",
    "forecast prediction predict",
    "resign quit",
    "jail prison imprison",
    "murder homicide",
    "troop soldier",
    "hostage captive",
    "agreement accord pact",
    "lawsuit litigation",
    "unemployment jobless joblessness",
)


class UnknownPassage(KeyError):
    """No passage has this id (the message says which)."""

    def __str__(self) -> str:
        return f"no passage with id {self.args[0]!r} (ids look like ARTICLE-ID:p3)"


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
class _Profile:
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


@dataclass(frozen=True)
class _Terms:
    """A passage's key terms: counts, the terms that are names, the sequence (for bigrams)."""

    counts: Counter[str]
    names: frozenset[str]
    sequence: tuple[str, ...]


@dataclass
class _Candidate:
    passage_id: str
    article_id: str
    text: str
    docnum: int
    key_terms: _Terms
    lexical: float = 0.0
    terms: set[str] = field(default_factory=set)
    entities: set[str] = field(default_factory=set)
    figures: list[Figure] = field(default_factory=list)
    semantic: float | None = None
    score: float = 0.0


class _SearcherStats:
    """Per-snapshot memo over the backend's ``PassageStatistics``: idfs, vectors, figures,
    candidates' stored key terms.

    Bounded, and dropped with the snapshot (``refresh`` makes a new one), so it never
    outlives the index it describes.
    """

    MAX_STORED = 20_000
    REFERENCE_SAMPLE = 200
    MAX_DF_ENTRIES = 200_000

    def __init__(self, index: PassageStatistics) -> None:
        self.index = index
        self.analyzer = index.analyzer
        self.mask = index.mask
        self.total = index.total
        self.passages = index.passages
        self.df = index.df
        self.docnums = index.docnums
        self.accumulate = index.accumulate
        self.fold = _synonyms(self.analyzer)
        self._stored: dict[int, tuple[dict[str, Any], _Terms]] = {}
        self._average: float | None = None
        self._idfs: dict[tuple[str, str], float] = {}
        self._vectors: dict[tuple[int, bool], tuple[dict[str, float], float]] = {}
        self._figures: dict[int, list[Figure]] = {}
        self._reference: float | None = None

    def idf(self, fieldname: str, term: str) -> float:
        """idf of a key term (memoised)."""
        key = (fieldname, term)
        found = self._idfs.get(key)
        if found is None:
            if len(self._idfs) > self.MAX_DF_ENTRIES:
                self._idfs.clear()
            found = self._idfs[key] = _idf(self.total, max(self.key_df(fieldname, term), 1))
        return found

    def vector(self, docnum: int, names: bool) -> tuple[dict[str, float], float]:
        """A passage's tf-idf weights (names boosted when ``names``) and their norm (memoised)."""
        key = (docnum, names)
        found = self._vectors.get(key)
        if found is None:
            if len(self._vectors) > self.MAX_STORED:
                self._vectors.clear()
            terms = self.stored(docnum)[1]
            weights = {}
            for term, count in terms.counts.items():
                weight = (1.0 + math.log(count)) * self.idf("body", term)
                weights[term] = weight * NAME_BOOST if names and term in terms.names else weight
            norm = math.sqrt(sum(w * w for w in weights.values()))
            found = self._vectors[key] = (weights, norm)
        return found

    @property
    def reference_self_score(self) -> float:
        """The median score of a passage against itself, over an evenly spaced sample of live
        passages (memoised): what a typical paragraph has to say."""
        if self._reference is None:
            live = [docnum for docnum, flag in enumerate(self.mask) if flag]
            step = max(len(live) // self.REFERENCE_SAMPLE, 1)
            scores = [self._self_score(docnum) for docnum in live[::step]]
            self._reference = statistics.median(scores) if scores else 0.0
        return self._reference

    def _self_score(self, docnum: int) -> float:
        """A passage's BM25 against its own top key terms (as a query profile weighs them)."""
        terms = self.stored(docnum)[1]
        weights = {t: (1.0 + math.log(c)) * self.idf("body", t) for t, c in terms.counts.items()}
        top = sorted(weights.items(), key=lambda kv: (-kv[1], kv[0]))[:MAX_QUERY_TERMS]
        weighted = {t: w * self.idf("body", t) for t, w in top}
        return _bm25(weighted, terms.counts, len(terms.sequence), self)

    def figures(self, docnum: int, text: str) -> list[Figure]:
        """``extract_figures`` of a passage (memoised)."""
        found = self._figures.get(docnum)
        if found is None:
            if len(self._figures) > self.MAX_STORED:
                self._figures.clear()
            found = self._figures[docnum] = extract_figures(text)
        return found

    def key_df(self, fieldname: str, term: str) -> int:
        """Document frequency of a key term: summed over its synonyms (an upper bound)."""
        return sum(self.df(fieldname, member) for member in _members(term))

    @property
    def average_key_terms(self) -> float:
        """Average key-term count of a passage, estimated from the ``body`` field length.

        Article documents repeat their passages' text, so passages hold about half of the
        field's tokens; key terms (query stop words out) are about 0.85 of the tokens.
        """
        if self._average is None:
            tokens = self.index.field_length("body") / 2
            self._average = max(KEY_TERM_SHARE * tokens / max(self.passages, 1), 1.0)
        return self._average

    def stored(self, docnum: int) -> tuple[dict[str, Any], _Terms]:
        """Stored fields of a passage document and its key terms (memoised)."""
        found = self._stored.get(docnum)
        if found is None:
            if len(self._stored) > self.MAX_STORED:
                self._stored.clear()
            fields = self.index.stored_fields(docnum)
            packed = fields.get("terms")
            if packed is None:  # an index written before key terms were stored
                packed = passage_terms(fields.get("text", ""), self.analyzer)
            found = self._stored[docnum] = (fields, _unpack_terms(packed, self.fold))
        return found


def _unpack_terms(packed: str, fold: dict[str, str]) -> _Terms:
    """Parse ``passage_terms`` output, synonyms folded."""
    sequence = []
    names = set()
    for word in packed.split():
        if word.startswith(NAME_MARK):
            word = fold.get(word[len(NAME_MARK) :], word[len(NAME_MARK) :])
            names.add(word)
        else:
            word = fold.get(word, word)
        sequence.append(word)
    return _Terms(Counter(sequence), frozenset(names), tuple(sequence))


_STATS: weakref.WeakKeyDictionary[Any, _SearcherStats] = weakref.WeakKeyDictionary()


def _stats_for(library: SearchBackend) -> _SearcherStats:
    """The memo of the library's snapshot (call with the library lock held)."""
    snapshot = library.snapshot
    stats = _STATS.get(snapshot)
    if stats is None:
        stats = _STATS[snapshot] = _SearcherStats(library.passage_statistics())
    return stats


# ---------------------------------------------------------------------------- public API


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
    cache = _cache_for(library)
    key = (passage_id, limit, options)
    cached = cache.get(key)
    if cached is not None:
        return cached
    try:
        article, passage = library.passage(passage_id)
    except KeyError as error:
        raise UnknownPassage(passage_id) from error
    result = _rank(library, article, passage, limit, options)
    cache.put(key, result)
    return result


def options_for(library: SearchBackend) -> RelatedOptions:
    """Options from the workspace's ``[related]`` settings (``semantic``, ``threshold``)."""
    section = library.settings().section("related")
    options = RelatedOptions(semantic=bool(section.get("semantic", False)))
    if isinstance(section.get("threshold"), int | float):
        options = replace(options, threshold=float(section["threshold"]))
    return options


# ---------------------------------------------------------------------------- ranking


def _rank(
    library: SearchBackend, article: Article, passage: Passage, limit: int, options: RelatedOptions
) -> RelatedResult:
    """Profile the paragraph, gather candidates, score, explain, cut at the threshold."""
    semantic, notice = _semantic_module() if options.semantic else (None, "")
    nearest: list[tuple[str, str]] = []
    if semantic is not None:  # before taking the library lock: may embed the paragraph
        nearest, notice = semantic.nearest_passages(library, passage)
    with library.lock:
        stats = _stats_for(library)
        own = {d for d in stats.docnums("article_id", article.id) if stats.mask[d]}
        profile = _profile(library, stats, article, passage, own, options)
        candidates = _lexical_candidates(stats, own, profile, options)
        if options.entities and profile.entities:
            _entity_candidates(stats, own, profile, options, candidates)
        if nearest and semantic is not None:
            _nearest_candidates(stats, own, profile, nearest, semantic.text_hash, candidates)
        for candidate in candidates.values():
            _rescore_lexical(candidate, profile, stats, options)
            _score(candidate, profile, stats, options)
    if semantic is not None and candidates:
        weight = options.semantic_weight
        weight = semantic.SEMANTIC_WEIGHT if weight is None else weight
        notice = semantic.rerank(library, passage, list(candidates.values()), weight) or notice
    if options.semantic and semantic is None:  # extra missing: lexical scores, lexical cut
        options = replace(options, semantic=False)
    ranked = sorted(candidates.values(), key=lambda c: (-c.score, c.passage_id))
    visible = shown_count([c.score for c in ranked], options.cutoff, options.floor_cutoff)
    shown = ranked[: min(visible, limit)]
    items = tuple(_item(library, c, profile) for c in shown)
    subjects, lines = _figure_lines(profile.figures, [c.figures for c in shown])
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
        loosely_related=bool(shown) and shown[0].score < options.cutoff,
        figure_subjects=subjects,
    )


def shown_count(scores: Sequence[float], cutoff: float, floor: float) -> int:
    """How many of ``scores`` (best first) the panel shows: none when the best is under
    ``floor``; the best ``LOOSE_ITEMS`` over the floor when it is under ``cutoff``; else
    every one down to the floor."""
    if not scores or scores[0] < floor:
        return 0
    above = sum(1 for score in scores if score >= floor)
    return above if scores[0] >= cutoff else min(above, LOOSE_ITEMS)


def _profile(
    library: SearchBackend,
    stats: _SearcherStats,
    article: Article,
    passage: Passage,
    own_docs: set[int],
    options: RelatedOptions,
) -> _Profile:
    """Weighted key terms of the paragraph, its names, entities and figures."""
    counts, surface, names, sequence = _folded(
        analyse_terms(stats.analyzer, passage.text), stats.fold
    )
    own = _own_article_frequencies(stats, own_docs)
    weights = {}
    credits = _credit_terms(stats.analyzer, passage.text)
    for term, count in counts.items():
        outside = stats.key_df("body", term) - own.get(term, 0)
        if outside <= 0 or term in credits or _never_evidence(surface.get(term, term)):
            continue
        weight = (1.0 + math.log(count)) * _idf(stats.total, outside)
        if options.names and term in names:
            weight *= NAME_BOOST
        weights[term] = weight
    top = dict(sorted(weights.items(), key=lambda kv: (-kv[1], kv[0]))[: options.max_terms])
    entities, entity_names = (
        _entity_keys(library, stats, article, passage) if options.entities else ({}, {})
    )
    figures = extract_figures(passage.text) if options.figures else []
    return _Profile(
        top,
        weights,
        counts,
        _bigrams(sequence),
        surface,
        names & set(top),
        entities,
        entity_names,
        figures,
    )


def _never_evidence(word: str) -> bool:
    """A key term that relates nothing: an agency name, a credit-line word, a month or weekday
    name."""
    lowered = word.lower()
    if lowered in CREDIT_NAMES or lowered in CREDIT_WORDS:
        return True
    return word[:1].isupper() and lowered in CALENDAR_WORDS


def _credit_terms(analyzer: Any, text: str) -> set[str]:
    """The analysed terms of the agency names the paragraph mentions ("Associated Press")."""
    names = " ".join(match.group(0) for match in _CREDIT_NAME_RE.finditer(text))
    return {token.text for token in analyzer(names, mode="query")} if names else set()


def _folded(analysed: AnalysedTerms, fold: dict[str, str]) -> AnalysedTerms:
    """``analyse_terms`` output with synonyms folded to their group's key term."""
    counts, surface, names, sequence = analysed
    folded: Counter[str] = Counter()
    for term, count in counts.items():
        folded[fold.get(term, term)] += count
    words: dict[str, str] = {}
    for term, word in surface.items():
        words.setdefault(fold.get(term, term), word)
    return folded, words, set(_fold(names, fold)), _fold(sequence, fold)


def _idf(total: int, frequency: int) -> float:
    return math.log(1.0 + (total - frequency + 0.5) / (frequency + 0.5))


_FOLD: dict[str, str] = {}
_MEMBERS: dict[str, tuple[str, ...]] = {}


def _synonyms(analyzer: Any) -> dict[str, str]:
    """Stem -> the group's key term (the first word's stem), built once with the analyzer."""
    if not _FOLD:
        for line in SYNONYM_GROUPS:
            stems = [t.text for word in line.split() for t in analyzer(word, mode="query")]
            members = tuple(dict.fromkeys(stems))
            for stem in members:
                _FOLD.setdefault(stem, members[0])
            _MEMBERS[members[0]] = members
    return _FOLD


def _fold(terms: Iterable[str], fold: dict[str, str]) -> list[str]:
    return [fold.get(t, t) for t in terms]


def _members(term: str) -> tuple[str, ...]:
    """The stems a key term stands for (itself unless it heads a synonym group)."""
    return _MEMBERS.get(term, (term,))


def _bigrams(sequence: Sequence[str]) -> set[tuple[str, str]]:
    return set(itertools.pairwise(sequence))


def _own_article_frequencies(stats: _SearcherStats, own_docs: set[int]) -> Counter[str]:
    """Document frequency of each key term inside the article (its passages plus the article)."""
    frequencies: Counter[str] = Counter()
    for docnum in own_docs:
        frequencies.update(stats.stored(docnum)[1].counts.keys())
    for term in frequencies:
        frequencies[term] += 1  # the article document holds every term of its passages
    return frequencies


def _saturation(tf: float, length_ratio: float = 1.0) -> float:
    """BM25's term-frequency saturation; ``length_ratio`` is length / average length."""
    return tf * (K1 + 1) / (tf + K1 * (1 - BM25_B + BM25_B * length_ratio))


def _lexical_candidates(
    stats: _SearcherStats, own: set[int], profile: _Profile, options: RelatedOptions
) -> dict[str, _Candidate]:
    """Passages of other articles sharing the most key-term weight.

    Term-at-a-time over the postings (``weight × idf × tf-saturation`` per term) picks twice
    ``options.candidates``; those are re-scored with BM25's length norm from their stored key
    terms and the best kept. A candidate's score is divided by the paragraph's score against
    itself, which makes scores comparable between paragraphs.
    """
    if not profile.weights:
        return {}
    weighted = _weighted(stats, profile)
    scores: dict[int, float] = {}
    stats.accumulate("body", _within_budget(stats, weighted), scores)
    for docnum in own:
        scores.pop(docnum, None)
    wide = heapq.nlargest(2 * options.candidates, scores, key=lambda d: (scores[d], -d))
    found = [_candidate(stats, docnum) for docnum in wide]
    _lexical_shares(stats, profile, found)
    found.sort(key=lambda c: (-c.lexical, c.docnum))
    return {c.passage_id: c for c in found[: options.candidates]}


def _weighted(stats: _SearcherStats, profile: _Profile) -> dict[str, float]:
    """The query's key-term weights times idf (what BM25 sums)."""
    return {t: w * stats.idf("body", t) for t, w in profile.weights.items()}


def _lexical_shares(
    stats: _SearcherStats, profile: _Profile, candidates: Iterable[_Candidate]
) -> None:
    """Set each candidate's ``lexical``: its BM25 over the paragraph's BM25 against itself.

    The divisor is never less than a typical paragraph's score against itself
    (``reference_self_score``): a paragraph that says little — a byline, "Sometimes the
    messenger is al-Sudani." — would otherwise be fully matched by any passage repeating its
    one or two names, however common they are.
    """
    weighted = _weighted(stats, profile)
    own_score = _bm25(weighted, profile.counts, sum(profile.counts.values()), stats)
    own_score = max(own_score, stats.reference_self_score)
    for candidate in candidates:
        counts = candidate.key_terms.counts
        score = _bm25(weighted, counts, len(candidate.key_terms.sequence), stats)
        candidate.lexical = min(score / own_score, 1.0) if own_score else 0.0


def _nearest_candidates(
    stats: _SearcherStats,
    own: set[int],
    profile: _Profile,
    nearest: Sequence[tuple[str, str]],
    text_hash: Callable[[str], str],
    candidates: dict[str, _Candidate],
) -> None:
    """Add the passages nearest by embedding (``semantic.DENSE_CANDIDATES`` of them) that
    are still live in the index with the text that was embedded."""
    from briefreader.search.semantic import DENSE_CANDIDATES

    taken = 0
    new = []
    for passage_id, key in nearest:
        if taken >= DENSE_CANDIDATES:
            break
        if passage_id in candidates:
            taken += 1
            continue
        docnum = stats.index.document_number(passage_id)
        if docnum is None or not stats.mask[docnum] or docnum in own:
            continue
        candidate = _candidate(stats, docnum)
        if text_hash(candidate.text) == key:
            taken += 1
            new.append(candidate)
            candidates[passage_id] = candidate
    if profile.weights:
        _lexical_shares(stats, profile, new)


def _within_budget(stats: _SearcherStats, weighted: dict[str, float]) -> list[tuple[str, float]]:
    """The (stem, weight) pairs to gather candidates with: heaviest first, within a budget.

    Each term costs its posting count. Heavy terms are taken while they fit in
    ``POSTINGS_BUDGET`` (the first ``MIN_GATHER_TERMS`` always), so latency stays bounded as
    the corpus grows; skipped terms (common ones, whose long lists say little) still count
    when the gathered candidates are re-scored.
    """
    chosen: list[tuple[str, float]] = []
    spent = 0
    for term, weight in sorted(weighted.items(), key=lambda kv: (-kv[1], kv[0])):
        cost = stats.key_df("body", term)
        if spent + cost > POSTINGS_BUDGET and len(chosen) >= MIN_GATHER_TERMS:
            continue
        spent += cost
        chosen.extend((member, weight) for member in _members(term))
    return chosen


def _bm25(
    weighted: dict[str, float], counts: Counter[str], length: int, stats: _SearcherStats
) -> float:
    """BM25 of a passage's key-term counts against the weighted key terms."""
    ratio = length / stats.average_key_terms
    return sum(w * _saturation(counts[t], ratio) for t, w in weighted.items() if t in counts)


def _candidate(stats: _SearcherStats, docnum: int) -> _Candidate:
    """A candidate from a passage document's stored fields."""
    fields, terms = stats.stored(docnum)
    return _Candidate(fields["doc_id"], fields["article_id"], fields.get("text", ""), docnum, terms)


def _entity_candidates(
    stats: _SearcherStats,
    own: set[int],
    profile: _Profile,
    options: RelatedOptions,
    candidates: dict[str, _Candidate],
) -> None:
    """Add passages sharing the paragraph's entities; record shared entities on each."""
    holders = {key: stats.docnums("entity", key) for key in profile.entities}
    mask = stats.mask
    scores: dict[int, float] = {}
    for key, docnums in holders.items():
        for docnum in docnums:
            if mask[docnum] and docnum not in own:
                scores[docnum] = scores.get(docnum, 0.0) + profile.entities[key]
    by_id = {c.passage_id: c for c in candidates.values()}
    for docnum, _ in sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))[: options.candidates]:
        candidate = _candidate(stats, docnum)
        candidate = by_id.setdefault(candidate.passage_id, candidate)
        candidates[candidate.passage_id] = candidate
    for candidate in candidates.values():
        docnum = candidate.docnum
        candidate.entities = {key for key, docnums in holders.items() if docnum in docnums}


def _entity_keys(
    library: SearchBackend, stats: _SearcherStats, article: Article, passage: Passage
) -> tuple[dict[str, float], dict[str, str]]:
    """The paragraph's entity keys weighted by idf, and a display name for each (or empty)."""
    mentions = _stored_mentions(library, article)
    inside = [
        m for m in mentions if passage.start <= m.start and m.end <= passage.end and _is_evidence(m)
    ]
    if not inside:
        return {}, {}
    from briefreader.text.entities.store import mention_terms

    keys: dict[str, float] = {}
    names: dict[str, str] = {}
    for mention in inside:
        for key in mention_terms(mention):
            frequency = stats.df("entity", key)
            if 1 < frequency <= ENTITY_MAX_SHARE * stats.total:
                keys[key] = _idf(stats.total, frequency)
                names.setdefault(key, mention.name or mention.text)
    return keys, names


def _is_evidence(mention: Any) -> bool:
    """False for mentions that never relate two passages: dates, agencies and credits."""
    if mention.type in UNRELATING_TYPES:
        return False
    from briefreader.text.entities.keys import name_key

    return not ({name_key(mention.text), name_key(mention.name)} & CREDIT_NAMES)


def _stored_mentions(library: SearchBackend, article: Article) -> Sequence[Any]:
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


def _rescore_lexical(
    candidate: _Candidate,
    profile: _Profile,
    stats: _SearcherStats,
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
    shared = len(profile.bigrams & _bigrams(key_terms.sequence))
    candidate.lexical += BIGRAM_BONUS * min(shared, 3) / 3


def _score(
    candidate: _Candidate, profile: _Profile, stats: _SearcherStats, options: RelatedOptions
) -> None:
    """Lexical share, plus the share of entity weight, plus a bonus for a shared figure."""
    score = candidate.lexical
    if candidate.entities and profile.entities:
        total = sum(profile.entities.values())
        shared = sum(profile.entities.get(k, 0.0) for k in candidate.entities)
        score += ENTITY_WEIGHT * shared / total
    if options.figures and profile.figures:
        candidate.figures = stats.figures(candidate.docnum, candidate.text)
        if shared_subjects(profile.figures, candidate.figures):
            score += FIGURE_BONUS
    candidate.score = score


def _semantic_module() -> tuple[Any, str]:
    """``search.semantic`` when the extra is installed, else None and the reason."""
    from briefreader.search import semantic

    reason = semantic.available()
    if reason:
        return None, f"semantic ranking off: {reason}"
    return semantic, ""


# ---------------------------------------------------------------------------- explaining


def _item(library: SearchBackend, candidate: _Candidate, profile: _Profile) -> RelatedItem:
    summary = library.summary(candidate.article_id)
    subjects = shared_subjects(profile.figures, candidate.figures)
    figures = tuple(f for f in candidate.figures if f.subject in subjects)
    terms = _shared_terms(candidate, profile)
    keys = sorted(candidate.entities, key=lambda k: (-profile.entities.get(k, 0.0), k))
    entities = tuple(dict.fromkeys(profile.entity_names.get(k, k) for k in keys))
    return RelatedItem(
        passage_id=candidate.passage_id,
        article_id=candidate.article_id,
        title=summary.title if summary else candidate.article_id,
        score=round(candidate.score, 4),
        text=candidate.text,
        why=_why(entities, terms, figures),
        figures=figures,
        shared_terms=terms,
        shared_entities=entities,
    )


def _shared_terms(candidate: _Candidate, profile: _Profile) -> tuple[str, ...]:
    """Shared key terms, heaviest first, as the words the paragraph uses."""
    ordered = sorted(candidate.terms, key=lambda t: (-profile.weights.get(t, 0.0), t))
    return tuple(profile.surface.get(t, t) for t in ordered)


def _why(entities: Sequence[str], terms: Sequence[str], figures: Iterable[Figure]) -> str:
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


def _figure_lines(
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


# ---------------------------------------------------------------------------- caching


class _RelatedCache:
    """Results per (passage, limit, options) for one snapshot of the index."""

    def __init__(self) -> None:
        self.snapshot: Any = None
        self.results: dict[tuple[Any, ...], RelatedResult] = {}
        self.library: weakref.ReferenceType[Any] | None = None
        self.lock = threading.Lock()

    def get(self, key: tuple[Any, ...]) -> RelatedResult | None:
        library = self.library() if self.library else None
        with self.lock:
            if library is None or library.snapshot is not self.snapshot:
                self.results.clear()
                self.snapshot = library.snapshot if library is not None else None
                return None
            return self.results.get(key)

    def put(self, key: tuple[Any, ...], result: RelatedResult) -> None:
        with self.lock:
            if len(self.results) >= 2048:
                self.results.clear()
            self.results[key] = result


_CACHES: weakref.WeakKeyDictionary[Any, _RelatedCache] = weakref.WeakKeyDictionary()
_CACHES_LOCK = threading.Lock()


def _cache_for(library: SearchBackend) -> _RelatedCache:
    with _CACHES_LOCK:
        cache = _CACHES.get(library)
        if cache is None:
            cache = _RelatedCache()
            cache.library = weakref.ref(library)
            _CACHES[library] = cache
        return cache


def clear_cache(library: SearchBackend) -> None:
    """Forget cached results for this library (the cache also clears itself on refresh)."""
    with _CACHES_LOCK:
        _CACHES.pop(library, None)
