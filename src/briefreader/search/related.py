"""Related passages: for one paragraph, what the *other* articles say about the same thing.

The ranking runs on the passage documents of the index:

1. **Key terms.** The paragraph is analysed with the index's own analyzer (stemmed); each term
   is weighted ``(1 + log tf) × idf``, where the document frequency leaves out the paragraph's
   own article (a term only that article uses cannot find anything elsewhere). The top
   ``max_terms`` terms (24, not ``more_like``'s 5) form one boosted OR query over passage
   documents, the own article masked out. Proper names (capitalised inside a sentence) weigh
   more, because they mark the event or person a paragraph is about.
2. **Entities.** When the entities engine has stored mentions with the article, the paragraph's
   canonical entity keys query the ``entity`` field; a candidate's share of the paragraph's
   entity weight is added to its score. Without stored entities this part is silent.
3. **Figures.** Candidates that state a number about the same subject (attacks, troops) get a
   bonus, and the figures are shown side by side ("160 · 91 · 70 attacks").

Scores are made comparable across paragraphs by dividing the lexical score by the score of the
paragraph against itself, so one threshold (``DEFAULT_THRESHOLD``, calibrated on the judged set
in ``benchmarks/data``) decides "nothing related". Results are cached per passage until the
library's searcher changes (``Library.refresh``).

The optional semantic re-ranking (``[related] semantic = true``, extra ``briefreader[semantic]``)
lives in ``search/semantic.py`` and is imported only when asked for.
"""

from __future__ import annotations

import itertools
import math
import re
import threading
import weakref
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from whoosh import query

from briefreader.models import Article, Passage
from briefreader.search.figures import Figure, extract_figures, shared_subjects, side_by_side

if TYPE_CHECKING:
    from briefreader.search.library import Library


def _words(text: str) -> frozenset[str]:
    """A word list written as one string (easier to read and edit than a list literal)."""
    return frozenset(text.split())


DEFAULT_THRESHOLD = 0.18
SEMANTIC_THRESHOLD = 0.3
NAME_BOOST = 1.5
ENTITY_WEIGHT = 0.1
# Entities in more than this share of documents (the country every article is about) are
# background, not a reason to relate two paragraphs.
ENTITY_MAX_SHARE = 0.05
FIGURE_BONUS = 0.15
COSINE_MIX = 0.5
BIGRAM_BONUS = 0.1
# Once the best match clears the threshold, weaker ones down to this share of it are listed.
FLOOR_RATIO = 0.6
_PASSAGE = query.Term("kind", "passage")
_SENTENCE_END = re.compile(r"[.!?]['’\"”)\]]*\s*$")
# Function words and reporting verbs: the index keeps them (phrase search needs them), but
# they say nothing about what a paragraph is about.
QUERY_STOP_WORDS = _words(
    """
    a about above after again against all also am an and any are as at be because been
    before being below between both but by can could did do does doing down during each even
    few for from further had has have having he her here hers herself him himself his how i
    if in into is it its itself just like many me might more most much must my myself no nor
    not now of off on once only or other our ours ourselves out over own same she should so
    some still such than that the their theirs them themselves then there these they this
    those through to too under until up upon very was we were what when where which while
    who whom why will with would yet you your yours yourself said says say saying told tells
    according added asked one two three new last first next later since already however
    meanwhile mr ms mrs dr
    """
)
CALENDAR_WORDS = _words(
    """
    january february march april may june july august september october november december
    jan feb mar apr jun jul aug sep sept oct nov dec monday tuesday wednesday thursday
    friday saturday sunday
    """
)


class UnknownPassage(KeyError):
    """No passage has this id (the message says which)."""

    def __str__(self) -> str:
        return f"no passage with id {self.args[0]!r} (ids look like ARTICLE-ID:p3)"


