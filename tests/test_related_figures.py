"""Figure extraction: number, hedge and the noun it counts; figures side by side."""

from __future__ import annotations

import pytest

from briefreader.search.figures import extract_figures, shared_subjects, side_by_side


@pytest.mark.parametrize(
    ("text", "label", "subject", "value"),
    [
        (
            "attacked U.S. camps and bases more than 160 times since",
            "more than 160 times",
            "attack",
            160,
        ),
        ("at least 91 attacks on U.S. bases", "at least 91 attacks", "attack", 91),
        (
            "carried out no fewer than 70 attacks on US forces",
            "no fewer than 70 attacks",
            "attack",
            70,
        ),
        ("there are some 2,000 U.S. troops in Iraq", "some 2,000 troops", "troop", 2000),
        (
            "around 2,500 American military personnel stationed",
            "around 2,500 personnel",
            "troop",
            2500,
        ),
        ("Dozens of attacks on U.S. military installations", "dozens of attacks", "attack", None),
        ("killed 16 Iraqis, and", "16 Iraqis", "iraqi", 16),
        ("more than 50 percent of the infrastructure", "more than 50 percent", "percent", 50),
        ("would invest $800 million to", "$800 million", "$", 800e6),
        ("between 3,000 and 5,000 fighters in Syria", "5,000 fighters", "fighter", 5000),
        ("killed five militants", "five militants", "milit", 5),
    ],
)
def test_extracts_figure(text: str, label: str, subject: str, value: float | None) -> None:
    figures = extract_figures(text)
    assert [f.label for f in figures] == [label]
    assert figures[0].subject == subject and figures[0].value == value


@pytest.mark.parametrize(
    "text",
    [
        "the 2003 U.S. invasion",
        "on Oct. 7, militants",
        "in Najaf, Iraq, on Nov. 22.",
        "a 360-degree strategic partnership",
        "with an additional 900 in Syria",
        "by 2025[xvii]",
        "",
    ],
)
def test_years_dates_and_bare_numbers_are_not_figures(text: str) -> None:
    assert extract_figures(text) == []


def test_side_by_side_keeps_order_and_skips_other_subjects() -> None:
    groups = [
        extract_figures("attacked bases more than 160 times and killed 16 Iraqis"),
        extract_figures("at least 91 attacks"),
        extract_figures("no fewer than 70 attacks; 2,000 troops"),
    ]
    assert side_by_side(groups, "attack") == "160 · 91 · 70 attacks"
    assert side_by_side(groups, "troop") == ""  # one figure is no comparison
    assert shared_subjects(groups[0], groups[1]) == {"attack"}


def test_generic_units_do_not_tie_passages() -> None:
    left = extract_figures("for 16 years")
    right = extract_figures("14 years of war")
    assert shared_subjects(left, right) == set()
