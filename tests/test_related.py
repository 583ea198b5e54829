"""Related passages on the sample corpus: the issue's examples, exclusion, the quiet case, cache."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from briefreader.cli import main
from briefreader.search.library import Library
from briefreader.search.related import (
    RelatedOptions,
    RelatedResult,
    UnknownPassage,
    clear_cache,
    find_related,
)
from briefreader.workspace import Workspace

ATTACKS_160 = "002_ea0493244cfba2d5:p12"
ATTACKS_91 = "004_6c8c47967f33c65d:p6"
ATTACKS_70 = "003_d982830aa2fa4bf9:p9"
TROOPS_2000 = "004_6c8c47967f33c65d:p3"
TROOPS_2500 = "003_d982830aa2fa4bf9:p8"
WAIVER_001 = "001_d3326cb8ef4ea649:p9"
WAIVER_004 = "004_6c8c47967f33c65d:p22"
MANSOUR_002 = "002_ea0493244cfba2d5:p15"
MANSOUR_004 = "004_6c8c47967f33c65d:p16"
GANGS = "000_4b7c8a7470fbc100:p19"


@pytest.fixture(scope="module")
def library(sample_workspace: Path) -> Library:
    return Library.open(Workspace(sample_workspace))


def top_ids(result: RelatedResult) -> list[str]:
    return [item.passage_id for item in result.items]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (ATTACKS_160, {ATTACKS_91, ATTACKS_70}),
        (ATTACKS_91, {ATTACKS_160, ATTACKS_70}),
        (ATTACKS_70, {ATTACKS_160, ATTACKS_91}),
        (TROOPS_2000, {TROOPS_2500}),
        (TROOPS_2500, {TROOPS_2000}),
        (WAIVER_001, {WAIVER_004}),
        (WAIVER_004, {WAIVER_001}),
        (MANSOUR_002, {MANSOUR_004}),
        (MANSOUR_004, {MANSOUR_002}),
    ],
)
def test_issue_examples_in_top_five(library: Library, query: str, expected: set[str]) -> None:
    """Ranked in the top five; the panel shows at least the best of them (when the best is
    only "loosely related" it shows one or two, see test_related_evidence)."""
    ranked = find_related(library, query, limit=5, options=RelatedOptions(threshold=0, floor=0))
    assert expected <= set(top_ids(ranked)), (query, top_ids(ranked))
    assert find_related(library, query, limit=5).items


def test_attack_counts_are_shown_side_by_side(library: Library) -> None:
    result = find_related(library, ATTACKS_160, limit=5)
    line = next(line for line in result.figures_lines if line.endswith("attacks"))
    assert line.startswith(["more", "than", "160"][-1])
    assert "91" in line and "70" in line
    by_id = {item.passage_id: item for item in result.items}
    assert [f.label for f in by_id[ATTACKS_91].figures] == ["at least 91 attacks"]
    assert "figures: at least 91 attacks" in by_id[ATTACKS_91].why


def test_troop_numbers_are_shown_side_by_side(library: Library) -> None:
    result = find_related(library, TROOPS_2000, limit=5)
    assert "2,000 · 2,500 troops" in result.figures_lines


def test_gangs_and_kidnappers_has_nothing_above_threshold(library: Library) -> None:
    result = find_related(library, GANGS, limit=5)
    assert result.nothing_related and result.items == ()
    unfiltered = find_related(library, GANGS, limit=5, options=RelatedOptions(threshold=0.0))
    assert unfiltered.items  # words are shared, but none is close enough to show
    assert all(item.score < result.threshold for item in unfiltered.items)


def test_own_article_is_never_listed(library: Library) -> None:
    for summary in library.articles():
        for passage in library.article(summary.id).passages[:8]:
            result = find_related(
                library, passage.id, limit=10, options=RelatedOptions(threshold=0)
            )
            assert all(item.article_id != summary.id for item in result.items)


def test_why_names_shared_words_and_scores_descend(library: Library) -> None:
    result = find_related(library, MANSOUR_004, limit=5)
    assert "Mansour" in result.items[0].why
    scores = [item.score for item in result.items]
    assert scores == sorted(scores, reverse=True)
    assert all(item.title and item.text for item in result.items)


def test_unknown_passage_raises(library: Library) -> None:
    with pytest.raises(UnknownPassage, match="no passage with id"):
        find_related(library, "nope:p1")
    with pytest.raises(UnknownPassage) as raised:
        find_related(library, "001_d3326cb8ef4ea649:p999")
    assert "ids look like" not in str(raised.value)  # it has the form: it is not there
    assert "ids look like ARTICLE-ID:p3" in str(UnknownPassage("not-an-id"))


def test_results_are_cached_until_cleared(library: Library) -> None:
    first = find_related(library, WAIVER_001)
    assert find_related(library, WAIVER_001) is first
    clear_cache(library)
    again = find_related(library, WAIVER_001)
    assert again is not first and top_ids(again) == top_ids(first)


def test_threshold_setting_is_read_from_the_workspace(tmp_path: Path, sample_workspace: Path):
    from briefreader.search.related import options_for

    library = Library.open(Workspace(sample_workspace))
    assert options_for(library).semantic is False
    (tmp_path / "briefreader.toml").write_text("[related]\nthreshold = 0.5\nsemantic = true\n")
    other = Library(Workspace(tmp_path), library._ix, None)
    options = options_for(other)
    assert options.threshold == 0.5 and options.semantic and options.cutoff == 0.5


def test_default_path_does_not_import_the_semantic_stack() -> None:
    code = (
        "import sys, briefreader.search.related, briefreader.cli.related;"
        "bad = [m for m in ('torch', 'sentence_transformers', 'briefreader.search.semantic')"
        " if m in sys.modules]; print(bad); sys.exit(1 if bad else 0)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


# ---------------------------------------------------------------------------- CLI


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_json_shape(sample_workspace: Path, capsys) -> None:
    code, out, _ = run(capsys, "-w", str(sample_workspace), "related", ATTACKS_160, "--json")
    rows = json.loads(out)["items"]
    assert code == 0 and 1 <= len(rows) <= 5
    assert set(rows[0]) == {
        "passage_id",
        "article_id",
        "title",
        "score",
        "text",
        "why",
        "figures",
        "figures_lines",
        "loosely_related",
    }
    assert {ATTACKS_91, ATTACKS_70} <= {row["passage_id"] for row in rows}
    code, out, _ = run(capsys, "-w", str(sample_workspace), "related", ATTACKS_160, "-n", "1")
    assert code == 0 and "figures:" in out and out.count("score ") == 1


def test_cli_nothing_related(sample_workspace: Path, capsys) -> None:
    code, out, _ = run(capsys, "-w", str(sample_workspace), "related", GANGS)
    assert code == 0 and "Nothing in the other articles is closely related" in out
    code, out, _ = run(capsys, "-w", str(sample_workspace), "related", GANGS, "--json")
    assert json.loads(out)["items"] == []


def test_cli_errors_are_one_line(sample_workspace: Path, capsys) -> None:
    code, out, err = run(capsys, "-w", str(sample_workspace), "related", "missing:p1")
    assert code == 2 and out == ""
    assert err.strip().count("\n") == 0 and "no passage with id 'missing:p1'" in err
    code, _, err = run(capsys, "-w", str(sample_workspace), "related", GANGS, "-n", "0")
    assert code == 2 and "--limit" in err


def test_semantic_setting_without_the_extra_falls_back_to_the_default(
    library: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    from briefreader.search import semantic
    from briefreader.search.related import DEFAULT_THRESHOLD

    monkeypatch.setattr(semantic, "available", lambda: "sentence-transformers is not installed")
    clear_cache(library)
    result = find_related(library, ATTACKS_160, limit=5, options=RelatedOptions(semantic=True))
    assert result.notice.startswith("semantic ranking off: sentence-transformers")
    assert result.threshold == DEFAULT_THRESHOLD
    assert top_ids(result) == top_ids(find_related(library, ATTACKS_160, limit=5))
    clear_cache(library)
