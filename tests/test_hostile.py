"""The hostile corpus through index, search, show and notes export: nothing crashes, nothing
is interpreted, limits are enforced with a message, links out of the workspace not followed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from briefreader.cli import main
from briefreader.cli.corpus import print_report
from briefreader.search.index.indexer import IndexReport, update_index
from briefreader.workspace import Workspace
from tests.hostile import build_hostile_corpus


@pytest.fixture(scope="module")
def indexed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, IndexReport]:
    root = build_hostile_corpus(tmp_path_factory.mktemp("hostile") / "ws")
    return root, update_index(Workspace(root))


@pytest.fixture
def hostile(indexed: tuple[Path, IndexReport]) -> Path:
    return indexed[0]


def run(capsys, root: Path, *args: str) -> tuple[int, str, str]:
    code = main(["-w", str(root), *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_index_reports_every_skip_with_a_reason(indexed, capsys) -> None:
    print_report(indexed[1])
    err = capsys.readouterr().err
    assert "skipped huge.txt: too large" in err and "20 MB limit" in err
    assert "skipped binary.txt: binary file" in err
    assert "skipped front-only.md: no article text" in err
    assert "skipped link-out.txt: symbolic link to outside the workspace" in err
    assert "skipped pipe.txt: not a regular file" in err
    for name in ("self.txt", "loop-a.txt", "loop-b.txt"):
        assert f"skipped {name}: symbolic link loop" in err
    assert "\x1b" not in err and "skipped new?line.txt" not in err


def test_nothing_outside_the_workspace_is_indexed(hostile: Path, capsys) -> None:
    code, out, _ = run(capsys, hostile, "search", "secretword")
    assert code == 1 and "no articles match" in out


def test_odd_names_and_long_line_are_searchable(hostile: Path, capsys) -> None:
    _code, out, _ = run(capsys, hostile, "articles", "--json")
    titles = {row["title"] for row in json.loads(out)["articles"]}
    assert {"Spaces in the name", "Newline in the name", "Latin name"} <= titles
    assert any(t.startswith("Long line") or "word" in t for t in titles)
    for word in ("spacedword", "newlineword"):
        assert run(capsys, hostile, "search", word)[0] == 0


def test_markup_and_escapes_shown_as_typed_never_interpreted(hostile: Path, capsys) -> None:
    code, out, _ = run(capsys, hostile, "show", "markup")
    assert code == 0 and "[bold]not bold[/bold]" in out and "[@click=app.quit]quit[/]" in out
    code, out, _ = run(capsys, hostile, "show", "escapes")
    assert code == 0 and "\x1b" not in out and "\x07" not in out
    code, out, _ = run(capsys, hostile, "search", "--json", "talks")
    assert "\x1b" not in out
    code, out, _ = run(capsys, hostile, "search", "clipboard")
    assert code == 0 and "\x1b" not in out


def test_html_scripts_and_forms_dropped_rtl_kept(hostile: Path, capsys) -> None:
    code, out, _ = run(capsys, hostile, "show", "script")
    assert code == 0 and "evil" not in out and "Go\n" not in out
    code, out, _ = run(capsys, hostile, "show", "rtl")
    assert "المحادثات" in out


def test_notes_export_of_hostile_passages(hostile: Path, capsys) -> None:
    code, _, err = run(
        capsys, hostile, "notes", "add", "markup:p1", "--text", "[b]note[/b] \x1b[2J #hostile 😀"
    )
    assert code == 0, err
    for fmt in ("md", "json", "w3c"):
        code, out, err = run(capsys, hostile, "notes", "export", "--format", fmt)
        assert code == 0, err
        assert "\x1b" not in out
        assert ("\\[b\\]note\\[/b\\]" if fmt == "md" else "[b]note[/b]") in out
