"""Entities across articles: joins only with evidence, each explained, each reversible."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from briefreader.cli import main
from briefreader.text.entities import (
    Corrections,
    EntityForm,
    EntityMention,
    mention_forms,
    resolve_entities,
    resolve_forms,
)
from tests.conftest import make_workspace


def corpus(*articles: list[tuple[str, str, str]]) -> dict[str, list[EntityMention]]:
    """Articles a, b, c… of (text, type, name) mentions, one after another in each."""
    result = {}
    for number, rows in enumerate(articles):
        article_id = "abcdefgh"[number]
        mentions, at = [], 0
        for text, kind, name in rows:
            mentions.append(EntityMention(article_id, at, at + len(text), text, kind, name))
            at += len(text) + 10
        result[article_id] = mentions
    return result


def row(text: str, kind: str, name: str = "") -> tuple[str, str, str]:
    return (text, kind, name or text)


def test_surname_joins_the_one_full_name_when_articles_share_people() -> None:
    table = resolve_entities(
        corpus(
            [row("Glenn McGrath", "PERSON"), row("Shane Warne", "PERSON"), row("ACB", "ORG")],
            [row("McGrath", "PERSON"), row("Shane Warne", "PERSON"), row("ACB", "ORG")],
        )
    )
    full = table.find("Glenn McGrath")
    assert full is not None and full is table.find("McGrath")
    (why,) = table.explain(full.id)
    assert "'McGrath' = 'Glenn McGrath'" in why and "Shane Warne" in why


def test_surname_without_shared_people_is_not_joined() -> None:
    """A cricketer and a squash player: one shares the other's surname, nothing else."""
    table = resolve_entities(
        corpus(
            [row("Rodney Eyles", "PERSON"), row("Cairo", "PLACE")],
            [row("Eyles", "PERSON"), row("Cairo", "PLACE"), row("Lord's", "PLACE")],
        )
    )
    assert table.find("Eyles") is not table.find("Rodney Eyles")
    assert table.explain(table.find("Rodney Eyles").id) == ()  # type: ignore[union-attr]


def test_a_lone_first_name_never_joins() -> None:
    table = resolve_entities(
        corpus(
            [row("Nate Miller", "PERSON"), row("Chicago Bulls", "ORG"), row("NBA", "ORG")],
            [row("Nate", "PERSON"), row("Chicago Bulls", "ORG"), row("NBA", "ORG")],
        )
    )
    assert table.find("Nate") is not table.find("Nate Miller")


def test_a_surname_two_full_names_end_in_is_not_joined() -> None:
    shared = [row("Surrey", "ORG"), row("Kent", "ORG")]
    table = resolve_entities(
        corpus(
            [row("Adam Hollioake", "PERSON"), *shared],
            [row("Ben Hollioake", "PERSON"), *shared],
            [row("Hollioake", "PERSON"), *shared],
        )
    )
    lone = table.find("Hollioake")
    assert lone is not None and lone.name == "Hollioake"


def test_organisations_are_not_joined_by_case_alone() -> None:
    """ "Nats" (a party) and "NATS" (the air-traffic service)."""
    table = resolve_entities(corpus([row("Nats", "ORG")], [row("NATS", "ORG")]))
    assert len(table.entities) == 2
    assert {e.name for e in table.entities} == {"Nats", "NATS"}


def test_a_place_never_joins_an_organisation_of_the_same_name() -> None:
    table = resolve_entities(corpus([row("Leicester", "PLACE")], [row("Leicester", "ORG")]))
    assert sorted(e.type for e in table.entities) == ["ORG", "PLACE"]


def test_the_same_name_and_type_in_two_articles_is_one_entity() -> None:
    table = resolve_entities(corpus([row("Baghdad", "PLACE")], [row("BAGHDAD", "PLACE")]))
    (baghdad,) = table.entities
    assert baghdad.article_ids == ("a", "b") and baghdad.mention_count == 2


