"""Measured fixes to Whoosh 2.7.5 (whoosh-reloaded is pinned to it in pyproject.toml).

Imported by ``search.store`` before any index is opened. Each patch replaces one method with
the same behaviour minus a cost measured by the benchmarks (see docs/performance.md).
"""

from __future__ import annotations

import re
import zlib
from array import array
from bisect import bisect_left
from itertools import accumulate
from typing import Any

from whoosh import columns, formats, writing
from whoosh.codec import base as codec_base
from whoosh.codec import whoosh3
from whoosh.filedb import structfile
from whoosh.matching import binary, combo, wrappers
from whoosh.matching.mcore import NullMatcher, ReadTooFar
from whoosh.query import spans, terms

from briefreader.search.index import (
    block_writer,  # noqa: F401  (installs the block writer)
    live_postings,
    split_commit,
)
from briefreader.search.index.checkpoints import checkpoint
from briefreader.search.index.fast_analysis import fast_word_values
from briefreader.search.index.term_pool import BYTE_LENGTHS, TermPool, length_table, write_terms

_NO_COLUMN = object()
_PEEK = 512  # bytes: a posting block header's pickle is well under this


def _cached_reader(self, fieldname, column):  # type: ignore[no-untyped-def]
    """Whoosh's ``W3PerDocReader._cached_reader``, remembering "no such column" too.

    Whoosh checks the file system again for every posting of a field without a length
    column (ID, KEYWORD, spelling fields) while it writes postings at commit: about a quarter
    of the CPU of a build (benchmarks/prototypes.py, variant ``negcache``).
    """
    found = self._readers.get(fieldname, _NO_COLUMN)
    if found is _NO_COLUMN:
        found = self.column_reader(fieldname, column) if self.has_column(fieldname) else None
        self._readers[fieldname] = found
    return found


class MemoryReader:
    """A read-only file over a buffer (a slice of the memory-mapped segment), without a copy.

    Whoosh's ``BufferFile`` wraps the slice in ``io.BytesIO``, which copies it: opening a
    reader copied every file of every segment into memory (393 MB, 0.3 s, for the 16×
    benchmark corpus), where the mapping alone costs only the pages a query touches.
    """

    def __init__(self, buffer: Any) -> None:
        self._view = memoryview(buffer)
        self._position = 0
        self.closed = False

    def read(self, size: int | None = -1) -> bytes:
        """Up to ``size`` bytes from the current position (all that is left if negative)."""
        start = self._position
        end = len(self._view) if size is None or size < 0 else min(start + size, len(self._view))
        self._position = max(end, start)
        return bytes(self._view[start:end])

    def peek(self, size: int = 0) -> bytes:
        """Bytes from the current position without moving it (at most ``_PEEK`` of them).

        Python's unpickler peeks when it can, then reads only what it used: one call instead
        of one per opcode when Whoosh unpickles a posting block's header from this file.
        """
        wanted = _PEEK if size <= 0 else min(size, _PEEK)
        return bytes(self._view[self._position : self._position + wanted])

    def readinto(self, target: Any) -> int:
        """Fill ``target`` from the current position; the number of bytes copied."""
        chunk = self.read(len(memoryview(target)))
        memoryview(target).cast("B")[: len(chunk)] = chunk
        return len(chunk)

    def readline(self, size: int | None = -1) -> bytes:
        """Bytes up to and including the next newline (or ``size`` bytes, or the end)."""
        line = bytearray()
        while size is None or size < 0 or len(line) < size:
            want = 256 if size is None or size < 0 else min(256, size - len(line))
            chunk = self.read(want)
            if not chunk:
                break
            newline = chunk.find(b"\n")
            if newline >= 0:
                self._position -= len(chunk) - newline - 1
                line += chunk[: newline + 1]
                break
            line += chunk
        return bytes(line)

    def __iter__(self) -> Any:
        line = self.readline()
        while line:
            yield line
            line = self.readline()

    def seek(self, offset: int, whence: int = 0) -> int:
        """Move the position (``whence`` as for files)."""
        base = (0, self._position, len(self._view))[whence]
        self._position = max(0, base + offset)
        return self._position

    def tell(self) -> int:
        """The current position."""
        return self._position

    def close(self) -> None:
        """Release the view of the buffer."""
        self.closed = True


