"""When an index update merges segments: a tiered policy that keeps their number logarithmic.

Each Whoosh commit writes a new segment. Whoosh's default policy (``MERGE_SMALL``) leaves
one-file updates as segments of their own until about seven pile up, and never rewrites the
big segment, so queries pay for every small segment and for the documents deleted from the
big one (benchmarks/segments.py measures both).

``tiered_merge`` puts every segment in a tier by its number of live documents (tier 0: under
``TIER_FLOOR``; tier ``t``: from ``TIER_FLOOR`` × 10^(t-1) to ten times that). The segment a
commit writes takes in every existing segment of its own tier or a lower one, and keeps doing
so as it grows into a higher tier (segments that deletions moved into a tier another one holds
are merged too). After any commit no two segments share a tier, so an index of ``n``
documents has at most ``log10(n / TIER_FLOOR) + 2`` segments (``max_segments``); a one-file
update rewrites only the small segments below it; a segment whose documents were mostly
deleted drops to a lower tier and is merged away, which also drops its deleted documents.
The merge happens inside Whoosh's commit: until the new table of contents is written,
readers (and a process killed mid-merge) keep the old segments. An update's text phase
leaves the merge to the entity phase's commit that follows it (``deferring``): merging in both
copied the small segments twice per one-file update.

The policy alone leaves a second (and, after a two-phase build, a third) segment, which costs
p95 ×1.12 at BBC ×1; ``full_merge.py`` merges everything back into one when the reader is
idle or when asked (``briefreader index --merge``): docs/scale.md, run 4.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from typing import Any

from whoosh.reading import SegmentReader

TIER_FACTOR = 10
# Segments under this many live documents are all one tier: every commit folds them into its
# new segment, so the usual case (a few one-file updates since the last full build) reads two
# segments, not one per tier. Rewriting 300 documents costs ~0.5 CPU s (benchmarks/segments.py).
TIER_FLOOR = 300
# The small segments a text-phase commit leaves unmerged when the entity phase follows
# (``deferring``).
DEFERRED_SEGMENTS = 4


def tier(documents: int, factor: int = TIER_FACTOR, floor: int = TIER_FLOOR) -> int:
    """The tier of a segment with ``documents`` live documents: -1 when empty, 0 under
    ``floor``, then one tier per power of ``factor`` above it."""
    if documents <= 0:
        return -1
    if documents < floor:
        return 0
    return int(math.log(documents / floor, factor) + 1e-9) + 1


def max_segments(documents: int, factor: int = TIER_FACTOR, floor: int = TIER_FLOOR) -> int:
    """The most segments the policy leaves for an index of ``documents`` live documents."""
    return tier(max(documents, 1), factor, floor) + 1


def segments_to_merge(
    sizes: Sequence[int], new_documents: int, factor: int = TIER_FACTOR, floor: int = TIER_FLOOR
) -> list[int]:
    """Positions in ``sizes`` (live documents per existing segment) of the segments the
    commit's new segment (``new_documents``) takes in: those of its tier or below, cascading
    as it grows, and any that share a tier (deletions can move a segment down into one)."""
    chosen: set[int] = set()
    pending = new_documents
    while True:
        level = tier(pending, factor, floor)
        left = [i for i in range(len(sizes)) if i not in chosen]
        tiers = {i: tier(sizes[i], factor, floor) for i in left}
        crowded = Counter(tiers.values())
        taken = [i for i in left if tiers[i] <= level or crowded[tiers[i]] > 1]
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


def deferring(policy: Any, limit: int = DEFERRED_SEGMENTS) -> Any:
    """``policy`` for a text-phase commit whose new articles the entity phase rewrites next:
    no merge while fewer than ``limit`` small segments (tier 0 or empty) wait, for the entity
    phase's commit merges them (and drops this commit's segment, emptied by its rewrites,
    without copying it). Merging here too copied the small segments twice per one-file update;
    ``limit`` keeps their number bounded when no entity phase follows (a reader that quits)."""

    def merge(writer: Any, segments: list[Any]) -> list[Any]:
        small = sum(1 for segment in segments if tier(segment.doc_count()) <= 0)
        return policy(writer, segments) if small >= limit else segments

    return merge


def segment_count(ix: Any) -> int:
    """How many segments the index's latest generation has."""
    with ix.reader() as reader:
        return len(list(reader.leaf_readers()))


def sparing_emptied(policy: Any) -> Any:
    """``policy`` for the commits of the entity phase: segments above tier 0 with deleted
    documents (the text phase's, which the entity phase empties batch by batch) are left out
    of its merges. Merging one as deletions moved it down a tier rewrote documents the next
    batches delete anyway (most of the phase's CPU time in a profile at BBC ×1); once all its
    documents are deleted ``tiered_merge`` drops it without copying anything. Small segments
    (tier 0) merge as usual: cheap, and one-file updates keep two segments."""

    def merge(writer: Any, segments: list[Any]) -> list[Any]:
        emptying = [s for s in segments if s.has_deletions() and tier(s.doc_count()) > 0]
        others = [s for s in segments if not any(s is e for e in emptying)]
        kept = policy(writer, others)
        return [s for s in segments if any(s is k for k in (*kept, *emptying))]

    return merge
