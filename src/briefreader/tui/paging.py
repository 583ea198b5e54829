"""Paging the results list: which page to fetch next, and whether an answer is still wanted.

Each hit costs a best-passage lookup and a snippet, so a keystroke asks for one page only and
the next page is fetched when the reader nears the end of the list. No Textual here: the main
screen drives a :class:`ResultPager` and its tests drive it directly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import count

PAGE_SIZE = 20  # results per page: the first page is what each keystroke pays for
NEAR_END = 3  # fetch the next page when the highlight is this close to the last result


@dataclass(frozen=True)
class PageRequest:
    """One page to fetch: the query, how many results to skip, and a ticket to match it."""

    query: str
    offset: int
    ticket: int
    limit: int = PAGE_SIZE


@dataclass
class ResultPager:
    """How much of a query's results the list holds, and the page on its way (at most one)."""

    query: str = ""
    shown: int = 0
    total: int = 0
    exact: bool = True  # False while ``total`` is Whoosh's estimate (an upper bound)
    pending: PageRequest | None = None
    _tickets: count[int] = field(default_factory=count, repr=False)

    def start(self, query: str, shown: int, total: int, exact: bool = True) -> None:
        """A first page is listed: any page on its way belongs to an older list."""
        self.query, self.shown, self.total = query, shown, max(total, shown)
        self.exact = exact
        self.pending = None

    def counted(self, query: str, total: int) -> bool:
        """The exact count of the query's matches arrived; False if it is for another list."""
        if query != self.query:
            return False
        self.total, self.exact = max(total, self.shown), True
        return True

    def cancel(self) -> None:
        """Drop the page on its way (the query changed, or the page failed)."""
        self.pending = None

    @property
    def has_more(self) -> bool:
        """Are there results beyond those listed?"""
        return self.shown < self.total

    def request(self) -> PageRequest | None:
        """The next page to fetch; None when all are listed or one is already on its way."""
        if not self.has_more or self.pending is not None:
            return None
        self.pending = PageRequest(self.query, self.shown, next(self._tickets))
        return self.pending

    def accept(self, request: PageRequest, received: int, total: int) -> bool:
        """Count a fetched page in if it is the one on its way; False for a stale one.

        A short page means the list is complete, whatever ``total`` estimated.
        """
        if request != self.pending:
            return False
        self.pending = None
        self.shown += received
        if received < request.limit:
            self.total, self.exact = self.shown, True
        elif not self.exact:
            self.total = max(total, self.shown)
        return True


def near_end(position: int, count: int, margin: int = NEAR_END) -> bool:
    """Is ``position`` (0-based) within ``margin`` rows of the end of a ``count``-row list?"""
    return count > 0 and position >= count - margin
