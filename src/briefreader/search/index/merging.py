"""When an index update merges segments: a tiered policy that keeps their number logarithmic.

Each Whoosh commit writes a new segment. Whoosh's default policy (``MERGE_SMALL``) leaves
one-file updates as segments of their own until about seven pile up, and never rewrites the
big segment, so queries pay for every small segment and for the documents deleted from the
big one (benchmarks/segments.py measures both).

``tiered_merge`` puts every segment in a tier by its number of live documents (tier ``t``
holds 10^t to 10^(t+1) - 1). The segment a commit writes takes in every existing segment of
its own tier or a lower one, and keeps doing so as it grows into a higher tier (segments
that deletions moved into a tier another one holds are merged too). After any commit no two
segments share a tier, so an index of ``n`` documents has at most
``log10(n) + 1`` segments; a one-file update rewrites only the small segments below it; a
segment whose documents were mostly deleted drops to a lower tier and is merged away, which
also drops its deleted documents. The merge happens inside Whoosh's commit: until the new
table of contents is written, readers (and a process killed mid-merge) keep the old segments.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from typing import Any

from whoosh.reading import SegmentReader

TIER_FACTOR = 10


def tier(documents: int, factor: int = TIER_FACTOR) -> int:
    """The tier of a segment with ``documents`` live documents (-1 for an empty one)."""
    if documents <= 0:
        return -1
    return int(math.log(documents, factor) + 1e-9)


def segments_to_merge(
    sizes: Sequence[int], new_documents: int, factor: int = TIER_FACTOR
) -> list[int]:
    """Positions in ``sizes`` (live documents per existing segment) of the segments the
    commit's new segment (``new_documents``) takes in: those of its tier or below, cascading
    as it grows, and any that share a tier (deletions can move a segment down into one)."""
    chosen: set[int] = set()
    pending = new_documents
    while True:
        level = tier(pending, factor)
        left = [i for i in range(len(sizes)) if i not in chosen]
        crowded = Counter(tier(sizes[i], factor) for i in left)
        taken = [i for i in left if (t := tier(sizes[i], factor)) <= level or crowded[t] > 1]
        if not taken:
            return sorted(chosen)
        chosen.update(taken)
        pending += sum(sizes[i] for i in taken)


def tiered_merge(writer: Any, segments: list[Any]) -> list[Any]:
    """A Whoosh ``mergetype``: merge the segments ``segments_to_merge`` picks into the
    writer's new segment; return the segments kept as they are."""
    sizes = [segment.doc_count() for segment in segments]
    chosen = set(segments_to_merge(sizes, writer.docnum))
    for position in sorted(chosen):
        if not sizes[position]:  # every document deleted: drop the segment, nothing to copy
            continue
        reader = SegmentReader(writer.storage, writer.schema, segments[position])
        try:
            writer.add_reader(reader)
        finally:
            reader.close()
    return [segment for i, segment in enumerate(segments) if i not in chosen]


def segment_count(ix: Any) -> int:
    """How many segments the index's latest generation has."""
    with ix.reader() as reader:
        return len(list(reader.leaf_readers()))
