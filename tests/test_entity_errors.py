"""The error classes of issue 17, each on a small example written for the test."""

from __future__ import annotations

import re
from dataclasses import replace

from briefreader.models import Article
from briefreader.text.entities import (
    EntityMention,
    choose_recogniser,
    extract_entities,
    resolve_entities,
)
from briefreader.text.entities.cleanup import clean_spans, mask_text
from briefreader.text.entities.consistency import make_consistent
from briefreader.text.entities.extract import postprocess
from briefreader.text.entities.model import RawSpan
from briefreader.text.entities.sides import shared_names


def spans_at(text: str, *names: tuple[str, str]) -> list[RawSpan]:
    """A recogniser's guesses: every occurrence of each (surface, type)."""
    found = []
    for surface, kind in names:
        start = text.find(surface)
        while start >= 0:
            found.append(RawSpan(start, start + len(surface), kind))
            start = text.find(surface, start + 1)
    return found


def consistent(text: str, *names: tuple[str, str]) -> dict[str, set[str]]:
    """Surface → types after clean-up and consistency, for guesses ``names``."""
    masked = mask_text(text)
    kept = clean_spans(masked, spans_at(text, *names))
    result: dict[str, set[str]] = {}
    for item in make_consistent(text, kept, masked):
        result.setdefault(text[item.start : item.end], set()).add(item.type)
    return result


def named(text: str, *names: tuple[str, str]) -> dict[str, str]:
    """Surface → the name it stands for, after consistency."""
    masked = mask_text(text)
    kept = clean_spans(masked, spans_at(text, *names))
    return {text[f.start : f.end]: f.name for f in make_consistent(text, kept, masked)}


def rules_entities(text: str) -> dict[str, set[str]]:
    """Surface → types found by the rules recogniser end to end."""
    article = Article("t", "t.txt", 0, "t", text, ())
    choice = choose_recogniser({"recogniser": "rules"})
    result: dict[str, set[str]] = {}
    for mention in extract_entities([article], None, choice=choice).mentions["t"]:
        result.setdefault(mention.text, set()).add(mention.type)
    return result


# --- sports: clubs typed as places or people, national sides, score tables ------------------


def test_a_club_named_like_a_county_is_an_organisation_in_a_match_report() -> None:
    text = (
        "Leicestershire beat Somerset by an innings and 39 runs. Somerset were bowled out "
        "for 83 in their first match at home this season."
    )
    found = consistent(text, ("Leicestershire", "PLACE"), ("Somerset", "PERSON"))
    assert found == {"Leicestershire": {"ORG"}, "Somerset": {"ORG"}}


def test_a_national_side_stays_a_place() -> None:
    text = "Romania beat Lithuania 2-1 (halftime 1-1) in their under-21 match on Friday."
    found = consistent(text, ("Romania", "PLACE"), ("Lithuania", "PLACE"))
    assert found == {"Romania": {"PLACE"}, "Lithuania": {"PLACE"}}


def test_a_town_in_prose_is_not_a_club() -> None:
    text = "The minister spoke in Leicester on Friday about the budget."
    assert consistent(text, ("Leicester", "PLACE")) == {"Leicester": {"PLACE"}}


def test_table_headers_scores_and_single_letters_are_not_entities() -> None:
    text = (
        "County championship match scores:\n\nW L T GF GA\n\nSurrey 429-7\n\n"
        "Attendance: 15,000\n\nI think so, said Lee."
    )
    found = consistent(
        text,
        ("W L T GF GA", "ORG"),
        ("Surrey 429-7", "PLACE"),
        ("Attendance", "PERSON"),
        ("I", "PERSON"),
    )
    assert found == {"Surrey": {"ORG"}}


def test_a_headline_with_a_dash_is_not_a_name() -> None:
    text = "CRICKET - ENGLISH COUNTY CHAMPIONSHIP SCORES\n\nLONDON 1996-08-30"
    found = consistent(text, ("CRICKET - ENGLISH COUNTY CHAMPIONSHIP SCORES", "ORG"))
    assert found == {"1996": {"DATE"}}


