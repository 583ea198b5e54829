"""The related judged set's rules hold in the data: later judging rounds never change a grade
already given, no pair is judged twice, the test split's round-1 content is the frozen one."""

from __future__ import annotations

import json

from benchmarks.related_eval import JUDGED_SET, frozen_test_hash, load_judged
from benchmarks.related_pool import judged_pairs


def _data() -> dict:
    return json.loads(JUDGED_SET.read_text(encoding="utf-8"))


def test_round_one_test_split_is_the_frozen_one() -> None:
    assert frozen_test_hash() == _data()["test_sha256"]


def test_every_round_is_recorded_with_its_judge_and_date() -> None:
    data = _data()
    for about in data.get("rounds", []):
        assert about["judge"] and about["date"] and about["round"] >= 2
        key = f"judged_round{about['round']}"
        assert sum(len(q.get(key, {})) for q in data["queries"]) == about["pairs"]
        assert data[f"test_sha256_round{about['round']}"] == frozen_test_hash(all_rounds=True)


def test_no_pair_is_judged_twice_and_grades_are_valid() -> None:
    for query in _data()["queries"]:
        grades = judged_pairs(query)  # raises on a pair judged in two rounds
        assert set(grades.values()) <= {0, 1, 2}
        assert query["split"] in {"dev", "test"}


def test_rounds_only_add_grades() -> None:
    first = {q.id: q for q in load_judged(rounds=1)}
    every = load_judged()
    assert [q.id for q in every] == list(first)
    for query in every:
        assert query.split == first[query.id].split
        assert query.relevant.items() >= first[query.id].relevant.items()


def test_gap_interval_separates_a_tuned_split_from_an_easier_one() -> None:
    """dev − test is positive when dev scores higher; the interval holds the observed gap."""
    from benchmarks.related_eval import gap_interval, gap_row

    dev = [0.8, 0.9, 0.7, 0.85, 0.75] * 6
    test = [0.5, 0.6, 0.4, 0.55, 0.45] * 6
    low, high = gap_interval(dev, test)
    assert 0 < low <= 0.3 <= high
    assert gap_row("m", dev, test).startswith("| m | 0.800 | 0.500 | +0.300 [")
    low, high = gap_interval(test, dev)
    assert low <= -0.3 <= high < 0
