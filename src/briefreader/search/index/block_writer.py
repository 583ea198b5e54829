"""Whoosh's posting block writer, smaller and faster (``W3PostingsWriter``'s ``add_posting``
and ``_write_block``; the same blocks for any reader of Whoosh's). Installed on import, by
``whoosh_patches`` and by a commit's helper process (``split_commit``), which writes blocks
too but has no need for the other patches.
"""

from __future__ import annotations

import pickle
import zlib
from itertools import chain
from operator import sub
from typing import Any

from whoosh.codec import whoosh3


def _add_posting(self, id_, weight, vbytes, length=None):  # type: ignore[no-untyped-def]
    """Whoosh's ``W3PostingsWriter.add_posting`` without its per-posting type asserts."""
    if len(self._ids) >= self._blocklimit:
        self._write_block()
    self._ids.append(id_)
    self._weights.append(weight)
    if weight > self._maxweight:
        self._maxweight = weight
    if vbytes:
        self._values.append(vbytes)
    if length:
        minlength = self._minlength
        if minlength is None or length < minlength:
            self._minlength = length
        if length > self._maxlength:
            self._maxlength = length


# Pickle protocol of posting blocks: 3 stores ``bytes`` as themselves; Whoosh's 2 spells each
# one out as a call to ``codecs.encode`` (a block of body postings took 1.7× the bytes).
BLOCK_PROTOCOL = 3
# Blocks shorter than this are not compressed: zlib almost never shortens them (at BBC ×2, 4.8
# KB saved over 46,000 such blocks, 42% of all) and each call costs a compressor's setup.
BLOCK_COMPRESS_FROM = 32


def _whole(weight: float) -> float | int:
    """A whole-number weight as an int (a pickled float takes 9 bytes, a small int 2)."""
    return int(weight) if float(weight).is_integer() else weight


def _whole_weights(weights: Any) -> Any:
    """Whole-number weights (term frequencies) as ints: 2 pickled bytes each, not a float's 9.
    The reader hands them to the scorer as they are, which computes the same floats."""
    if not isinstance(weights, tuple):
        return weights
    whole = tuple(map(int, weights))  # one C loop; equal only if every weight is whole
    return whole if whole == weights else weights


def _mini_ids(postwriter: Any) -> tuple[Any, ...]:
    """Whoosh's ``_mini_ids``: a block's document numbers as deltas (each minus the one
    before; the first as it is), in one C loop instead of a generator step per posting."""
    ids = postwriter._ids
    if postwriter._byteids:
        return tuple(ids)
    return tuple(map(sub, ids, chain((0,), ids)))


def _mini_weights(weights: Any) -> Any:
    """Whoosh's ``_mini_weights``: None when every weight is 1, the one weight when all are
    equal, else all of them; counted in C, not compared in a generator."""
    count = len(weights)
    if weights.count(1.0) == count:
        return None
    if weights.count(weights[0]) == count:
        return weights[0]
    return tuple(weights)


def _write_block(self, last=False):  # type: ignore[no-untyped-def]
    """Whoosh's ``W3PostingsWriter._write_block``, smaller: the block data is pickled with
    protocol 3 (whole weights, and the block's maximum weight, as ints) and compressed only
    when that makes it shorter, and only from ``BLOCK_COMPRESS_FROM`` bytes (the block info
    says which, and Whoosh's reader follows it).
    Readers need no change: ``pickle.loads`` takes any protocol.
    """
    if not self._blockcount:
        self._postfile.write(whoosh3.WHOOSH3_HEADER_MAGIC)
    self._terminfo.add_block(self)
    data = (_mini_ids(self), _whole_weights(_mini_weights(self._weights)), self._mini_values())
    databytes = pickle.dumps(data, BLOCK_PROTOCOL)
    comp = self._compression if len(databytes) >= BLOCK_COMPRESS_FROM else 0
    if comp:
        packed = zlib.compress(databytes, comp)
        if len(packed) < len(databytes):
            databytes = packed
        else:
            comp = 0
    ids = self._ids
    infobytes = pickle.dumps(
        (
            len(ids),
            ids[-1],
            _whole(self._maxweight),
            comp,
            whoosh3.length_to_byte(self._minlength),
            whoosh3.length_to_byte(self._maxlength),
        ),
        2,
    )
    blocklength = len(infobytes) + len(databytes)
    self._postfile.write_int(-blocklength if last else blocklength)
    self._postfile.write(infobytes)
    self._postfile.write(databytes)
    self._blockcount += 1
    self._new_block()


whoosh3.W3PostingsWriter.add_posting = _add_posting
whoosh3.W3PostingsWriter._write_block = _write_block
