"""Posting lists of a segment with deleted documents, without a filter around every term.

Whoosh's ``SegmentReader.postings`` wraps every term's postings in a segment with deletions
in a ``FilterMatcher``: one more Python call around every ``id``/``next``/``skip_to`` of every
term of every query, for as long as the segment keeps a deleted document. Every index that
has had a one-file update has some in its big segment until a full merge, and at BBC ×16
queries ran 22% faster at p95 over the same index without the wrapper
(docs/performance.md, "Deleted documents without a filter").

``LiveLeafMatcher`` drops the deleted documents from a posting block when it reads the
block, and only from a block whose id range holds one (a bisection in the segment's sorted
deletions, from the block header's last id): ``next`` and ``skip_to`` stay the leaf's own.
A block left empty is passed over. The block's last id becomes its last live one
(``skip_to`` looks for its target in the block when the target is not past it); the header's
other statistics (its best weight, its shortest and longest document) stay as they are: they
bound the live postings as they bounded all of them, which is all block-max pruning needs.
Inlined posting lists (a term in few documents) are filtered once, as a list.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from functools import cached_property
from typing import Any

from whoosh.codec import whoosh3
from whoosh.matching.mcore import ListMatcher
from whoosh.reading import SegmentReader

WHOOSH_POSTINGS = SegmentReader.postings  # for the tests' comparison


class LiveLeafMatcher(whoosh3.W3LeafMatcher):
    """A ``W3LeafMatcher`` over the live documents of a segment only.

    A block whose id range holds a deleted document is *suspect*. Its ids are decoded and
    filtered when the matcher stops on it (``reset``, ``next``, the end of a ``skip_to`` or
    ``skip_to_quality``), not while those pass over blocks by their headers, so the blocks
    read are the ones Whoosh reads anyway; weights and values are filtered when first read.
    """

    # Slots, not the instance dict: CPython shares one key table among a class's instance
    # dicts only up to 30 attributes. Whoosh's matcher has 24, and seven more in the dict
    # gave every instance a dict of its own, which slows every attribute read of every
    # ``id``/``next``/``weight`` call (8% more CPU per query over a segment with deletions).
    __slots__ = (
        "_deleted_ordered",
        "_deleted_set",
        "_keep",
        "_passing",
        "_stored_length",
        "_stored_maxid",
        "_suspect",
    )

    # Whoosh's (untyped) block state, set by ``_goto`` and the ``_read_*`` methods.
    _maxid: Any
    _blocklength: Any
    _i: Any
    _ids: Any
    _weights: Any
    _values: Any
    _atend: Any

    def __init__(
        self,
        postfile: Any,
        startoffset: int,
        length: int,
        format_: Any,
        deleted: tuple[Sequence[int], frozenset[int]],
        term: Any = None,
        scorer: Any = None,
    ) -> None:
        self._deleted_ordered, self._deleted_set = deleted
        self._stored_maxid = -1  # the last id of the block in hand, as its header says
        self._suspect = False  # the block in hand may hold deleted documents, not yet dropped
        self._passing = False  # inside ``_skip_to_block``: blocks are passed by their headers
        self._keep: list[int] | None = None  # positions of the live postings in the block
        self._stored_length = 0
        super().__init__(postfile, startoffset, length, format_, term=term, scorer=scorer)

    def _goto(self, position: int) -> None:
        """Read the header of the block at ``position``; if a deleted document falls in its
        id range, drop those (now, unless the matcher is only passing over blocks)."""
        after = -1 if self._maxid is None else self._stored_maxid  # the block before's end
        super()._goto(position)
        self._keep = None
        self._stored_maxid = self._maxid
        self._stored_length = self._blocklength
        deleted = self._deleted_ordered
        first = bisect_right(deleted, after)
        self._suspect = first < len(deleted) and deleted[first] <= self._maxid
        if self._suspect and not self._passing:
            self._drop_deleted()

    def _skip_to_block(self, skipwhile: Any) -> int:
        """Whoosh's, passing blocks by their headers; the block it stops on is filtered."""
        self._passing = True
        try:
            skipped: int = super()._skip_to_block(skipwhile)
        finally:
            self._passing = False
        if self._suspect and not self._atend:
            self._drop_deleted()
        return skipped

    def _drop_deleted(self) -> None:
        """Keep only the live ids of the block in hand; pass over it (and the blocks after
        it, while they hold only deleted documents) if it has none."""
        while True:
            self._suspect = False
            self._read_ids()
            deleted = self._deleted_set
            keep = [i for i, docnum in enumerate(self._ids) if docnum not in deleted]
            if len(keep) < self._blocklength:
                self._keep = keep
                self._ids = tuple(self._ids[i] for i in keep)
                self._blocklength = len(keep)
            if self._blocklength:
                self._maxid = self._ids[-1]  # skip_to trusts it: its last live document
                return
            if self._lastblock:
                self._atend = True
                return
            self._passing = True
            try:
                self._goto(self._nextoffset)
            finally:
                self._passing = False
            if not self._suspect:
                return

    def _read_weights(self) -> None:
        super()._read_weights()
        if self._keep is not None and len(self._weights) == self._stored_length:
            self._weights = [self._weights[i] for i in self._keep]

    def _read_values(self) -> None:
        super()._read_values()
        if self._keep is not None and len(self._values) == self._stored_length:
            self._values = [self._values[i] for i in self._keep]


def _deleted_ordered(self: Any) -> tuple[int, ...]:
    """The segment's deleted document numbers, in order."""
    return tuple(sorted(self.deleted_docs_set))


def live_postings(self: Any, fieldname: str, text: Any, scorer: Any = None) -> Any:
    """``SegmentReader.postings``: the term's postings in this segment, its deleted
    documents left out without a ``FilterMatcher`` (see the module's docstring)."""
    deleted = self.deleted_docs_set
    if not deleted:
        return WHOOSH_POSTINGS(self, fieldname, text, scorer)
    if self.is_closed or fieldname not in self.schema:
        return WHOOSH_POSTINGS(self, fieldname, text, scorer)  # Whoosh's errors
    tbytes = self._text_to_bytes(fieldname, text)
    format_ = self.schema[fieldname].format
    terminfo = self._terms.term_info(fieldname, tbytes)  # raises TermNotFound
    term = (fieldname, tbytes)
    if terminfo.is_inlined():
        ids, weights, values = terminfo.inlined_postings()
        keep = [i for i, docnum in enumerate(ids) if docnum not in deleted]
        return ListMatcher(
            [ids[i] for i in keep],
            None if weights is None else [weights[i] for i in keep],
            None if values is None else [values[i] for i in keep],
            format_,
            scorer=scorer,
            term=term,
            terminfo=terminfo,
        )
    offset, length = terminfo.extent()
    return LiveLeafMatcher(
        self._terms._postfile,
        offset,
        length,
        format_,
        (self.deleted_docs_ordered, deleted),
        term=term,
        scorer=scorer,
    )


def install() -> None:
    """Make every ``SegmentReader`` use ``live_postings``."""
    ordered = cached_property(_deleted_ordered)
    ordered.__set_name__(SegmentReader, "deleted_docs_ordered")
    SegmentReader.deleted_docs_ordered = ordered
    SegmentReader.postings = live_postings