def test_a_list_of_names_is_split() -> None:
    text = "Its members include Dell, Samsung and Matsushita."
    found = consistent(text, ("Dell, Samsung", "ORG"), ("Matsushita", "ORG"))
    assert found == {"Dell": {"ORG"}, "Samsung": {"ORG"}, "Matsushita": {"ORG"}}


def test_lines_in_capitals_reach_the_recogniser_in_title_case() -> None:
    text = "BELGRADE 1996-08-30\n\nNEW YORK 74 59 .556 -\nThe U.S. said NATO would act."
    masked = mask_text(text)
    assert masked == "Belgrade 1996-08-30\n\nNew York 74 59 .556 -\nThe U.S. said NATO would act."


# --- typing from evidence: a confident type is never outvoted --------------------------------


def test_an_honorific_outweighs_place_guesses() -> None:
    text = "Pound visited Pound Hill. Mr Pound said Pound was ready."
    found = consistent(text, ("Pound", "PLACE"))
    assert found["Pound"] == {"PERSON"}


def test_a_context_word_corrects_a_single_guess() -> None:
    text = "A military outpost between Diyala and Salahuddin provinces was attacked."
    found = consistent(text, ("Diyala", "PLACE"), ("Salahuddin", "PERSON"))
    assert found["Salahuddin"] == {"PLACE"}


def test_an_airbase_is_a_place_and_a_reporter_a_person() -> None:
    text = "Rockets hit the Ain al-Asad airbase.\n\nChehayeb reported from Beirut."
    found = consistent(text, ("Ain al-Asad", "ORG"), ("Chehayeb", "ORG"), ("Beirut", "PLACE"))
    assert found["Ain al-Asad"] == {"PLACE"} and found["Chehayeb"] == {"PERSON"}


def test_an_organisation_word_before_of_makes_an_organisation() -> None:
    text = "Baghdad ended the UN Assistance Mission for Iraq in 2025."
    found = consistent(text, ("UN Assistance Mission for Iraq", "PLACE"))
    assert found["UN Assistance Mission for Iraq"] == {"ORG"}


# --- names cut short, and joins inside an article ---------------------------------------------


def test_an_organisation_runs_on_over_of() -> None:
    text = (
        "The Komala Party of Iranian Kurdistan said so. The Syrian Ministry of "
        "telecommunications agreed."
    )
    found = consistent(
        text,
        ("Komala Party", "ORG"),
        ("Iranian", "GROUP"),
        ("Kurdistan", "PLACE"),
        ("Syrian Ministry", "ORG"),
    )
    assert found == {
        "Komala Party of Iranian Kurdistan": {"ORG"},
        "Syrian Ministry of telecommunications": {"ORG"},
    }


def test_a_bracketed_other_name_is_the_same_entity() -> None:
    text = "Kataib Hezbollah (Hezbollah Brigades) denied it. Hezbollah Brigades fighters left."
    found = named(text, ("Kataib Hezbollah", "ORG"), ("Hezbollah Brigades", "ORG"))
    assert set(found.values()) == {"Kataib Hezbollah"}


def test_an_acronym_spelled_with_a_short_acronym_inside() -> None:
    text = "The UN Assistance Mission for Iraq (UNAMI) will close. UNAMI staff will leave."
    found = named(text, ("UN Assistance Mission for Iraq", "ORG"), ("UNAMI", "ORG"))
    assert set(found.values()) == {"UN Assistance Mission for Iraq"}


