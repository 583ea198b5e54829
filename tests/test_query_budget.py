"""Issue 19: every query has a budget (characters, words, fuzzy edits, fuzzy and wildcard
words, time) and is refused in one line when over it."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from briefreader.cli import main
from briefreader.search.index.schema import build_schema
from briefreader.search.query import (
    MAX_EXPANDING_TERMS,
    MAX_QUERY_CHARS,
    MAX_QUERY_WORDS,
    QueryError,
    parse_query,
)

if TYPE_CHECKING:
    from briefreader.search.library import Library

SCHEMA = build_schema()
WORDS = st.sampled_from(["iran", "militia", "attacks", "baghdad", "sudani", "waiver", "oil"])
CHECKS = settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))


def over_budget() -> st.SearchStrategy[str]:
    """Queries that break one rule of the budget each."""
    many = st.tuples(st.integers(MAX_QUERY_WORDS + 1, 20_000), st.lists(WORDS, min_size=1)).map(
        lambda t: " ".join(t[1][i % len(t[1])] for i in range(t[0]))
    )
    long_word = st.integers(MAX_QUERY_CHARS + 1, 120_000).map(lambda n: "x" * n)
    edits = st.tuples(WORDS, st.integers(3, 99)).map(lambda t: f"{t[0]}~{t[1]}")
    short = (
        st.tuples(st.sampled_from(["x", "ab", "ir"]), st.integers(1, 2))
        .filter(lambda t: len(t[0]) < t[1] + 2)
        .map(lambda t: f"{t[0]}~{t[1]}")
    )
    expanding = st.lists(
        st.tuples(WORDS, st.sampled_from(["~1", "~2", "*"])).map("".join),
        min_size=MAX_EXPANDING_TERMS + 1,
        max_size=15,
        unique=True,
    ).map(" ".join)
    return st.one_of(many, long_word, edits, short, expanding)


@given(over_budget())
@CHECKS
def test_queries_over_budget_are_refused(text: str) -> None:
    with pytest.raises(QueryError) as raised:
        parse_query(text, SCHEMA)
    assert "\n" not in str(raised.value) and len(str(raised.value)) < 120


@given(st.lists(WORDS, min_size=1, max_size=MAX_QUERY_WORDS), st.sampled_from(["", "~1", "~2"]))
@CHECKS
def test_queries_within_budget_are_parsed(words: list[str], fuzzy: str) -> None:
    text = " ".join([*words[:-1], "militia" + fuzzy])  # long enough for ~2
    assert parse_query(text, SCHEMA).query is not None


@pytest.mark.parametrize("text", ["x~9", "attacks~3 iran", "w " * 10_000, "word~2 " * 2_000])
def test_cli_refuses_in_one_line(
    sample_workspace: Path, capsys: pytest.CaptureFixture[str], text: str
) -> None:
    assert main(["-w", str(sample_workspace), "search", text]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("briefreader: "), err


# ---------------------------------------------------------------- the time budget

STAGE_QUERIES = {
    "vocabulary walk": ("tsurkov~2", "_find_matches"),
    "prefix expansion": ("mil*", "most_frequent_terms"),
    "collecting hits": ("iran NOT zzzqqq", "collect_matches"),
    "scoring every match": ("iran", "_postings"),
    "best passages": ("iran", "_best_by_skipping"),
    "spelling suggestion": ("tsurkovv", "_find_matches"),
}


class StoppedClock:
    """A clock that moves only when a slow stage says so (``jump``): no test is timing-
    sensitive, and whatever runs after the jump is over the budget."""

    def __init__(self) -> None:
        self.now = 0.0
        self.jumps = 0

    def __call__(self) -> float:
        return self.now

    def jump(self) -> None:
        self.now += 100.0
        self.jumps += 1


@pytest.fixture
def library(sample_workspace: Path) -> Iterator[Library]:
    from briefreader.search.library import Library
    from briefreader.workspace import Workspace

    opened = Library.open(Workspace(sample_workspace))
    yield opened
    opened.close()


def _slow(monkeypatch: pytest.MonkeyPatch, owner: Any, name: str, clock: StoppedClock) -> None:
    """Make ``owner.name`` a stage that takes "100 s" at every call."""
    original = getattr(owner, name)

    def slowly(*args: Any, **kwargs: Any) -> Any:
        clock.jump()
        return original(*args, **kwargs)

    monkeypatch.setattr(owner, name, slowly)


def _stage(
    monkeypatch: pytest.MonkeyPatch, library: Library, stage: str, clock: StoppedClock
) -> None:
    from whoosh.codec.whoosh3 import W3FieldCursor
    from whoosh.collectors import TopCollector

    import briefreader.search.library as library_module
    from briefreader.search import bulk
    from briefreader.search.budget import CheckedCollector

    if stage in ("vocabulary walk", "spelling suggestion"):
        _slow(monkeypatch, W3FieldCursor, "find", clock)
    elif stage == "prefix expansion":
        _slow(monkeypatch, type(library.searcher.reader()), "doc_frequency", clock)
    elif stage == "collecting hits":
        monkeypatch.setattr(CheckedCollector, "EVERY", 1)
        _slow(monkeypatch, TopCollector, "_collect", clock)
    elif stage == "scoring every match":
        _slow(monkeypatch, bulk._Segment, "_read", clock)
    elif stage == "best passages":
        _slow(monkeypatch, library_module, "passage_field", clock)


@pytest.mark.parametrize("stage", list(STAGE_QUERIES))
def test_every_long_stage_refuses_a_query_past_its_budget(
    library: Library, monkeypatch: pytest.MonkeyPatch, stage: str
) -> None:
    """A stage that runs past the deadline is stopped inside that stage (not at the end of
    the search), with the one-line refusal; the same search within its budget answers."""
    from briefreader.search.budget import Budget, QueryTooSlow

    text, where = STAGE_QUERIES[stage]
    assert library.search(text, budget=Budget(clock=StoppedClock())) is not None
    clock = StoppedClock()
    _stage(monkeypatch, library, stage, clock)
    with pytest.raises(QueryTooSlow) as raised:
        library.search(text, budget=Budget(clock=clock))
    assert clock.jumps <= 16, "the stage ran on past the deadline"  # a walk checks every 16
    assert where in [entry.name for entry in raised.traceback]
    assert str(raised.value) == "the query would take longer than 2 s; make it narrower"


def test_snippets_stop_at_the_deadline(library: Library, monkeypatch: pytest.MonkeyPatch) -> None:
    import briefreader.search.library as library_module
    from briefreader.search.budget import Budget, QueryTooSlow

    assert len(library.search("iran").hits) > 1
    clock = StoppedClock()
    _slow(monkeypatch, library_module, "make_snippet", clock)
    with pytest.raises(QueryTooSlow):
        library.search("iran", budget=Budget(clock=clock))
    assert clock.jumps == 1  # the second snippet is never made


def test_counting_past_the_budget_keeps_the_estimate(
    library: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    from whoosh.searching import Searcher

    from briefreader.search.budget import Budget

    negated = "iran NOT zzzqqq"  # Whoosh's collector: a full page only estimates its count
    whole = library.search(negated, limit=100)
    assert whole.exact and whole.total > 1
    assert not library.search(negated, limit=1).exact
    assert library.search(negated, limit=1, count_all=True).total == whole.total
    clock = StoppedClock()
    docs = Searcher.docs_for_query

    def slow_docs(self: Searcher, *args: Any, **kwargs: Any) -> Iterator[int]:
        for docnum in docs(self, *args, **kwargs):
            clock.jump()
            yield docnum

    monkeypatch.setattr(Searcher, "docs_for_query", slow_docs)
    page = library.search(negated, limit=1, budget=Budget(clock=clock), count_all=True)
    assert len(page.hits) == 1 and not page.exact and clock.jumps == 1
    assert library.count(negated, budget=Budget(clock=clock)) is None
    # words scored match by match are counted exactly without a second walk
    page = library.search("iran", limit=1, budget=Budget(clock=clock), count_all=True)
    assert page.exact and page.total == whole.total and clock.jumps == 2


def test_facets_past_the_budget_are_refused(
    library: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    from functools import partial

    import briefreader.search.facets as facets_module
    from briefreader.search.budget import Budget, QueryTooSlow

    assert facets_module.query_facets(library, "iran").total > 0
    clock = StoppedClock()
    monkeypatch.setattr(facets_module, "Budget", partial(Budget, clock=clock))
    _slow(monkeypatch, facets_module, "_source_facet", clock)
    with pytest.raises(QueryTooSlow):
        facets_module.query_facets(library, "iran")


def test_a_search_no_longer_wanted_stops_inside_the_walk(
    library: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The reader typed on: the stale search stops at its next checkpoint, even deep in a
    walk of the vocabulary, and gives the library back."""
    from whoosh.codec.whoosh3 import W3FieldCursor

    from briefreader.search.library import SearchCancelled

    wanted = [True]
    find = W3FieldCursor.find

    def typed_on(self: W3FieldCursor, term: object) -> object:
        wanted[0] = False
        return find(self, term)

    monkeypatch.setattr(W3FieldCursor, "find", typed_on)
    with pytest.raises(SearchCancelled) as raised:
        library.search("tsurkov~2", should_stop=lambda: not wanted[0])
    assert "_find_matches" in [entry.name for entry in raised.traceback]
    assert library.lock.acquire(blocking=False)
    library.lock.release()


