"""The merge policy ``benchmarks.segments`` compares with ours: small commits gathered."""

from __future__ import annotations

from benchmarks.segments import gathering_small, gathers
from tests.test_merging import _Segment


class _Writer:
    docnum = 5


def test_small_commits_gather_until_the_limit() -> None:
    assert gathers([50_000, 40], 12)  # one small segment beside the new one
    assert gathers([50_000, 40, 0, 30], 2, limit=3)  # an emptied segment does not count
    assert gathers([50_000, 40, 8, 30], 2, limit=4)  # the fourth small one
    assert not gathers([50_000, 40, 8, 30, 9], 2, limit=4)  # a fifth: merge
    assert not gathers([50_000, 40], 300)  # a commit above the floor merges as before
    assert not gathers([50_000, 700, 800, 4], 3)  # two larger ones share a tier


def test_a_gathering_commit_keeps_the_segments_but_drops_the_emptied() -> None:
    merged: list[int] = []

    def policy(writer: object, segments: list[_Segment]) -> list[_Segment]:
        merged.append(len(segments))
        return segments[:1]

    merge = gathering_small(policy, limit=3)
    few = [_Segment(50_000), _Segment(40), _Segment(0)]
    assert merge(_Writer(), few) == few[:2] and not merged
    many = [*few, _Segment(12), _Segment(7)]  # a fourth small one with the new one
    assert merge(_Writer(), many) == many[:1] and merged == [5]