def test_two_spellings_of_a_full_name_join_across_articles() -> None:
    def person(article: str, text: str, at: int) -> EntityMention:
        return EntityMention(article, at, at + len(text), text, "PERSON", text)

    def org(article: str, text: str, at: int) -> EntityMention:
        return EntityMention(article, at, at + len(text), text, "ORG", text)

    shared = [org("a", "State Department", 40), org("a", "HTS", 80)]
    table = resolve_entities(
        {
            "a": [person("a", "Ahmad al-Sharaa", 0), *shared],
            "b": [person("b", "Ahmed al-Sharaa", 0), *(replace(m, article_id="b") for m in shared)],
        }
    )
    sharaa = table.find("Ahmed al-Sharaa")
    assert sharaa is not None and sharaa is table.find("Ahmad al-Sharaa")
    assert "spellings of one name" in table.explain(sharaa.id)[0]


def test_two_people_with_similar_first_names_and_nothing_in_common_stay_apart() -> None:
    def person(article: str, text: str) -> EntityMention:
        return EntityMention(article, 0, len(text), text, "PERSON", text)

    table = resolve_entities({"a": [person("a", "Ali Khan")], "b": [person("b", "Ala Khan")]})
    assert table.find("Ali Khan") is not table.find("Ala Khan")


# --- the rules fallback -------------------------------------------------------------------------


def test_rules_fallback_has_no_possessive_or_opener_junk() -> None:
    text = (
        "It followed President Masoud Pezeshkian's September visit. Unlike Lebanon's "
        "Hezbollah, the group is small. Militia groups have received money."
    )
    found = rules_entities(text)
    assert "Masoud Pezeshkian" in found
    assert not any("'s" in name or name.startswith("Unlike") for name in found)
    assert "Militia" not in found and "Hezbollah" in found


def test_rules_fallback_finds_lone_names_the_context_types() -> None:
    text = "Talks ended on Friday, Wang said, after a meeting in Arbil with officials."
    found = rules_entities(text)
    assert found.get("Wang") == {"PERSON"} and found.get("Arbil") == {"PLACE"}


def test_rules_fallback_reads_sides_in_a_results_table() -> None:
    text = (
        "Results of league matches on Friday:\n\nAshby 5 Brackwell 3\n\n"
        "Surrey beat Kent by 5 runs in the championship."
    )
    found = rules_entities(text)
    assert found.get("Ashby") == {"ORG"} and found.get("Brackwell") == {"ORG"}
    assert found.get("Kent") == {"ORG"}


def test_a_club_before_its_players_name_is_an_organisation() -> None:
    text = (
        "Chelsea's Damien Duff is out of the Champions League match. Chelsea won the league "
        "last season after a 2-0 win."
    )
    found = consistent(text, ("Chelsea", "PLACE"), ("Damien Duff", "PERSON"))
    assert found["Chelsea"] == {"ORG"} and found["Damien Duff"] == {"PERSON"}


# --- tables and lists: the shape of the line is the evidence ---------------------------------

STANDINGS = (
    "SOCCER - LEAGUE STANDINGS.\n\nStandings after Saturday's matches (played, won, drawn, "
    "lost, goals for, goals against, points):\n\nRavenmoor 4 3 1 0 7 4 10\n\n"
    "Elmstead City 4 2 1 1 5 3 7\n\nDunmore (K) 3 1 1 1 4 4 4\n\nPortugal 4 0 1 3 2 9 1\n\n"
    "Results:\n\nRavenmoor 2 Kelsby United 1\n\nPostponed: Dunmore (K) v Elmstead City"
)


def test_standings_rows_results_and_fixtures_name_clubs() -> None:
    found = consistent(STANDINGS, ("Elmstead City", "PLACE"), ("Portugal", "PLACE"))
    assert found["Ravenmoor"] == {"ORG"} and found["Dunmore (K)"] == {"ORG"}
    assert found["Elmstead City"] == {"ORG"}  # a club, whatever its last word
    assert found["Kelsby United"] == {"ORG"}
    assert found["Portugal"] == {"PLACE"}  # a national side


