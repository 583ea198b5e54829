"""Entities across articles: joins only with evidence, each explained, each reversible."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from briefreader.cli import main
from briefreader.text.entities import Corrections, EntityMention, resolve_entities
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
