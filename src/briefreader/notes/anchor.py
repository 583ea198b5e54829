"""Anchoring notes to text: build selectors, and find them again after an article changes.

The rule: a note moves only when its quote *and* its context identify one place.

1. Exact occurrences of the quote: the one at the position hint when its context still fits;
   else the one occurrence whose stored prefix or suffix still surrounds it.
2. Else an approximate match (bit-parallel edit distance, Myers 1999) when the quote is long
   enough, at least ``FUZZY_MIN_SIMILARITY`` similar, its context fits, it keeps every number
   and name of the quote, and no other place matches as well: reported as ``fuzzy``.
3. A candidate that fails any of these (context gone, a rival place, a number or a name
   changed) is ``review``: the note stays where it was and is listed for the user to check.
4. Else the note is orphaned: kept, listed, never attached to text that doesn't match.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from briefreader.models import Article, Passage
from briefreader.notes.model import (
    ANCHORED,
    FUZZY,
    ORPHANED,
    REVIEW,
    Note,
    NotesError,
    TextSelector,
)
from briefreader.notes.store import NoteStore

CONTEXT_CHARS = 32
FUZZY_MIN_SIMILARITY = 0.85
FUZZY_MIN_LENGTH = 12
# The share of the stored prefix or suffix that must still surround a place for it to count
# as identified by its context.
CONTEXT_MIN = 0.75
# Between two places that both fit, the better must fit by this much more, else they rival.
CONTEXT_MARGIN = 0.25
# A quote that is this much a suffix/prefix of its context must win over mere closeness.
_PROXIMITY_WEIGHT = 0.01
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_NAME = re.compile(r"\b[A-Z][\w'’-]*")


@dataclass(frozen=True)
class Anchor:
    """Where a selector resolves in an article's current text.

    ``status`` is ``anchored`` (exact quote found), ``fuzzy`` (similar text found, see
    ``score``, the similarity 0..1), ``review`` (a candidate the rule will not move the note
    to; ``start``/``end`` are the candidate, ``reason`` says why) or ``orphaned``
    (``start``/``end`` are then the old hint).
    """

    start: int
    end: int
    status: str
    score: float
    passage_ids: tuple[str, ...] = ()
    reason: str = ""

    @property
    def found(self) -> bool:
        """True when the note is attached to text (exactly or fuzzily)."""
        return self.status in (ANCHORED, FUZZY)


@dataclass(frozen=True)
class ReanchorReport:
    """What ``reanchor_all`` did: counts per outcome and the ids that changed status."""

    checked: int = 0
    moved: tuple[str, ...] = ()
    fuzzy: tuple[str, ...] = ()
    orphaned: tuple[str, ...] = ()
    restored: tuple[str, ...] = ()
    review: tuple[str, ...] = ()


# --- building selectors ---------------------------------------------------------------------


def make_selector(article: Article, start: int, end: int) -> TextSelector:
    """A selector for ``article.text[start:end]`` with up to ``CONTEXT_CHARS`` of context.

    Raises:
        NotesError: when the range is empty or outside the text.
    """
    text = article.text
    if not 0 <= start < end <= len(text):
        raise NotesError(f"note range {start}..{end} is outside the article (0..{len(text)})")
    return TextSelector(
        exact=text[start:end],
        prefix=text[max(0, start - CONTEXT_CHARS) : start],
        suffix=text[end : end + CONTEXT_CHARS],
        start=start,
        end=end,
    )


def selector_for_passage(article: Article, passage_id: str, quote: str | None) -> TextSelector:
    """A selector for ``quote`` inside one passage, or for the whole passage when no quote.

    Raises:
        NotesError: when the passage is unknown or the quote does not occur in it.
    """
    passage = article.passage(passage_id)
    if passage is None:
        raise NotesError(f"no passage {passage_id!r} in article {article.id!r}")
    if not quote:
        return make_selector(article, passage.start, passage.end)
    offset = passage.text.find(quote)
    if offset < 0:
        raise NotesError(f"the quote does not occur in passage {passage_id}: {quote!r}")
    return make_selector(article, passage.start + offset, passage.start + offset + len(quote))


def add_note(
    store: NoteStore,
    article: Article,
    start: int,
    end: int,
    body: str = "",
    tags: Iterable[str] = (),
) -> Note:
    """Save a note on ``article.text[start:end]`` (what the reader calls on ctrl+s)."""
    selector = make_selector(article, start, end)
    passage_ids = passages_covering(article, start, end)
    if not passage_ids:
        raise NotesError(f"no passage of {article.id!r} covers {start}..{end}")
    return store.add(
        article.id, passage_ids[0], selector, body=body, tags=tags, passage_ids=passage_ids
    )


def passages_covering(article: Article, start: int, end: int) -> tuple[str, ...]:
    """Ids of the passages overlapping ``[start, end)``; else the nearest passage before it."""
    hits = tuple(p.id for p in article.passages if p.start < end and start < p.end)
    if hits or not article.passages:
        return hits
    before = [p for p in article.passages if p.end <= start]
    nearest: Passage = before[-1] if before else article.passages[0]
    return (nearest.id,)


# --- resolving selectors --------------------------------------------------------------------


def resolve(selector: TextSelector, article: Article) -> Anchor:
    """Find a selector in the article's current text (see the module docstring)."""
    text = article.text
    found = _exact_match(selector, text) or _fuzzy_match(selector, text)
    if found is None:
        return Anchor(selector.start, selector.end, ORPHANED, 0.0)
    start, end, score, reason = found
    status = REVIEW if reason else ANCHORED if score == 1.0 else FUZZY
    return Anchor(start, end, status, score, passages_covering(article, start, end), reason)


