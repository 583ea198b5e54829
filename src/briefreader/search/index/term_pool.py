"""A posting pool grouped by term, for the segment a Whoosh writer builds.

Whoosh's ``PostingPool`` keeps every posting as a tuple, sorts them all and, past its memory
limit, spills them to disk one ``pickle.dump`` per posting, then merges the spilled runs back
with ``heapq.merge``, one ``pickle.load`` and one Python step per posting. That is why the text
phase got slower per megabyte as the corpus grew: at BBC ×4 the spills and the merge were a
third of its CPU (docs/performance.md).

A writer adds the postings of each document in document order, so the postings of one term
arrive nearly sorted already. ``TermPool`` files each posting under its field and term as it
comes; only the terms are sorted. A spilled run is written a chunk of terms at a time
(``marshal``), and the merge steps through terms, not postings. ``write_terms`` hands each
term's postings to Whoosh's postings writer a block at a time. The postings written, and
their order, are those of Whoosh's pool: a term's postings are sorted by (document, weight,
value), as Whoosh's sort of whole postings sorts them.
"""

from __future__ import annotations

import contextlib
import heapq
import marshal
import os
import struct
from collections.abc import Callable, Collection, Iterator, Sequence
from itertools import groupby
from operator import itemgetter
from typing import Any

from whoosh.codec import whoosh3
from whoosh.util import random_name

from briefreader.search.index.schema import VOCABULARY_FIELDS

# (docnum, weight, value bytes or None): a posting without its field and term.
Posting = tuple[Any, ...]
# (fieldname, term bytes, that term's postings in order)
TermPostings = tuple[str, bytes, list[Posting]]

# Bytes of memory per posting and per term, measured with ``tracemalloc`` (tests check the
# estimate stays near it): the posting's tuple, its document number, weight and list slot,
# plus its value's bytes; a term's list, its dict slot, plus its text's bytes.
POSTING_BYTES = 160
TERM_BYTES = 130
CHUNK_POSTINGS = 5_000  # postings per spilled chunk: the merge holds one chunk per run
MAX_OPEN_RUNS = 100  # more runs than this are merged into fewer before the final merge
_LENGTH = struct.Struct("<I")
# A length byte's length (Whoosh's ``byte_to_length``); a zero byte gives None, as in Whoosh.
BYTE_LENGTHS: list[int | None] = [None] + [whoosh3.byte_to_length(b) for b in range(1, 256)]
_term_key = itemgetter(0, 1)
_field_name = itemgetter(0)


