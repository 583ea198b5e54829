"""Property and fuzz tests: the loader, the cleaner and the query parser never break."""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from briefreader.search.library import Library
from briefreader.search.query import QueryError
from briefreader.text.load import default_options, load_bytes
from briefreader.workspace import Workspace

OPTIONS = default_options()
NASTY = (
    "\x00",
    "\x1b[2J",
    "\x1b]0;t\x07",
    "\r\n",
    "\r",
    "\u2028",
    "\u2029",
    "\ufeff",
    "\u200b",
    "\u200f",
    "\u202e",
    "\u0301",
    "😀",
    "[b]",
    "[/]",
    "[link=x]",
    "\ud800",
    "\t",
    "\x0c",
    "مرحبا بالعالم",
    "  • ",
    "[i]",
    "Updated 29 July 2025",
    "Short Url",
)


def _check_result(result) -> None:
    for article in result.articles:
        for passage in article.passages:
            assert article.text[passage.start : passage.end] == passage.text
        for heading in article.headings:
            assert article.text[heading.start : heading.end] == heading.text
        assert "\x1b" not in article.text and "\x00" not in article.text


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=3000), st.sampled_from(["a.txt", "b.md", "c.html", "d"]))
def test_arbitrary_bytes_never_raise(data: bytes, name: str) -> None:
    _check_result(load_bytes(data, name, OPTIONS))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.text(max_size=200), st.sampled_from(NASTY)), max_size=40))
def test_arbitrary_unicode_never_raises(pieces: list[str]) -> None:
    text = "".join(pieces)
    data = text.encode("utf-8", errors="surrogatepass")
    for name in ("a.txt", "a.md"):
        _check_result(load_bytes(data, name, OPTIONS))


def test_very_long_line_is_loaded() -> None:
    line = ("word " * 20_000).encode()
    result = load_bytes(b"Title\n\n" + line, "long.txt", OPTIONS)
    _check_result(result)
    assert sum(len(p.text) for p in result.articles[0].passages) >= 99_000


WORDS = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=3, max_size=9)
PARAGRAPH = st.lists(WORDS, min_size=14, max_size=40).map(lambda ws: " ".join(ws) + ".")
CHROME = st.sampled_from(
    [
        "Short Url",
        "Follow",
        "Back to top",
        "Leave a Comment",
        "Updated 3 March 2024",
        "JOHN DOE/AFP VIA GETTY IMAGES",
        "Tweet",
    ]
)


# Found by this test in CI: a story's first line is a body paragraph, then a paragraph between
# two photo credits was taken for an opening caption and dropped.
_BODY = "aaa " * 13
_CAPTION_BETWEEN_CREDITS = [
    (_BODY + "aaa.", ["Updated 3 March 2024", "Updated 3 March 2024"], "\n\n"),
    (_BODY + "aaa.", ["JOHN DOE/AFP VIA GETTY IMAGES"], "\n\n"),
    (_BODY + "aab.", ["JOHN DOE/AFP VIA GETTY IMAGES"], "\n\n"),
]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@example(_CAPTION_BETWEEN_CREDITS)
@given(
    st.lists(
        st.tuples(
            PARAGRAPH,
            st.lists(CHROME, max_size=2),
            st.sampled_from(["\n\n", "\n", "\r\n\r\n", "\u2029"]),
        ),
        min_size=1,
        max_size=12,
    )
)
def test_cleaning_never_loses_body_words(blocks) -> None:
    text = "A title for the story\n\n"
    body_words: set[str] = set()
    for paragraph, chrome, sep in blocks:
        body_words |= set(paragraph.rstrip(".").split())
        text += paragraph + sep + sep.join(chrome) + sep
    result = load_bytes(text.encode(), "p.txt", OPTIONS)
    _check_result(result)
    kept = set()
    for article in result.articles:
        kept |= set(re.findall(r"\w+", " ".join([article.title, *article.deck, article.text])))
    assert body_words <= kept


@pytest.fixture(scope="module")
def library(sample_workspace: Path) -> Library:
    return Library.open(Workspace(sample_workspace))


QUERY_ALPHABET = st.sampled_from(
    [
        *list("abcxyz \"()*~-+:.[]'’\\/^{}!?&|"),
        "AND",
        "OR",
        "NOT",
        "title:",
        "date:",
        "entity:",
        "2024",
        "..",
        "iraq",
        "sudani",
        "\x00",
        "é",
        "💥",
        "source:",
    ]
)


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(QUERY_ALPHABET, max_size=12).map(" ".join) | st.text(max_size=40))
def test_generated_queries_only_raise_query_error(library: Library, text: str) -> None:
    try:
        library.search(text, limit=5)
    except QueryError as error:
        assert str(error) and "\n" not in str(error)


def _random_queries(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    pieces = [
        '"',
        "(",
        ")",
        "*",
        "~",
        "-",
        "+",
        ":",
        "AND",
        "OR",
        "NOT",
        "title:",
        "date:",
        "date:2024..",
        "..2025",
        "iraq",
        "kataib",
        "u.s.",
        "[i]",
        "al-sudani's",
        "*x",
        "~2",
        "entity:",
        "source:ap",
        "heading:",
        "\\",
        "^",
        "{",
        "}",
        "[",
        "]",
        "'",
    ]
    return [" ".join(rng.choice(pieces) for _ in range(rng.randint(1, 8))) for _ in range(count)]


def test_ten_thousand_queries(library: Library, request: pytest.FixtureRequest) -> None:
    count = 100_000 if request.config.getoption("--slow") else 10_000
    errors = 0
    for text in _random_queries(count, seed=20261122):
        try:
            library.search(text, limit=3)
        except QueryError:
            errors += 1
    assert 0 < errors < count
    print(f"figures: {count} generated queries, {errors} refused with QueryError, no other error")
