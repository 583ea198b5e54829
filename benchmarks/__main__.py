"""``python -m benchmarks [--scale 1,4,16] [--quick] [--queries N]``: see ``benchmarks.run``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from benchmarks.run import PLAN, Options, default_output, run


def parse_args(argv: Sequence[str] | None = None) -> Options:
    """Read the command line."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Measure briefreader side by side with SQLite FTS5 and ripgrep on the BBC "
        "News corpus (../shared/corpora), replicated to each scale.",
    )
    parser.add_argument(
        "--scale", default="1", help="comma-separated copies of the corpus (1,4,16)"
    )
    parser.add_argument(
        "--quick", action="store_true", help="smoke test: 200 articles, 30 queries, few repetitions"
    )
    parser.add_argument(
        "--queries",
        type=int,
        default=250,
        help="queries in the fixed sets, spread over five kinds (250)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary workspaces")
    parser.add_argument(
        "--output",
        type=Path,
        default=default_output(),
        help="folder for the JSON results (benchmarks/results)",
    )
    parser.add_argument(
        "--only", default="", help=f"run only these measurements: {', '.join(n for n, _ in PLAN)}"
    )
    parser.add_argument(
        "--entities",
        choices=["spacy", "rules", "off"],
        default="spacy",
        help="entity recogniser for the build: spacy (as shipped), rules (fast fallback), off",
    )
    args = parser.parse_args(argv)
    try:
        scales = tuple(int(s) for s in args.scale.split(",") if s.strip())
    except ValueError:
        parser.error("--scale takes integers, e.g. 1,4,16")
    if not scales or min(scales) < 1:
        parser.error("--scale takes positive integers")
    queries = 30 if args.quick and args.queries == 250 else args.queries
    only = frozenset(n.strip() for n in args.only.split(",") if n.strip())
    return Options(scales, args.quick, max(5, queries), args.keep, args.output, only, args.entities)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point."""
    return run(parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
