"""Entities: recognition on cleaned text, exact offsets, consistency, acronyms, identity."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from briefreader.models import Article, Heading
from briefreader.text.entities import (
    Choice,
    Corrections,
    EntityMention,
    choose_recogniser,
    ensure_loaded,
    extract_entities,
    index_fields,
    resolve_entities,
)
from briefreader.text.entities.cleanup import mask_text
from briefreader.text.entities.recogniser import SpacyRecogniser
from briefreader.text.entities.rules import RuleRecogniser


def make_article(text: str, article_id: str = "a", headings: tuple[str, ...] = ()) -> Article:
    """An article straight from clean text (headings are located in it)."""
    found = tuple(Heading(h, text.index(h), text.index(h) + len(h)) for h in headings if h in text)
    return Article(article_id, f"{article_id}.txt", 0, article_id, text, (), found)


@pytest.fixture(scope="session")
def spacy_choice() -> Choice:
    """The default recogniser, loaded once per session."""
    choice = ensure_loaded(choose_recogniser())
    if not isinstance(choice.recogniser, SpacyRecogniser):
        pytest.skip(f"spaCy model not installed: {choice.notice}")
    return choice


def mentions_of(article: Article, choice: Choice) -> list[EntityMention]:
    return extract_entities([article], None, choice=choice).mentions[article.id]


def by_text(mentions: list[EntityMention]) -> dict[str, set[str]]:
    result: dict[str, set[str]] = {}
    for mention in mentions:
        result.setdefault(mention.text, set()).add(mention.type)
    return result


SUDANI = (
    "Iraqi Prime Minister Mohammed Shia al-Sudani met Antony Blinken in Baghdad on Friday.\n\n"
    "Sudani’s government said the talks went well[xiv]. Later, Al-Sudani said the U.S. and "
    "Iraq had agreed. See https://example.com/story for details.\n\n"
    "Mr. Sudani added that the Popular Mobilization Forces (PMF) would stay. The PMF is "
    "large, and the Islamic State remains a threat, in March 2024."
)


def test_offsets_map_back_exactly(spacy_choice: Choice) -> None:
    article = make_article(SUDANI)
    mentions = mentions_of(article, spacy_choice)
    assert mentions
    for mention in mentions:
        assert article.text[mention.start : mention.end] == mention.text


def test_no_markers_urls_or_possessives_inside_entities(spacy_choice: Choice) -> None:
    mentions = mentions_of(make_article(SUDANI), spacy_choice)
    for mention in mentions:
        assert "[" not in mention.text and "]" not in mention.text
        assert "http" not in mention.text and "example.com" not in mention.text
        assert not mention.text.endswith(("’s", "'s"))
        assert not mention.text.startswith(("the ", "The ", "Mr"))


def test_short_forms_of_a_person_are_one_person(spacy_choice: Choice) -> None:
    mentions = mentions_of(make_article(SUDANI), spacy_choice)
    sudani = [m for m in mentions if "Sudani" in m.text]
    assert {m.text for m in sudani} == {"Mohammed Shia al-Sudani", "Sudani", "Al-Sudani"}
    assert len(sudani) == 4
    assert {m.type for m in sudani} == {"PERSON"}
    assert {m.name for m in sudani} == {"Mohammed Shia al-Sudani"}


def test_acronym_definition_merges(spacy_choice: Choice) -> None:
    mentions = mentions_of(make_article(SUDANI), spacy_choice)
    pmf = [m for m in mentions if m.name == "Popular Mobilization Forces"]
    assert [m.text for m in pmf] == ["Popular Mobilization Forces", "PMF", "PMF"]
    assert {m.type for m in pmf} == {"ORG"}


def test_types_and_dates(spacy_choice: Choice) -> None:
    found = by_text(mentions_of(make_article(SUDANI), spacy_choice))
    assert found["Baghdad"] == {"PLACE"}
    assert found["Iraqi"] == {"GROUP"}
    assert found["Antony Blinken"] == {"PERSON"}
    assert found["March 2024"] == {"DATE"}
    assert "Friday" not in found  # a weekday alone is not a calendar date


def test_one_type_per_name_within_an_article() -> None:
    from briefreader.text.entities.consistency import make_consistent
    from briefreader.text.entities.model import RawSpan

    text = "Kataib Hezbollah struck. Kataib Hezbollah denied it. Kataib Hezbollah again."
    starts = [i for i in range(len(text)) if text.startswith("Kataib Hezbollah", i)]
    spans = [RawSpan(starts[0], starts[0] + 16, "ORG"), RawSpan(starts[1], starts[1] + 16, "ORG")]
    spans.append(RawSpan(starts[2], starts[2] + 16, "PERSON"))
    found = make_consistent(text, spans)
    assert [(f.start, f.type) for f in found] == [(s, "ORG") for s in starts]


def test_missed_occurrences_are_added() -> None:
    from briefreader.text.entities.consistency import make_consistent
    from briefreader.text.entities.model import RawSpan

    text = "Renad Mansour spoke. Najaf was calm. Later Mansour went to Najaf."
    spans = [RawSpan(0, 13, "PERSON"), RawSpan(21, 26, "PLACE")]
    found = make_consistent(text, spans)
    assert [text[f.start : f.end] for f in found] == [
        "Renad Mansour",
        "Najaf",
        "Mansour",
        "Najaf",
    ]
    assert found[2].name == "Renad Mansour"


def test_mask_keeps_length_and_blanks_markers() -> None:
    text = "Iraq[xiv] and Iran’s view, see https://x.com/a/b and [3]."
    masked = mask_text(text)
    assert len(masked) == len(text)
    assert "[" not in masked and "http" not in masked and "Iran's" in masked


def test_heading_is_not_an_entity(spacy_choice: Choice) -> None:
    text = "Regional Dynamics: Complicated Influence\n\nIran and Turkey disagree about Iraq."
    article = make_article(text, headings=("Regional Dynamics: Complicated Influence",))
    texts = {m.text for m in mentions_of(article, spacy_choice)}
    assert "Complicated Influence" not in texts and "Regional Dynamics" not in texts
    assert {"Iran", "Turkey", "Iraq"} <= texts


def test_fallback_rules_recogniser() -> None:
    article = make_article(SUDANI)
    choice = choose_recogniser({"recogniser": "rules"})
    assert isinstance(choice.recogniser, RuleRecogniser)
    mentions = mentions_of(article, choice)
    found = by_text(mentions)
    assert found["Mohammed Shia al-Sudani"] == {"PERSON"}
    assert found["Sudani"] == {"PERSON"}
    assert found["Baghdad"] == {"PLACE"}
    assert found["Iraqi"] == {"GROUP"}
    assert found["PMF"] == {"ORG"}
    assert found["March 2024"] == {"DATE"}
    assert all(article.text[m.start : m.end] == m.text for m in mentions)


def test_missing_model_falls_back_with_a_clear_message() -> None:
    choice = choose_recogniser({"model": "en_core_web_nonexistent"})
    assert isinstance(choice.recogniser, RuleRecogniser)
    assert "en_core_web_nonexistent" in choice.notice
    assert "rules recogniser" in choice.notice
    extraction = extract_entities([make_article(SUDANI)], None, choice=choice)
    assert extraction.notice == choice.notice
    assert extraction.recogniser.startswith("rules")
    assert extraction.mentions["a"]


def test_unloadable_model_falls_back(tmp_path: Path) -> None:
    (tmp_path / "config.cfg").write_text("not a config", encoding="utf-8")
    choice = choose_recogniser({"model": str(tmp_path)})
    extraction = extract_entities([make_article(SUDANI)], None, choice=choice)
    assert extraction.recogniser.startswith("rules")
    assert "could not be loaded" in extraction.notice


def test_cache_skips_the_recogniser(tmp_path: Path, spacy_choice: Choice) -> None:
    cache = tmp_path / "entities-cache.db"
    article = make_article(SUDANI)
    first = extract_entities([article], cache, choice=spacy_choice)
    assert first.computed == 1 and cache.is_file()

    class Exploding(SpacyRecogniser):
        def load(self) -> None:
            raise AssertionError("the model must not load for cached articles")

    model = spacy_choice.recogniser
    assert isinstance(model, SpacyRecogniser)
    exploding = Exploding(model.model, model.id.rsplit("/", 1)[-1])
    second = extract_entities([article], cache, choice=Choice(exploding))
    assert second.cached == 1 and second.computed == 0
    assert second.mentions == first.mentions


def test_progress_is_reported() -> None:
    calls: list[tuple[int, int]] = []
    articles = [make_article(SUDANI, "a"), make_article("Tehran and Baghdad.", "b")]
    choice = choose_recogniser({"recogniser": "rules"})
    extract_entities(articles, None, progress=lambda d, t: calls.append((d, t)), choice=choice)
    assert calls == [(1, 2), (2, 2)]


# ---------------------------------------------------------------------- across articles


def mention(
    article: str, text: str, kind: str, name: str | None = None, at: int = 0
) -> EntityMention:
    return EntityMention(article, at, at + len(text), text, kind, name or text)


CORPUS = {
    "a": [
        mention("a", "Mohammed Shia al-Sudani", "PERSON"),
        mention("a", "Sudani", "PERSON", "Mohammed Shia al-Sudani", 40),
        mention("a", "Popular Mobilization Forces", "ORG", at=60),
        mention("a", "PMF", "ORG", "Popular Mobilization Forces", 90),
        mention("a", "U.S.", "PLACE", at=100),
    ],
    "b": [
        mention("b", "Mohammed Shia Al-Sudani", "PERSON"),
        mention("b", "PMF", "ORG", at=30),
        mention("b", "United States", "PLACE", at=40),
        mention("b", "Daesh", "ORG", at=60),
        mention("b", "Hashd", "ORG", at=70),
    ],
    "c": [
        mention("c", "Al-Sudani", "PERSON"),
        mention("c", "US", "PLACE", at=20),
        mention("c", "ISIS", "ORG", at=30),
        mention("c", "Islamic State", "ORG", at=40),
    ],
}


def test_cross_article_identity() -> None:
    table = resolve_entities(CORPUS)
    sudani = table.find("Sudani")
    assert sudani is not None and sudani.type == "PERSON"
    assert sudani.article_ids == ("a", "b", "c") and sudani.mention_count == 4
    pmf = table.find("PMF")
    assert pmf is not None and pmf.name == "Popular Mobilization Forces"
    assert pmf.mention_count == 3
    us = table.find("U.S.")
    assert us is not None and us.name == "United States" and us.mention_count == 3
    islamic_state = table.find("Daesh")
    assert islamic_state is not None and islamic_state is table.find("ISIS")
    assert islamic_state.mention_count == 3
    assert set(table.query_terms("PMF")) >= {"pmf", "popular mobilization forces"}


def test_merge_then_unmerge_restores() -> None:
    before = resolve_entities(CORPUS)
    assert before.find("Hashd") != before.find("PMF")
    merged = Corrections().merge(["PMF", "Hashd"])
    after = resolve_entities(CORPUS, merged)
    pmf = after.find("Hashd")
    assert pmf is not None and pmf is after.find("PMF") and pmf.mention_count == 4
    assert "hashd" in after.query_terms("Popular Mobilization Forces")
    restored = resolve_entities(CORPUS, merged.unmerge("Hashd"))
    assert restored.entities == before.entities


def test_split_rename_retype_suppress() -> None:
    corrections = Corrections().unmerge("Daesh")
    table = resolve_entities(CORPUS, corrections)
    daesh, isis = table.find("Daesh"), table.find("ISIS")
    assert daesh is not None and isis is not None and daesh.id != isis.id
    table = resolve_entities(CORPUS, Corrections().rename("PMF", "Hashd al-Shaabi"))
    renamed = table.find("PMF")
    assert renamed is not None and renamed.name == "Hashd al-Shaabi"
    assert table.find("Hashd al-Shaabi") is renamed
    table = resolve_entities(CORPUS, Corrections().retype("Hashd", "group"))
    hashd = table.find("Hashd")
    assert hashd is not None and hashd.type == "GROUP"
    table = resolve_entities(CORPUS, Corrections().suppress("Hashd"))
    assert table.find("Hashd") is None
    table = resolve_entities(CORPUS, Corrections().suppress("Hashd").suppress("Hashd", undo=True))
    assert table.find("Hashd") is not None


def test_corrections_file_round_trip(tmp_path: Path) -> None:
    from briefreader.text.entities import load_corrections, save_corrections

    corrections = (
        Corrections()
        .merge(["PMF", 'Hashd "al-Shaabi"'])
        .unmerge("Daesh")
        .rename("Sudani", "Mohammed Shia al-Sudani")
        .retype("Kataib Hezbollah", "ORG")
        .suppress("Short Url")
    )
    path = tmp_path / "entities.toml"
    save_corrections(path, corrections)
    assert load_corrections(path) == corrections


def test_index_fields_hold_name_and_surface_keys() -> None:
    fields = index_fields(CORPUS["a"])
    assert "pmf" in fields["org"] and "popular mobilization forces" in fields["org"]
    assert "mohammed shia sudani" in fields["person"] and "sudani" in fields["person"]
    assert set(fields["entity"]) >= set(fields["place"])


def test_forms_resolve_like_mentions() -> None:
    """The catalog's name forms give the same entities as every mention does."""
    from briefreader.text.entities import mention_forms, resolve_forms

    everything = [m for rows in CORPUS.values() for m in rows]
    by_mentions = resolve_entities(CORPUS)
    by_forms = resolve_forms(mention_forms(everything))
    assert by_forms.entities == by_mentions.entities
    assert by_forms.keys == by_mentions.keys
    assert by_forms.query_terms("PMF") == by_mentions.query_terms("PMF")
    assert by_forms.mentions == {} and by_mentions.mentions