class TermPool:
    """Postings grouped by field and term, spilled to sorted runs past ``limitmb``.

    Takes the place of Whoosh's ``PostingPool`` (same constructor and ``add``); a commit reads
    it with ``iter_terms`` (``iter_postings`` gives Whoosh's flat postings).
    """

    def __init__(self, tempstore: Any, segment: Any, limitmb: int = 128, **_: Any) -> None:
        self.tempstore = tempstore
        self.segment = segment
        self.limit = limitmb * 1024 * 1024
        self.currentsize = 0
        self.fieldnames: set[str] = set()
        self.postings = 0  # added so far, spilled or not (the commit's progress)
        self.runs: list[str] = []
        self.notices: list[str] = []  # for the run's report (a commit's helper that died)
        # run -> field -> (start, end): where each field's chunks lie in the run's file
        self.ranges: dict[str, dict[str, tuple[int, int]]] = {}
        self._fields: dict[str, dict[bytes, list[Posting]]] = {}
        # vocabulary field -> word -> the value of its posting (``schema.VOCABULARY_FIELDS``)
        self._words: dict[str, dict[bytes, bytes | None]] = {}

    def add(self, item: tuple[Any, ...]) -> None:
        """Add one posting ``(fieldname, term bytes, docnum, weight, value bytes or None)``
        (in a vocabulary field, its word)."""
        if item[0] in VOCABULARY_FIELDS:
            self.add_words([(item[0], item[1], item[4])])
            return
        terms = self._terms_of(item[0])
        found = terms.get(item[1])
        size = POSTING_BYTES + len(item[4] or b"")
        if found is None:
            terms[item[1]] = [item[2:]]
            size += TERM_BYTES + len(item[1])
        else:
            found.append(item[2:])
        self._grown(1, size)

    def add_document(
        self, docnum: int, postings: list[tuple[str, bytes, float, bytes | None]]
    ) -> None:
        """Add one document's postings ``(fieldname, term bytes, weight, value)``: what
        ``add`` does for each, in one loop, a field's terms looked up once per run of its
        postings (an analysed document lists them field by field)."""
        size = POSTING_BYTES * len(postings)
        for fieldname, run in groupby(postings, _field_name):
            terms = self._terms_of(fieldname)
            known = terms.get
            for _name, btext, weight, value in run:
                found = known(btext)
                if found is None:
                    terms[btext] = [(docnum, weight, value)]
                    size += TERM_BYTES + len(btext)
                else:
                    found.append((docnum, weight, value))
                if value:
                    size += len(value)
        self._grown(len(postings), size)

    def add_words(self, words: list[tuple[str, bytes, bytes | None]]) -> None:
        """Add words ``(vocabulary fieldname, word bytes, value)`` to the segment's
        vocabularies: the segment files each word once, under document 0, with the value it
        came with first."""
        size = new = 0
        for fieldname, run in groupby(words, _field_name):
            known = self._words.get(fieldname)
            if known is None:
                known = self._words[fieldname] = {}
                self.fieldnames.add(fieldname)
            for _name, btext, value in run:
                if btext not in known:
                    known[btext] = value
                    new += 1
                    size += POSTING_BYTES + TERM_BYTES + len(btext)
        if new:
            self._grown(new, size)

    def add_term(self, fieldname: str, btext: bytes, postings: list[Posting]) -> None:
        """Add one term's postings ``(docnum, weight, value)`` in document order, all after
        those it holds already (a merge copying a segment: ``segment_postings``); in a
        vocabulary field, its word."""
        if fieldname in VOCABULARY_FIELDS:
            self.add_words([(fieldname, btext, postings[0][2] if postings else None)])
            return
        terms = self._terms_of(fieldname)
        found = terms.get(btext)
        size = POSTING_BYTES * len(postings)
        size += sum(len(value) for _d, _w, value in postings if value)
        if found is None:
            terms[btext] = postings
            size += TERM_BYTES + len(btext)
        else:
            found.extend(postings)
        self._grown(len(postings), size)

    def _terms_of(self, fieldname: str) -> dict[bytes, list[Posting]]:
        """The field's postings by term (a new field's, empty)."""
        terms = self._fields.get(fieldname)
        if terms is None:
            terms = self._fields[fieldname] = {}
            self.fieldnames.add(fieldname)
        return terms

    def _grown(self, postings: int, size: int) -> None:
        """Count postings just added with their estimated bytes; spill past the limit."""
        self.currentsize += size
        self.postings += postings
        if self.currentsize > self.limit:
            self.save()

    def save(self) -> None:
        """Spill the postings in memory to a new sorted run on disk."""
        if not self._fields:
            return
        self.runs.append(self._write_run(self._sorted_terms()))
        self._fields = {}
        self.currentsize = 0

    def finish_runs(self) -> bool:
        """Spill everything (vocabularies included) to at most ``MAX_OPEN_RUNS`` runs if the
        pool has spilled before; False if it has not (it writes from memory)."""
        self._file_words()
        if not self.runs:
            return False
        self.save()
        while len(self.runs) > MAX_OPEN_RUNS:
            self._merge_some_runs()
        return True

    def run_files(self) -> list[tuple[str, dict[str, tuple[int, int]]]]:
        """Each run's file path, with where each field lies in it, for another process to
        read (``split_commit``); none when the runs are not files on disk."""
        folder = getattr(self.tempstore, "folder", None)
        if folder is None:
            return []
        return [(os.path.join(folder, path), self.ranges[path]) for path in self.runs]

    def iter_terms(self, leave: Collection[str] = ()) -> Iterator[TermPostings]:
        """Every term with its postings, in Whoosh's order (field, term, then postings);
        with ``leave``, none of those fields' (another process writes them from the runs,
        which then stay until ``cleanup``)."""
        if not self.finish_runs():
            return self._sorted_terms()
        if leave:
            fields = {name for ranges in self.ranges.values() for name in ranges} - set(leave)
            return merge_runs([self._read_run(path, fields) for path in self.runs])
        runs, self.runs = self.runs, []
        return merge_runs([self._read_run(path) for path in runs])

    def _file_words(self) -> None:
        """Give each vocabulary word its one posting, under document 0 (once, at the end:
        a spilled run has none, so no word is written twice)."""
        words, self._words = self._words, {}
        for fieldname, known in words.items():
            terms = self._terms_of(fieldname)
            for btext, value in known.items():
                terms[btext] = [(0, 1.0, value)]

    def iter_postings(self) -> Iterator[tuple[Any, ...]]:
        """Every posting as Whoosh's pool gives it: ``(fieldname, term, docnum, weight,
        value)``, sorted."""
        for fieldname, btext, postings in self.iter_terms():
            for posting in postings:
                yield (fieldname, btext, *posting)

    def cleanup(self) -> None:
        """Delete the spilled runs (a cancelled writer, a commit written by two processes)."""
        for path in self.runs:
            with contextlib.suppress(OSError):
                self.tempstore.delete_file(path)
        self.runs = []
        self.ranges = {}

    def _sorted_terms(self) -> Iterator[TermPostings]:
        fields, self._fields = self._fields, {}
        for fieldname in sorted(fields):
            terms = fields[fieldname]
            for btext in sorted(terms):
                postings = terms.pop(btext)
                postings.sort()  # already in document order but for odd cases (spelling)
                yield fieldname, btext, postings

    def _write_run(self, terms: Iterator[TermPostings]) -> str:
        """Write sorted terms to a new run; note where each field's chunks lie."""
        path = f"{random_name()}.run"
        ranges: dict[str, tuple[int, int]] = {}
        with self.tempstore.create_file(path).raw_file() as handle:
            for chunk in _chunks(terms):
                start = handle.tell()
                data = marshal.dumps(chunk)
                handle.write(_LENGTH.pack(len(data)))
                handle.write(data)
                fieldname = chunk[0][0]
                ranges[fieldname] = (ranges.get(fieldname, (start, 0))[0], handle.tell())
        self.ranges[path] = ranges
        return path

    def _read_run(self, path: str, fields: Collection[str] | None = None) -> Iterator[TermPostings]:
        """A run's terms: all of them, the run deleted once read; or those of ``fields``."""
        if fields is not None:
            spans = sorted(span for name, span in self.ranges[path].items() if name in fields)
            with self.tempstore.open_file(path).raw_file() as handle:
                yield from run_terms(handle, spans)
            return
        try:
            with self.tempstore.open_file(path).raw_file() as handle:
                yield from run_terms(handle, [(0, None)])
        finally:
            self.tempstore.delete_file(path)
            self.ranges.pop(path, None)

    def _merge_some_runs(self) -> None:
        """Merge the oldest ``MAX_OPEN_RUNS`` runs into one (kept first: runs stay in
        document order)."""
        oldest, self.runs = self.runs[:MAX_OPEN_RUNS], self.runs[MAX_OPEN_RUNS:]
        self.runs.insert(0, self._write_run(merge_runs([self._read_run(p) for p in oldest])))


