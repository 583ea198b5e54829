"""Counts in messages agree with their noun ("1 note", never "1 notes"): one helper, used
by every message that shows a count."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from briefreader.cli import main
from briefreader.text.wording import counted
from tests.conftest import make_workspace

SRC = Path(__file__).resolve().parent.parent / "src" / "briefreader"
NOUNS = (
    r"(notes?|articles?|paragraphs?|passages?|files?|entities|entity|mentions?|hits?|duplicates?)"
)
# A number put straight before a noun in an f-string, which says "1 notes" for one.
RAW_COUNT = re.compile(r"\{(?:len\([^)]*\)|[\w.]+)\}\s+" + NOUNS + r"\b")


@given(st.integers(0, 10**9), st.sampled_from(["note", "article", "entity", "match"]))
def test_counted_agrees_with_the_number(count: int, noun: str) -> None:
    text = counted(count, noun)
    number, word = text.split(" ", 1)
    assert re.fullmatch(r"\d{1,3}(,\d{3})*", number), text  # "200,000 hits"
    assert int(number.replace(",", "")) == count
    assert (word == noun) == (count == 1)
    assert word in {noun, noun + "s", "entities", "matches"}


def test_no_message_puts_a_count_before_a_noun_without_the_helper() -> None:
    offenders = []
    for path in SRC.rglob("*.py"):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if ('f"' in line or "f'" in line) and "# not a count" not in line:
                offenders += [f"{path.relative_to(SRC)}:{number}: {line.strip()}"] * bool(
                    RAW_COUNT.search(line)
                )
    assert offenders == []


@pytest.mark.parametrize("count", [1, 2])
def test_commands_say_one_in_the_singular(tmp_path: Path, capsys, count: int) -> None:
    body = "The council voted to close the port at night after a long and bitter debate."
    files = {f"a{n}.txt": f"Port story {n}\n\n{body}\n" for n in range(count)}
    root = str(make_workspace(tmp_path / "ws", files))
    assert main(["-w", root, "index"]) == 0
    out, err = capsys.readouterr()
    noun = "article" if count == 1 else "articles"
    assert f"indexed {count} {noun}: {count} file{'s' * (count > 1)} added" in out + err
    assert main(["-w", root, "articles"]) == 0
    assert "(1 paragraph)" in capsys.readouterr().out
    assert main(["-w", root, "notes", "add", "a0:p1", "--text", "x", "--quote", "port"]) == 0
    export = tmp_path / "notes.json"
    assert main(["-w", root, "notes", "export", "--format", "json", "-o", str(export)]) == 0
    assert "exported 1 note to" in capsys.readouterr().err
    assert main(["-w", root, "notes", "import", str(export)]) == 0
    assert "imported 0 notes, skipped 1 duplicate\n" in capsys.readouterr().out
    assert main(["-w", root, "search", "council"]) == 0
    matching = "1 article matches" if count == 1 else f"{count} articles match"
    assert matching in capsys.readouterr().out
