"""A check that this thread's long loops call: the read side's query budget (``search/budget.py``)
installs it, so the walks inside Whoosh (fuzzy and wildcard words, union matchers) and our own
loops stop a query that is over its time or no longer wanted, by raising from the check.

Nothing is installed outside a query: ``checkpoint()`` then does nothing.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

Check = Callable[[], None]
_CURRENT = threading.local()


@contextmanager
def checking(check: Check) -> Iterator[None]:
    """Call ``check`` at every ``checkpoint()`` of this thread inside the block (nested
    blocks: the innermost check; the outer one is back after it)."""
    previous = getattr(_CURRENT, "check", None)
    _CURRENT.check = check
    try:
        yield
    finally:
        _CURRENT.check = previous


def checkpoint() -> None:
    """Run this thread's check, if any (it raises to stop the work)."""
    check = getattr(_CURRENT, "check", None)
    if check is not None:
        check()
