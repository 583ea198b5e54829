"""A segment's postings read a term and a block at a time, for a merge to copy them.

Whoosh's merge (``SegmentWriter.add_postings_to_pool``) walks ``reader.iter_postings()``: for
every term it looks the term up again in the segment's hash table (an MD5 of the key), builds
a matcher, and yields each posting through ``id()``, ``weight()`` and ``value()`` calls, one
Python step per posting, which the writer then maps to its new document number and files in
its pool one by one. A one-file re-index merges the small segment of recent updates (up to
``merging.TIER_FLOOR`` documents) at every commit, and a full merge copies every posting of
the index. Here the terms come from the segment's term table in order, with their term info;
each posting list is read a block at a time, and a term's postings go to the pool in one
call (``TermPool.add_term``). The postings are those Whoosh's walk gives, in the same order
(``tests/test_segment_postings.py`` compares the segment files a merge writes both ways).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from whoosh.codec import whoosh3
from whoosh.reading import SegmentReader

from briefreader.search.index.schema import VOCABULARY_FIELDS

# (fieldname, term bytes, document numbers, weights, values): one term's live postings.
TermBlock = tuple[str, bytes, Sequence[int], Sequence[Any], Sequence[Any]]


def readable(reader: Any) -> bool:
    """Can ``live_terms`` read this reader (a Whoosh 3 segment), or must Whoosh's walk?"""
    return isinstance(reader, SegmentReader) and isinstance(
        getattr(reader, "_terms", None), whoosh3.W3TermsReader
    )


def live_terms(reader: Any, schema: Any) -> Iterator[TermBlock]:
    """Every term of segment ``reader`` in a field of ``schema`` with its postings of live
    documents, as ``reader.iter_postings()`` gives them (terms with none are left out); in a
    vocabulary field, every word, its document deleted or not (``schema.VOCABULARY_FIELDS``:
    a word's one posting stands for all the segment's documents)."""
    terms = reader._terms
    postfile = terms._postfile
    deleted = reader.deleted_docs_set if reader.has_deletions() else frozenset()
    for (fieldname, btext), info in terms.items():
        if fieldname not in schema or fieldname not in reader.schema:
            continue
        format_ = reader.schema[fieldname].format
        skipped = frozenset() if fieldname in VOCABULARY_FIELDS else deleted
        if info.is_inlined():
            ids, weights, values = _walked(reader, fieldname, btext)
        else:
            ids, weights, values = _blocks(postfile, info, format_, (fieldname, btext), skipped)
        if ids:
            yield fieldname, btext, ids, weights, values


def _walked(reader: Any, fieldname: str, btext: bytes) -> tuple[list[int], list[Any], list[Any]]:
    """A posting list kept in its term info (Whoosh's ``inlinelimit``; this Whoosh writes
    none), through Whoosh's own matcher."""
    ids: list[int] = []
    weights: list[Any] = []
    values: list[Any] = []
    matcher = reader.postings(fieldname, btext)
    while matcher.is_active():
        ids.append(matcher.id())
        weights.append(matcher.weight())
        values.append(matcher.value())
        matcher.next()
    return ids, weights, values


def _blocks(
    postfile: Any, info: Any, format_: Any, term: tuple[str, bytes], deleted: frozenset[int]
) -> tuple[list[int], list[Any], list[Any]]:
    """A posting list read block by block through Whoosh's own block decoding."""
    offset, length = info.extent()
    matcher = whoosh3.W3LeafMatcher(postfile, offset, length, format_, term=term)
    ids: list[int] = []
    weights: list[Any] = []
    values: list[Any] = []
    while matcher.is_active():
        matcher._read_ids()
        matcher._read_weights()
        matcher._read_values()
        block_ids = matcher._ids
        # As many weights and values as ids: a value Whoosh slices in fixed-size pieces may
        # give more (the title's spelling postings), and its walk reads only the first ones.
        count = len(block_ids)
        block_weights, block_values = matcher._weights[:count], matcher._values[:count]
        if deleted and not deleted.isdisjoint(block_ids):
            rows = [row for row, docnum in enumerate(block_ids) if docnum not in deleted]
            ids.extend(block_ids[row] for row in rows)
            weights.extend(block_weights[row] for row in rows)
            values.extend(block_values[row] for row in rows)
        else:
            ids.extend(block_ids)
            weights.extend(block_weights)
            values.extend(block_values)
        matcher._next_block()
    return ids, weights, values


def renumbered(ids: Sequence[int], startdoc: int, docmap: Any) -> list[int]:
    """The document numbers a merge gives a segment's documents: ``docmap``'s when the
    segment had deletions (Whoosh renumbers the live ones), else shifted by ``startdoc``."""
    if docmap is not None:
        return [docmap[docnum] for docnum in ids]
    return [startdoc + docnum for docnum in ids]
