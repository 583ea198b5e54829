"""Facets and the timeline: exact counts (equal to the filtered search), buckets, filters, CLI."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from briefreader.cli import main
from briefreader.cli.corpus import with_note_tags
from briefreader.notes import NoteStore, TextSelector
from briefreader.search.facets import (
    build_timeline,
    query_facets,
    sparkline,
)
from briefreader.search.filters import add_filter, filters_in, remove_filter
from briefreader.search.index.indexer import update_index
from briefreader.search.library import Library
from briefreader.workspace import Workspace
from tests.conftest import SAMPLE_DIR, make_workspace

SOURCES = ["BBC News", "BBC News Online", "Reuters", "The Guardian", "Guardian Weekly", ""]
DATES = ["2023-11-02", "2024-01-15", "2024-01-30", "2024-04-09", "2024-05-21", "2025-02-03"]
WORDS = ["militia", "iraq", "iran", "attacks", "troops", "minister", "baghdad", "sudani"]


def _paragraphs() -> list[str]:
    text = "\n\n".join(p.read_text(encoding="utf-8") for p in sorted(SAMPLE_DIR.iterdir()))
    return [p.strip() for p in text.split("\n\n") if len(p.strip()) > 200 and "http" not in p]


def _article(rng: random.Random, number: int, paragraphs: list[str]) -> str:
    source = rng.choice(SOURCES)
    date = rng.choice([*DATES, "", "2024"])
    front = [f"title: Generated article number {number}"]
    if source:
        front.append(f'source: "{source}"')
    if date:
        front.append(f'date: "{date}"')
    body = "\n\n".join(rng.sample(paragraphs, 3))
    return "---\n" + "\n".join(front) + "\n---\n\n" + body + "\n"


def corpus_files(rng: random.Random, count: int = 40) -> dict[str, str | bytes]:
    """Articles made of the sample's paragraphs, with mixed sources and dates."""
    paragraphs = _paragraphs()
    return {f"gen{n:02d}.md": _article(rng, n, paragraphs) for n in range(count)}


