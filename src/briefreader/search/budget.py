"""The time budget of one query (issue 19): answered within ``QUERY_SECONDS`` or refused in
one line before they have passed, even on a loaded machine.

Two rules, measured by ``python -m benchmarks.query_budget``:

- **Up front**: the words a query stands for (its fuzzy and wildcard words expanded) and the
  steps its matcher will take (documents visited × posting lists) are counted before any is
  taken; a query over ``MAX_TERMS`` or ``MAX_WORK`` could not finish on an idle machine and is
  refused then.
- **On the way**: every long loop (the walks of the vocabulary, the union matchers, the
  collector, best passages, snippets, counts, facets, spelling suggestions) calls the
  thread's checkpoint (``search/index/checkpoints.py``); past the deadline, which keeps
  ``MARGIN_SECONDS`` for the refusal and its output, the query is refused; when its caller
  no longer wants it (the reader typed on), it stops with ``SearchCancelled``.

Nothing runs past a refusal: the checks are in the thread doing the work (no timer thread).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

from whoosh import collectors, query

from briefreader.search.bulk import TopMatches, top_matches
from briefreader.search.index.checkpoints import checking, checkpoint
from briefreader.search.query import QUERY_SECONDS, QueryError

__all__ = [
    "MAX_TERMS",
    "MAX_WORK",
    "Budget",
    "QueryTooSlow",
    "SearchCancelled",
    "check_cost",
    "checked",
    "checkpoint",
    "collect_top",
    "outside_budget",
]

T = TypeVar("T")
_ACTIVE = threading.local()  # the budget applied in this thread

# Kept for the refusal itself: the longest stretch between two checkpoints on a loaded
# machine, plus printing the message (benchmarks/query_budget.py at BBC x16, load 7-10 on 2
# cores: refusals at most 55 ms past the deadline, answers at most 210 ms; but one refusal
# of two fuzzy ~2 words OR-ed came at 2,333 ms with 0.3 s kept, load 4: 0.5 s now).
MARGIN_SECONDS = 0.5
# A query whose words expand to more indexed terms (posting lists to open, per segment and
# field), or whose matcher would do more steps (``Cost.work``), than these is refused before
# it runs: measured (benchmarks/query_budget.py --calibrate), a step of a costly query takes
# 0.11-0.13 µs of CPU at BBC x4 and x16, so MAX_WORK is ~1.4 s of CPU on an idle machine.
MAX_TERMS = 2_000
MAX_WORK = 12_000_000


class SearchCancelled(Exception):
    """A search was given up because its caller no longer wanted it."""


class QueryTooSlow(QueryError):
    """A query refused because it would not finish within its time budget."""

    def __init__(self, seconds: float = QUERY_SECONDS, up_front: bool = False) -> None:
        super().__init__(f"the query would take longer than {seconds:g} s; make it narrower")
        self.up_front = up_front  # by its cost, before it ran (else at the deadline)


def _never() -> bool:
    return False


def process_age() -> float:
    """Seconds since this process started (``/proc/self/stat``); 0 where that is unknown."""
    try:
        with open("/proc/self/stat", "rb") as stat:
            fields = stat.read().rsplit(b")", 1)[1].split()
        started = int(fields[19]) / os.sysconf("SC_CLK_TCK")  # field 22: clock ticks since boot
        return max(0.0, time.clock_gettime(time.CLOCK_BOOTTIME) - started)
    except (OSError, ValueError, IndexError, AttributeError):
        return 0.0


def _unchecked() -> None:
    """The check of work that is not the query's (``Budget.paused``)."""


@dataclass
class Budget:
    """The time one query may take from now, and whether its caller still wants it.

    ``clock`` is injectable (tests); ``seconds`` is what the user is promised, the checks
    refuse ``margin`` before it.
    """

    seconds: float = QUERY_SECONDS
    should_stop: Callable[[], bool] = _never
    clock: Callable[[], float] = time.monotonic
    margin: float = MARGIN_SECONDS
    started: float = field(init=False)

    def __post_init__(self) -> None:
        self.started = self.clock()

    @classmethod
    def from_process_start(cls) -> Budget:
        """A budget that started when this process did: a one-shot command's answer or
        refusal comes within ``seconds`` of being typed, start-up included (about 0.5 s of
        imports on a loaded machine, which a budget started in the command left out)."""
        budget = cls()
        budget.started -= process_age()
        return budget

    @property
    def deadline(self) -> float:
        """When the checks refuse (on ``clock``): ``margin`` before the promised time."""
        return self.started + max(self.seconds - self.margin, 0.0)

    def elapsed(self) -> float:
        """Seconds (on ``clock``) since the budget started."""
        return self.clock() - self.started

    def check(self) -> None:
        """Raise if the query must stop now.

        Raises:
            SearchCancelled: its caller no longer wants it.
            QueryTooSlow: the deadline has passed.
        """
        if self.should_stop():
            raise SearchCancelled
        if self.clock() > self.deadline:
            raise QueryTooSlow(self.seconds)

    @contextmanager
    def paused(self) -> Iterator[None]:
        """Work inside the block is not the query's (a cache built once per index
        generation): it is not checked, and its time is given back to the budget."""
        stopped = self.clock()
        try:
            with checking(_unchecked):
                yield
        finally:
            self.started += self.clock() - stopped

    @contextmanager
    def applied(self) -> Iterator[Budget]:
        """Make this the budget of every checkpoint of this thread inside the block."""
        self.check()
        previous = getattr(_ACTIVE, "budget", None)
        _ACTIVE.budget = self
        try:
            with checking(self.check):
                yield self
        finally:
            _ACTIVE.budget = previous