def test_alias_joins_are_explained_and_reversible() -> None:
    mentions = corpus([row("U.S.", "PLACE")], [row("United States", "PLACE")])
    table = resolve_entities(mentions)
    us = table.find("U.S.")
    assert us is not None and us is table.find("United States")
    assert any("shipped alias table" in line for line in table.explain(us.id))
    split = resolve_entities(mentions, Corrections().unmerge("U.S."))
    assert len(split.entities) == 2 and split.explain(split.entities[0].id) == ()


def test_a_users_merge_is_explained() -> None:
    mentions = corpus([row("Acme", "ORG")], [row("Acme Holdings", "ORG")])
    table = resolve_entities(mentions, Corrections().merge(["Acme", "Acme Holdings"]))
    acme = table.find("Acme Holdings")
    assert acme is not None and acme is table.find("Acme")
    assert table.explain(acme.id) == ("'Acme Holdings' = 'Acme': merged by you (entities.toml)",)


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A sample workspace (no index: entities are computed and cached)."""
    return make_workspace(tmp_path_factory.mktemp("merges"), sample=True)


def test_show_why_explains_each_join(sample: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["-w", str(sample), "entities", "show", "PMF", "--why"]) == 0
    out = capsys.readouterr().out
    assert "Popular Mobilization Forces" in out and "why:" in out
    assert "'PMF'" in out and "entities unmerge NAME" in out
    assert main(["-w", str(sample), "entities", "show", "U.S.", "--why", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["name"] == "United States"
    assert any("shipped alias table" in line for line in data["why"])


def test_show_an_unknown_name_is_one_clear_line(
    sample: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["-w", str(sample), "entities", "show", "Nobody Atall", "--why"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "Nobody Atall" in err


# ------------------------------------------------- one name, several organisations (issue 17)


def sides(*names: str) -> list[tuple[str, str, str]]:
    """A list of sides (a results table): one-word clubs."""
    return [row(name, "ORG") for name in names]


RUGBY = sides("Northbury", "Eastwick", "Calderholme", "Fenmouth", "Ravensby", "Oakhaven")
FOOTBALL = sides("Northbury", "Wexcombe", "Lowbridge", "Saltmere", "Brackenfield", "Tarnby")


def test_two_towns_clubs_in_different_sports_are_kept_apart() -> None:
    """The rugby and the football club of one town: the same bare name in two lists of sides
    that name nothing else in common."""
    table = resolve_entities(corpus([*RUGBY, row("London", "PLACE")], FOOTBALL))
    clubs = [e for e in table.entities if e.name == "Northbury"]
    assert sorted(c.article_ids for c in clubs) == [("a",), ("b",)]
    first, second = clubs
    (why,) = table.explain(first.id)
    assert why.startswith("kept apart from 'Northbury' in ") and second.id in why
    assert "in a list of sides" in why and table.refusals(second.id)
    assert table.query_terms("Northbury") == ("northbury",)  # org:Northbury finds both


def test_a_generic_league_name_is_kept_apart_without_evidence() -> None:
    table = resolve_entities(
        corpus(
            [row("National League", "ORG"), row("Wasterby", "ORG"), row("Kent", "PLACE")],
            [row("National League", "ORG"), row("Florida Marlins", "ORG"), row("Miami", "PLACE")],
        )
    )
    leagues = [e for e in table.entities if e.name == "National League"]
    assert len(leagues) == 2
    assert "a name of generic words" in table.explain(leagues[0].id)[0]


def test_the_same_club_in_two_lists_of_the_same_competition_is_one_entity() -> None:
    """Standings and results of one league: most of their sides are the same."""
    table = resolve_entities(corpus(FOOTBALL + sides("Ashgrove"), FOOTBALL))
    club = table.find("Northbury")
    assert club is not None and club.article_ids == ("a", "b")
    assert any(
        "the same name, and their articles also name" in line for line in table.joins(club.id)
    )


def test_a_generic_name_joins_when_the_articles_share_people() -> None:
    table = resolve_entities(
        corpus(
            [
                row("Foreign Ministry", "ORG"),
                row("Anna Kowalska", "PERSON"),
                row("Jan Nowak", "PERSON"),
            ],
            [
                row("Foreign Ministry", "ORG"),
                row("Anna Kowalska", "PERSON"),
                row("Jan Nowak", "PERSON"),
            ],
        )
    )
    ministry = table.find("Foreign Ministry")
    assert ministry is not None and ministry.article_ids == ("a", "b")
    assert "Anna Kowalska" in table.joins(ministry.id)[0]


def test_a_one_word_organisation_outside_lists_of_sides_joins_by_name() -> None:
    """A news agency in two unrelated reports: an exact full-name match, as before."""
    table = resolve_entities(
        corpus([row("Newswire", "ORG"), row("Paris", "PLACE")], [row("Newswire", "ORG")])
    )
    (agency,) = [e for e in table.entities if e.name == "Newswire"]
    assert agency.article_ids == ("a", "b") and table.explain(agency.id) == ()


def test_names_kept_apart_are_the_same_from_catalog_forms_and_each_article_counts() -> None:
    """The reader and search resolve the catalog's forms: the same entities as the CLI, and
    each article's mentions go to its own club."""
    mentions = corpus([*RUGBY, row("Northbury", "ORG")], FOOTBALL)
    from_mentions = resolve_entities(mentions)
    forms = [f for ms in mentions.values() for f in mention_forms(ms)]
    pooled = resolve_forms(pool(forms))
    assert sorted((e.id, e.mention_count, e.article_ids) for e in pooled.entities) == sorted(
        (e.id, e.mention_count, e.article_ids) for e in from_mentions.entities
    )
    in_a = pooled.entity_of_form("Northbury", "Northbury", "ORG", "a")
    in_b = pooled.entity_of_form("Northbury", "Northbury", "ORG", "b")
    assert in_a is not None and in_b is not None and in_a != in_b
    assert (in_a.mention_count, in_b.mention_count) == (2, 1)