@pytest.mark.parametrize("text", ["tsurkov~2", "kataib~1 waiver", "mi*ia iran"])
def test_the_time_limit_covers_expanding_fuzzy_and_wildcard_words(
    library: Library, monkeypatch: pytest.MonkeyPatch, text: str
) -> None:
    """A vocabulary slow to walk (a big index on a busy machine), in real time: the search is
    refused before its budget has passed, not after every word is expanded."""
    import time

    from whoosh.codec.whoosh3 import W3FieldCursor
    from whoosh.reading import IndexReader

    from briefreader.search.budget import Budget

    find = W3FieldCursor.find

    def slow_find(self: W3FieldCursor, term: object) -> object:
        time.sleep(0.005)  # each step of the walk of the term dictionary
        return find(self, term)

    def slowly(words: object) -> object:
        for word in words:  # type: ignore[attr-defined]
            time.sleep(0.005)
            yield word

    monkeypatch.setattr(W3FieldCursor, "find", slow_find)
    for cls in {IndexReader, *IndexReader.__subclasses__()}:
        for name in ("lexicon", "expand_prefix"):
            original = cls.__dict__.get(name)
            if original is not None:
                monkeypatch.setattr(
                    cls, name, lambda self, *a, _o=original, **k: slowly(_o(self, *a, **k))
                )
    started = time.monotonic()
    with pytest.raises(QueryError, match=r"longer than 0\.3 s"):
        library.search(text, budget=Budget(seconds=0.3, margin=0.1))
    assert time.monotonic() - started < 0.8  # not after the whole walk (seconds at 5 ms a step)


