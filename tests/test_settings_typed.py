"""Issue 19: every key of ``briefreader.toml`` is typed; a wrong type or a file that is not
TOML is one line naming the file, the key and the type expected, for every command."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from briefreader.cli import main
from briefreader.workspace import SETTINGS_SCHEMA, Workspace
from tests.conftest import make_workspace

ARTICLE = "Port closes\n\nThe council voted to close the port at night after a long debate.\n"
KEYS = [(section, key) for section, keys in SETTINGS_SCHEMA.items() for key in keys]
VALUES = st.one_of(
    st.text(max_size=8),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.lists(st.one_of(st.integers(), st.text(max_size=3)), max_size=3),
    st.dictionaries(st.sampled_from(["a", "b"]), st.integers(), max_size=2),
)
COMMANDS = [["index", "-q"], ["related", "port:p1"], ["notes", "reanchor"]]  # settings readers


def toml_value(value: Any) -> str:
    """A Python value spelled as TOML."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return (
            "nan"
            if math.isnan(value)
            else ("inf" if value > 0 else "-inf")
            if math.isinf(value)
            else repr(value)
        )
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")  # TOML: DEL too
    if isinstance(value, list):
        return "[" + ", ".join(map(toml_value, value)) + "]"
    return "{" + ", ".join(f"{k} = {toml_value(v)}" for k, v in value.items()) + "}"


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = make_workspace(tmp_path_factory.mktemp("ws"), {"port.txt": ARTICLE})
    (root / "briefreader.toml").write_text("[entities]\nenabled = false\n")
    assert main(["-w", str(root), "index", "-q"]) == 0
    return root


def _expect_one_line(root: Path, capsys: pytest.CaptureFixture[str], *needles: str) -> None:
    for command in COMMANDS:
        code = main(["-w", str(root), *command])
        err = capsys.readouterr().err
        assert code == 2, (command, err)
        assert err.count("\n") == 1 and "Traceback" not in err, err
        assert all(needle in err for needle in needles), (needles, err)


@given(st.sampled_from(KEYS), VALUES)
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
def test_a_wrong_type_is_one_line_naming_file_key_and_type(
    root: Path, capsys: pytest.CaptureFixture[str], where: tuple[str, str], value: Any
) -> None:
    section, key = where
    check, expected = SETTINGS_SCHEMA[section][key]
    if check(value):
        return  # a valid value: nothing to refuse
    (root / "briefreader.toml").write_text(f"[{section}]\n{key} = {toml_value(value)}\n")
    _expect_one_line(root, capsys, "briefreader.toml", f"[{section}] {key}", expected)


@pytest.mark.parametrize(
    "text, needle",
    [
        ("this is not toml = = =\n", "not valid TOML"),
        ('[limits]\nfollow_symlinks = "no"\n', "true or false"),
        ("[limits]\nmax_file_mb = inf\n", "above 0"),
        ('[limits]\nmax_file_mb = "big"\n', "number of megabytes"),
        ('[cleaning]\nboilerplate = "sponsored"\n', "a list of strings"),
        ("[cleaning]\nboilerplate = 5\n", "a list of strings"),
        ("limits = 3\n", "must be a table"),
    ],
)
def test_known_bad_settings_files(
    root: Path, capsys: pytest.CaptureFixture[str], text: str, needle: str
) -> None:
    (root / "briefreader.toml").write_text(text)
    _expect_one_line(root, capsys, "briefreader.toml", needle)


def test_valid_settings_are_read_with_their_types(tmp_path: Path) -> None:
    root = make_workspace(tmp_path, {"port.txt": ARTICLE})
    (root / "briefreader.toml").write_text(
        '[cleaning]\nboilerplate = ["sponsored .*"]\n[limits]\nmax_file_mb = 2\n'
        "follow_symlinks = true\n"
    )
    settings_read = Workspace(root).settings()
    assert settings_read.boilerplate == ("sponsored .*",)
    assert settings_read.max_file_mb == 2.0 and settings_read.follow_symlinks is True