# The reader asks again on every refresh; an orphan's failed fuzzy search is the costly part.
_resolve_cached = lru_cache(maxsize=4096)(resolve)


def notes_for_article(
    store: NoteStore, article: Article, include_orphans: bool = True
) -> list[tuple[Note, Anchor]]:
    """This article's live notes with where they are now, in text order (orphans last).

    Resolves against ``article`` as given, so the offsets are right even before
    ``reanchor_all`` has run on a changed article. Nothing is written.
    """
    pairs = [(note, _resolve_cached(note.selector, article)) for note in store.list(article.id)]
    if not include_orphans:
        pairs = [pair for pair in pairs if pair[1].found]
    return sorted(pairs, key=lambda pair: (not pair[1].found, pair[1].start, pair[1].end))


def reanchor(store: NoteStore, note: Note, article: Article) -> Anchor:
    """Resolve one note against ``article`` and save the result if anything changed.

    A note to review keeps its selector and passages: it is never moved to a candidate.
    """
    anchor = resolve(note.selector, article)
    if anchor.found:
        selector = _with_position(note.selector, article, anchor)
        passage_ids = anchor.passage_ids
    else:
        selector, passage_ids = note.selector, note.passage_ids
    if (selector, passage_ids, anchor.status, anchor.score) != (
        note.selector,
        note.passage_ids,
        note.status,
        note.anchor_score,
    ):
        store.set_anchor(note.id, selector, passage_ids, anchor.status, anchor.score)
    return anchor


def reanchor_all(
    store: NoteStore, articles: Iterable[Article], gone: Iterable[str] = ()
) -> ReanchorReport:
    """Re-anchor the notes (deleted ones too) of ``articles``; orphan those of ``gone`` ids.

    The notes of any other article are left exactly as they are: a note is never orphaned
    because its article was not passed (the caller re-anchors only what an index run changed).
    """
    by_id = {article.id: article for article in articles}
    gone_ids = set(gone) - set(by_id)
    outcome: dict[str, list[str]] = {
        "moved": [],
        "fuzzy": [],
        "orphaned": [],
        "restored": [],
        "review": [],
    }
    notes = [
        note
        for note in store.list(include_deleted=True)
        if note.article_id in by_id or note.article_id in gone_ids
    ]
    for note in notes:
        article = by_id.get(note.article_id)
        if article is None:
            if note.status != ORPHANED:
                store.set_anchor(note.id, note.selector, note.passage_ids, ORPHANED, 0.0)
                outcome["orphaned"].append(note.id)
            continue
        kind = _outcome(note, reanchor(store, note, article))
        if kind is not None:
            outcome[kind].append(note.id)
    return ReanchorReport(len(notes), *(tuple(outcome[k]) for k in outcome))


def _outcome(note: Note, anchor: Anchor) -> str | None:
    """How re-anchoring changed a note: moved, fuzzy, orphaned, restored, review (None:
    unchanged)."""
    if anchor.status == REVIEW:
        return "review" if note.status != REVIEW else None
    if not anchor.found:
        return "orphaned" if note.status != ORPHANED else None
    if note.status in (ORPHANED, REVIEW):
        return "restored"
    if anchor.status == FUZZY and (note.status != FUZZY or anchor.score != note.anchor_score):
        return "fuzzy"
    if (anchor.start, anchor.end) != (note.selector.start, note.selector.end):
        return "moved"
    return None


