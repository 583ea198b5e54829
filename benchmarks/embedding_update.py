"""What the semantic extra adds to an index run after a one-file change.

``python -m benchmarks.embedding_update --scale 4`` builds BBC News ×SCALE (entities off,
``[related] semantic = true``), then changes one file at a time and times ``run_index``
and its embedding step. The model is replaced by a deterministic stand-in (a unit vector
seeded by the text's hash) so that what is timed is the store's own work: listing the
articles, reading the changed ones, copying the stored vectors into the new file, writing the
index of ids and hashes. The model's own cost is about 30 passages/s (docs/related.md) and is
the same for any bookkeeping.
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import statistics
import sys
import time
from collections.abc import Sequence
from typing import Any

from benchmarks.corpus import CorpusMissing, build_corpus
from briefreader.pipeline import run_index
from briefreader.search import semantic
from briefreader.search.library import Library

SETTINGS = "[entities]\nenabled = false\n[related]\nsemantic = true\n"


def stand_in_encode(texts: Sequence[str]) -> Any:
    """Unit vectors seeded by each text's hash (the same text, the same vector)."""
    import numpy as np

    out = np.zeros((len(texts), semantic.DIM), dtype=np.float32)
    for row, text in enumerate(texts):
        seed = int(hashlib.sha1(text.encode("utf-8")).hexdigest()[:8], 16)
        vector = np.random.default_rng(seed).standard_normal(semantic.DIM)
        out[row] = vector / np.linalg.norm(vector)
    return out


def run(scale: int, updates: int) -> None:
    """Build, then time ``updates`` one-file updates; print a table."""
    semantic.encode = stand_in_encode  # type: ignore[assignment]
    semantic.available = lambda: None  # type: ignore[assignment]
    corpus = build_corpus(scale, entities="off")
    workspace = corpus.workspace
    try:
        workspace.settings_path.write_text(SETTINGS, encoding="utf-8")
        report = run_index(workspace).report
        library = Library.open(workspace)
        passages = sum(summary.passages for summary in library.articles())
        library.close()
        print(f"BBC ×{scale}: {corpus.files} files, {passages} passages")
        print(f"first index run {report.seconds:.1f} s (embedding step with the stand-in ", end="")
        print(f"{report.timings.get('embedding', 0.0):.1f} s)\n")
        files = sorted(workspace.articles_dir.iterdir())
        totals, steps = [], []
        for number in range(updates):
            path = files[(number * 37) % len(files)]
            extra = f"\n\nA closing paragraph, number {number}, about the budget.\n"
            path.write_text(path.read_text(encoding="utf-8") + extra, encoding="utf-8")
            semantic._STORES.clear()  # as a fresh `briefreader index` process
            started = time.perf_counter()
            report = run_index(workspace).report
            totals.append(time.perf_counter() - started)
            steps.append(report.timings.get("embedding", 0.0))
        print("| one-file update | median | max |")
        print("|---|---|---|")
        print(f"| index run | {statistics.median(totals) * 1000:.0f} ms ", end="")
        print(f"| {max(totals) * 1000:.0f} ms |")
        print(f"| of which the embedding step | {statistics.median(steps) * 1000:.0f} ms ", end="")
        print(f"| {max(steps) * 1000:.0f} ms |")
    finally:
        shutil.rmtree(workspace.root.parent, ignore_errors=True)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=1, help="BBC copies (1)")
    parser.add_argument("--updates", type=int, default=5, help="one-file updates to time (5)")
    args = parser.parse_args(argv)
    try:
        run(args.scale, args.updates)
    except CorpusMissing as error:
        print(f"skipped: {error}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