def run_terms(handle: Any, spans: Sequence[tuple[int, int | None]]) -> Iterator[TermPostings]:
    """The terms of a run's file between each (start, end) offset (end None: to the end)."""
    for start, end in spans:
        handle.seek(start)
        while end is None or handle.tell() < end:
            header = handle.read(_LENGTH.size)
            if not header:
                break
            yield from marshal.loads(handle.read(_LENGTH.unpack(header)[0]))


def _chunks(terms: Iterator[TermPostings]) -> Iterator[list[TermPostings]]:
    """Terms in lists of about ``CHUNK_POSTINGS`` postings (a long term makes its own), each
    of one field (a field's chunks can be read alone)."""
    chunk: list[TermPostings] = []
    size = 0
    for term in terms:
        if chunk and term[0] != chunk[0][0]:
            yield chunk
            chunk, size = [], 0
        chunk.append(term)
        size += len(term[2])
        if size >= CHUNK_POSTINGS:
            yield chunk
            chunk, size = [], 0
    if chunk:
        yield chunk


def merge_runs(runs: list[Iterator[TermPostings]]) -> Iterator[TermPostings]:
    """The terms of sorted runs in order, each term's postings from every run together."""
    for key, group in groupby(heapq.merge(*runs, key=_term_key), key=_term_key):
        parts = [term[2] for term in group]
        postings = parts[0] if len(parts) == 1 else [p for part in parts for p in part]
        if len(parts) > 1:
            postings.sort()  # runs hold later documents: timsort only checks the order
        yield key[0], key[1], postings


