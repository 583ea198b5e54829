"""The merge policy: one-file updates keep the segment count bounded; a kill mid-merge is safe."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from whoosh import writing

from briefreader.search.index import indexer
from briefreader.search.index.entity_phase import recognise_pending
from briefreader.search.index.indexer import update_index
from briefreader.search.index.merging import (
    DEFERRED_SEGMENTS,
    deferring,
    max_segments,
    segment_count,
    segments_to_merge,
    tier,
)
from briefreader.search.index.store import open_active
from briefreader.search.library import Library
from briefreader.workspace import Workspace
from tests.conftest import make_workspace

FILES = 200
DOCUMENTS = 2 * FILES  # an article and its one passage per file: above the tier floor
WORDS = [
    "harbour",
    "channel",
    "dredge",
    "fishermen",
    "port",
    "summer",
    "council",
    "budget",
    "ferry",
    "tide",
]


def _story(number: int, edit: int = 0) -> str:
    rng = random.Random(number)
    body = " ".join(rng.choice(WORDS) for _ in range(40))
    extra = f" Correction {edit} added." if edit else ""
    return f"Story number {number}\n\n{body} marker{number}.{extra}\n"


def _corpus(root: Path, files: int) -> Workspace:
    workspace = Workspace(make_workspace(root, {f"s{n:03d}.txt": _story(n) for n in range(files)}))
    workspace.settings_path.write_text('[entities]\nrecogniser = "rules"\n', encoding="utf-8")
    return workspace


def _segments(workspace: Workspace) -> int:
    ix, _ = open_active(workspace.index_dir, lambda folder: None)
    return segment_count(ix)


def _update_one_file_at_a_time(workspace: Workspace, updates: int) -> list[int]:
    counts = []
    for edit in range(1, updates + 1):
        number = (edit * 37) % 120
        (workspace.articles_dir / f"s{number:03d}.txt").write_text(_story(number, edit))
        assert update_index(workspace).updated == [f"s{number:03d}.txt"]
        counts.append(_segments(workspace))
    return counts


def test_tiers_are_powers_of_ten_above_the_floor() -> None:
    sizes = (0, 1, 299, 300, 2999, 3000, 29_999, 30_000)
    assert [tier(n) for n in sizes] == [-1, 0, 0, 1, 1, 2, 2, 3]
    assert [tier(n, floor=1) for n in (1, 9, 10, 99, 100)] == [1, 1, 2, 2, 3]
    assert [max_segments(n) for n in (1, 299, 22_000, 2_000_000)] == [1, 1, 3, 5]


def test_new_segment_takes_in_its_tier_and_cascades() -> None:
    assert segments_to_merge([50_000, 40], 12) == [1]  # both under the floor: tier 0
    assert segments_to_merge([50_000, 4_000, 8], 3) == [2]  # 4,000 (tier 2) stays
    assert segments_to_merge([50_000, 2_000, 280, 8], 15) == [1, 2, 3]  # 303 -> 2,303 -> tier 1
    assert segments_to_merge([50_000, 700, 800], 3) == [1, 2]  # deletions left two in tier 1
    assert segments_to_merge([50_000, 0], 2) == [1]  # a segment whose documents are all deleted
    assert segments_to_merge([5_000, 150, 95, 8], 3, floor=1) == [1, 2, 3]  # 11 -> 106 -> 256


def test_simulated_updates_keep_one_segment_per_tier() -> None:
    """2,000 commits of 1-30 documents, each deleting as many from a random segment (the
    file's old version): after every commit, no two segments share a tier."""
    rng = random.Random(7)
    sizes = [20_000]
    for _ in range(2_000):
        new = rng.randint(1, 30)
        old = rng.randrange(len(sizes))
        sizes[old] = max(sizes[old] - new, 0)
        chosen = set(segments_to_merge(sizes, new))
        merged = new + sum(sizes[i] for i in chosen)
        sizes = [size for i, size in enumerate(sizes) if i not in chosen] + [merged]
        tiers = [tier(size) for size in sizes]
        assert len(tiers) == len(set(tiers)), sizes
        assert len(sizes) <= max_segments(sum(sizes)), sizes


def test_twenty_one_file_updates_leave_a_bounded_segment_count(tmp_path: Path) -> None:
    ws = _corpus(tmp_path / "ws", FILES)
    update_index(ws)
    assert _segments(ws) == 1
    counts = _update_one_file_at_a_time(ws, 20)
    assert max(counts) <= max_segments(DOCUMENTS) == 2, counts
    fresh = _corpus(tmp_path / "fresh", 0)
    for path in ws.articles_dir.iterdir():
        (fresh.articles_dir / path.name).write_bytes(path.read_bytes())
    update_index(fresh)
    for query in ("harbour", "correction", "marker37", "dredge OR ferry"):
        assert _hits(ws, query) == _hits(fresh, query), query


def test_whoosh_default_policy_lets_segments_pile_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same updates under Whoosh's MERGE_SMALL: what the tiered policy fixes."""
    monkeypatch.setattr(indexer, "MERGE_POLICY", writing.MERGE_SMALL)
    ws = _corpus(tmp_path / "ws", FILES)
    update_index(ws)
    counts = _update_one_file_at_a_time(ws, 20)
    assert max(counts) > max_segments(DOCUMENTS), counts


def _hits(workspace: Workspace, query: str) -> list[tuple[str, str]]:
    library = Library.open(workspace)
    try:
        result = library.search(query, limit=500)
        return sorted((hit.article_id, hit.passage_id) for hit in result.hits)
    finally:
        library.close()


KILL_IN_MERGE = """
import sys, time
from pathlib import Path
from briefreader.search.index import indexer, merging
from briefreader.workspace import Workspace

def merge_then_stop(writer, segments):
    kept = merging.tiered_merge(writer, segments)
    if len(kept) < len(segments):  # merged segments are in the writer's pool, unwritten
        print("merging", flush=True)
        time.sleep(30)
    return kept

indexer.MERGE_POLICY = merge_then_stop
indexer.INLINE_ENTITY_CHARS = int(sys.argv[2])
indexer.update_index(Workspace(Path(sys.argv[1])))
print("no merge", flush=True)
"""


def _killed_in_merge(ws: Workspace, inline_chars: int) -> list[tuple[str, str]]:
    """Edit two files with an update between; kill the update of the second in its merge:
    the hits for the edits' word before that update."""
    update_index(ws)
    (ws.articles_dir / "s001.txt").write_text(_story(1, edit=1))
    update_index(ws)  # a second, small segment: the next update merges it
    before = _hits(ws, "correction")
    (ws.articles_dir / "s002.txt").write_text(_story(2, edit=2))
    child = subprocess.Popen(
        [sys.executable, "-c", KILL_IN_MERGE, str(ws.root), str(inline_chars)],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parent.parent / "src")},
    )
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "merging"
    child.send_signal(signal.SIGKILL)
    child.wait()
    return before


