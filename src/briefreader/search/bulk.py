"""Top hits of a query by scoring every match a posting block at a time.

Whoosh finds a query's matches document by document: every node of its matcher tree answers
``is_active``, ``id``, ``next``, ``skip_to`` and ``score`` for every match, about 7 µs a match at
BBC ×32. Its block-max pruning skips little for common words (their blocks all hold
high-scoring documents), so a two-word AND or a phrase of common words walked 16,000–21,000
matches in 120–215 ms (docs/performance.md, "Every match scored a block at a time").

For the shapes a user's words make — terms, exact phrases, and ``And`` / ``Or`` of them, on
fields scored by BM25F — ``top_matches`` reads each term's posting list a block at a time
(ids and weights; positions for a phrase), scores the postings with the term's own Whoosh
scorer's formula, intersects for ``And``, merges for ``Or``, checks a phrase's positions on the
documents holding all its words, and keeps the best with a heap. Each term's score is
Whoosh's to the bit; a sum of three or more of them (an ``Or`` over the four text fields, an
``And`` of three words) is added up in a fixed order of its own and may differ from Whoosh's
in the last bit (Whoosh orders its sums by size estimates, and by segment size), which
changes no ranking unless two articles' scores are within one unit in the last place (an
independent audit compared whole rankings of 400 queries: identical). Ties go to the lower
document number as in Whoosh's collector, and the number of matches is exact. Any other
query (negations, ranges, filters, a field another weighting scores) returns None: the
caller asks Whoosh.
"""

from __future__ import annotations

import heapq
import sys
from array import array
from bisect import bisect_right
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from itertools import accumulate
from typing import Any

from whoosh import matching, query, scoring
from whoosh.codec import whoosh3

from briefreader.search.index.schema import CompactPositions
from briefreader.search.index.whoosh_patches import BYTE_LENGTHS, field_length_bytes
from briefreader.search.query import ExpandedWords

_ORS = (query.Or, ExpandedWords)  # Or without a matcher of its own
# Words a pattern stands for, scored by their own Whoosh matcher (ranges and filters, which
# may match most of the index, are left to Whoosh's collector with the rest of their query).
_PATTERNS = (query.Prefix, query.Wildcard, query.FuzzyTerm)
# Scores per document of one segment (segment document numbers).
Scores = dict[int, float]
Checkpoint = Callable[[], None]


@dataclass(frozen=True)
class TopMatches:
    """The best matches (global document number, score), best first, and how many matched:
    exactly, or (``exact`` False) at most ``total`` (Whoosh's collector: an estimate)."""

    hits: list[tuple[int, float]]
    total: int
    exact: bool = True


def top_matches(
    searcher: Any, wanted: query.Query, limit: int, checkpoint: Checkpoint
) -> TopMatches | None:
    """The ``limit`` best matches of ``wanted`` over every segment of ``searcher``, or None
    when the query has a shape this module does not score (Whoosh's collector then does).
    ``checkpoint`` is called before each posting block (a budget may raise from it)."""
    if not _supported(wanted):
        return None
    phrases = _quoted_phrase(wanted)
    if phrases:
        return _top_phrase_matches(searcher, phrases, limit, checkpoint)
    context = searcher.context()
    best = _Best(limit)
    total = 0
    for subsearcher, offset in searcher.leaf_searchers():
        scores = _Segment(subsearcher, context, checkpoint).scores(wanted)
        if scores is None:
            return None
        total += len(scores)
        for docnum, score in scores.items():
            best.offer(score, offset + docnum)
    return TopMatches(best.hits(), total)