def _with_position(selector: TextSelector, article: Article, anchor: Anchor) -> TextSelector:
    """Update the position hint; keep the quote and its context as the user saved them.

    The original quote stays (a fuzzy match never rewrites what the reader quoted), so a
    second re-anchoring is judged against the same words.
    """
    return TextSelector(selector.exact, selector.prefix, selector.suffix, anchor.start, anchor.end)


Match = tuple[int, int, float, str]  # start, end, similarity, reason to review ("" if none)


def _exact_match(selector: TextSelector, text: str) -> Match | None:
    """The exact occurrence of the quote its context identifies (see the module docstring)."""
    exact = selector.exact
    if not exact:
        return None
    candidates = _occurrences(text, exact)
    if not candidates:
        return None
    spans = [(start, start + len(exact)) for start in candidates]
    hint = (selector.start, selector.end)
    if hint in spans and (len(spans) == 1 or _fits(selector, text, *hint)):
        return selector.start, selector.end, 1.0, ""  # still there: nothing moves
    start, end, reason = _choose(selector, text, spans)
    return start, end, 1.0, reason


def _choose(
    selector: TextSelector, text: str, spans: list[tuple[int, int]]
) -> tuple[int, int, str]:
    """The place among ``spans`` the context identifies, with a reason to review it if none
    (or several) does."""
    ranked = sorted(
        spans,
        key=lambda s: (
            _context_score(selector, text, *s)
            - _PROXIMITY_WEIGHT * _distance_penalty(s[0], selector.start, len(text))
        ),
        reverse=True,
    )
    best = ranked[0]
    if not (selector.prefix or selector.suffix):  # nothing to tell places apart by
        return (*best, "" if len(ranked) == 1 else "the quote occurs in several places")
    if not _fits(selector, text, *best):
        return (*best, "the text around the quote changed")
    rivals = [s for s in ranked[1:] if _fits(selector, text, *s)]
    margin = CONTEXT_MARGIN * (len(selector.prefix) + len(selector.suffix)) / 2
    if (
        rivals
        and _context_chars(selector, text, *best) - _context_chars(selector, text, *rivals[0])
        < margin
    ):
        return (*best, "the quote and its context occur in several places")
    return (*best, "")


def _fits(selector: TextSelector, text: str, start: int, end: int) -> bool:
    """Does the stored prefix or suffix still (mostly) surround ``[start, end)``?"""
    before = text[max(0, start - len(selector.prefix)) : start]
    after = text[end : end + len(selector.suffix)]
    sides = []
    if selector.prefix:
        sides.append(_common_suffix(selector.prefix, before) / len(selector.prefix))
    elif start == 0:
        sides.append(1.0)
    if selector.suffix:
        sides.append(_common_prefix(selector.suffix, after) / len(selector.suffix))
    elif end == len(text):
        sides.append(1.0)
    return max(sides, default=0.0) >= CONTEXT_MIN


def _context_chars(selector: TextSelector, text: str, start: int, end: int) -> int:
    """How many characters of the stored context still surround ``[start, end)``."""
    before = text[max(0, start - len(selector.prefix)) : start]
    after = text[end : end + len(selector.suffix)]
    return _common_suffix(selector.prefix, before) + _common_prefix(selector.suffix, after)


def _facts_changed(quote: str, found: str) -> str:
    """Why ``found`` is not the quote's place: a number or a name differs ("" if none)."""
    if sorted(_NUMBER.findall(quote)) != sorted(_NUMBER.findall(found)):
        return "a number in the quote changed"
    if sorted(_NAME.findall(quote)) != sorted(_NAME.findall(found)):
        return "a name in the quote changed"
    return ""


def _occurrences(text: str, needle: str) -> list[int]:
    found, start = [], text.find(needle)
    while start >= 0:
        found.append(start)
        start = text.find(needle, start + 1)
    return found


def _context_score(selector: TextSelector, text: str, start: int, end: int) -> float:
    """How well the text around ``[start, end)`` matches the stored prefix/suffix (0..1)."""
    total = len(selector.prefix) + len(selector.suffix)
    if total == 0:
        return 0.0
    before = text[max(0, start - len(selector.prefix)) : start]
    after = text[end : end + len(selector.suffix)]
    return (
        _common_suffix(selector.prefix, before) + _common_prefix(selector.suffix, after)
    ) / total


def _distance_penalty(start: int, hint: int, length: int) -> float:
    return abs(start - hint) / max(length, 1)