def test_kill_during_the_entity_phase_merge_leaves_an_index_that_opens(tmp_path: Path) -> None:
    ws = _corpus(tmp_path / "ws", 30)
    before = _killed_in_merge(ws, inline_chars=0)  # entities in a phase of their own
    # The index opens as the text phase left it: its commit deferred the merge to the entity
    # phase's, which the kill interrupted (``merging.deferring``).
    after_text_phase = sorted([*before, ("s002", "s002:p1")])
    assert _hits(ws, "correction") == after_text_phase
    report = update_index(ws)
    assert not report.updated and report.entities and report.entities.recognised == 1
    assert _hits(ws, "correction") == after_text_phase
    assert _segments(ws) <= 2


def test_kill_during_a_one_commit_update_merge_loses_only_that_update(tmp_path: Path) -> None:
    ws = _corpus(tmp_path / "ws", 30)
    before = _killed_in_merge(ws, inline_chars=indexer.INLINE_ENTITY_CHARS)
    assert _hits(ws, "correction") == before  # the edit's one commit never happened
    report = update_index(ws)
    assert report.updated == ["s002.txt"] and report.entities is None  # entities inline
    assert _hits(ws, "correction") == sorted([*before, ("s002", "s002:p1")])
    assert _segments(ws) <= 2


class _Segment:
    def __init__(self, documents: int) -> None:
        self.documents = documents

    def doc_count(self) -> int:
        return self.documents


def test_a_deferring_commit_merges_only_once_small_segments_pile_up() -> None:
    merged: list[int] = []

    def policy(writer: object, segments: list[_Segment]) -> list[_Segment]:
        merged.append(len(segments))
        return segments[:1]

    merge = deferring(policy, limit=3)
    few = [_Segment(50_000), _Segment(40), _Segment(0)]
    assert merge(None, few) == few and not merged  # two small ones (one emptied): kept
    many = [*few, _Segment(12)]
    assert merge(None, many) == many[:1] and merged == [4]


def test_the_text_phase_leaves_the_merge_to_the_entity_phase(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An update's text phase commits a segment of its own when the entity phase follows;
    the entity phase's commit merges it away (no small segment copied twice)."""
    monkeypatch.setattr(indexer, "INLINE_ENTITY_CHARS", 0)  # as for more than a few articles
    ws = _corpus(tmp_path / "ws", FILES)  # above the tier floor
    update_index(ws)
    (ws.articles_dir / "s001.txt").write_text(_story(1, edit=1))
    update_index(ws)  # a small segment beside the big one
    assert _segments(ws) == 2
    (ws.articles_dir / "s002.txt").write_text(_story(2, edit=2))
    report = update_index(ws, entities=False)
    assert report.updated == ["s002.txt"] and report.pending == 1
    assert _segments(ws) == 3
    assert recognise_pending(ws).recognised == 1
    assert _segments(ws) == 2
    assert _hits(ws, "correction") == [("s001", "s001:p1"), ("s002", "s002:p1")]


def test_text_phases_without_an_entity_phase_keep_few_small_segments(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A reader that quits before its entity phase commits leaves the text phase's segments
    unmerged; from ``DEFERRED_SEGMENTS`` small ones on, the text phase merges them itself."""
    monkeypatch.setattr(indexer, "INLINE_ENTITY_CHARS", 0)  # as for more than a few articles
    ws = _corpus(tmp_path / "ws", FILES)
    update_index(ws)
    counts = []
    for edit in range(1, 9):
        (ws.articles_dir / f"s{edit:03d}.txt").write_text(_story(edit, edit))
        assert update_index(ws, entities=False).pending == edit
        counts.append(_segments(ws))
    assert max(counts) == max_segments(DOCUMENTS) + DEFERRED_SEGMENTS - 1, counts
    assert counts[DEFERRED_SEGMENTS] < counts[DEFERRED_SEGMENTS - 1], counts
    assert recognise_pending(ws).recognised == 8
    assert _segments(ws) <= max_segments(DOCUMENTS)