@dataclass(frozen=True)
class RelatedOptions:
    """Knobs of the ranking; the defaults are the tuned ones.

    ``entities`` uses stored entity mentions, ``figures`` the shared-figure bonus, ``semantic``
    the optional embedding re-ranking; ``threshold`` hides weaker matches (0 shows all; None
    takes the calibrated default of the mode).
    """

    max_terms: int = 24
    candidates: int = 30
    entities: bool = True
    figures: bool = True
    names: bool = True
    semantic: bool = False
    threshold: float | None = None

    @property
    def cutoff(self) -> float:
        """The threshold in force."""
        if self.threshold is not None:
            return self.threshold
        return SEMANTIC_THRESHOLD if self.semantic else DEFAULT_THRESHOLD


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
    """The related passages of one paragraph, best first, above the threshold.

    ``figures_line`` puts figures about the same subject side by side ("160 · 91 · 70
    attacks"); ``below_threshold`` counts candidates that were found but hidden.
    """

    passage_id: str
    article_id: str
    items: tuple[RelatedItem, ...]
    threshold: float
    figures: tuple[Figure, ...] = ()
    figures_lines: tuple[str, ...] = ()
    below_threshold: int = 0
    notice: str = ""

    @property
    def nothing_related(self) -> bool:
        """True when no other article says anything close enough to show."""
        return not self.items


@dataclass
class _Profile:
    """What a paragraph is about: weighted key terms, names, entities, figures."""

    weights: dict[str, float]
    vector: dict[str, float]
    bigrams: set[tuple[str, str]]
    surface: dict[str, str]
    names: set[str]
    entities: dict[str, float]
    entity_names: dict[str, str]
    figures: list[Figure]


@dataclass
class _Candidate:
    passage_id: str
    article_id: str
    text: str
    lexical: float = 0.0
    terms: set[str] = field(default_factory=set)
    entities: set[str] = field(default_factory=set)
    figures: list[Figure] = field(default_factory=list)
    semantic: float | None = None
    score: float = 0.0


class _SearcherStats:
    """Per-searcher memo: the passage documents, document frequencies, analysed passages.

    Bounded, and dropped with the searcher (``Library.refresh`` makes a new one), so it never
    outlives the index it describes.
    """

    MAX_ENTRIES = 50_000

    def __init__(self, searcher: Any) -> None:
        self.searcher = searcher
        self.reader = searcher.reader()
        self.total = max(self.reader.doc_count(), 1)
        self._passages: set[int] | None = None
        self._df: dict[tuple[str, str], int] = {}
        self._analysed: dict[str, tuple[Any, ...]] = {}

    @property
    def passages(self) -> set[int]:
        """Document numbers of all passage documents (a Whoosh filter set)."""
        if self._passages is None:
            self._passages = set(self.searcher.docs_for_query(_PASSAGE))
        return self._passages

    def df(self, fieldname: str, term: str) -> int:
        """Document frequency of a term, memoised."""
        key = (fieldname, term)
        found = self._df.get(key)
        if found is None:
            if len(self._df) > self.MAX_ENTRIES:
                self._df.clear()
            found = self._df[key] = self.reader.doc_frequency(fieldname, term)
        return found

    def idf(self, fieldname: str, term: str) -> float:
        return _idf(self.total, max(self.df(fieldname, term), 1))

    def analysed(self, analyzer: Any, key: str, text: str) -> tuple[Any, ...]:
        """``_analyse`` of a passage text, memoised by passage id."""
        found = self._analysed.get(key)
        if found is None:
            if len(self._analysed) > self.MAX_ENTRIES // 5:
                self._analysed.clear()
            found = self._analysed[key] = _analyse(analyzer, text)
        return found


_STATS: weakref.WeakKeyDictionary[Any, _SearcherStats] = weakref.WeakKeyDictionary()


def _stats_for(searcher: Any) -> _SearcherStats:
    """The memo of this searcher (call with the library lock held)."""
    stats = _STATS.get(searcher)
    if stats is None:
        stats = _STATS[searcher] = _SearcherStats(searcher)
    return stats