# ---------------------------------------------------------------- the cost, up front

EXPANDING = st.lists(
    st.tuples(
        st.sampled_from(["iran", "militia", "attacks", "baghdad", "sudani"]),
        st.sampled_from(["~1", "~2", "*"]),
    ).map(lambda t: t[0][:3] + "*" if t[1] == "*" else "".join(t)),
    min_size=1,
    max_size=MAX_EXPANDING_TERMS,
    unique=True,
)
PLAIN = st.lists(WORDS, max_size=6)


@given(EXPANDING, PLAIN, st.booleans())
@CHECKS
def test_queries_over_their_cost_are_refused_before_they_run(
    library: Library, expanding: list[str], plain: list[str], either: bool
) -> None:
    """With the cost limits set below what these queries need, each is refused in one line
    before its matcher collects anything; with the shipped limits, each is answered."""
    from unittest import mock

    from whoosh.collectors import TopCollector

    import briefreader.search.budget as budget

    text = (" OR " if either else " ").join([*expanding, *plain])
    assert library.search(text) is not None
    with (
        mock.patch.object(budget, "MAX_WORK", 0),
        mock.patch.object(TopCollector, "_collect", side_effect=AssertionError("it ran")),
        pytest.raises(budget.QueryTooSlow) as raised,
    ):
        library.search(text)
    assert "\n" not in str(raised.value)