class _Best:
    """The ``limit`` best (score, document) pairs seen, ties to the lower document number
    (as Whoosh's collector keeps them)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.heap: list[tuple[float, int]] = []  # (score, -global docnum), the worst on top

    def could_take(self, score: float, docnum: int) -> bool:
        """Would a document of this score (or any lower) get in?"""
        return len(self.heap) < self.limit or (score, -docnum) > self.heap[0]

    def offer(self, score: float, docnum: int) -> None:
        item = (score, -docnum)
        if len(self.heap) < self.limit:
            heapq.heappush(self.heap, item)
        elif item > self.heap[0]:
            heapq.heapreplace(self.heap, item)

    def hits(self) -> list[tuple[int, float]]:
        return [(-negated, score) for score, negated in sorted(self.heap, reverse=True)]


def _quoted_phrase(node: query.Query) -> list[query.Phrase]:
    """The phrases of a quoted phrase as the parser gives it (one ``Phrase`` per searched
    field under an ``Or``, or one ``Phrase``), else none."""
    if type(node) is query.Phrase:
        return [node]
    if (
        type(node) is query.Or
        and node.boost == 1.0
        and len(node.subqueries) < node.TOO_MANY_CLAUSES
    ):
        phrases = [child for child in node.subqueries if type(child) is query.Phrase]
        if len(phrases) == len(node.subqueries):
            return phrases
    return []


def _top_phrase_matches(
    searcher: Any, phrases: list[query.Phrase], limit: int, checkpoint: Checkpoint
) -> TopMatches | None:
    """A quoted phrase's best matches, its positions checked only where needed.

    A phrase match scores the sum of its words' scores whatever their positions, so the
    documents holding every word of one of the fields' phrases are taken best bound first
    (the sum over the fields where they hold the words), their positions checked, until no
    bound left could enter the top ``limit``. The count is then at most the documents
    holding the words (``exact`` False, as Whoosh's estimate); exact if every one was
    checked. A phrase of common words at BBC ×32 had 21,000 such documents.
    """
    context = searcher.context()
    best = _Best(limit)
    total = 0
    exact = True
    for subsearcher, offset in searcher.leaf_searchers():
        segment = _Segment(subsearcher, context, checkpoint)
        found = [segment.phrase_candidates(phrase, None) for phrase in phrases]
        if any(candidates is None for candidates in found):
            return None
        fields = [candidates for candidates in found if candidates is not None]
        bounds = _union([candidates.scores() for candidates in fields])
        matched = 0
        waiting = [(-bound, docnum) for docnum, bound in bounds.items()]
        heapq.heapify(waiting)
        while waiting:
            bound, docnum = -waiting[0][0], waiting[0][1]
            if not best.could_take(bound, offset + docnum):
                break
            heapq.heappop(waiting)
            if len(waiting) % 256 == 0:
                checkpoint()
            held = [c.score_of(docnum) if c.holds(docnum) else {} for c in fields]
            if any(held):
                matched += 1
                best.offer(_union(held)[docnum], offset + docnum)
        if waiting:
            exact = False
            total += len(bounds)
        else:
            total += matched
    return TopMatches(best.hits(), total, exact)


def _supported(node: query.Query) -> bool:
    """Is ``node`` made only of terms, exact phrases, And and Or (without their options)?"""
    if type(node) is query.Term or type(node) in _PATTERNS:
        return True
    if type(node) is query.Phrase:
        return node.slop == 1 and bool(node.words)
    if type(node) is query.And:
        return all(_supported(child) for child in node.subqueries)
    if type(node) in _ORS:
        assert isinstance(node, query.Or)
        return (
            not node.scale
            and not node.minmatch
            and all(_supported(child) for child in node.subqueries)
        )
    return False


@dataclass
class _Postings:
    """One term's live postings in a segment: each document's score and (for phrases) its
    encoded positions."""

    scores: Scores
    values: dict[int, Any] | None

    def drop(self, deleted: frozenset[int] | set[int]) -> None:
        """Leave out the segment's deleted documents."""
        if len(deleted) * 4 < len(self.scores):
            for docnum in deleted:
                self.scores.pop(docnum, None)
                if self.values is not None:
                    self.values.pop(docnum, None)
            return
        self.scores = {d: score for d, score in self.scores.items() if d not in deleted}
        if self.values is not None:
            self.values = {d: value for d, value in self.values.items() if d not in deleted}


class _Segment:
    """Scores of a query's matches in one segment."""

    def __init__(self, searcher: Any, context: Any, checkpoint: Checkpoint) -> None:
        self.searcher = searcher
        self.context = context
        self.checkpoint = checkpoint

    def scores(self, node: query.Query, within: set[int] | None = None) -> Scores | None:
        """Every matching document's score, of the documents ``within`` if given (None: a
        part Whoosh must score itself)."""
        if type(node) is query.Term:
            postings = self._postings(node, within, with_values=False)
            return None if postings is None else postings.scores
        if type(node) is query.Phrase:
            return self._phrase(node, within)
        if type(node) in _PATTERNS:  # the words a pattern stands for, as Whoosh scores them
            return self._matched(node, within)
        children = node.subqueries
        if not children:
            return {}
        if len(children) == 1:  # Whoosh's compound matcher drops its boost then
            return self.scores(children[0], within)
        if type(node) is query.And:
            combined = self._intersection(children, within)
        else:
            combined = self._union(children, within, node.TOO_MANY_CLAUSES)
        if combined and node.boost != 1.0:
            boost = node.boost
            combined = {docnum: score * boost for docnum, score in combined.items()}
        return combined

    def _intersection(self, children: list[query.Query], within: set[int] | None) -> Scores | None:
        """Documents every child matches, the smallest child read first and the others only
        where it matched; scores summed (past two children, in a balanced tree of the
        children's order: Whoosh's weighted tree may differ in the last bit)."""
        reader = self.searcher.reader()
        order = sorted(range(len(children)), key=lambda n: children[n].estimate_size(reader))
        parts: dict[int, Scores] = {}
        for n in order:
            part = self.scores(children[n], within)
            if part is None:
                return None
            if not part:
                return {}
            parts[n] = part
            within = set(part)
        assert within is not None
        ordered = [parts[n] for n in range(len(children))]
        if len(ordered) == 2:  # a + b == b + a: exactly Whoosh's sum
            first, second = ordered
            return {docnum: first[docnum] + second[docnum] for docnum in within}
        return {docnum: _tree_sum([part[docnum] for part in ordered]) for docnum in within}

    def _union(
        self, children: list[query.Query], within: set[int] | None, array_from: int
    ) -> Scores | None:
        """Documents any child matches, their scores summed in a balanced tree of the
        children's order, or from ``array_from`` children one after another (Whoosh's array
        union); Whoosh's weighted tree of unions may differ in the last bit."""
        parts = [self.scores(child, within) for child in children]
        if any(part is None for part in parts):
            return None
        known = [part for part in parts if part is not None]
        if len(children) >= array_from:
            return _linear_union(known)
        return _union(known)

    def _matched(self, node: query.Query, within: set[int] | None) -> Scores:
        """Every match of ``node``'s own Whoosh matcher, with its score."""
        matcher = node.matcher(self.searcher, self.context)
        scores: Scores = {}
        if within is not None:  # only the documents still in the running, skipped to
            for count, docnum in enumerate(sorted(within)):
                if count % 1024 == 0:
                    self.checkpoint()
                if not matcher.is_active():
                    break
                matcher.skip_to(docnum)
                if matcher.is_active() and matcher.id() == docnum:
                    scores[docnum] = matcher.score()
            return scores
        count = 0
        while matcher.is_active():
            count += 1
            if count % 1024 == 0:
                self.checkpoint()
            scores[matcher.id()] = matcher.score()
            matcher.next()
        return scores

    def _phrase(self, phrase: query.Phrase, within: set[int] | None) -> Scores | None:
        """Documents holding the words one after another, with their scores."""
        candidates = self.phrase_candidates(phrase, within)
        if candidates is None:
            return None
        return candidates.matches()

    def phrase_candidates(
        self, phrase: query.Phrase, within: set[int] | None
    ) -> _PhraseCandidates | None:
        """The documents holding every word of ``phrase`` (of those ``within``), with each
        word's score and positions; the rarest word is read first, each next one only where
        the ones before all occur. None: a field Whoosh must answer itself."""
        name = phrase.fieldname
        schema = self.searcher.schema
        if name not in schema:
            return _PhraseCandidates.none()
        field = schema[name]
        if not field.format or not field.format.supports("positions"):
            return None  # Whoosh raises its own error for this
        terms = [query.Term(name, word) for word in phrase.words]
        reader = self.searcher.reader()
        order = sorted(range(len(terms)), key=lambda n: terms[n].estimate_size(reader))
        words: dict[int, _Postings] = {}
        for n in order:
            postings = self._postings(terms[n], within, with_values=True)
            if postings is None:
                return None
            if not postings.scores:
                return _PhraseCandidates.none()
            words[n] = postings
            within = set(postings.scores)
        assert within is not None
        in_order = [words[n] for n in range(len(terms))]
        decode = _positions_decoder(field.format)
        return _PhraseCandidates(in_order, within, decode, phrase.boost)

    def _postings(
        self, term: query.Term, within: set[int] | None, with_values: bool
    ) -> _Postings | None:
        """The term's live postings in this segment (of the documents ``within``), scored;
        None if the term is not a BM25F leaf this module reads."""
        self.checkpoint()
        matcher = self._raw_matcher(term)
        if matcher is None:  # not a segment reader's own: as Whoosh gives it
            matcher = term.matcher(self.searcher, self.context)
            deleted: frozenset[int] | set[int] = frozenset()  # Whoosh's matcher leaves them out
        else:
            deleted = self.searcher.reader().deleted_docs_set
        boost = 1.0
        if type(matcher) is matching.WrappingMatcher:
            matcher, boost = matcher.child, matcher.boost
        if isinstance(matcher, matching.NullMatcherClass):
            return _Postings({}, {} if with_values else None)
        if not matcher.is_leaf():
            return None
        postings = self._read(matcher, term.fieldname, within, with_values)
        if postings is None:
            return None
        if deleted and within is None:  # ``within`` holds live documents only
            postings.drop(deleted)
        if boost != 1.0:
            postings.scores = {docnum: score * boost for docnum, score in postings.scores.items()}
        return postings

    def _raw_matcher(self, term: query.Term) -> Any:
        """The term's posting list in this segment as Whoosh's ``Term.matcher`` makes it
        (the same scorer and boost), its deleted documents left in (``_postings`` drops them
        once: filtering every posting block that holds one cost 13% of an AND at ×32 after
        20 one-file updates); None if the reader is not a segment's."""
        searcher, name = self.searcher, term.fieldname
        reader = searcher.reader()
        terms = getattr(reader, "_terms", None)
        if terms is None or not isinstance(reader.deleted_docs_set, set | frozenset):
            return None
        if name not in searcher.schema:
            return matching.NullMatcher()
        field = searcher.schema[name]
        try:
            text = field.to_bytes(term.text)
        except ValueError:
            return matching.NullMatcher()
        if (name, text) not in reader:
            return matching.NullMatcher()
        scorer = self.context.weighting.scorer(searcher, name, text)
        matcher = terms.matcher(name, text, field.format, scorer=scorer)
        if term.minquality:
            matcher.set_min_quality(term.minquality)
        if term.boost != 1.0:
            matcher = matching.WrappingMatcher(matcher, boost=term.boost)
        return matcher

    def _read(
        self, matcher: Any, fieldname: str, within: set[int] | None, with_values: bool
    ) -> _Postings | None:
        scorer = getattr(matcher, "scorer", None)
        if isinstance(matcher, whoosh3.W3LeafMatcher) and _plain_bm25(scorer):
            lengths = field_length_bytes(self.searcher.reader(), fieldname)
            if lengths is not None:
                reading = _BlockReading(matcher, scorer, lengths, with_values, self.checkpoint)
                return reading.read(within)
        if isinstance(matcher, matching.ListMatcher):  # a term in few documents
            return _read_one_by_one(matcher, within, with_values, self.checkpoint)
        return None


@dataclass
class _PhraseCandidates:
    """The documents holding every word of a phrase in one field, with the words' postings
    (in the phrase's order): a match's score is the sum of its words' scores (in Whoosh's
    binary-tree order) times the phrase's boost, whatever their positions."""

    words: list[_Postings]
    docnums: set[int]
    decode: Callable[[Any], Iterable[int]]
    boost: float

    @classmethod
    def none(cls) -> _PhraseCandidates:
        return cls([], set(), _compact_positions, 1.0)

    def score(self, docnum: int) -> float:
        score = _tree_sum([word.scores[docnum] for word in self.words])
        return score * self.boost if self.boost != 1.0 else score

    def score_of(self, docnum: int) -> Scores:
        return {docnum: self.score(docnum)}

    def scores(self) -> Scores:
        """Every candidate's score if it matches: a bound for the unchecked."""
        if len(self.words) != 2:
            return {docnum: self.score(docnum) for docnum in self.docnums}
        first, second = self.words[0].scores, self.words[1].scores
        summed = {docnum: first[docnum] + second[docnum] for docnum in self.docnums}
        if self.boost == 1.0:
            return summed
        boost = self.boost
        return {docnum: score * boost for docnum, score in summed.items()}

    def holds(self, docnum: int) -> bool:
        """Does word k stand k positions after the first, for every k, in ``docnum``?"""
        if docnum not in self.docnums:
            return False
        decode = self.decode
        starts = list(decode(_value(self.words[0], docnum)))
        for offset in range(1, len(self.words)):
            following = set(decode(_value(self.words[offset], docnum)))
            starts = [start for start in starts if start + offset in following]
            if not starts:
                return False
        return True

    def matches(self) -> Scores:
        """Every candidate that holds the phrase, with its score."""
        if len(self.words) == 2 and self.boost == 1.0:
            first, second = self.words
            return _pair_matches(first, second, self.docnums, self.decode)
        return {docnum: self.score(docnum) for docnum in sorted(self.docnums) if self.holds(docnum)}


def _plain_bm25(scorer: Any) -> bool:
    """Does ``scorer`` score with Whoosh's ``bm25`` of weight and length, as ``_BlockReading``
    computes it?"""
    return (
        isinstance(scorer, scoring.BM25FScorer)
        and type(scorer)._score is scoring.BM25FScorer._score
        and scoring.bm25.__code__ is _WHOOSH_BM25_CODE
    )


_WHOOSH_BM25_CODE = scoring.bm25.__code__


class _BlockReading:
    """A block posting list read a block at a time, each posting scored by Whoosh's
    ``bm25``: ``idf * ((tf * (K1 + 1)) / (tf + K1 * ((1 - B) + B * fl / avgfl)))``, its length
    part computed once for each of the 255 length bytes (the same float operations in the
    same order: the same scores)."""

    def __init__(
        self, matcher: Any, scorer: Any, lengths: bytes, with_values: bool, checkpoint: Checkpoint
    ) -> None:
        self.matcher = matcher
        self.scorer = scorer
        self.lengths = lengths
        self.checkpoint = checkpoint
        self.scores: Scores = {}
        self.values: dict[int, Any] | None = {} if with_values else None
        K1, B, avgfl = scorer.K1, scorer.B, scorer.avgfl
        self.k1_plus_one = K1 + 1
        self.norms = _norms(K1, B, avgfl)

    def read(self, within: set[int] | None) -> _Postings:
        """Every posting, or those of the documents ``within``: blocks whose id range holds
        none of them are passed by their headers, unread."""
        matcher = self.matcher
        if within is None:
            while matcher.is_active():
                self._take_block(None)
                matcher._next_block()
            return _Postings(self.scores, self.values)
        wanted = sorted(within)
        j = 0
        while j < len(wanted) and matcher.is_active():
            target = wanted[j]
            matcher._skip_to_block(lambda target=target: matcher._maxid < target)
            if not matcher.is_active():
                break
            self._take_block(within)
            last = matcher._maxid
            j = bisect_right(wanted, last, j)
        return _Postings(self.scores, self.values)

    def _take_block(self, within: set[int] | None) -> None:
        """Score the block in hand's postings (of the documents ``within``)."""
        self.checkpoint()
        matcher = self.matcher
        if matcher._ids is None:
            matcher._read_ids()
        if matcher._weights is None:
            matcher._read_weights()
        start, end = matcher._i, matcher._blocklength
        ids = matcher._ids[start:end]
        weights = matcher._weights[start:end]
        values = None
        if self.values is not None:
            if matcher._values is None:
                matcher._read_values()
            values = matcher._values[start:end]
        if within is not None:
            rows = [row for row, docnum in enumerate(ids) if docnum in within]
            if not rows:
                return
            if len(rows) < len(ids):
                ids = [ids[row] for row in rows]
                weights = [weights[row] for row in rows]
                values = None if values is None else [values[row] for row in rows]
        lengths = self.lengths
        if ids[-1] < len(lengths):
            found = [lengths[docnum] for docnum in ids]
        else:
            found = [lengths[docnum] if docnum < len(lengths) else 0 for docnum in ids]
        idf, norms, k1_plus_one = self.scorer.idf, self.norms, self.k1_plus_one
        if 0 in found:  # no length byte: as Whoosh computes it (or fails)
            dfl, score = self.scorer.dfl, self.scorer._score
            block = [
                idf * ((tf * k1_plus_one) / (tf + norms[byte])) if byte else score(tf, dfl(docnum))
                for docnum, tf, byte in zip(ids, weights, found, strict=True)
            ]
        else:
            block = [
                idf * ((tf * k1_plus_one) / (tf + norms[byte]))
                for tf, byte in zip(weights, found, strict=True)
            ]
        self.scores.update(zip(ids, block, strict=True))
        if self.values is not None and values is not None:
            self.values.update(zip(ids, values, strict=True))


_NORMS: dict[tuple[float, float, float], list[float]] = {}


def _norms(K1: float, B: float, avgfl: float) -> list[float]:
    """BM25's length part, ``K1 * ((1 - B) + B * fl / avgfl)``, for each length byte (the
    same for a field in every segment: its statistics are the index's)."""
    key = (K1, B, avgfl)
    norms = _NORMS.get(key)
    if norms is None:
        if len(_NORMS) > 256:
            _NORMS.clear()
        lengths = BYTE_LENGTHS[1:]
        norms = _NORMS[key] = [0.0] + [K1 * ((1 - B) + B * (fl or 0) / avgfl) for fl in lengths]
    return norms


def _read_one_by_one(
    matcher: Any, within: set[int] | None, with_values: bool, checkpoint: Checkpoint
) -> _Postings:
    """A short (inlined) posting list, read and scored through the matcher."""
    scores: Scores = {}
    values: dict[int, Any] | None = {} if with_values else None
    count = 0
    while matcher.is_active():
        count += 1
        if count % 1024 == 0:
            checkpoint()
        docnum = matcher.id()
        if within is None or docnum in within:
            scores[docnum] = matcher.score()
            if values is not None:
                values[docnum] = matcher.value()
        matcher.next()
    return _Postings(scores, values)


def _pair_matches(first: _Postings, second: _Postings, candidates: set[int], decode: Any) -> Scores:
    """``_PhraseCandidates.matches`` for two words (most quoted phrases): is some position of the
    second word one past a position of the first?"""
    assert first.values is not None and second.values is not None
    first_values, second_values = first.values, second.values
    first_scores, second_scores = first.scores, second.scores
    after = (1).__add__
    matched: Scores = {}
    for docnum in candidates:
        following = set(decode(second_values[docnum]))
        if not following.isdisjoint(map(after, decode(first_values[docnum]))):
            matched[docnum] = first_scores[docnum] + second_scores[docnum]
    return matched


def _positions_decoder(format_: Any) -> Callable[[Any], Iterable[int]]:
    """A function from a posting value to its positions (``CompactPositions``: the running
    sum of its gaps, without building a list)."""
    if type(format_) is CompactPositions:
        return _compact_positions
    decoder: Callable[[Any], Iterable[int]] = format_.decoder("positions")
    return decoder


def _compact_positions(value: bytes) -> Iterable[int]:
    """The positions of a ``CompactPositions`` posting value."""
    gaps = array(chr(value[0]))
    gaps.frombytes(value[1:])
    if sys.byteorder != "little":
        gaps.byteswap()
    return accumulate(gaps)


def _value(postings: _Postings, docnum: int) -> Any:
    assert postings.values is not None
    return postings.values[docnum]


def _tree_sum(scores: list[float]) -> float:
    """The sum as Whoosh's ``make_binary_tree`` of intersection matchers adds it up."""
    if len(scores) == 1:
        return scores[0]
    half = len(scores) // 2
    return _tree_sum(scores[:half]) + _tree_sum(scores[half:])


def _linear_union(parts: list[Scores]) -> Scores:
    """Documents in any part, their scores added up part after part (Whoosh's array
    union)."""
    combined: Scores = {}
    for part in parts:
        for docnum, score in part.items():
            combined[docnum] = combined.get(docnum, 0.0) + score
    return combined


def _union(parts: list[Scores]) -> Scores:
    """Documents in any part, their scores summed in a balanced tree of the parts' order (an
    absent part adds nothing)."""
    if len(parts) == 1:
        return parts[0]
    half = len(parts) // 2
    left, right = _union(parts[:half]), _union(parts[half:])
    combined = dict(left)
    for docnum, score in right.items():
        mine = combined.get(docnum)
        combined[docnum] = score if mine is None else mine + score
    return combined