# ---------------------------------------------------------------------------- public API


def find_related(
    library: Library,
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


def options_for(library: Library) -> RelatedOptions:
    """Options from the workspace's ``[related]`` settings (``semantic``, ``threshold``)."""
    section = library.workspace.settings().section("related")
    options = RelatedOptions(semantic=bool(section.get("semantic", False)))
    if isinstance(section.get("threshold"), int | float):
        options = replace(options, threshold=float(section["threshold"]))
    return options


# ---------------------------------------------------------------------------- ranking


def _rank(
    library: Library, article: Article, passage: Passage, limit: int, options: RelatedOptions
) -> RelatedResult:
    """Profile the paragraph, gather candidates, score, explain, cut at the threshold."""
    with library.lock:
        stats = _stats_for(library.searcher)
        profile = _profile(library, stats, article, passage, options)
        candidates = _lexical_candidates(stats, article.id, passage.id, profile, options)
        if options.entities and profile.entities:
            _entity_candidates(stats, article.id, profile, options, candidates)
        analyzer = library.schema["body"].analyzer
        for candidate in candidates.values():
            _rescore_lexical(candidate, profile, analyzer, stats, options)
    notice = ""
    for candidate in candidates.values():
        _score(candidate, profile, options)
    if options.semantic and candidates:
        notice = _semantic_rerank(library, passage, candidates)
    ranked = sorted(candidates.values(), key=lambda c: (-c.score, c.passage_id))
    gate_open = bool(ranked) and ranked[0].score >= options.cutoff
    floor = options.cutoff * FLOOR_RATIO
    shown = [c for c in ranked if gate_open and c.score >= floor][:limit]
    items = tuple(_item(library, c, profile) for c in shown)
    lines = _figure_lines(profile.figures, [c.figures for c in shown])
    hidden = len(ranked) - len([c for c in ranked if gate_open and c.score >= floor])
    return RelatedResult(
        passage.id,
        article.id,
        items,
        options.cutoff,
        tuple(profile.figures),
        lines,
        hidden,
        notice,
    )


def _profile(
    library: Library,
    stats: _SearcherStats,
    article: Article,
    passage: Passage,
    options: RelatedOptions,
) -> _Profile:
    """Weighted key terms of the paragraph, its names, entities and figures."""
    analyzer = library.schema["body"].analyzer
    counts, surface, names, sequence = _analyse(analyzer, passage.text)
    own = _own_article_frequencies(analyzer, article)
    weights = {}
    for term, count in counts.items():
        outside = stats.df("body", term) - own.get(term, 0)
        if outside <= 0:
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
        top, weights, _bigrams(sequence), surface, names & set(top), entities, entity_names, figures
    )


def _idf(total: int, frequency: int) -> float:
    return math.log(1.0 + (total - frequency + 0.5) / (frequency + 0.5))


def _analyse(analyzer: Any, text: str) -> tuple[Counter[str], dict[str, str], set[str], list[str]]:
    """Stemmed term counts, a readable surface word per term, the terms that are names, and
    the terms in order (stop words kept out)."""
    sequence: list[str] = []
    counts: Counter[str] = Counter()
    surface: dict[str, str] = {}
    names: set[str] = set()
    for token in analyzer(text, chars=True, mode="query"):
        term = token.text
        word = text[token.startchar : token.endchar]
        lowered = word.lower().strip(".'’")
        if lowered in QUERY_STOP_WORDS:
            continue
        counts[term] += 1
        sequence.append(term)
        surface.setdefault(term, lowered if not word[:1].isupper() else word)
        if (
            word[:1].isupper()
            and lowered not in CALENDAR_WORDS
            and not _starts_sentence(text, token.startchar)
        ):
            names.add(term)
    return counts, surface, names, sequence


def _bigrams(sequence: Sequence[str]) -> set[tuple[str, str]]:
    return set(itertools.pairwise(sequence))