def test_the_cli_refuses_an_over_budget_query_in_one_line(
    sample_workspace: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import briefreader.search.budget as budget

    assert main(["-w", str(sample_workspace), "search", "iran", "--json"]) == 0
    assert '"exact": true' in capsys.readouterr().out
    monkeypatch.setattr(budget, "MAX_TERMS", 0)
    assert main(["-w", str(sample_workspace), "search", "iran"]) == 2
    err = capsys.readouterr().err
    assert err == "briefreader: bad query: the query would take longer than 2 s; make it narrower\n"


# ---------------------------------------------------------------- generated, on a stopped clock

QUERY_WORDS = st.sampled_from(
    ["iran", "militia", "attacks", "baghdad", "sudani", "kataib", "waiver"]
)
SUFFIXES = st.sampled_from(["", "", "", "~1", "~2", "*", "-"])
PRIMITIVES = ("find", "next", "stored_fields", "doc_frequency")


@st.composite
def generated_queries(draw: st.DrawFn) -> str:
    """Words, some fuzzy, wildcard or negated (at most two expanding), ANDed or ORed."""
    words, expanding = [], 0
    for word in draw(st.lists(QUERY_WORDS, min_size=1, max_size=6)):
        suffix = draw(SUFFIXES)
        if suffix in ("~1", "~2", "*"):
            expanding += 1
            suffix = suffix if expanding <= MAX_EXPANDING_TERMS else ""
        words.append(
            f"-{word}" if suffix == "-" else word[:3] + "*" if suffix == "*" else word + suffix
        )
    if all(w.startswith("-") for w in words):
        words.append("iran")
    return (
        " OR " if draw(st.booleans()) and not any(w.startswith("-") for w in words) else " "
    ).join(words)


@given(generated_queries(), st.sampled_from(PRIMITIVES), st.integers(0, 400))
@CHECKS
def test_generated_queries_stop_soon_after_the_deadline(
    library: Library, text: str, primitive: str, after: int
) -> None:
    """The deadline passes at the ``after``-th call of one of the index's primitives (a step
    of a vocabulary walk, of a posting list, a stored document, a term's statistics): the
    search is refused in one line within a few dozen more calls (or answered, if it never
    got there or had only those left), whatever the query and wherever that call falls."""
    from unittest import mock

    from whoosh.codec.whoosh3 import W3FieldCursor, W3LeafMatcher

    from briefreader.search.budget import Budget, QueryTooSlow

    owner = {
        "find": W3FieldCursor,
        "next": W3LeafMatcher,
        "stored_fields": type(library.searcher.reader()),
        "doc_frequency": type(library.searcher.reader()),
    }[primitive]
    clock = StoppedClock()
    calls = [0]
    original = getattr(owner, primitive)

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls[0] += 1
        if calls[0] == after:
            clock.jump()
        return original(*args, **kwargs)

    with mock.patch.object(owner, primitive, counted):
        try:
            library.search(text, budget=Budget(clock=clock))
        except QueryTooSlow as error:
            assert "\n" not in str(error) and clock.jumps == 1
    # Refused or (when the deadline fell in the last steps) answered: little work past it.
    assert not clock.jumps or calls[0] - after <= 64, (calls[0], after)


def test_facets_over_their_cost_are_refused_before_walking(
    library: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The facets of a query whose matches would cost too much to walk are refused up front,
    before any of its matches is walked."""
    from whoosh.searching import Searcher

    import briefreader.search.budget as budget
    import briefreader.search.facets as facets_module

    monkeypatch.setattr(budget, "MAX_WORK", 0)
    docs = Searcher.docs_for_query
    walked: list[object] = []

    def watched(self: Searcher, *args: Any, **kwargs: Any) -> Iterator[int]:
        walked.append(args[0])
        yield from docs(self, *args, **kwargs)

    monkeypatch.setattr(Searcher, "docs_for_query", watched)
    with pytest.raises(budget.QueryTooSlow):
        facets_module.query_facets(library, "iran")
    assert all("iran" not in str(q) for q in walked)


def test_work_that_is_not_the_querys_is_not_counted() -> None:
    """``Budget.paused``: a cache built once per index generation (facet data) neither
    refuses the query from inside nor uses up its time."""
    from briefreader.search.budget import Budget, QueryTooSlow, checkpoint

    clock = StoppedClock()
    with Budget(clock=clock).applied() as budget:
        with budget.paused():
            clock.jump()
            checkpoint()  # not refused: not the query's work
        checkpoint()  # nor after it: the time was given back
        clock.jump()
        with pytest.raises(QueryTooSlow):
            checkpoint()


def test_building_the_entity_table_is_not_the_querys_time(
    library: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first ``entity:`` query of a process builds the entity table (seconds at BBC ×16):
    that is not the query's cost, so it is not refused for it."""
    from briefreader.search.budget import Budget
    from briefreader.search.library import Library as LibraryClass

    clock = StoppedClock()
    _slow(monkeypatch, LibraryClass, "_resolve_entities", clock)
    result = library.search('entity:"Kataib Hezbollah"', budget=Budget(clock=clock))
    assert clock.jumps == 1 and result.hits


def test_a_command_s_budget_counts_its_start_up() -> None:
    """``briefreader search`` promises its answer within 2 s of being typed: the budget
    starts with the process, not after the imports."""
    import subprocess
    import sys

    code = (
        "import time; time.sleep(0.6)\n"
        "from briefreader.search.budget import Budget\n"
        "print(Budget.from_process_start().elapsed())"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert 0.6 <= float(out.stdout) < 5


@pytest.mark.parametrize("extra", [[], ["--facets"]])
def test_a_command_s_start_up_is_part_of_its_budget(
    sample_workspace: Path, capsys: pytest.CaptureFixture[str], extra: list[str]
) -> None:
    """The ``search`` and ``search --facets`` commands count the time since their process
    started: one that took 1.7 s to get there refuses in one line. ``main`` called with
    arguments inside a longer-lived process (these tests) starts the budget then."""
    import subprocess
    import sys

    code = "import time, sys; time.sleep(1.7); from briefreader.cli import main; sys.exit(main())"
    args = ["-w", str(sample_workspace), "search", "iran", *extra]
    done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True)
    assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr
    assert "longer than 2 s" in done.stderr
    time.sleep(2)  # this process is older than a budget now
    assert main(args) == 0