def write_terms(
    fieldwriter: Any,
    schema: Any,
    lengths: Callable[[str], list[int | None]] | None,
    terms: Iterator[TermPostings],
) -> None:
    """Write sorted terms with Whoosh's ``FieldWriter``, as its ``add_postings`` would write
    the same postings one by one: postings of document -1 skipped (Whoosh's spelling hack),
    a missing value as empty bytes, each posting's field length from ``lengths(fieldname)``
    (a list by document; None: 0). Whoosh's own postings writer gets a block at a time."""
    lastfn, fast = None, False
    table: list[int | None] = []
    for fieldname, btext, postings in terms:
        if fieldname != lastfn:
            if lastfn is not None:
                fieldwriter.finish_field()
            fieldwriter.start_field(fieldname, schema[fieldname])
            lastfn, fast = fieldname, _fast_writer(fieldwriter)
            table = lengths(fieldname) if lengths else []
        postings = written_postings(postings)
        if not postings:
            continue
        fieldwriter.start_term(btext)
        if fast:
            add_block_wise(fieldwriter._postwriter, postings, table)
        else:
            for docnum, weight, value in postings:
                length = table[docnum] if table else 0
                fieldwriter.add(docnum, weight, b"" if value is None else value, length)
        fieldwriter.finish_term()
    if lastfn is not None:
        fieldwriter.finish_field()


def written_postings(postings: list[Posting]) -> list[Posting]:
    """A term's postings as a commit writes them: without those of document -1 (Whoosh's
    spelling hack), which sort first."""
    if postings and postings[0][0] == -1:
        return [p for p in postings if p[0] != -1]
    return postings


def _fast_writer(fieldwriter: Any) -> bool:
    """Is this Whoosh's W3 field writer, whose postings writer we fill a block at a time?"""
    return type(fieldwriter) is whoosh3.W3FieldWriter and (
        type(getattr(fieldwriter, "_postwriter", None)) is whoosh3.W3PostingsWriter
    )


def add_block_wise(postwriter: Any, postings: list[Posting], table: list[int | None]) -> None:
    """``W3PostingsWriter.add_posting`` for each posting, a block's worth at a time: the same
    block buffers and statistics (maximum weight, minimum and maximum non-zero length)."""
    limit = postwriter._blocklimit
    start, count = 0, len(postings)
    while start < count:
        if len(postwriter._ids) >= limit:
            postwriter._write_block()
        room = limit - len(postwriter._ids)
        docnums, weights, values = zip(*postings[start : start + room], strict=True)
        start += room
        postwriter._ids.extend(docnums)
        postwriter._weights.extend(weights)
        top = max(weights)
        if top > postwriter._maxweight:
            postwriter._maxweight = top
        postwriter._values.extend(filter(None, values))
        if table:
            _note_lengths(postwriter, list(filter(None, map(table.__getitem__, docnums))))


def _note_lengths(postwriter: Any, lengths: list[int]) -> None:
    """Fold non-zero field lengths into the block's minimum and maximum."""
    if not lengths:
        return
    low, high = min(lengths), max(lengths)
    if postwriter._minlength is None or low < postwriter._minlength:
        postwriter._minlength = low
    if high > postwriter._maxlength:
        postwriter._maxlength = high


def length_table(column: bytes | None, count: int) -> list[int | None]:
    """The field length of each of ``count`` documents from a column of length bytes
    (None for a zero byte and past the column; empty: the field keeps no lengths)."""
    if column is None:
        return []
    table = list(map(BYTE_LENGTHS.__getitem__, column[:count]))
    return table + [None] * (count - len(table))
