"""The "nothing related" floor and the "closely related" threshold of each mode, and the rule
that turns a ranked list into what the panel shows.

Chosen on the dev split of the judged set by the rule in ``benchmarks.related_eval.choose``
(``python -m benchmarks.related_eval --calibrate [--semantic]``; docs/related.md).
"""

from __future__ import annotations

from collections.abc import Sequence

DEFAULT_THRESHOLD = 0.26
SEMANTIC_THRESHOLD = 0.28
# Below the floor nothing is shown. Between the floor and the threshold the best
# ``LOOSE_ITEMS`` are shown as "loosely related"; once the best clears the threshold every
# candidate down to the floor is listed.
DEFAULT_FLOOR = 0.18
SEMANTIC_FLOOR = 0.24
LOOSE_ITEMS = 2


def shown_count(scores: Sequence[float], cutoff: float, floor: float) -> int:
    """How many of ``scores`` (best first) the panel shows: none when the best is under
    ``floor``; the best ``LOOSE_ITEMS`` over the floor when it is under ``cutoff``; else
    every one down to the floor."""
    if not scores or scores[0] < floor:
        return 0
    above = sum(1 for score in scores if score >= floor)
    return above if scores[0] >= cutoff else min(above, LOOSE_ITEMS)