def _buffer_file_init(self, buf, name=None, onclose=None):  # type: ignore[no-untyped-def]
    """``BufferFile.__init__`` reading through ``MemoryReader`` instead of a ``BytesIO`` copy."""
    self._buf = buf
    self._name = name
    self.file = MemoryReader(buf)
    self.onclose = onclose
    self.is_real = False
    self.is_closed = False


def pool_size(pool: Any) -> int:
    """How many postings a writer's pool holds (spilled or not)."""
    return int(getattr(pool, "postings", 0))


class _WholeLengths:
    """The field lengths of the segment a commit writes, each field's column read once.

    Whoosh looks the length of every posting's document up at commit through three calls
    and a file read (``doc_field_length``): 10% of the CPU of a text phase at BBC ×1
    (docs/performance.md). Same values, ``None`` for a zero length byte as Whoosh gives.
    """

    def __init__(self, perdoc: Any) -> None:
        self._perdoc = perdoc
        self._fields: dict[str, list[int | None]] = {}

    def doc_field_length(self, docnum: int, fieldname: str, default: int = 0) -> int | None:
        """The length of field ``fieldname`` in document ``docnum``."""
        table = self.table(fieldname)
        return table[docnum] if table else default

    def table(self, fieldname: str) -> list[int | None]:
        """Every document's length of field ``fieldname`` (empty: the field has none)."""
        table = self._fields.get(fieldname)
        if table is None:
            table = self._fields[fieldname] = self._table(fieldname)
        return table

    def _table(self, fieldname: str) -> list[int | None]:
        return length_table(self.column(fieldname), self.documents())

    def documents(self) -> int:
        """How many documents the segment has."""
        return int(self._perdoc.doc_count_all())

    def column(self, fieldname: str) -> bytes | None:
        """The field's length byte of every document (None: the field keeps no lengths)."""
        return _length_bytes(self._perdoc, fieldname)


WHOOSH_FLUSH_SEGMENT = writing.SegmentWriter._flush_segment  # for the tests' comparison


def _flush_segment(self):  # type: ignore[no-untyped-def]
    """Whoosh's ``SegmentWriter._flush_segment`` with the lengths read once per field and
    the postings written term by term from the ``TermPool`` (by two processes for a large
    segment: ``split_commit``)."""
    self.perdocwriter.close()
    pdr = self.per_document_reader() if self.codec.length_stats else None
    lengths = _WholeLengths(pdr) if pdr else None
    table = lengths.table if lengths else None
    if not split_commit.write_split(self.fieldwriter, self.schema, lengths, self.pool):
        write_terms(self.fieldwriter, self.schema, table, self.pool.iter_terms())
    self.fieldwriter.close()
    if pdr:
        pdr.close()


def _doc_field_length(self, docnum, fieldname, default=0):  # type: ignore[no-untyped-def]
    """Whoosh's ``W3PerDocReader.doc_field_length``, each field's length column read once
    per segment reader (a byte per document) instead of a file read per call.

    BM25F asks it once per scored posting: 14% of the CPU of a two-word AND at BBC ×16
    (``benchmarks.queries``' and class). Same values: None for a zero byte, ``default``
    for a field without lengths, IndexError past the last document.
    """
    if docnum > self._doccount:
        raise IndexError(f"Asked for docnum {docnum!r} of {self._doccount}")
    column = _cached_length_bytes(self, fieldname)
    if column is None:
        return default
    return BYTE_LENGTHS[column[docnum]] if docnum < len(column) else None


def _cached_length_bytes(perdoc: Any, fieldname: str) -> bytes | None:
    """``_length_bytes``, read once per per-document reader and field."""
    columns_ = perdoc.__dict__.get("_length_bytes")
    if columns_ is None:
        columns_ = perdoc._length_bytes = {}
    column = columns_.get(fieldname, _NO_COLUMN)
    if column is _NO_COLUMN:
        column = columns_[fieldname] = _length_bytes(perdoc, fieldname)
    return column  # type: ignore[no-any-return]