def test_damaged_cache_is_ignored_and_replaced(tmp_path: Path) -> None:
    cache = tmp_path / "entities-cache.db"
    cache.write_bytes(b"this is not a database" * 100)
    choice = choose_recogniser({"recogniser": "rules"})
    first = extract_entities([make_article(SUDANI)], cache, choice=choice)
    assert first.computed == 1
    second = extract_entities([make_article(SUDANI)], cache, choice=choice)
    assert second.cached == 1 and second.mentions == first.mentions


def test_the_cache_says_which_articles_it_holds_without_reading_them(tmp_path: Path) -> None:
    from briefreader.text.entities.extract import EntityCache, cache_key, cached_ids

    cache_path = tmp_path / "entities-cache.db"
    choice = choose_recogniser({"recogniser": "rules"})
    many = [make_article(f"Story {n}. {SUDANI}", article_id=f"s{n}") for n in range(1200)]
    extract_entities(many[::2], cache_path, choice=choice)  # more keys than one query takes
    cache = EntityCache.open(cache_path)
    cache.put(cache_key(many[1], choice.recogniser.id), [])  # not saved yet: held, and counted
    try:
        found = cached_ids(many, cache, choice.recogniser.id)
    finally:
        cache.close()
    assert found == {a.id for a in many[::2]} | {"s1"}
    assert cached_ids(many, EntityCache.open(None), choice.recogniser.id) == set()


