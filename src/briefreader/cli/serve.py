"""``briefreader serve``: the same reader in a web browser, through textual-serve.

textual-serve starts ``briefreader -w WORKSPACE`` (the reader, unchanged) for each browser tab
and relays its screen over a websocket. It has no authentication: whoever reaches the address
can read the workspace and take notes. So it listens on this machine only (127.0.0.1) unless
``--host`` names another address *and* ``--allow-remote`` is given, with a warning.
"""

from __future__ import annotations

import argparse
import ipaddress
import shlex
import sys

from briefreader.cli.common import CommandError, err_console, workspace_from

DEFAULT_PORT = 8000


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the serve subcommand."""
    parser = subparsers.add_parser(
        "serve",
        help="serve the reader to a web browser (textual-serve; this machine only by default)",
        description="Serve the reader to a web browser at http://HOST:PORT with textual-serve "
        "(pip install 'briefreader[serve]'). There is no login: by default only this machine "
        "can connect; another address needs --allow-remote.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    parser.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help=f"port to listen on ({DEFAULT_PORT})"
    )
    parser.add_argument(
        "--allow-remote",
        action="store_true",
        help="allow a --host that other machines can reach (anyone there can read and annotate)",
    )
    parser.set_defaults(handler=cmd_serve)


def is_loopback_host(host: str) -> bool:
    """Whether ``host`` is this machine only (localhost, 127.0.0.0/8, ::1)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def reader_command(workspace_root: str) -> str:
    """The shell command textual-serve runs for each browser tab: this briefreader's reader."""
    return shlex.join([sys.executable, "-m", "briefreader", "-w", workspace_root])


def cmd_serve(args: argparse.Namespace) -> int:
    """Check the address, then serve until interrupted."""
    if not 0 < args.port < 65536:
        raise CommandError(f"--port must be between 1 and 65535 (got {args.port})")
    if not is_loopback_host(args.host):
        if not args.allow_remote:
            raise CommandError(
                f"--host {args.host} can be reached from other machines and textual-serve has "
                "no login; add --allow-remote if that is what you want"
            )
        err_console().print(
            f"briefreader: warning: serving on {args.host}:{args.port} without authentication: "
            "anyone who can reach it can read this workspace and write notes",
            markup=False,
        )
    workspace = workspace_from(args)
    from briefreader.text.formats import require

    server_module = require("textual_serve.server", "'briefreader[serve]'", "serve")
    server = server_module.Server(
        reader_command(str(workspace.root)), host=args.host, port=args.port, title="briefreader"
    )
    err_console().print(f"serving the reader at http://{args.host}:{args.port}", markup=False)
    server.serve()
    return 0