def field_length_bytes(reader: Any, fieldname: str) -> bytes | None:
    """A segment reader's length byte of ``fieldname`` for every document (``BYTE_LENGTHS``
    turns a byte into the length BM25F reads), or None when the reader is not a Whoosh 3
    segment's or the field keeps no lengths."""
    perdoc = getattr(reader, "_perdoc", None)
    if not isinstance(perdoc, whoosh3.W3PerDocReader):
        return None
    return _cached_length_bytes(perdoc, fieldname)


def _length_bytes(perdoc: Any, fieldname: str) -> bytes | None:
    """The length bytes of every document of a field (None: the field has no lengths)."""
    reader = perdoc._cached_reader(whoosh3._lenfield(fieldname), whoosh3.LENGTHS_COLUMN)
    if reader is None:
        return None
    if getattr(reader, "_fixedlen", None) == 1:  # one read of the column's bytes
        return bytes(reader._dbfile.get(reader._basepos, reader._count))
    return bytes(reader[docnum] for docnum in range(reader._count))


whoosh3.W3PerDocReader._cached_reader = _cached_reader


def _leaf_skip_to(self, targetid):  # type: ignore[no-untyped-def]
    """Whoosh's ``W3LeafMatcher.skip_to``, finding the target in its block by bisection
    instead of stepping through the block's ids one ``next()`` at a time.

    The intersections of an AND query skip each posting list to the other's document:
    27% of the CPU of a two-word AND at BBC ×16 was spent in this loop. Same position.
    """
    if not self.is_active():
        raise ReadTooFar
    if targetid <= self.id():
        return
    if targetid > self.block_max_id():
        self._skip_to_block(lambda: targetid > self.block_max_id())
        if not self.is_active():
            return
        if targetid <= self.id():  # loads the new block's ids
            return
    # The block holds an id >= targetid (its last id is the block's max id), unless the block
    # was filtered (``live_postings``) after its header was read: then on to the next block.
    self._i = bisect_left(self._ids, targetid, self._i, self._blocklength)
    if self._i == self._blocklength:
        self._next_block()


def _leaf_read_ids(self):  # type: ignore[no-untyped-def]
    """Whoosh's ``W3LeafMatcher._read_ids``, a block's gaps summed by ``accumulate`` (in C)
    instead of Whoosh's ``delta_decode`` generator: 14% of a two-word phrase of common
    words at BBC ×32 when every match is scored (``search/bulk.py``). The same ids."""
    if self._data is None:
        self._read_data()
    ids = self._data[0]
    if not self._byteids:
        ids = tuple(accumulate(ids))
    self._ids = ids


WHOOSH_LEAF_READ_IDS = whoosh3.W3LeafMatcher._read_ids  # for the tests' comparison
whoosh3.W3LeafMatcher._read_ids = _leaf_read_ids
WHOOSH_LEAF_SKIP_TO = whoosh3.W3LeafMatcher.skip_to  # for the tests' comparison
whoosh3.W3LeafMatcher.skip_to = _leaf_skip_to
WHOOSH_DOC_FIELD_LENGTH = whoosh3.W3PerDocReader.doc_field_length  # for the tests' comparison
whoosh3.W3PerDocReader.doc_field_length = _doc_field_length
structfile.BufferFile.__init__ = _buffer_file_init
WHOOSH_WORD_VALUES = {
    format_: format_.word_values
    for format_ in (formats.Positions, formats.Frequency, formats.Existence)
}  # for the tests' comparison
formats.Positions.word_values = fast_word_values(formats.Positions.word_values, "positions")
formats.Frequency.word_values = fast_word_values(formats.Frequency.word_values, "frequency")
formats.Existence.word_values = fast_word_values(formats.Existence.word_values, "existence")
WHOOSH_POSTING_POOL = writing.PostingPool  # for the tests' comparison
writing.PostingPool = TermPool  # the class ``SegmentWriter`` makes its pool from
writing.SegmentWriter._flush_segment = _flush_segment


def _array_union_init(self, submatchers, doccount, boost=1.0, scored=True, partsize=2048):  # type: ignore[no-untyped-def]
    """``ArrayUnionMatcher.__init__`` with a score array no longer than the segment.

    Whoosh answers an ``OR`` (a plain word searches four fields) with this matcher in every
    segment of up to 5,000 documents, and filled a 2,048-slot array one Python step at a time
    for each, even for a ten-document segment left by a one-file update: the cost that made
    small segments slow queries down (benchmarks/segments.py).
    """
    combo.CombinationMatcher.__init__(self, submatchers, boost=boost)
    self._scored = scored
    self._doccount = doccount
    self._partsize = min(partsize, doccount) if partsize else doccount
    self._a = array("d", bytes(8 * self._partsize))
    self._docnum = self._min_id()
    self._read_part()