def test_payload_round_trip() -> None:
    from briefreader.text.entities import from_payload, payload_recogniser, to_payload

    article = make_article(SUDANI)
    mentions = extract_entities([article], None, choice=choose_recogniser({"recogniser": "rules"}))
    rows = mentions.mentions["a"]
    payload = to_payload(rows, "rules")
    assert from_payload(article, payload) == rows and payload_recogniser(payload) == "rules"
    assert from_payload(article, {}) is None


def test_entity_of_a_mention() -> None:
    table = resolve_entities(CORPUS)
    entity = table.entity_of(CORPUS["c"][0])
    assert entity is not None and entity is table.find("Mohammed Shia al-Sudani")


def test_plural_groups_and_first_names_join() -> None:
    corpus = {
        "a": [mention("a", "Iraqi", "GROUP"), mention("a", "Saddam Hussein", "PERSON", at=10)],
        "b": [mention("b", "Iraqis", "GROUP"), mention("b", "Saddam", "PERSON", at=10)],
    }
    table = resolve_entities(corpus)
    assert table.find("Iraqis") is table.find("Iraqi")
    assert table.find("Saddam") is table.find("Saddam Hussein")


def test_enrichment_for_the_indexer(tmp_path: Path) -> None:
    from briefreader.models import Passage
    from briefreader.text.entities import enrichment_for

    text = "Gen. Qassim Suleimani visited Baghdad.\n\nThe PMF met in Najaf in March 2024."
    passages = (
        Passage("a:p1", "a", 1, 0, 38, text[:38]),
        Passage("a:p2", "a", 2, 40, len(text), text[40:]),
    )
    article = Article("a", "a.txt", 0, "a", text, passages)
    calls: list[tuple[int, int]] = []
    data, extraction = enrichment_for(
        [article], tmp_path / "c.json", {"recogniser": "rules"}, lambda d, t: calls.append((d, t))
    )
    assert calls == [(1, 1)] and extraction.recogniser.startswith("rules")
    fields = data["a"]["fields"]
    assert "qassim suleimani" in fields["person"] and "baghdad" in fields["place"]
    assert "pmf" in fields["org"] and "march 2024" in fields["when"]
    assert set(data["a"]["passage_fields"]) == {"a:p1", "a:p2"}
    assert "najaf" in data["a"]["passage_fields"]["a:p2"]["place"]
    assert data["a"]["payload"]["entities"]["mentions"]