@pytest.fixture(scope="module")
def facet_workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Forty generated articles (entities by the rules recogniser), some noted."""
    files = corpus_files(random.Random(20261206))
    root = make_workspace(tmp_path_factory.mktemp("facets"), files)
    (root / "briefreader.toml").write_text('[entities]\nrecogniser = "rules"\n', encoding="utf-8")
    update_index(Workspace(root))
    with NoteStore(Workspace(root).notes_db) as store:
        for n, tag in [(1, "militias"), (2, "militias"), (5, "Oil"), (7, "oil"), (9, "follow-up")]:
            selector = TextSelector(exact="x", start=0, end=1)
            store.add(f"gen{n:02d}", f"gen{n:02d}:1", selector, body=f"check this #{tag}")
    return root


@pytest.fixture()
def library(facet_workspace: Path) -> Library:
    lib = with_note_tags(Library.open(Workspace(facet_workspace)))
    yield lib
    lib.close()


def _queries(rng: random.Random, count: int) -> list[str]:
    shapes = [
        lambda: rng.choice(WORDS),
        lambda: f"{rng.choice(WORDS)} {rng.choice(WORDS)}",
        lambda: f"{rng.choice(WORDS)} OR {rng.choice(WORDS)}",
        lambda: f'"{rng.choice(["prime minister", "armed groups", "united states"])}"',
        lambda: f"{rng.choice(WORDS)} -{rng.choice(WORDS)}",
    ]
    return [rng.choice(shapes)() for _ in range(count)]


def test_every_count_equals_the_filtered_search(library: Library, facet_workspace: Path) -> None:
    from briefreader.notes.store import read_tags_by_article

    tags = read_tags_by_article(Workspace(facet_workspace).notes_db)
    checked = 0
    for text in _queries(random.Random(7), 12):
        facets = query_facets(library, text, limit=6, tags_by_article=tags)
        assert facets.total == library.count(text)
        values = [*facets.sources, *facets.tags, *facets.timeline.buckets]
        values += [v for vs in facets.entities.values() for v in vs]
        for value in values:
            narrowed = add_filter(text, value.filter)
            assert library.count(narrowed) == value.count, (text, value)
            checked += 1
    assert checked > 100


def test_source_facet_counts_what_its_phrase_filter_matches(library: Library) -> None:
    facets = query_facets(library, "iraq OR iran OR militia", limit=20)
    by_label = {v.label: v.count for v in facets.sources}
    assert by_label["BBC News"] >= by_label["BBC News Online"] > 0
    assert by_label["BBC News"] == library.count(
        add_filter("iraq OR iran OR militia", 'source:"BBC News"')
    )


def test_entity_facet_counts_articles_and_merges_names(library: Library) -> None:
    facets = query_facets(library, "iraq OR iran OR militia OR attacks", limit=50)
    labels = [v.label for vs in facets.entities.values() for v in vs]
    assert len(labels) == len(set(labels))  # one entry per merged entity
    assert all(v.count <= facets.total for vs in facets.entities.values() for v in vs)
    assert facets.entities["place"], "the sample's places reach the facet"


def test_tag_facet_and_tag_filter(library: Library) -> None:
    from briefreader.notes.store import read_tags_by_article

    tags = read_tags_by_article(library.workspace.notes_db)
    text = "iraq OR iran OR militia OR attacks OR troops"
    facets = query_facets(library, text, tags_by_article=tags)
    by_label = {v.label: v for v in facets.tags}
    assert "#oil" in by_label and "#militias" in by_label  # one tag whatever its case
    assert library.count(add_filter(text, by_label["#oil"].filter)) == by_label["#oil"].count


def test_tag_filter_needs_notes_and_a_name(facet_workspace: Path) -> None:
    from briefreader.search.query import QueryError

    plain = Library.open(Workspace(facet_workspace))
    try:
        with pytest.raises(QueryError, match="notes"):
            plain.count("iraq tag:oil")
    finally:
        plain.close()


def test_no_match_gives_empty_facets(library: Library) -> None:
    facets = query_facets(library, "zzzzunknownword")
    assert facets.total == 0 and not facets.sources and not facets.timeline.buckets


def test_timeline_months_with_empty_months_and_undated() -> None:
    timeline = build_timeline(["2024-01-15", "2024-01-30", "2024-04-09", None, "2024"])
    assert timeline.unit == "month"
    assert [(b.label, b.count) for b in timeline.buckets] == [
        ("2024-01", 2),
        ("2024-02", 0),
        ("2024-03", 0),
        ("2024-04", 1),
    ]
    assert timeline.undated == 2
    assert timeline.span_filter(3, 0) == "date:2024-01..2024-04"
    assert timeline.span_filter(1, 1) == "date:2024-02"


def test_timeline_switches_to_years_for_long_spans() -> None:
    timeline = build_timeline(["2019-03-01", "2024-01-01", "2024-02-01", "2021"])
    assert timeline.unit == "year"
    assert [(b.label, b.count) for b in timeline.buckets] == [
        ("2019", 1),
        ("2020", 0),
        ("2021", 1),
        ("2022", 0),
        ("2023", 0),
        ("2024", 2),
    ]
    assert timeline.undated == 0


def test_timeline_of_nothing_dated() -> None:
    timeline = build_timeline([None, None])
    assert timeline.buckets == () and timeline.undated == 2


def test_sparkline_levels() -> None:
    assert sparkline([0, 1, 8, 4]) == " ▁█▄"
    assert sparkline([]) == ""
    assert sparkline([0, 0]) == "  "


_filters = st.sampled_from(
    ['source:"BBC News"', "date:2024-05", "date:2023..2024", 'entity:"Kataib Hezbollah"', "tag:oil"]
)
_queries_st = st.sampled_from(["iraq", "iraq OR iran", '"armed groups" militia', "(a OR b) c", ""])


@given(_queries_st, st.lists(_filters, min_size=1, max_size=3, unique=True))
def test_chips_round_trip(text: str, chosen: list[str]) -> None:
    narrowed = text
    for facet_filter in chosen:
        narrowed = add_filter(narrowed, facet_filter)
    assert filters_in(narrowed) == chosen
    assert add_filter(narrowed, chosen[0]) == narrowed  # a chip is added once
    for facet_filter in chosen:
        narrowed = remove_filter(narrowed, facet_filter)
    assert narrowed == " ".join(text.split())


def test_filters_inside_phrases_are_words() -> None:
    assert filters_in('"source:x date:2024" militia') == []


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_cli_facets_json(facet_workspace: Path, capsys) -> None:
    code, out, _ = _run(
        capsys, "-w", str(facet_workspace), "search", "militia", "--facets", "--json"
    )
    data = json.loads(out)
    assert code == 0 and data["schema"] == 1
    assert set(data) == {"schema", "query", "total", "sources", "entities", "tags", "timeline"}
    assert set(data["entities"]) == {"person", "org", "place", "group"}
    assert data["timeline"]["unit"] in {"month", "year"}
    bucket = data["timeline"]["buckets"][0]
    assert set(bucket) == {"label", "count", "filter"}


def test_cli_facets_text_and_timeline(facet_workspace: Path, capsys) -> None:
    code, out, _ = _run(capsys, "-w", str(facet_workspace), "search", "militia", "--facets")
    assert code == 0
    for heading in ("Sources", "People", "Organisations", "Places", "Note tags", "Timeline"):
        assert heading in out
    code, out, _ = _run(capsys, "-w", str(facet_workspace), "timeline", "iraq")
    assert code == 0 and "Timeline (per month)" in out and "2024-02" in out  # an empty month


def test_cli_facets_bad_query_and_nothing(facet_workspace: Path, capsys) -> None:
    code, _, err = _run(capsys, "-w", str(facet_workspace), "search", '"open', "--facets")
    assert code == 2 and "bad query" in err and "Traceback" not in err
    code, out, _ = _run(capsys, "-w", str(facet_workspace), "timeline", "zzzzunknownword")
    assert code == 1 and "no articles match" in out


def test_cli_search_tag_filter(facet_workspace: Path, capsys) -> None:
    code, out, _ = _run(capsys, "-w", str(facet_workspace), "search", "tag:militias", "--json")
    ids = {hit["article_id"] for hit in json.loads(out)["hits"]}
    assert code == 0 and ids == {"gen01", "gen02"}


def test_an_empty_query_gives_the_library_s_facets(library: Library) -> None:
    facets = query_facets(library, "  ")
    assert facets.total == len(library.articles())
    assert sum(b.count for b in facets.timeline.buckets) + facets.timeline.undated == facets.total


def test_large_counts_have_thousands_separators() -> None:
    """Timeline rows and the undated line group digits, as every other count does."""
    from briefreader.cli.facets import timeline_rows
    from briefreader.search.facets import FacetValue, Timeline

    timeline = Timeline(
        "month",
        (FacetValue("2005-01", 35600, "date:2005-01"), FacetValue("2005-02", 812, "d")),
        1234,
    )
    rows = timeline_rows(timeline)
    assert rows[0].endswith(" 35,600") and rows[1].endswith(" 812")