def _array_union_read_part(self):  # type: ignore[no-untyped-def]
    """``ArrayUnionMatcher._read_part`` clearing the array in one step (C), not per slot,
    and stopping at this thread's checkpoint (the query budget).

    The array is cleared in place: Whoosh's ``all_ids`` (what counts a query's matches)
    holds on to it from part to part, and counted the first part's slots over and over when
    each part had an array of its own (found by an independent audit: wrong totals for a
    prefix or fuzzy word of 8 words or more, alone in its query, over 2,048 documents)."""
    scored = self._scored
    boost = self._boost
    limit = min(self._docnum + self._partsize, self._doccount)
    offset = self._docnum
    a = self._a
    a[:] = array("d", bytes(8 * len(a)))
    checkpoint()  # a part walks every word's postings in up to 2,048 documents
    for m in self._submatchers:
        while m.is_active() and m.id() < limit:
            i = m.id() - offset
            if scored:
                a[i] += m.score() * boost
            else:
                a[i] = 1
            m.next()
    self._offset = offset
    self._limit = limit


def _array_union_max_quality(self):  # type: ignore[no-untyped-def]
    """``ArrayUnionMatcher.max_quality`` as a true bound on the scores still to come: the
    best score buffered in the part in hand, or the sum of the still-active words' best.

    Whoosh's was the best of any one active word's, but a document holding several of the
    words scores their sum, and a word done reading still has scores in the buffer. Parent
    unions and intersections ``replace`` themselves on this bound (a union whose side cannot
    reach the top N's lowest score drops it): once ``KindBM25F`` made real scores come near
    the bounds, a prefix search (``inve*``, an array union of the words it stands for) lost
    top hits that a longer list showed (found by an independent audit).
    """
    buffered = max(self._a) if self._a else 0.0
    pending = sum(m.max_quality() for m in self._submatchers if m.is_active()) * self._boost
    return max(buffered, pending)


combo.ArrayUnionMatcher.__init__ = _array_union_init
combo.ArrayUnionMatcher._read_part = _array_union_read_part
combo.ArrayUnionMatcher.max_quality = _array_union_max_quality


def _filter_next(self):  # type: ignore[no-untyped-def]
    """``FilterMatcher.next`` that says, as a leaf matcher does, whether it entered a new
    posting block (Whoosh's returned None).

    Whoosh wraps the postings of every segment with deleted documents in this matcher; the
    collector checks block quality again only when ``next`` says so, so pruning stopped after
    the first document in any segment an update had deleted from.
    """
    entered = self.child.next()
    return self._find_next() or entered


def _filter_skip_to(self, id):  # type: ignore[no-untyped-def]
    """``FilterMatcher.skip_to`` that says whether it entered a new block (see ``next``)."""
    entered = self.child.skip_to(id)
    return self._find_next() or entered


def _filter_skip_to_quality(self, minquality):  # type: ignore[no-untyped-def]
    """``FilterMatcher.skip_to_quality`` that never stops on a filtered-out (deleted) document.

    Whoosh's inherited the wrapper's: the child skipped to the first posting of a better
    block, which the filter never checked, so a deleted document could be collected. Moving
    past filtered postings may enter a weaker block: skip again until one qualifies.
    """
    child, skipped = self.child, 0
    while child.is_active():
        skipped += child.skip_to_quality(minquality / self.boost)
        self._find_next()
        if not child.is_active() or child.block_quality() * self.boost > minquality:
            break
    return skipped


def _inverse_max_quality(self):  # type: ignore[no-untyped-def]
    """``InverseMatcher.max_quality``: the score it gives every document it matches (Whoosh
    gave the negated word's best score, 0 in a segment without the word, so an AND with a
    negated word was cut from the top N there: ``strike -clues`` lost an updated article)."""
    return self._weight