def test_rules_fallback_reads_standings_rows() -> None:
    found = rules_entities(STANDINGS)
    assert found.get("Ravenmoor") == {"ORG"} and found.get("Kelsby United") == {"ORG"}


def test_a_table_of_people_is_left_to_the_recogniser() -> None:
    text = (
        "GOLF - OPEN SCORES.\n\nLeading scores in the golf tournament:\n\n"
        "Tomas Varga 67 68 70\n\nPeter Ellwood 68 69 70\n\nNils Brandt 70 70 70"
    )
    found = consistent(text, ("Tomas Varga", "PERSON"), ("Peter Ellwood", "PERSON"))
    assert found == {"Tomas Varga": {"PERSON"}, "Peter Ellwood": {"PERSON"}}


def test_numbers_in_prose_do_not_make_a_table() -> None:
    text = "Ravenmoor 4 3 1 0 7 4 10\n\nThe council said the budget rose on Friday."
    assert consistent(text, ("Ravenmoor", "PLACE")) == {"Ravenmoor": {"PLACE"}}


def test_ranked_entries_read_mostly_as_people_are_all_people() -> None:
    text = (
        "Results of the 1,500 metres on Friday:\n\n1. Anna Kowal (Poland) 4:06.87\n\n"
        "2. Marta Lind (Sweden) 4:08.22\n\n3. Ines Moro (Spain) 4:08.96\n\n"
        "4. Vera Holm (Norway) 4:09.25"
    )
    guesses = [("Anna Kowal", "PERSON"), ("Marta Lind", "PERSON"), ("Ines Moro", "PERSON")]
    found = consistent(text, *guesses, ("Vera Holm", "ORG"))
    assert found["Vera Holm"] == {"PERSON"} and found["Anna Kowal"] == {"PERSON"}


def test_a_scorecard_names_fielders_and_bowlers() -> None:
    text = (
        "Cricket scores at the end of the first innings:\n\nJ. Ward c Harker b Pelling 56\n\n"
        "T. Rowe b Pelling 13\n\nPelling took four wickets."
    )
    assert consistent(text, ("Pelling", "ORG"))["Pelling"] == {"PERSON"}


def test_the_city_of_a_name_is_a_place_and_a_listed_place_keeps_its_type() -> None:
    text = "Troops took the city of Varnak on Saturday. Settlers moved into the West Bank."
    found = consistent(text, ("Varnak", "ORG"), ("West Bank", "ORG"))
    assert found == {"Varnak": {"PLACE"}, "West Bank": {"PLACE"}}


def test_a_side_named_by_a_plural_is_a_club_not_a_group() -> None:
    text = "BASEBALL - RAVENS BEAT HARRIERS.\n\nThe Ravens defeated the Harriers 5-3 on Friday."
    found = consistent(text, ("HARRIERS", "GROUP"), ("Harriers", "GROUP"))
    assert found["Harriers"] == {"ORG"}


# --- a wrong type inside one article that an exact-name join would carry across ------------


def mentions_of(article_id: str, text: str, spans: list[RawSpan]) -> list[EntityMention]:
    """An article's mentions after clean-up and consistency, for a recogniser's ``spans``."""
    masked = mask_text(text)
    return [
        EntityMention(article_id, f.start, f.end, text[f.start : f.end], f.type, f.name)
        for f in make_consistent(text, clean_spans(masked, spans), masked)
    ]


PLAYER_REPORT = (
    "TENNIS - UPSETS UNDER THE LIGHTS.\n\nWimbledon finalist Dorian Houston lost in five sets "
    "on Thursday.\n\nThe 11th-seeded Houston fell short of his comeback.\n\nHouston, who "
    'climbed back from a 1-5 deficit, double-faulted.\n\n"I got tight," said Houston.'
)


