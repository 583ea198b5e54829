"""Term-at-a-time scoring straight from Whoosh posting blocks (for related passages).

A related-passages query is a long OR of weighted terms. Whoosh answers it with a tree of
union matchers that does Python work per document *and* per tree node (~0.4 ms per matching
document on BBC passages); accumulating scores over each term's posting blocks does a few
dictionary operations per posting instead (10-20× less work for the same candidates).

``PassageIndex`` is a per-searcher view: a byte mask of live passage documents (built once,
from the ``kind`` postings and the deletions), document frequencies (memoised) and
``accumulate``, which adds ``weight × tf-saturation`` per posting of each term into a
``{docnum: score}`` map. Fields are named as on article documents (``body``, ``entity``…):
statistics count both kinds of document, as the related ranking was tuned on, and postings are
read from the passages' own fields (``schema.passage_field``). Posting blocks are read with
the whoosh-reloaded 2.7 codec's block reader when the matcher is one (the fast path), and
through the public matcher API otherwise.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Iterator, Sequence
from functools import cached_property
from typing import Any

from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.matching.wrappers import FilterMatcher
from whoosh.reading import TermNotFound

from briefreader.models import parse_passage_id
from briefreader.search.index.documents import article_docnums, stored_passage_id
from briefreader.search.index.schema import entity_index_fields, passage_field

# BM25's term-frequency saturation (no length norm at this stage: passages are short).
K1 = 1.2


def posting_blocks(
    reader: Any, fieldname: str, term: str
) -> Iterator[tuple[Sequence[int], Sequence[float]]]:
    """(document numbers, weights) per posting block of ``term`` in one leaf reader.

    Deleted documents are *not* removed here (the passage mask does that).
    """
    try:
        matcher = raw_postings(reader, fieldname, term)
    except TermNotFound:
        return
    if isinstance(matcher, W3LeafMatcher):
        yield from _w3_blocks(matcher)
        return
    ids: list[int] = []
    weights: list[float] = []
    while matcher.is_active():
        ids.append(matcher.id())
        weights.append(matcher.weight())
        matcher.next()
    yield ids, weights


def raw_postings(reader: Any, fieldname: str, term: str) -> Any:
    """The posting list of ``term`` in one leaf reader as it is stored: from its first
    posting, deleted documents included. A reader's ``postings`` passes over the deleted
    ones, and a list whose first block held only deleted documents started at a later block
    (their count was lost).

    Raises:
        TermNotFound: the field or the term is not in this reader.
    """
    terms = getattr(reader, "_terms", None)
    if terms is None:  # not an on-disk segment reader: no deletions to keep
        matcher = reader.postings(fieldname, term)
        return matcher.child if isinstance(matcher, FilterMatcher) else matcher
    text = reader._text_to_bytes(fieldname, term)
    return terms.matcher(fieldname, text, reader.schema[fieldname].format)


def _deleted_postings(leaf: Any, fieldname: str, term: str, ordered: Sequence[int]) -> int:
    """How many deleted documents of one leaf reader (``ordered``: their numbers, sorted)
    the posting list of ``term`` still holds. A block's ids are decoded only when a deleted
    document falls between the end of the block before and its own last id (its header has
    that): deletions are few and grouped (a re-read file's article and its passages), so
    most blocks are passed over."""
    deleted = leaf.deleted_docs_set
    try:
        matcher = raw_postings(leaf, fieldname, term)
    except TermNotFound:
        return 0
    if not isinstance(matcher, W3LeafMatcher):
        return sum(
            len(deleted.intersection(ids)) for ids, _ in posting_blocks(leaf, fieldname, term)
        )
    found, after = 0, -1  # the block before ended at ``after``
    while matcher.is_active():
        last = matcher.block_max_id()
        first_deleted = bisect_right(ordered, after)
        if first_deleted == len(ordered):
            break  # no deleted document past this point
        if ordered[first_deleted] <= last:
            matcher._read_ids()
            found += len(deleted.intersection(matcher._ids))
        after = last
        matcher._next_block()
    return found


def _w3_blocks(matcher: W3LeafMatcher) -> Iterator[tuple[Sequence[int], Sequence[float]]]:
    """Whole blocks of an on-disk posting list (ids decoded once per block)."""
    while matcher.is_active():
        matcher._read_ids()
        matcher._read_weights()
        yield matcher._ids, matcher._weights
        matcher._next_block()


class PassageIndex:
    """Per-searcher data for scoring passage documents; build with ``PassageIndex(searcher)``.

    The Whoosh implementation of ``search.backend.PassageStatistics``.
    """

    MAX_DF_ENTRIES = 200_000

    def __init__(self, searcher: Any) -> None:
        self.searcher = searcher
        self.reader = searcher.reader()
        self.leaves: list[tuple[Any, int]] = list(self.reader.leaf_readers())
        self.total = max(self.reader.doc_count(), 1)
        self._mask: bytearray | None = None
        self._passages = 0
        self._df: dict[tuple[str, str], int] = {}
        self._deleted: frozenset[int] | None = None
        self.analyzer = searcher.schema["body"].analyzer

    def stored_fields(self, docnum: int) -> dict[str, Any]:
        """The stored values of a passage document, its ``doc_id`` included."""
        fields: dict[str, Any] = self.reader.stored_fields(docnum)
        if "number" in fields:
            fields["doc_id"] = stored_passage_id(fields)
        return fields

    def document_number(self, passage_id: str) -> int | None:
        """The document number of a live passage id in this snapshot (None if absent): among
        its article's documents, the one with its number."""
        parsed = parse_passage_id(passage_id)
        if parsed is None:
            return None
        article_id, number = parsed
        for docnum in article_docnums(self.searcher, article_id):
            if self.reader.stored_fields(docnum).get("number") == number:
                return int(docnum)
        return None

    def field_length(self, fieldname: str) -> int:
        """Total tokens of ``fieldname`` over all documents (articles and passages)."""
        return sum(int(self.reader.field_length(name)) for name in _both(fieldname))

    @property
    def mask(self) -> bytearray:
        """1 at the document number of every live passage document, else 0."""
        if self._mask is None:
            self._mask = self._build_mask()
        return self._mask

    @property
    def passages(self) -> int:
        """How many live passage documents there are."""
        self.mask  # noqa: B018 - builds the count with the mask
        return self._passages

    def _build_mask(self) -> bytearray:
        mask = bytearray(self.reader.doc_count_all())
        for leaf, base in self.leaves:
            for ids, _ in posting_blocks(leaf, "kind", "passage"):
                for docnum in ids:
                    mask[base + docnum] = 1
            if leaf.has_deletions():
                for docnum in range(leaf.doc_count_all()):
                    if leaf.is_deleted(docnum):
                        mask[base + docnum] = 0
        self._passages = sum(mask)
        return mask

    def df(self, fieldname: str, term: str) -> int:
        """Document frequency of a term (memoised, bounded); for ``entity``, the documents
        holding the key in any typed entity field."""
        key = (fieldname, term)
        found = self._df.get(key)
        if found is None:
            if len(self._df) > self.MAX_DF_ENTRIES:
                self._df.clear()
            if len(entity_index_fields(fieldname)) > 1:  # any of the typed fields: a union
                found = len(self.docnums(fieldname, term) - self.deleted)
            else:
                found = sum(self._live_frequency(name, term) for name in _both(fieldname))
            self._df[key] = found
        return found

    @property
    def deleted(self) -> frozenset[int]:
        """The (top-level) numbers of the documents deleted from their segments but not yet
        merged away (an update deletes the documents of the files it re-reads)."""
        if self._deleted is None:
            self._deleted = frozenset(
                base + docnum
                for (_leaf, base), ordered in zip(self.leaves, self._sorted_deleted, strict=True)
                for docnum in ordered
            )
        return self._deleted

    def _live_frequency(self, name: str, term: str) -> int:
        """The documents holding ``term`` in field ``name``, deleted ones left out.

        Whoosh's ``doc_frequency`` counts deleted documents until a merge drops them (an
        update must not make a word look more common than it is); they are taken off per
        posting block of the segments that have deletions, in C (a set test per block): one
        Python call per posting made the first related passages of a long article take 51
        CPU s at BBC ×16 after an update, the library locked throughout.
        """
        found = 0
        for (leaf, _base), ordered in zip(self.leaves, self._sorted_deleted, strict=True):
            frequency = leaf.doc_frequency(name, term)
            if frequency and ordered:
                frequency -= _deleted_postings(leaf, name, term, ordered)
            found += frequency
        return found

    @cached_property
    def _sorted_deleted(self) -> list[list[int]]:
        """Each leaf's deleted document numbers, in order (empty: none)."""
        return [
            sorted(leaf.deleted_docs_set) if leaf.has_deletions() else [] for leaf, _ in self.leaves
        ]

    def docnums(self, fieldname: str, term: str) -> set[int]:
        """Document numbers holding ``term`` (deleted ones included; mask them)."""
        found: set[int] = set()
        for name in _both(fieldname):
            for leaf, base in self.leaves:
                for ids, _ in posting_blocks(leaf, name, term):
                    found.update(base + docnum for docnum in ids)
        return found

    def accumulate(
        self, fieldname: str, weighted: Iterable[tuple[str, float]], scores: dict[int, float]
    ) -> None:
        """Add ``weight × tf(K1+1)/(tf+K1)`` per live passage posting of each term."""
        mask = self.mask
        get = scores.get
        fieldname = passage_field(fieldname)
        for term, weight in weighted:
            for leaf, base in self.leaves:
                for ids, tfs in posting_blocks(leaf, fieldname, term):
                    for docnum, tf in zip(ids, tfs, strict=True):
                        doc = base + docnum
                        if mask[doc]:
                            scores[doc] = get(doc, 0.0) + weight * tf * (K1 + 1) / (tf + K1)


def _both(fieldname: str) -> tuple[str, ...]:
    """An article field and, if passages have their own, the passages' field (for
    ``entity``: those of every typed entity field)."""
    found: list[str] = []
    for name in entity_index_fields(fieldname):
        own = passage_field(name)
        found += [name] if own == name else [name, own]
    return tuple(found)
