"""The command line as a user runs it: exit codes, output, JSON shapes, errors in one line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from briefreader.cli import main
from tests.conftest import make_workspace


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_articles_lists_six_from_five_seed_files(sample_workspace: Path, capsys) -> None:
    code, out, _ = run(capsys, "-w", str(sample_workspace), "articles", "--json")
    rows = json.loads(out)["articles"]
    assert code == 0 and len(rows) == 6
    assert {"id", "date", "source", "title", "passages"} <= set(rows[0])
    assert rows[0]["date"] == "2026-02-26"  # newest first
    code, out, _ = run(capsys, "-w", str(sample_workspace), "articles")
    assert "Washington presses Syria" in out


def test_search_json_shape_and_counts(sample_workspace: Path, capsys) -> None:
    code, out, _ = run(
        capsys, "-w", str(sample_workspace), "search", "--json", "Kataib", "Hezbollah"
    )
    hits = json.loads(out)["hits"]
    assert code == 0 and len(hits) == 3
    keys = {"article_id", "title", "source", "date", "passage_id", "score", "snippet"}
    assert keys <= set(hits[0])
    assert all("Kataib" in h["snippet"] for h in hits)
    code, out, _ = run(capsys, "-w", str(sample_workspace), "search", "waiver")
    assert code == 0 and "2 articles match" in out


def test_search_nothing_and_did_you_mean(sample_workspace: Path, capsys) -> None:
    code, out, _ = run(capsys, "-w", str(sample_workspace), "search", "electricty")
    assert code == 1 and "did you mean: electricity" in out


def test_unknown_field_is_not_spell_corrected(sample_workspace: Path, capsys) -> None:
    code, out, err = run(capsys, "-w", str(sample_workspace), "search", "foo:bar")
    assert code == 2 and out == "" and "did you mean" not in err
    assert err.startswith("briefreader: bad query: unknown field 'foo:'") and "title" in err


@pytest.mark.parametrize(
    "query", ["title:(", '"open', "AND", "iraq NOT", "date:2024-13", "date:2025..2023"]
)
def test_malformed_query_one_line_exit_2(sample_workspace: Path, capsys, query: str) -> None:
    code, out, err = run(capsys, "-w", str(sample_workspace), "search", query)
    assert code == 2 and out == ""
    assert err.startswith("briefreader: bad query:") and err.count("\n") == 1


def test_show_cleaned_and_raw(sample_workspace: Path, capsys) -> None:
    code, out, _ = run(capsys, "-w", str(sample_workspace), "show", "004_6c8c47967f33c65d")
    assert code == 0 and "Back to top" not in out and "ASSOCIATED PRESS\n" not in out
    assert "Analyst Renad Mansour said" in out
    code, raw, _ = run(capsys, "-w", str(sample_workspace), "show", "004", "--raw")
    assert "Back to top" in raw
    code, out, _ = run(capsys, "-w", str(sample_workspace), "show", "003", "--json")
    data = json.loads(out)
    assert data["references"][0]["label"] == "i" and data["passages"][0]["id"].endswith(":p1")
    code, _, err = run(capsys, "-w", str(sample_workspace), "show", "nope")
    assert code == 2 and "no article 'nope'" in err


@pytest.mark.parametrize("prefix", ["0", "00", "000", "000_4b7c8a7470fbc100"[:12]])
def test_show_an_ambiguous_prefix_names_the_ids_it_starts(
    sample_workspace: Path, capsys, prefix: str
) -> None:
    """``show 0`` said "no article '0 (matches 6 articles)'": the prefix is not missing."""
    code, out, err = run(capsys, "-w", str(sample_workspace), "show", prefix)
    assert code == 2 and not out and err.count("\n") == 1
    assert "no article" not in err and f"'{prefix}' is the start of " in err
    assert "000_4b7c8a7470fbc100" in err and "give more of the id" in err


@pytest.mark.parametrize("blank", ["", " ", "\t", "  \n"])
@pytest.mark.parametrize(
    ("command", "what"),
    [
        (["show"], "article id"),
        (["show", "--json"], "article id"),
        (["entities"], "article id"),
        (["notes", "list", "--article"], "article id"),
        (["related"], "passage id"),
    ],
)
def test_a_blank_id_is_a_clear_error(
    sample_workspace: Path, capsys, command: list[str], what: str, blank: str
) -> None:
    """``show ''`` said "'' is the start of 12 article ids": blank is no prefix of them all."""
    code, out, err = run(capsys, "-w", str(sample_workspace), *command, blank)
    assert code == 2 and not out and err.count("\n") == 1
    assert f"the {what} is empty" in err and "is the start of" not in err


def test_the_library_resolves_no_blank_article_id(sample_workspace: Path) -> None:
    from briefreader.search.backend import AmbiguousArticleId
    from briefreader.search.library import Library
    from briefreader.workspace import Workspace

    library = Library.open(Workspace(sample_workspace))
    for blank in ("", " ", "\t"):
        with pytest.raises(KeyError) as caught:
            library.resolve_article_id(blank)
        assert not isinstance(caught.value, AmbiguousArticleId)


def test_show_never_emits_markup_or_escapes(tmp_path: Path, capsys) -> None:
    body = (
        "Text with [bold]markup[/bold], [link=file:///etc/passwd]a link[/link], "
        "[@click=app.quit]click[/] and \x1b[2J\x1b]0;pwned\x07 escapes in a long enough line."
    )
    root = make_workspace(tmp_path, {"evil.txt": f"Evil [i] title\n\n{body}"})
    code, out, _ = run(capsys, "-w", str(root), "show", "evil")
    assert code == 0 and "[bold]markup[/bold]" in out and "[@click=app.quit]" in out
    assert "\x1b" not in out and "pwned" not in out


def test_no_workspace_one_line_exit_2(tmp_path: Path, capsys, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    for args in (["articles"], ["search", "x"], ["index"], ["-w", str(tmp_path), "articles"]):
        code, _out, err = run(capsys, *args)
        assert code == 2 and "briefreader init" in err and err.count("\n") == 1


def test_init_sample_then_index_reports(tmp_path: Path, capsys) -> None:
    root = tmp_path / "ws"
    code, out, _ = run(capsys, "init", str(root), "--sample")
    assert code == 0 and "5 article files" in out
    code, _, err = run(capsys, "-w", str(root), "index")
    assert code == 0 and "5 files added" in err
    (root / "articles" / "bin.txt").write_bytes(b"\x00\x00")
    code, _, err = run(capsys, "-w", str(root), "index")
    assert "skipped bin.txt: binary file" in err and "5 unchanged" in err


@pytest.mark.parametrize("where", ["afile", "afile/sub", "articles-file", "index-file"])
def test_init_where_a_file_is_says_so_in_one_line(tmp_path: Path, capsys, where: str) -> None:
    """init FILE --sample printed a NotADirectoryError traceback (…/afile/articles), and the
    not-a-workspace message tells users to run exactly that. One line, exit 2, nothing made."""
    (tmp_path / "afile").write_text("x")
    root = tmp_path / where
    if where.endswith("-file"):
        root.mkdir()
        (root / where.removesuffix("-file")).write_text("x")
    before = sorted(tmp_path.rglob("*"))
    code, out, err = run(capsys, "init", str(root), "--sample")
    assert code == 2 and not out and err.count("\n") == 1, err
    assert "is a file, not a folder" in err and "Traceback" not in err
    assert sorted(tmp_path.rglob("*")) == before


def test_env_workspace_and_python_m(tmp_path: Path, sample_workspace: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "briefreader", "articles", "--json"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={
            "BRIEFREADER_WORKSPACE": str(sample_workspace),
            "BRIEFREADER_CONFIG": "",
            "PATH": "/usr/bin:/bin",
        },
    )
    assert result.returncode == 0, result.stderr
    assert len(json.loads(result.stdout)["articles"]) == 6


def test_help_documents_query_language(capsys) -> None:
    with pytest.raises(SystemExit):
        main(["search", "--help"])
    out = capsys.readouterr().out
    for piece in ('"a phrase"', "OR", "NOT", "-word", "date:2024", "prefix*", "word~"):
        assert piece in out


@pytest.mark.parametrize(
    ("name", "data", "expected"),
    [
        ("latin.txt", "Caf\xe9 talks\n\nThe caf\xe9 reopened.\n".encode("cp1252"), "café reopened"),
        ("utf16.txt", "Talks\n\nThe café reopened.\n".encode("utf-16"), "The café reopened."),
        ("mac.txt", b"Old Mac talks\r\rFirst line.\rSecond line.\r", "First line.\nSecond line."),
    ],
)
def test_show_raw_decodes_as_the_loader_does(
    tmp_path: Path, capsys, name: str, data: bytes, expected: str
) -> None:
    """``show --raw`` prints the file's text, decoded like the index read it: not UTF-8
    replacement characters, not a byte-order mark, not lines glued at bare CRs."""
    root = make_workspace(tmp_path, {})
    (root / "articles" / name).write_bytes(data)
    code, out, _ = run(capsys, "-w", str(root), "show", Path(name).stem, "--raw")
    assert code == 0 and expected in out
    assert "\ufffd" not in out and "\ufeff" not in out and "\r" not in out


def test_a_negated_first_word_is_a_query_not_an_option(sample_workspace: Path, capsys) -> None:
    """'search -iraq militias' printed a usage error (argparse read -iraq as an option)."""
    code = main(["--workspace", str(sample_workspace), "search", "-militia", "drone", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code in (0, 1) and out["query"] == "NOT militia drone"
    for hit in out["hits"]:
        assert "militia" not in hit["snippet"].lower()
    # options keep working beside it: -n 1, --json
    code = main(["--workspace", str(sample_workspace), "search", "drone", "-militia", "-n", "1"])
    assert code in (0, 1) and "usage" not in capsys.readouterr().err