def _common_prefix(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def _common_suffix(a: str, b: str) -> int:
    return _common_prefix(a[::-1], b[::-1])


# --- approximate matching -------------------------------------------------------------------


def _fuzzy_match(selector: TextSelector, text: str) -> Match | None:
    """The approximate occurrence of the quote its context identifies, if similar enough;
    a reason to review it when a number or a name differs or another place rivals it.

    Every place within the error bound is a candidate, not only the closest: an edited
    quote can be further (in edits) from its own place than from a rival paragraph that
    differs only in its figures.
    """
    exact = selector.exact
    if len(exact) < FUZZY_MIN_LENGTH or not text:
        return None
    max_errors = int(len(exact) * (1 - FUZZY_MIN_SIMILARITY))
    ends = approximate_ends(exact, text, max_errors)
    if not ends:
        return None
    spans = _distinct_spans(
        [(_approximate_start(exact, text, end, d), end) for end, d in ends.items()], ends
    )
    sound = [
        s
        for s in spans
        if _fits(selector, text, *s) and not _facts_changed(exact, text[s[0] : s[1]])
    ]
    if sound:
        start, end, reason = _choose(selector, text, sound)
    else:
        closest = min(ends.values())
        start, end, reason = _choose(selector, text, [s for s in spans if ends[s[1]] == closest])
        reason = reason or _facts_changed(exact, text[start:end]) or "the text changed"
    similarity = min(1 - ends[end] / len(exact), 0.999)
    return start, end, similarity, reason


def _distinct_spans(spans: list[tuple[int, int]], ends: dict[int, int]) -> list[tuple[int, int]]:
    """One span per place: of spans that overlap, the one with the fewest edits."""
    places: list[tuple[int, int]] = []
    for span in sorted(set(spans)):
        if places and span[0] < places[-1][1]:
            if ends[span[1]] < ends[places[-1][1]]:
                places[-1] = span
            continue
        places.append(span)
    return places


def approximate_ends(pattern: str, text: str, max_errors: int) -> dict[int, int]:
    """End offsets (exclusive) in ``text`` where ``pattern`` matches with at most
    ``max_errors`` edits (Levenshtein), mapped to the edit distance; local minima only.
    """
    return _local_minima(edit_distances(pattern, text), max_errors)


def edit_distances(pattern: str, text: str, anchored: bool = False) -> list[int]:
    """For each ``j``, the least edit distance between ``pattern`` and a substring of ``text``
    ending at ``j + 1`` (starting at 0 when ``anchored``).

    Myers' bit-parallel algorithm (Hyyrö's formulation): O(len(text)) big-integer operations.
    """
    m = len(pattern)
    if m == 0:
        return [0 if not anchored else j + 1 for j in range(len(text))]
    peq: dict[str, int] = {}
    for i, char in enumerate(pattern):
        peq[char] = peq.get(char, 0) | (1 << i)
    mask, high, carry = (1 << m) - 1, 1 << (m - 1), int(anchored)
    pv, mv, score = mask, 0, m
    scores: list[int] = []
    for char in text:
        eq = peq.get(char, 0)
        xv = eq | mv
        xh = ((((eq & pv) + pv) & mask) ^ pv) | eq
        ph = (mv | ~(xh | pv)) & mask
        mh = pv & xh
        if ph & high:
            score += 1
        elif mh & high:
            score -= 1
        ph = ((ph << 1) | carry) & mask
        mh = (mh << 1) & mask
        pv = (mh | ~(xv | ph)) & mask
        mv = ph & xv
        scores.append(score)
    return scores


def _local_minima(scores: list[int], max_errors: int) -> dict[int, int]:
    found: dict[int, int] = {}
    for j, score in enumerate(scores):
        if score > max_errors:
            continue
        left = scores[j - 1] if j > 0 else score + 1
        right = scores[j + 1] if j + 1 < len(scores) else score + 1
        if (score <= left and score < right) or (score < left and score <= right):
            found[j + 1] = score
    return found


def _approximate_start(pattern: str, text: str, end: int, distance: int) -> int:
    """Where the match ending at ``end`` starts: align the reversed pattern from ``end`` back."""
    window = text[max(0, end - len(pattern) - distance) : end][::-1]
    scores = edit_distances(pattern[::-1], window, anchored=True)
    best = min(scores)
    # The longest alignment with the least distance, so no matching character is left out.
    reach = max(k + 1 for k, score in enumerate(scores) if score == best)
    return end - reach
