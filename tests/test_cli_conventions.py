"""Command-line conventions: shell completion (bash, zsh, fish) and -v/-q on every command."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from briefreader.cli import build_parser, main
from tests.conftest import make_workspace

BODY = (
    "The council met on Tuesday to discuss the budget for the coming year, and members "
    "argued for several hours about the share given to schools and roads."
)


def _script(shell: str, tmp_path: Path) -> Path:
    result = subprocess.run(
        [sys.executable, "-m", "briefreader", "completion", shell],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    target = tmp_path / f"completion.{shell}"
    target.write_text(result.stdout)
    return target


def _bash_complete(script: Path, words: list[str]) -> list[str]:
    line = " ".join(words)
    program = (
        f"source {script}; COMP_WORDS=({line}); COMP_CWORD={len(words) - 1}; "
        f'COMP_LINE="{line}"; COMP_POINT=${{#COMP_LINE}}; _shtab_briefreader; '
        'printf "%s\\n" "${COMPREPLY[@]}"'
    )
    result = subprocess.run(["bash", "-c", program], capture_output=True, text=True, timeout=30)
    return result.stdout.split()


def test_bash_completion_completes_commands_and_options(tmp_path: Path) -> None:
    script = _script("bash", tmp_path)
    assert sorted(_bash_complete(script, ["briefreader", "in"])) == ["index", "init"]
    assert _bash_complete(script, ["briefreader", "index", "--re"]) == ["--rebuild"]
    assert "--feed" in _bash_complete(script, ["briefreader", "add", "--f"])


def test_fish_completion_lists_every_command_and_option(tmp_path: Path) -> None:
    text = _script("fish", tmp_path).read_text()
    for name in ("init", "index", "articles", "show", "search", "add", "notes", "completion"):
        assert f"-n __fish_use_subcommand -a {name} " in text
    assert "'__fish_seen_subcommand_from index' -l rebuild" in text
    assert "'__fish_seen_subcommand_from notes' -a export" in text


@pytest.mark.skipif(shutil.which("fish") is None, reason="fish is not installed here")
def test_fish_completion_runs_in_fish(tmp_path: Path) -> None:
    script = _script("fish", tmp_path)
    result = subprocess.run(
        ["fish", "-c", f"source {script}; complete -C 'briefreader in'"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert {line.split("\t")[0] for line in result.stdout.splitlines()} >= {"index", "init"}


@pytest.mark.skipif(shutil.which("zsh") is None, reason="zsh is not installed here")
def test_zsh_completion_is_valid_zsh(tmp_path: Path) -> None:
    script = _script("zsh", tmp_path)
    assert subprocess.run(["zsh", "-n", str(script)], timeout=30).returncode == 0


def test_every_command_takes_v_and_q() -> None:
    parser = build_parser()
    stack = [parser]
    while stack:
        current = stack.pop()
        assert {"-v", "--verbose", "-q", "--quiet"} <= set(current._option_string_actions)
        for action in current._actions:
            choices = getattr(action, "choices", None)
            if isinstance(choices, dict):
                stack.extend(choices.values())


def _workspace(tmp_path: Path) -> Path:
    root = make_workspace(tmp_path, {"a.txt": f"Budget talks\n\n{BODY}", "x.xlsx": b"PK"})
    (root / "briefreader.toml").write_text('[entities]\nrecogniser = "rules"\n')
    return root


@pytest.mark.parametrize("argv", [["-q", "index"], ["index", "-q"], ["index", "--quiet"]])
def test_quiet_says_nothing_but_errors(tmp_path: Path, capsys, argv: list[str]) -> None:
    root = _workspace(tmp_path)
    assert main(["-w", str(root), *argv]) == 0
    assert capsys.readouterr().err == ""
    assert main(["-w", str(root), "-q", "show", "no-such-article"]) == 2
    assert "no article 'no-such-article'" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [["-v", "index"], ["index", "-v"]])
def test_verbose_adds_timings(tmp_path: Path, capsys, argv: list[str]) -> None:
    root = _workspace(tmp_path)
    assert main(["-w", str(root), *argv, "--rebuild"]) == 0
    err = capsys.readouterr().err
    assert "skipped x.xlsx" in err and "timings: parsing" in err


def test_quiet_and_verbose_together_is_an_error(tmp_path: Path, capsys) -> None:
    assert main(["-w", str(_workspace(tmp_path)), "-q", "articles", "-v"]) == 2
    assert "contradict" in capsys.readouterr().err


def test_quiet_leaves_no_summary(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """-q: what a command did is not printed (init, notes export -o), only errors would be."""
    from briefreader.cli import main

    root = tmp_path / "ws"
    assert main(["-q", "init", str(root)]) == 0
    assert main(["-q", "-w", str(root), "notes", "export", "-o", str(tmp_path / "b.md")]) == 0
    out, err = capsys.readouterr()
    assert out == "" and err == ""
    assert (tmp_path / "b.md").exists()


def test_messages_are_whole_lines_in_a_log(tmp_path: Path) -> None:
    """stderr that is not a terminal gets each message on one line, however long."""
    root = make_workspace(
        tmp_path / "ws",
        {f"a{n:03d}-" + "x" * 60 + ".txt": "Title\n\nText here.\n" for n in range(3)},
    )
    done = subprocess.run(
        [sys.executable, "-m", "briefreader", "-w", str(root), "index"],
        capture_output=True,
        text=True,
        check=False,
        env={**__import__("os").environ, "BRIEFREADER_CONFIG": "", "COLUMNS": "80"},
    )
    assert done.returncode == 0, done.stderr
    summary = [line for line in done.stderr.splitlines() if line.startswith("indexed")]
    assert len(summary) == 1 and summary[0].rstrip().endswith("s)"), done.stderr
