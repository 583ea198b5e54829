"""The ``briefreader`` command: argument parsing and dispatch to subcommand modules.

Each module in this package exposes ``register(subparsers)``, which adds its subcommands and
sets ``handler`` (a function ``(args) -> int``) on them. Errors a user can cause are raised as
``CommandError`` (or a domain error) and printed as one line, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import NoReturn

from briefreader import __version__
from briefreader.cli import add, completion, corpus, entities, facets, notes, related, search, serve
from briefreader.cli.common import (
    EXIT_WRITE_FAILED,
    CommandError,
    GuardedStdout,
    StdoutError,
    discard_stdout,
    fail,
    printable,
    set_command_process,
    set_verbosity,
    shorten_echoes,
)
from briefreader.workspace import WorkspaceError

SUBCOMMAND_MODULES = [corpus, add, search, facets, notes, entities, related, serve, completion]


class _Parser(argparse.ArgumentParser):
    """argparse, with echoed arguments cut short in its errors (a 10 KB value is not shown)."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: error: {shorten_echoes(message)}\n")


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser with every subcommand."""
    parser = _Parser(
        prog="briefreader",
        description=(
            "A terminal reader for analysts. With no command, opens the reader (TUI) on the "
            "workspace, building the index first if needed."
        ),
        epilog=(
            "Workspace: --workspace DIR, else $BRIEFREADER_WORKSPACE, else the current folder "
            "if it has articles/. Create one with 'briefreader init DIR --sample'."
        ),
    )
    parser.add_argument("--version", action="version", version=f"briefreader {__version__}")
    parser.add_argument(
        "-w", "--workspace", metavar="DIR", help="workspace folder (holds articles/ and index/)"
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in SUBCOMMAND_MODULES:
        module.register(subparsers)
    add_verbosity_options(parser, top=True)
    parser.set_defaults(root_parser=parser)  # ``completion`` describes the whole command
    return parser


def add_verbosity_options(parser: argparse.ArgumentParser, top: bool = False) -> None:
    """``-v/--verbose`` and ``-q/--quiet`` on the parser and on every subcommand's, so they
    work before or after the command name (``briefreader -q index`` = ``index -q``)."""
    options = parser._option_string_actions
    default = 0 if top else argparse.SUPPRESS  # a subcommand's default must not undo `-v cmd`
    if "-v" not in options:
        parser.add_argument(
            "-v", "--verbose", action="count", default=default, help="say more (-vv: debug)"
        )
    if "-q" in options:
        options["-q"].default = False if top else argparse.SUPPRESS
    else:
        parser.add_argument(
            "-q",
            "--quiet",
            action="store_true",
            default=False if top else argparse.SUPPRESS,
            help="only errors on stderr: no progress, notes or summaries",
        )
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                add_verbosity_options(sub)


QUERY_COMMANDS = ("search",)  # commands whose words are a query: "-word" is a negation there


def negations_as_words(parser: argparse.ArgumentParser, argv: Sequence[str]) -> list[str]:
    """``search -iraq militia``: a ``-word`` that is none of the command's options is the
    query language's negation, written ``NOT word`` so argparse does not read an option
    (it printed a usage error; ``search -- -iraq`` was the only way)."""
    tokens = list(argv)
    command = next((i for i, t in enumerate(tokens) if t in QUERY_COMMANDS), None)
    if command is None or "--" in tokens[:command]:
        return tokens
    options = _subparser(parser, tokens[command])._option_string_actions
    out = tokens[: command + 1]
    for token in tokens[command + 1 :]:
        if token == "--":
            out.extend(tokens[len(out) :])
            break
        if _negated_word(token, options):
            out.extend(["NOT", token[1:]])
        else:
            out.append(token)
    return out


def _subparser(parser: argparse.ArgumentParser, name: str) -> argparse.ArgumentParser:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action.choices[name]  # type: ignore[no-any-return]
    raise KeyError(name)


def _negated_word(token: str, options: dict[str, argparse.Action]) -> bool:
    """``-iraq`` yes; ``-n``, ``-n5``, ``-qv``, ``--json``, ``-5`` no."""
    if not token.startswith("-") or token.startswith("--") or not token[1:2].isalpha():
        return False
    if token in options or token.split("=", 1)[0] in options:
        return False
    short = options.get(token[:2])
    if short is not None and short.nargs != 0 and token[2:].isdigit():
        return False  # -n5
    flags = {o[1] for o, action in options.items() if len(o) == 2 and action.nargs == 0}
    return not set(token[1:]) <= flags  # -qv: two flags


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the process exit code."""
    parser = build_parser()
    args = parser.parse_args(negations_as_words(parser, sys.argv[1:] if argv is None else argv))
    if args.quiet and args.verbose:
        return fail("-q and -v contradict each other: give one")
    set_verbosity(-1 if args.quiet else args.verbose)
    set_command_process(argv is None)
    handler = getattr(args, "handler", None)
    stdout = sys.stdout
    if handler is None:
        from briefreader.cli.reader import open_reader

        handler = open_reader  # the reader owns the terminal: stdout is left as it is
    else:
        sys.stdout = GuardedStdout(stdout)  # type: ignore[assignment]
    try:
        code = int(handler(args) or 0)
        sys.stdout.flush()  # a full disk shows here, not as "Exception ignored" at exit
        return code
    except CommandError as error:
        return fail(str(error), error.code)
    except WorkspaceError as error:  # a settings file that is not TOML, a key of a wrong type
        return fail(str(error), 2)
    except PermissionError as error:  # a workspace folder or file this user may not read
        name = printable(str(error.filename or ""))
        return fail(f"permission denied: {name} ({error.strerror})", 2)
    except KeyboardInterrupt:
        return fail("interrupted", 130)
    except BrokenPipeError:
        # The reader went away (`| head`): it has what it wanted; stay quiet.
        discard_stdout()
        return 0
    except StdoutError as error:
        discard_stdout()
        return fail(f"cannot write the output: {error.strerror}", EXIT_WRITE_FAILED)
    finally:
        sys.stdout = stdout