@contextmanager
def outside_budget() -> Iterator[None]:
    """Work that is not the query's (a cache built once per index generation, such as the
    entity table): this thread's budget, if any, is paused through it."""
    budget = getattr(_ACTIVE, "budget", None)
    if budget is None:
        yield
        return
    with budget.paused():
        yield


def check_cost(wanted: query.Query, searcher: Any) -> None:
    """Refuse, before it runs, a query whose matcher would do more than ``MAX_WORK`` steps
    or open more than ``MAX_TERMS`` posting lists.

    Counted per segment, as the matcher will walk them: fuzzy and wildcard words are
    expanded here once (the walk is cached on the query and reused by its matcher).

    Raises:
        QueryTooSlow: over ``MAX_TERMS`` or ``MAX_WORK``.
    """
    terms = work = 0
    for reader, _ in searcher.reader().leaf_readers():
        cost = _cost(wanted, reader)
        terms += cost.terms
        work += cost.work
        if terms > MAX_TERMS or work > MAX_WORK:
            raise QueryTooSlow(up_front=True)


@dataclass(frozen=True)
class Cost:
    """What a query's matcher does in one segment: ``visits`` documents it steps through,
    each costing a step of every one of its ``terms`` posting lists (Whoosh's union and
    intersection matchers ask every leaf of their tree at each document)."""

    visits: int
    terms: int

    @property
    def work(self) -> int:
        """Matcher steps: visits × terms."""
        return self.visits * self.terms


def query_cost(wanted: query.Query, searcher: Any) -> Cost:
    """The cost of a query over every segment (visits and terms summed; for measurement)."""
    found = [_cost(wanted, reader) for reader, _ in searcher.reader().leaf_readers()]
    return Cost(sum(c.visits for c in found), sum(c.terms for c in found))


def _cost(node: query.Query, reader: Any) -> Cost:
    """The cost of ``node`` in one segment: a word visits its postings (its document
    frequency), an expanding word those of every word it stands for, an ``OR`` all of its
    parts' and an ``AND`` (or phrase) at most its rarest part's."""
    checkpoint()
    if isinstance(node, query.MultiTerm):
        texts = list(node._btexts(reader))  # the cached walk (whoosh_patches)
        return Cost(_postings(reader, node.field(), texts), len(texts))
    if isinstance(node, query.Term):
        return Cost(_postings(reader, node.fieldname, [node.text]), 1)
    if isinstance(node, query.Phrase):
        rarest = min(_postings(reader, node.fieldname, [w]) for w in node.words)
        return Cost(rarest, len(node.words))
    parts = [_cost(child, reader) for child in node.children()]
    terms = sum(part.terms for part in parts)
    if isinstance(node, query.Not | query.Every):  # every document but (or of) these
        return Cost(reader.doc_count_all(), terms)
    if not parts:
        return Cost(0, 0)
    if isinstance(node, query.And | query.Require):
        return Cost(min(part.visits for part in parts), terms)
    if isinstance(node, query.AndNot | query.AndMaybe):
        return Cost(parts[0].visits, terms)  # the rest is only skipped to
    return Cost(sum(part.visits for part in parts), terms)


def _postings(reader: Any, field_name: str | None, texts: list[Any]) -> int:
    if not field_name or field_name not in reader.schema:
        return 0
    return sum(reader.doc_frequency(field_name, text) for text in checked(texts, 256))


class CheckedCollector(collectors.WrappingCollector):
    """A collector that calls the thread's checkpoint as it opens each segment's matcher and
    every ``EVERY`` matches (Whoosh's ``TimeLimitCollector`` starts a timer thread per search
    and never looks at the clock while a matcher is being built)."""

    EVERY = 64

    def set_subsearcher(self, subsearcher: Any, offset: int) -> None:
        """Check, then build the segment's matcher."""
        checkpoint()
        super().set_subsearcher(subsearcher, offset)

    def collect_matches(self) -> None:
        """The child's matches, collected with a checkpoint every ``EVERY``."""
        child = self.child
        for count, sub_docnum in enumerate(child.matches()):
            if count % self.EVERY == 0:
                checkpoint()
            child.collect(sub_docnum)


def collect_top(searcher: Any, wanted: query.Query, limit: int) -> TopMatches:
    """The ``limit`` best matches of ``wanted``, its cost checked up front and the budget of
    this thread checked on the way: every match scored a posting block at a time
    (``search/bulk.py``) for the shapes that module reads, else by Whoosh's collector."""
    check_cost(wanted, searcher)
    found = top_matches(searcher, wanted, limit, checkpoint)
    if found is not None:
        return found
    collector = CheckedCollector(searcher.collector(limit=limit, terms=False))
    searcher.search_with_collector(wanted, collector)
    results = collector.results()
    scored = results.scored_length()
    exact = scored < limit
    total = scored if exact else results.estimated_length()
    return TopMatches([(hit.docnum, hit.score) for hit in results], total, exact)


def checked(items: Iterable[T], every: int = 1024) -> Iterator[T]:
    """``items``, with this thread's checkpoint every ``every`` of them."""
    for count, item in enumerate(items):
        if count % every == 0:
            checkpoint()
        yield item