def _starts_sentence(text: str, position: int) -> bool:
    before = text[max(0, position - 4) : position]
    return position == 0 or bool(_SENTENCE_END.search(before)) or before.endswith(("“", '"'))


_OWN_CACHE: dict[str, Counter[str]] = {}
_OWN_LOCK = threading.Lock()


def _own_article_frequencies(analyzer: Any, article: Article) -> Counter[str]:
    """Document frequency of each term inside the article (its passages plus the article)."""
    key = f"{article.id}\0{article.content_hash}"
    with _OWN_LOCK:
        cached = _OWN_CACHE.get(key)
    if cached is not None:
        return cached
    frequencies: Counter[str] = Counter()
    for passage in article.passages:
        frequencies.update({token.text for token in analyzer(passage.text, mode="query")})
    for term in frequencies:
        frequencies[term] += 1  # the article document holds every term of its passages
    with _OWN_LOCK:
        if len(_OWN_CACHE) > 256:
            _OWN_CACHE.clear()
        _OWN_CACHE[key] = frequencies
    return frequencies


def _lexical_candidates(
    stats: _SearcherStats,
    article_id: str,
    passage_id: str,
    profile: _Profile,
    options: RelatedOptions,
) -> dict[str, _Candidate]:
    """Passages of other articles matching the key-term query, scored against the self-score."""
    if not profile.weights:
        return {}
    terms = query.Or([query.Term("body", t, boost=w) for t, w in profile.weights.items()])
    own_score = _self_score(stats.searcher, terms, passage_id)
    results = stats.searcher.search(
        terms,
        limit=options.candidates,
        filter=stats.passages,
        mask=query.Term("article_id", article_id),
        terms=True,
    )
    candidates = {}
    for hit in results:
        candidate = _Candidate(hit["doc_id"], hit["article_id"], hit.get("text", ""))
        candidate.lexical = min(hit.score / own_score, 1.0) if own_score else 0.0
        candidate.terms = {_text(t) for f, t in hit.matched_terms() if f == "body"}
        candidates[candidate.passage_id] = candidate
    return candidates


def _self_score(searcher: Any, terms: query.Query, passage_id: str) -> float:
    """The paragraph's score against its own query: the scale that makes scores comparable."""
    results = searcher.search(query.And([query.Term("doc_id", passage_id), terms]), limit=1)
    return float(results[0].score) if results.scored_length() else 0.0


def _text(value: Any) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def _entity_candidates(
    stats: _SearcherStats,
    article_id: str,
    profile: _Profile,
    options: RelatedOptions,
    candidates: dict[str, _Candidate],
) -> None:
    """Add passages sharing the paragraph's entities; record shared entities on each."""
    wanted = query.Or([query.Term("entity", k, boost=w) for k, w in profile.entities.items()])
    results = stats.searcher.search(
        wanted,
        limit=options.candidates,
        filter=stats.passages,
        mask=query.Term("article_id", article_id),
        terms=True,
    )
    for hit in results:
        candidate = candidates.get(hit["doc_id"])
        if candidate is None:
            candidate = _Candidate(hit["doc_id"], hit["article_id"], hit.get("text", ""))
            candidates[candidate.passage_id] = candidate
        candidate.entities = {_text(t) for f, t in hit.matched_terms() if f == "entity"}


def _entity_keys(
    library: Library, stats: _SearcherStats, article: Article, passage: Passage
) -> tuple[dict[str, float], dict[str, str]]:
    """The paragraph's entity keys weighted by idf, and a display name for each (or empty)."""
    mentions = _stored_mentions(library, article)
    inside = [m for m in mentions if passage.start <= m.start and m.end <= passage.end]
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