def _inverse_replace(self, minquality=0):  # type: ignore[no-untyped-def]
    """``InverseMatcher.replace``, simplifying the negated matcher without a quality floor:
    the documents it excludes are excluded whatever their scores (Whoosh passed the floor on,
    and a negated word too weak to reach the top N was dropped, un-excluding its
    documents)."""
    if not self.is_active():
        return NullMatcher()
    child = self.child.replace(0)
    return self if child is self.child else self._replacement(child)


_WHOOSH_UNION_REPLACE = binary.UnionMatcher.replace


def _union_replace(self, minquality=0):  # type: ignore[no-untyped-def]
    """``UnionMatcher.replace`` that only drops exhausted sides, never turning the union into
    an intersection or an and-maybe on the top N's lowest score.

    Once ``KindBM25F`` brought the bounds near the real scores, those conversions lost top
    hits of two-word ANDs, ``X -Y`` and prefixes at BBC ×1 (7 of 7 queries an audit found;
    with this, 0 of 700 generated ones): the top 10 of a search differed from the head of
    the full ranking. Intersections still stop early on their bound (the AND speed-up).
    """
    return _WHOOSH_UNION_REPLACE(self, 0)


binary.UnionMatcher.replace = _union_replace
wrappers.InverseMatcher.max_quality = _inverse_max_quality
wrappers.InverseMatcher.replace = _inverse_replace
wrappers.FilterMatcher.next = _filter_next
wrappers.FilterMatcher.skip_to = _filter_skip_to
wrappers.FilterMatcher.skip_to_quality = _filter_skip_to_quality


def _expanding_once(original: Any) -> Any:
    """A ``_btexts`` (the indexed words a fuzzy or wildcard word stands for) that walks the
    vocabulary once per reader and query word, not at every call.

    Whoosh calls it from ``estimate_size`` (to order the parts of an ``And``/``Or``, several
    times per search) and again from ``matcher``: each call ran the Levenshtein automaton
    over the whole term dictionary again, four to five walks per fuzzy word and field
    (11 s of 11.4 s of a two-fuzzy-word query at BBC ×16, profiled).
    """

    def btexts(self, ixreader):  # type: ignore[no-untyped-def]
        key = (id(ixreader), self.fieldname, self.text, getattr(self, "maxdist", None))
        cache = self.__dict__.setdefault("_expanded", {})
        found = cache.get(key)
        if found is None or found[0] is not ixreader:
            found = cache[key] = (ixreader, list(original(self, ixreader)))
        return found[1]

    return btexts


def _find_matches(dfa, cur):  # type: ignore[no-untyped-def]
    """Whoosh's ``Automata.find_matches`` (the walk of the term dictionary behind a fuzzy
    word) that calls this thread's checkpoint (the query budget stops it by raising)."""
    term = cur.text()
    step = 0
    match = dfa.next_valid_string(term) if term is not None else None
    while match:
        step += 1
        if step % 16 == 0:
            checkpoint()
        cur.find(match)
        term = cur.text()
        if term is None:
            return
        if match == term:
            yield match
            term += "\x00"
        match = dfa.next_valid_string(term)


def _pattern_btexts(self, ixreader):  # type: ignore[no-untyped-def]
    """Whoosh's ``PatternQuery._btexts`` (a wildcard word's indexed words) that stops with
    calls this thread's checkpoint (the query budget stops it by raising)."""
    field = ixreader.schema[self.fieldname]
    pattern = re.compile(self._get_pattern())
    prefix = self._find_prefix(self.text)
    if prefix:
        candidates = ixreader.expand_prefix(self.fieldname, prefix)
    else:
        candidates = ixreader.lexicon(self.fieldname)
    for step, btext in enumerate(candidates):
        if step % 16 == 15:
            checkpoint()
        if pattern.match(field.from_bytes(btext)):
            yield btext