def test_long_text_windows_keep_offsets() -> None:
    from briefreader.text.entities.recogniser import split_windows

    text = ("Paragraph about Baghdad. " * 300 + "\n\n") * 40
    windows = split_windows(text, size=10_000)
    assert all(len(window) <= 10_000 for _, window in windows)
    assert "".join(window for _, window in windows) == text
    assert all(text[offset : offset + len(window)] == window for offset, window in windows)


def test_article_longer_than_spacy_limit_is_recognised(tmp_path) -> None:
    from briefreader.text.entities import extract_entities
    from briefreader.text.load import default_options, load_bytes

    body = "Officials in Baghdad met Antony Blinken on Friday to discuss the talks. " * 20_000
    (article,) = load_bytes(
        ("Long report\n\n" + body).encode(), "long.txt", default_options()
    ).articles
    assert len(article.text) > 1_000_000
    extraction = extract_entities([article], options={"max_chars": 150_000})
    mentions = extraction.mentions[article.id]
    assert mentions and all(article.text[m.start : m.end] == m.text for m in mentions)
    assert min(m.start for m in mentions) < 150_000  # recognised in the first window, and
    assert max(m.end for m in mentions) > 1_000_000  # names found there are marked everywhere


def test_default_pipeline_loads_without_importing_torch(spacy_choice: Choice) -> None:
    """thinc would import torch when the semantic extra is installed: 1.5 s NER never uses."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from briefreader.text.entities.recogniser import choose_recogniser, ensure_loaded\n"
        "choice = ensure_loaded(choose_recogniser({}))\n"
        "assert choice.recogniser.id.startswith('spacy/'), choice.recogniser.id\n"
        "assert 'torch' not in sys.modules\n"
        "import importlib.util\n"
        "if importlib.util.find_spec('torch'):\n"
        "    import torch  # still importable afterwards, for the semantic extra\n"
        "print('ok')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.stdout.strip() == "ok", done.stderr


def test_cache_of_earlier_versions_is_carried_over(tmp_path: Path) -> None:
    import json

    from briefreader.text.entities.extract import cache_key

    choice = choose_recogniser({"recogniser": "rules"})
    article = make_article(SUDANI)
    rows = [[0, 7, "PERSON", "Mohammed Shia al-Sudani"]]
    legacy = {"format": 1, "entries": {cache_key(article, choice.recogniser.id): rows}}
    (tmp_path / "entities-cache.json").write_text(json.dumps(legacy), encoding="utf-8")
    first = extract_entities([article], tmp_path / "entities-cache.db", choice=choice)
    assert first.cached == 1 and first.mentions["a"][0].name == "Mohammed Shia al-Sudani"
    assert (tmp_path / "entities-cache.db").is_file()


def test_cache_rows_are_compressed_and_text_rows_of_earlier_versions_still_read(
    tmp_path: Path,
) -> None:
    """The cache keeps its rows zlib-compressed (the index folder is held to 2.5x the
    text); a cache an earlier version wrote, rows as JSON text, is still read."""
    import json
    import sqlite3

    from briefreader.text.entities.extract import cache_key

    choice = choose_recogniser({"recogniser": "rules"})
    article = make_article(SUDANI)
    cache = tmp_path / "entities-cache.db"
    first = extract_entities([article], cache, choice=choice)
    with sqlite3.connect(cache) as db:
        (kept,) = db.execute("SELECT rows FROM cache").fetchone()
    assert isinstance(kept, bytes) and not kept.startswith(b"[")

    older = tmp_path / "older" / "entities-cache.db"
    older.parent.mkdir()
    rows = [[0, 7, "PERSON", "Mohammed Shia al-Sudani"]]
    with sqlite3.connect(older) as db:
        db.execute("CREATE TABLE cache (key TEXT PRIMARY KEY, rows TEXT NOT NULL)")
        key = cache_key(article, choice.recogniser.id)
        db.execute("INSERT INTO cache VALUES (?, ?)", (key, json.dumps(rows)))
    db.close()
    second = extract_entities([article], older, choice=choice)
    assert second.cached == 1 and second.mentions["a"][0].name == "Mohammed Shia al-Sudani"
    assert first.computed == 1


@pytest.mark.parametrize(
    "damaged",
    [
        [["x", 7, "PERSON"]],
        [[0]],
        ["oops"],
        {"a": 1},
        [[0, 7, 5]],
        [[5, 2, "PERSON"]],
        [[0, 10**9, "PERSON"]],
        [[0, 7, "NOSUCH"]],
        [[0, 7, "PERSON", 3]],
    ],
)
def test_a_damaged_cache_entry_is_recognised_again(tmp_path: Path, damaged: Any) -> None:
    """A cache row of another shape (a damaged file, another version) is a miss: the
    article is recognised again and the entry rewritten, not a failed index run."""
    import sqlite3

    choice = choose_recogniser({"recogniser": "rules"})
    article = make_article(SUDANI)
    cache = tmp_path / "entities-cache.db"
    first = extract_entities([article], cache, choice=choice)
    with sqlite3.connect(cache) as db:
        db.execute("UPDATE cache SET rows = ?", (json.dumps(damaged),))
    db.close()
    second = extract_entities([article], cache, choice=choice)
    assert (second.cached, second.computed) == (0, 1)
    assert second.mentions == first.mentions
    third = extract_entities([article], cache, choice=choice)
    assert (third.cached, third.computed) == (1, 0)


def test_a_window_without_a_paragraph_break_ends_at_a_sentence() -> None:
    """With no blank line to cut at, a window ends after a sentence, not in a name."""
    from briefreader.text.entities.recogniser import split_windows

    sentence = "The minister spoke to Tony Blair in London on Monday about the budget. "
    text = sentence * 400  # 28,400 characters, one paragraph
    windows = split_windows(text, size=10_000)
    assert "".join(window for _, window in windows) == text
    assert all(len(window) <= 10_000 for _, window in windows)
    assert all(window.endswith(". ") or window == windows[-1][1] for _, window in windows)