def _stored_mentions(library: Library, article: Article) -> Sequence[Any]:
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
    analyzer: Any,
    stats: _SearcherStats,
    options: RelatedOptions,
) -> None:
    """Cosine of tf-idf vectors (both sides), mixed with the query-side share, + bigrams."""
    counts, _, names, sequence = stats.analysed(analyzer, candidate.passage_id, candidate.text)
    dot = 0.0
    norm = 0.0
    for term, count in counts.items():
        weight = (1.0 + math.log(count)) * stats.idf("body", term)
        if options.names and term in names:
            weight *= NAME_BOOST
        norm += weight * weight
        dot += weight * profile.vector.get(term, 0.0)
    query_norm = math.sqrt(sum(w * w for w in profile.vector.values()))
    cosine = dot / (math.sqrt(norm) * query_norm) if norm and query_norm else 0.0
    candidate.lexical = COSINE_MIX * cosine + (1 - COSINE_MIX) * candidate.lexical
    shared = len(profile.bigrams & _bigrams(sequence))
    candidate.lexical += BIGRAM_BONUS * min(shared, 3) / 3


def _score(candidate: _Candidate, profile: _Profile, options: RelatedOptions) -> None:
    """Lexical share, plus the share of entity weight, plus a bonus for a shared figure."""
    score = candidate.lexical
    if candidate.entities and profile.entities:
        total = sum(profile.entities.values())
        shared = sum(profile.entities.get(k, 0.0) for k in candidate.entities)
        score += ENTITY_WEIGHT * shared / total
    if options.figures and profile.figures:
        candidate.figures = extract_figures(candidate.text)
        if shared_subjects(profile.figures, candidate.figures):
            score += FIGURE_BONUS
    candidate.score = score


def _semantic_rerank(library: Library, passage: Passage, candidates: dict[str, _Candidate]) -> str:
    """Fuse embedding similarity into the scores; a notice when the extra is missing."""
    try:
        from briefreader.search import semantic
    except ImportError:  # pragma: no cover - the module itself has no heavy imports
        return "semantic re-ranking unavailable"
    return semantic.rerank(library, passage, candidates)


# ---------------------------------------------------------------------------- explaining


def _item(library: Library, candidate: _Candidate, profile: _Profile) -> RelatedItem:
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
    ordered = sorted(candidate.terms, key=lambda t: -profile.weights.get(t, 0.0))
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


def _figure_lines(own: Sequence[Figure], others: Sequence[Sequence[Figure]]) -> tuple[str, ...]:
    """Side-by-side lines for every subject the paragraph and a related passage both count."""
    lines = []
    for subject in dict.fromkeys(f.subject for f in own if f.comparable):
        line = side_by_side([own, *others], subject)
        if line:
            lines.append(line)
    return tuple(lines)


# ---------------------------------------------------------------------------- caching


class _RelatedCache:
    """Results per (passage, limit, options) for one searcher generation."""

    def __init__(self) -> None:
        self.searcher: Any = None
        self.results: dict[tuple[Any, ...], RelatedResult] = {}
        self.library: weakref.ReferenceType[Any] | None = None
        self.lock = threading.Lock()

    def get(self, key: tuple[Any, ...]) -> RelatedResult | None:
        library = self.library() if self.library else None
        with self.lock:
            if library is None or library.searcher is not self.searcher:
                self.results.clear()
                self.searcher = library.searcher if library is not None else None
                return None
            return self.results.get(key)

    def put(self, key: tuple[Any, ...], result: RelatedResult) -> None:
        with self.lock:
            if len(self.results) >= 2048:
                self.results.clear()
            self.results[key] = result


_CACHES: weakref.WeakKeyDictionary[Any, _RelatedCache] = weakref.WeakKeyDictionary()
_CACHES_LOCK = threading.Lock()


def _cache_for(library: Library) -> _RelatedCache:
    with _CACHES_LOCK:
        cache = _CACHES.get(library)
        if cache is None:
            cache = _RelatedCache()
            cache.library = weakref.ref(library)
            _CACHES[library] = cache
        return cache


def clear_cache(library: Library) -> None:
    """Forget cached results for this library (the cache also clears itself on refresh)."""
    with _CACHES_LOCK:
        _CACHES.pop(library, None)