def pool(forms: list[EntityForm]) -> list[EntityForm]:
    """Per-article forms totalled over the corpus, as the catalog reads them."""
    totals: dict[tuple[str, str, str], dict[str, int]] = {}
    for form in forms:
        used = totals.setdefault((form.text, form.name, form.type), {})
        used[form.article_ids[0]] = form.mentions
    return [
        EntityForm(*key, sum(used.values()), tuple(used), tuple(used.values()))
        for key, used in totals.items()
    ]


def test_your_merge_joins_names_kept_apart_and_unmerge_splits_them_again() -> None:
    mentions = corpus(RUGBY, FOOTBALL)
    merged = resolve_entities(mentions, Corrections().merge(["Northbury", "Northbury"]))
    club = merged.find("Northbury")
    assert club is not None and club.article_ids == ("a", "b") and merged.refusals(club.id) == ()
    split = resolve_entities(mentions, Corrections().unmerge("Northbury"))
    assert len([e for e in split.entities if e.name == "Northbury"]) == 2


RUGBY_REPORT = """Rugby union: weekend results

Northbury beat Eastwick 21-13 in the league on Saturday. Results:

Northbury 21 Eastwick 13
Calderholme 30 Fenmouth 8
Ravensby 17 Oakhaven 17
Grimsdale 12 Penwarren 9
"""
FOOTBALL_REPORT = """Football: third division results

Northbury beat Wexcombe 2-0 on Saturday. Results:

Northbury 2 Wexcombe 0
Lowbridge 1 Saltmere 1
Brackenfield 3 Tarnby 2
Hollinsford 0 Marrowby 4
"""


def test_show_why_explains_a_refusal_and_search_finds_both_clubs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    files = {"rugby.txt": RUGBY_REPORT, "football.txt": FOOTBALL_REPORT}
    root = str(make_workspace(tmp_path, files))
    assert main(["-w", root, "entities", "--json", "--type", "org"]) == 0
    listed = json.loads(capsys.readouterr().out)
    clubs = [e for e in listed["entities"] if e["name"] == "Northbury"]
    assert sorted(tuple(c["articles"]) for c in clubs) == [("football",), ("rugby",)]
    assert main(["-w", root, "entities", "show", "Northbury", "--why"]) == 0
    out = capsys.readouterr().out
    assert "kept apart from 'Northbury' in rugby" in out and "nothing else in common" in out
    assert "entities merge Northbury Northbury" in out
    assert main(["-w", root, "index"]) == 0
    capsys.readouterr()
    assert main(["-w", root, "search", "--json", "org:Northbury"]) == 0
    hits = json.loads(capsys.readouterr().out)["hits"]
    assert sorted({hit["article_id"] for hit in hits}) == ["football", "rugby"]