def test_a_surname_with_a_persons_signal_is_the_person_not_the_listed_place() -> None:
    """A player whose surname is a city in the places table, the full name read as a club."""
    guesses = (("Dorian Houston", "ORG"), ("Houston", "PLACE"))
    found = consistent(PLAYER_REPORT, *guesses)
    assert found["Dorian Houston"] == {"PERSON"} and found["Houston"] == {"PERSON"}
    assert named(PLAYER_REPORT, *guesses)["Houston"] == "Dorian Houston"


def test_a_list_of_two_names_is_not_a_person_whose_surname_is_the_last() -> None:
    text = "Derwent and Kelsby lead the table.\n\nKelsby, who won on Friday, meet Derwent next."
    found = consistent(text, ("Derwent and Kelsby", "LAW"), ("Kelsby", "PERSON"))
    assert found["Derwent and Kelsby"] == {"LAW"}


def test_the_player_named_like_a_city_is_not_joined_with_the_city() -> None:
    news = "HOUSTON 1996-08-30\n\nOil companies in Houston said prices would rise."
    articles = {
        "a": mentions_of(
            "a",
            PLAYER_REPORT,
            spans_at(PLAYER_REPORT, ("Dorian Houston", "ORG"), ("Houston", "PLACE")),
        ),
        "b": mentions_of("b", news, spans_at(news, ("HOUSTON", "PLACE"), ("Houston", "PLACE"))),
    }
    table = resolve_entities(articles)
    city = [e for e in table.entities if e.type == "PLACE" and e.name.lower() == "houston"]
    assert len(city) == 1 and city[0].article_ids == ("b",)
    player = table.find("Dorian Houston")
    assert player is not None and player.type == "PERSON" and player.article_ids == ("a",)


TRANSFER_REPORT = (
    "SOCCER - BELLINI MOVES TO KELSBY.\n\nHOUSTON 1996-08-30\n\nFormer winger Marco Bellini, "
    "transferred to Houston in 1992, has been loaned to Kelsby.\n\nBellini, 27, joined Houston "
    "from Derwent.\n\nHe fell out with the Houston coach last season."
)


def test_a_city_a_player_joins_or_is_transferred_to_is_a_club() -> None:
    found = consistent(TRANSFER_REPORT, ("Houston", "PLACE"), ("Marco Bellini", "PERSON"))
    assert found["Houston"] == {"ORG"}


def test_a_city_in_a_news_move_stays_a_place() -> None:
    text = "The company moved to Houston in 1992 and opened a refinery near the port."
    assert consistent(text, ("Houston", "PLACE"))["Houston"] == {"PLACE"}


BASEBALL_STANDINGS = (
    "BASEBALL - MAJOR LEAGUE STANDINGS.\n\nNATIONAL LEAGUE\n\nW L PCT GB\n\n"
    "KELSBY 75 59 .560 -\nHOUSTON 71 62 .534 3 1/2\nDERWENT 66 67 .496 8 1/2\n"
    "ASHFORD 60 73 .451 14 1/2\n\nFRIDAY'S GAMES\n\nKELSBY AT HOUSTON\nASHFORD AT DERWENT"
)


def test_a_standings_row_with_a_winning_share_names_a_club() -> None:
    """Only the schedule's "AT HOUSTON" was recognised (as a place): the row is a club."""
    last = BASEBALL_STANDINGS.rindex("HOUSTON")
    spans = [RawSpan(last, last + len("HOUSTON"), "PLACE")]
    found = {
        m.text: m.type for m in mentions_of("a", BASEBALL_STANDINGS, spans) if m.text == "HOUSTON"
    }
    assert found == {"HOUSTON": "ORG"}


def test_a_name_heading_two_standings_rows_is_shared_in_its_article() -> None:
    text = (
        "BASEBALL - STANDINGS.\n\nNORTH LEAGUE\nCENTRAL DIVISION\nKELSBY 75 59 .560 -\n"
        "DERWENT 70 64 .522 5\n\nSOUTH LEAGUE\nCENTRAL DIVISION\nASHFORD 72 62 .537 -\n"
        "KELSBY 66 68 .493 6\n"
    )
    assert shared_names(text) == {"kelsby", "central division"}