# A preset zlib dictionary for stored values: what every document's pickled stored values
# and every article's JSON begin with (``documents.article_documents``), so a short paragraph
# does not pay for its keys (stored values 17% smaller at BBC ×1). The index's values cannot
# be read without these exact bytes: changing them needs a new index format
# (schema.SCHEMA_VERSION).
STORED_DICTIONARY = (
    b'{"id": "", "path": ".txt", "part": 1, "title": "", "passages": [{"number": 1, '
    b'"start": 0, "end": 0, "heading": "", "footnotes": []}, {"number": 2, "start": 0, '
    b'"end": 0, "heading": "", "footnotes": []}], "headings": [], "date": null, "source": "", '
    b'"url": null, "author": null, "tags": [], "deck": [], "references": [], '
    b'"content_hash": "", "notices": [], "gaps": ["", "\\n\\n", ""], "extra": {"entities": '
    b'{"recogniser": "rules + gazetteers (no model)", "mentions": [[0, 0, "DATE"], '
    b'[0, 0, "GROUP"], [0, 0, "ORG"], [0, 0, "PERSON"], [0, 0, "PLACE"], ['
    b"\x80\x02}q\x00(X\n\x00\x00\x00article_idq\x01X\x00\x00\x00\x00q\x02X\x04\x00\x00\x00"
    b"dataq\x03h\x02X\x06\x00\x00\x00doc_idq\x04h\x02X\x04\x00\x00\x00kindq\x05X\x07\x00\x00"
    b"\x00articleq\x06u."
    b"\x80\x02}q\x00(X\n\x00\x00\x00article_idq\x01X\x00\x00\x00\x00q\x02X\x04\x00\x00\x00"
    b"kindq\x03X\x07\x00\x00\x00passageq\x04X\x06\x00\x00\x00numberq\x05K\x01X\x05\x00\x00"
    b"\x00termsq\x06h\x02X\x04\x00\x00\x00textq\x07h\x02u."
)
STORED_LEVEL = 6


def _inflate(value: bytes) -> bytes:
    """A stored value compressed with or without ``STORED_DICTIONARY`` (older indexes)."""
    inflater = zlib.decompressobj(zdict=STORED_DICTIONARY)
    return inflater.decompress(value) + inflater.flush()


def _deflate(value: bytes) -> bytes:
    deflater = zlib.compressobj(STORED_LEVEL, zdict=STORED_DICTIONARY)
    return deflater.compress(value) + deflater.flush()


class DictionaryColumn(columns.CompressedBytesColumn):
    """Whoosh's column of compressed stored values, compressed with ``STORED_DICTIONARY``."""

    def writer(self, dbfile: Any) -> Any:
        """A writer that deflates each value with the dictionary."""
        writer = self.Writer(dbfile, self._level, self._module)
        writer._compress = lambda value, _level: _deflate(value)
        return writer

    def reader(self, dbfile: Any, basepos: int, length: int, doccount: int) -> Any:
        """A reader that inflates each value with the dictionary."""
        reader = self.Reader(dbfile, basepos, length, doccount, self._module)
        reader._decompress = _inflate
        return reader


whoosh3.STORED_COLUMN = columns.PickleColumn(DictionaryColumn())

_ORIGINAL_NEAR_SPANS = spans.SpanNear2.SpanNear2Matcher._get_spans


def _near_spans(self):  # type: ignore[no-untyped-def]
    """Whoosh's ``SpanNear2Matcher._get_spans``, for an exact phrase (each word right after
    the one before: ``ordered``, ``slop`` and ``mindist`` 1, as ``Phrase`` asks for a quoted
    phrase) by sets of positions.

    Whoosh builds a ``Span`` per position of every word in every document where the words
    co-occur, and walks them pairwise: 70% of the time of a phrase query at BBC x16
    (``benchmarks.queries``' phrase class). The same spans, other cases unchanged.
    """
    matchers = self.ms
    if not (self.ordered and self.slop == 1 and self.mindist == 1) or not all(
        m.is_leaf() and m.supports("positions") for m in matchers
    ):
        return _ORIGINAL_NEAR_SPANS(self)
    starts = matchers[0].value_as("positions")
    for offset, matcher in enumerate(matchers[1:], start=1):
        following = set(matcher.value_as("positions"))
        starts = [start for start in starts if start + offset in following]
        if not starts:
            return []
    last = len(matchers) - 1
    return [spans.Span(start, start + last) for start in sorted(set(starts))]


spans.SpanNear2.SpanNear2Matcher._get_spans = _near_spans
codec_base.Automata.find_matches = staticmethod(_find_matches)
terms.FuzzyTerm._btexts = _expanding_once(terms.FuzzyTerm._btexts)
terms.PatternQuery._btexts = _expanding_once(_pattern_btexts)
live_postings.install()