def test_a_generic_place_name_in_unrelated_articles_is_kept_apart() -> None:
    """ "the Gulf" of oil rigs and "the Gulf" of warships: nothing else in common."""
    table = resolve_entities(
        corpus(
            [row("Gulf", "PLACE"), row("Houston", "PLACE"), row("Rigco", "ORG")],
            [row("Gulf", "PLACE"), row("Kuwait", "PLACE"), row("Ali Hassan", "PERSON")],
        )
    )
    assert len([e for e in table.entities if e.name == "Gulf"]) == 2


def test_a_town_typed_as_a_place_in_a_list_of_sides_is_kept_apart_from_the_town() -> None:
    """A club read as a place in a round-up of clubs is not the town of two news reports
    (the corpus also names a club so); the two news reports' town is one place."""
    town = row("Northbury", "PLACE")
    table = resolve_entities(
        corpus(
            [town, row("Anna Kowalska", "PERSON")],
            [town, row("Mill Lane", "PLACE")],
            [town, *RUGBY[1:]],
            FOOTBALL,
        )
    )
    places = sorted(
        e.article_ids for e in table.entities if e.type == "PLACE" and e.name == "Northbury"
    )
    assert places == [("a", "b"), ("c",)]


def test_a_name_kept_apart_in_many_articles_lists_ten_refusals_and_a_count() -> None:
    league, n = "National League", 12
    mentions = {
        f"x{i}": [
            EntityMention(f"x{i}", 0, len(league), league, "ORG", league),
            EntityMention(f"x{i}", 30, 35, f"Club{i}", "ORG", f"Club{i}"),
        ]
        for i in range(n)
    }
    table = resolve_entities(mentions)
    leagues = [e for e in table.entities if e.name == league]
    assert len(leagues) == n
    lines = table.refusals(leagues[0].id)
    assert len(lines) == 11 and lines[-1] == "kept apart from 1 more of the same name"


STANDINGS = (
    "BASEBALL - STANDINGS AFTER {day}'S GAMES.\n\nNORTH LEAGUE\n\nKELSBY 75 59 .560 -\n"
    "DERWENT 70 64 .522 5\nASHFORD 69 65 .515 6\n\nSOUTH LEAGUE\n\nTOLHAM 72 62 .537 -\n"
    "KELSBY 66 68 .493 6\nBRAYFORD 60 74 .448 12\n"
)


def test_a_name_for_two_clubs_of_one_table_is_kept_apart_in_the_cli_and_the_index(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    files = {
        "thursday.txt": STANDINGS.format(day="THURSDAY"),
        "friday.txt": STANDINGS.format(day="FRIDAY").replace("75 59", "76 59"),
    }
    root = str(make_workspace(tmp_path, files))
    for command in ([], ["index"]):  # computed, then from the index's catalog
        if command:
            assert main(["-w", root, *command]) == 0
        capsys.readouterr()
        assert main(["-w", root, "entities", "--json"]) == 0
        listed = json.loads(capsys.readouterr().out)["entities"]
        kelsby = [e for e in listed if e["name"] == "KELSBY"]
        assert sorted(tuple(e["articles"]) for e in kelsby) == [("friday",), ("thursday",)]
        derwent = [e for e in listed if e["name"] == "DERWENT"]
        assert [sorted(e["articles"]) for e in derwent] == [["friday", "thursday"]]
    assert main(["-w", root, "entities", "show", "KELSBY", "--why"]) == 0
    assert "uses for two entities" in capsys.readouterr().out
