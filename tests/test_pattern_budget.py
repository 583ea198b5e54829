"""Issue 19: user boilerplate patterns have a budget: shapes that can take exponential time
(a repeat inside a repeat, back-references) are refused in one line before any file is read."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from briefreader.cli import main
from briefreader.text.clean import MAX_BOILERPLATE_LINE, compile_rules, pattern_risk
from tests.conftest import make_workspace

ATOMS = st.sampled_from(["a", "b", ".", r"\w", r"\s", "[ab]", "x"])
QUANT = st.sampled_from(["+", "*", "{2,}", "{1,9}", "?"])
CHECKS = settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))


@st.composite
def nested(draw: st.DrawFn) -> str:
    """A repeat of a group that holds a repeat: the catastrophic shape, generated."""
    inner = draw(st.lists(st.tuples(ATOMS, st.one_of(st.just(""), QUANT)), min_size=1, max_size=3))
    body = "".join(a + q for a, q in inner)
    if not any(q for _, q in inner):
        body += draw(QUANT)
    outer = draw(st.sampled_from(["+", "*", "{2,}", "{3,40}"]))
    return draw(st.sampled_from(["({0}){1}", "(?:{0}){1}", "x({0}){1}$"])).format(body, outer)


@st.composite
def flat(draw: st.DrawFn) -> str:
    """Patterns with no repeat inside a repeat: always accepted."""
    parts = draw(st.lists(st.tuples(ATOMS, st.one_of(st.just(""), QUANT)), min_size=1, max_size=6))
    return "".join(a + q for a, q in parts) + draw(st.sampled_from(["", " .*", "(?:foo|bar)"]))


@given(nested())
@CHECKS
def test_nested_repeats_are_refused(pattern: str) -> None:
    assert pattern_risk(pattern)
    with pytest.raises(ValueError, match="refused"):
        compile_rules([pattern])


@given(flat())
@CHECKS
def test_flat_patterns_are_accepted_and_match_whole_lines(pattern: str) -> None:
    assert pattern_risk(pattern) == ""
    rules = compile_rules([pattern])
    assert rules.is_boilerplate("sponsored") == bool(rules.boilerplate.fullmatch("sponsored"))


def test_long_lines_are_never_boilerplate() -> None:
    rules = compile_rules(["a.*"])
    assert rules.is_boilerplate("a" * MAX_BOILERPLATE_LINE)
    assert not rules.is_boilerplate("a" * (MAX_BOILERPLATE_LINE + 1))


@pytest.mark.parametrize("pattern", ["(a+)+$", r"(\w+\s?)+$", r"(a)\1", "x" * 400])
def test_index_refuses_a_catastrophic_pattern_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], pattern: str
) -> None:
    root = make_workspace(tmp_path, {"a.txt": "Title\n\n" + "a" * 36 + "b\n\nBody text here."})
    quoted = pattern.replace("\\", "\\\\")
    (root / "briefreader.toml").write_text(f'[cleaning]\nboilerplate = ["{quoted}"]\n')
    assert main(["-w", str(root), "index", "-q"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "refused" in err
