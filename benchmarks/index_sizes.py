"""Where an index's bytes go: ``python -m benchmarks.index_sizes FOLDER [FOLDER…]``.

For each index folder (``<workspace>/index/ix-…``): the bytes of each file inside its Whoosh
segments (postings ``.pst``, term table ``.trm``, stored values ``_stored.col``, length
columns) and of ``catalog.db``, then per field the bytes of its posting lists and of its
term-table entries (key and term info; the hash tables on top are not counted). Nothing is
rebuilt, so it reads an index of any size in seconds; ``benchmarks.field_costs`` measures a
field by building without it. Prints Markdown; ``--json`` writes the figures to
``benchmarks/results``.
"""

from __future__ import annotations

import argparse
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from whoosh import index
from whoosh.codec.whoosh3 import W3TermInfo
from whoosh.filedb.compound import CompoundStorage

from benchmarks.report import write_results
from benchmarks.segments import RESULTS
from briefreader.search.index import store  # noqa: F401 - the patches read our stored values


def segment_files(folder: Path) -> dict[str, int]:
    """Bytes per kind of file inside the segments (``pst``, ``trm``, ``_stored.col``…)."""
    ix = index.open_dir(str(folder))
    sizes: dict[str, int] = defaultdict(int)
    for segment in ix._segments():
        handle = ix.storage.open_file(segment.make_filename(".seg"))
        compound = CompoundStorage(handle, use_mmap=False)
        for name in compound.list():
            kind = name.split(".", 1)[1] if "." in name else name
            sizes[kind] += compound.file_length(name)
        compound.close()
    ix.close()
    return dict(sizes)


def field_bytes(folder: Path) -> dict[str, dict[str, int]]:
    """Per field: bytes of posting lists, of term-table entries, and how many terms."""
    ix = index.open_dir(str(folder))
    found: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    with ix.reader() as reader:
        for leaf, _ in reader.leaf_readers():
            terms = leaf._terms
            for key, value in terms._tindex.items():
                fieldname, _ = terms._keydecoder(key)
                info = W3TermInfo.from_bytes(value)
                row = found[fieldname]
                row["terms"] += 1
                row["term_bytes"] += len(key) + len(value)
                if not info.is_inlined():
                    length = info._length
                    row["postings_bytes"] += length[0] if isinstance(length, tuple) else length
    ix.close()
    return {name: dict(row) for name, row in found.items()}


def measure(folder: Path) -> dict[str, Any]:
    """The figures of one index folder."""
    catalog = folder / "catalog.db"
    return {
        "folder": str(folder),
        "total_bytes": sum(p.stat().st_size for p in folder.iterdir() if p.is_file()),
        "catalog_bytes": catalog.stat().st_size if catalog.exists() else 0,
        "files": segment_files(folder),
        "fields": field_bytes(folder),
    }


def print_table(result: dict[str, Any]) -> None:
    """One index's figures as Markdown."""
    print(f"{result['folder']}: {result['total_bytes'] / 1e6:.2f} MB")
    parts = {**result["files"], "catalog.db": result["catalog_bytes"]}
    for name, size in sorted(parts.items(), key=lambda kv: -kv[1]):
        if size >= 50_000:
            print(f"- {name}: {size / 1e6:.2f} MB")
    print("| field | postings MB | term entries MB | terms |")
    print("|---|---|---|---|")
    rows = sorted(
        result["fields"].items(),
        key=lambda kv: -(kv[1].get("postings_bytes", 0) + kv[1].get("term_bytes", 0)),
    )
    for name, row in rows:
        postings, entries = row.get("postings_bytes", 0) / 1e6, row.get("term_bytes", 0) / 1e6
        print(f"| `{name}` | {postings:.2f} | {entries:.2f} | {row.get('terms', 0):,} |")


def main(argv: Sequence[str] | None = None) -> int:
    """Measure, print, optionally save."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.index_sizes", description=__doc__)
    parser.add_argument("folders", nargs="+", type=Path, help="index folders (ix-…)")
    parser.add_argument("--json", action="store_true", help="save to benchmarks/results")
    args = parser.parse_args(argv)
    results = [measure(folder) for folder in args.folders]
    for result in results:
        print_table(result)
    if args.json:
        stamp = datetime.now(UTC).strftime("%Y-%m-%d")
        print(f"saved {write_results({'indexes': results}, f'{stamp}-index-sizes', RESULTS)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
