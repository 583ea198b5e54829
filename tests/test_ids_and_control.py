"""One helper for passage ids and one for control characters, used by every layer."""

from __future__ import annotations

import pytest

from briefreader.models import article_id_of, make_passage_id, parse_passage_id
from briefreader.notes.export import md_escape
from briefreader.notes.model import (
    NotesError,
    article_id_from_passage_id,
    passage_number_from_id,
)
from briefreader.text.decode import strip_control


@pytest.mark.parametrize(
    ("article_id", "number"), [("port", 1), ("000_4b7c:p2-x", 12), ("a:p3", 4), ("x-2", 300)]
)
def test_passage_ids_round_trip(article_id: str, number: int) -> None:
    passage_id = make_passage_id(article_id, number)
    assert parse_passage_id(passage_id) == (article_id, number)
    assert article_id_of(passage_id) == article_id
    assert passage_number_from_id(passage_id) == number


@pytest.mark.parametrize("text", ["port", "port:p", ":p3", "port:px", "port:p²", "port:p-1"])
def test_text_that_is_not_a_passage_id(text: str) -> None:
    assert parse_passage_id(text) is None
    assert article_id_of(text) == text
    assert passage_number_from_id(text) is None
    with pytest.raises(NotesError, match="not a passage id"):
        article_id_from_passage_id(text)


def test_control_characters_and_escapes_leave_every_output_the_same_way() -> None:
    hostile = "a\x1b[2Jb\x1b]0;title\x07c\x00d\x9b1me"
    assert strip_control(hostile) == "abcde"
    assert strip_control(hostile, " ") == "a b c d e"
    assert md_escape(hostile) == "a b c d e"  # the report holds no escape remnants
    assert md_escape("tab\there [b]") == "tab here \\[b\\]"