def test_a_side_against_two_opponents_in_one_results_list_is_shared() -> None:
    text = (
        "Kelsby 11 DERWENT 2\nASHFORD 5 Tolham 4 (in 12)\nKELSBY 3 Brayford 2 (1st game)\n"
        "Brayford 6 KELSBY 5 (2nd game)\n"
    )
    assert shared_names(text) == {"kelsby"}  # Brayford twice, against one opponent: not shared


def test_one_results_list_of_a_round_shares_no_name() -> None:
    assert shared_names("Kelsby 2 Derwent 1\nAshford 0 Tolham 0\n") == set()


def baseball_article(article_id: str, text: str) -> list[EntityMention]:
    """The rules recogniser's mentions of a baseball report (the tables name the sides)."""
    article = Article(article_id, f"{article_id}.txt", 0, "BASEBALL - REPORT", text, ())
    choice = choose_recogniser({"recogniser": "rules"})
    return extract_entities([article], None, choice=choice).mentions[article_id]


def test_two_clubs_of_one_name_in_a_table_are_never_joined_across_articles() -> None:
    """Two standings articles each name two clubs "KELSBY" (one per league): the name is
    shared in each, so neither joins the other, nor a results article's one KELSBY."""
    standings = (
        "BASEBALL - STANDINGS.\n\nNORTH LEAGUE\nKELSBY 75 59 .560 -\nDERWENT 70 64 .522 5\n"
        "ASHFORD 69 65 .515 6\n\nSOUTH LEAGUE\nTOLHAM 72 62 .537 -\nKELSBY 66 68 .493 6\n"
        "BRAYFORD 60 74 .448 12\n"
    )
    results = "BASEBALL - RESULTS.\n\nDERWENT 4 Kelsby 1\nASHFORD 6 Tolham 4\nBrayford 2 Moss 1\n"
    articles = {
        "a": baseball_article("a", standings),
        "b": baseball_article("b", standings.replace("75 59", "76 59")),
        "c": baseball_article("c", results),
    }
    assert {m.shared for m in articles["a"] if m.name == "KELSBY"} == {True}
    table = resolve_entities(articles)
    kelsby = [e for e in table.entities if e.name.lower() == "kelsby"]
    assert sorted(e.article_ids for e in kelsby) == [("a",), ("b",), ("c",)]
    assert any("two entities" in line for e in kelsby for line in table.refusals(e.id))
    derwent = [e for e in table.entities if e.name.lower() == "derwent"]
    assert [e.article_ids for e in derwent] == [("a", "b", "c")]  # one club: joined


def test_a_name_typed_two_ways_without_decisive_evidence_joins_no_other_article() -> None:
    """Read once as a place and once as an organisation, nothing around it deciding: the
    name is typed by its first use but joined in no other article."""
    first = Article("a", "a.txt", 0, "a", "Tolham came first. Then Tolham rested.", ())
    second = Article("b", "b.txt", 0, "b", "Tolham is near the coast.", ())
    at = [m.start() for m in re.finditer("Tolham", first.text)]
    raw_first = [RawSpan(at[0], at[0] + 6, "PLACE"), RawSpan(at[1], at[1] + 6, "ORG")]
    mentions = {
        "a": postprocess(first, raw_first),
        "b": postprocess(second, [RawSpan(0, 6, "PLACE")]),
    }
    assert {(m.type, m.shared) for m in mentions["a"]} == {("PLACE", True)}
    table = resolve_entities(mentions)
    assert sorted(e.article_ids for e in table.entities if e.name == "Tolham") == [("a",), ("b",)]
    tolham = table.find("Tolham")
    assert tolham is not None
    (why,) = table.explain(tolham.id)
    assert "kept apart from" in why and "two entities" in why
