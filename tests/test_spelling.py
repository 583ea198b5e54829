""" "Did you mean": the nearest indexed word (fewest edits), the most frequent among equals."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from briefreader.search.index.indexer import update_index
from briefreader.search.library import Library
from briefreader.search.query import analyzed, edit_distance
from briefreader.workspace import Workspace
from tests.conftest import make_workspace

LETTERS = "bcdfgklmnprstvz"
VOWELS = "aeiou"


def _word(rng: random.Random) -> str:
    return "".join(rng.choice(LETTERS) + rng.choice(VOWELS) for _ in range(4))


def _cases(seed: int, count: int) -> list[tuple[str, str, str]]:
    """(typo, a rare word, a frequent word), made-up words: in the first half the rare word
    is one edit from the typo and the frequent one two; in the second half both are one."""
    rng = random.Random(seed)
    cases: list[tuple[str, str, str]] = []
    while len(cases) < count:
        rare = _word(rng)
        cut = rng.randrange(1, len(rare))
        typo = rare[:cut] + rare[cut + 1 :]  # one letter dropped (never the first)
        edits = 2 if len(cases) < count // 2 else 1
        frequent = typo + "".join(rng.choice(LETTERS) for _ in range(edits))
        stems = {*analyzed(rare), *analyzed(frequent)}  # the typo must be a word never seen
        if (
            (edit_distance(typo, rare), edit_distance(typo, frequent)) == (1, edits)
            and not stems & set(analyzed(typo))
            and all(edit_distance(typo, word) > 2 for case in cases for word in case[1:])
        ):
            cases.append((typo, rare, frequent))
    return cases


@pytest.fixture(scope="module")
def spelled(tmp_path_factory: pytest.TempPathFactory) -> tuple[Library, list[tuple[str, str, str]]]:
    cases = _cases(20261206, 16)
    files = {  # "frequent": in more articles (suggestions weigh words by document count)
        f"case{n}-{copy}.txt": f"Case {n} ({copy})\n\n"
        + (f"The report names {rare} once. " if copy == 0 else "")
        + " ".join([f"Then {frequent} again."] * 3)
        + "\n"
        for n, (_, rare, frequent) in enumerate(cases)
        for copy in range(3)
    }
    root = make_workspace(tmp_path_factory.mktemp("spelling"), files)
    update_index(Workspace(root))
    return Library.open(Workspace(root)), cases


def test_fewest_edits_first_then_most_frequent(
    spelled: tuple[Library, list[tuple[str, str, str]]],
) -> None:
    library, cases = spelled
    for number, (typo, rare, frequent) in enumerate(cases):
        wanted = rare if number < len(cases) // 2 else frequent
        result = library.search(typo)
        assert not result.hits and result.suggestion == wanted, (typo, rare, frequent)
        assert library.suggest(f"{typo} report") == f"{wanted} report"


def test_milita_is_militia(tmp_path: Path) -> None:
    """The audit's case: "military" (more frequent, two edits) lost to "militia" (one)."""
    text = "A militia formed. " + "The military said so. " * 10
    root = make_workspace(tmp_path, {"a.txt": f"Title\n\n{text}\n"})
    update_index(Workspace(root))
    library = Library.open(Workspace(root))
    try:
        assert library.search("milita").suggestion == "militia"
    finally:
        library.close()


@given(st.text("abcde", max_size=7), st.text("abcde", max_size=7))
def test_edit_distance_is_a_distance(first: str, second: str) -> None:
    assert edit_distance(first, second) == edit_distance(second, first)
    assert (edit_distance(first, second) == 0) == (first == second)
    assert edit_distance(first, second) <= max(len(first), len(second))
    if len(first) >= 2:
        swapped = first[1] + first[0] + first[2:]
        assert edit_distance(first, swapped) <= 1


@pytest.mark.parametrize(
    ("typed", "wanted"),
    [
        ('"Milita forces"', '"Militia forces"'),
        ('"armed Milita"', '"armed Militia"'),
        ('entity:"MILITA forces"', 'entity:"MILITIA forces"'),
        ("title:Milita", "title:Militia"),
        ("-milita", "-militia"),
    ],
)
def test_a_respelled_word_keeps_its_quotes_field_and_case(
    tmp_path: Path, typed: str, wanted: str
) -> None:
    """A capitalised typo inside a phrase lost the phrase's quote ('"Blinkin presses"' became
    'blinken presses"'), so accepting the suggestion gave an unbalanced quote."""
    from briefreader.search.query import suggest_respelling

    root = make_workspace(tmp_path, {"a.txt": "Title\n\nA militia formed. Armed forces.\n"})
    update_index(Workspace(root))
    library = Library.open(Workspace(root))
    try:
        reader = library.searcher.reader()
        assert suggest_respelling(typed, reader) == wanted
    finally:
        library.close()
