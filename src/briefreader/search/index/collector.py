"""Pausing Python's cyclic garbage collector while an index run makes objects by the million.

The text phase's articles and postings, and the entity phase's rewritten documents, make no
reference cycles, but every full pass of the collector walks all of them: at BBC ×4 those
passes were 13% of the text phase's main process and 10% of the entity phase's writing
(docs/performance.md). Reference counting still frees every object; the collector runs
again as soon as the pause ends.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """No cyclic garbage collection meanwhile; the collector is as it was afterwards, also
    after an error."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
