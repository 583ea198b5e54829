"""Issue 19: every query has a budget (characters, words, fuzzy edits, fuzzy and wildcard
words, time) and is refused in one line when over it."""

from __future__ import annotations

from pathlib import Path

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


def test_a_search_past_its_time_is_refused(
    sample_workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from whoosh.collectors import TimeLimit
    from whoosh.searching import Searcher

    from briefreader.search.library import Library
    from briefreader.workspace import Workspace

    def slow(self: Searcher, q: object, collector: object) -> None:
        raise TimeLimit  # what the collector raises when its timer fires mid-collection

    library = Library.open(Workspace(sample_workspace))
    try:
        assert library.search("iran").hits
        monkeypatch.setattr(Searcher, "search_with_collector", slow)
        with pytest.raises(QueryError, match="longer than 2 s"):
            library.search("iran")
    finally:
        library.close()


@pytest.mark.parametrize("text", ["tsurkov~2", "kataib~1 waiver", "mi*ia iran"])
def test_the_time_limit_covers_expanding_fuzzy_and_wildcard_words(
    sample_workspace: Path, monkeypatch: pytest.MonkeyPatch, text: str
) -> None:
    """A vocabulary slow to walk (a big index on a busy machine): the search is refused about
    ``QUERY_SECONDS`` after it started, not after every word is expanded (the collector's
    limit used to start only then)."""
    import time

    from whoosh.codec.whoosh3 import W3FieldCursor
    from whoosh.reading import IndexReader

    import briefreader.search.library as library_module
    from briefreader.search.library import Library
    from briefreader.workspace import Workspace

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
    monkeypatch.setattr(library_module, "QUERY_SECONDS", 0.1)
    library = Library.open(Workspace(sample_workspace))
    try:
        started = time.monotonic()
        with pytest.raises(QueryError, match=r"longer than 0\.1 s"):
            library.search(text)
        assert time.monotonic() - started < 0.8
    finally:
        library.close()
