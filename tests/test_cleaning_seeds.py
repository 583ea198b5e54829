"""Cleaning verified on the seed articles: chrome gone, every body word kept, structure found."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from briefreader.models import Article
from briefreader.text.load import default_options, load_file

ARTICLES = Path(__file__).resolve().parent.parent / "articles"

# Lines of each seed that are not body text (site chrome, credits, captions, promos).
CHROME = {
    "000_4b7c8a7470fbc100.txt": [
        "In an interview with The Associated Press, Al-Sudani explained why he wants to get "
        "closer to the Trump administration. (FILE/AFP)",
        "Short Url",
        "Updated 29 July 2025",
        "Follow",
        "Updated 26 February 2026",
    ],
    "001_d3326cb8ef4ea649.txt": [
        "Popular",
        "Spotlight",
        "More from World",
        "Trump security adviser doesn't rule out continued Chinese ownership of TikTok",
        "TikTok ceased operation for 170M US users Sunday as a ban took effect over fears of "
        "data misuse by Chinese officials",
        "Comments",
        "See what people are discussing",
    ],
    "002_ea0493244cfba2d5.txt": [
        "My Blog",
        "World News",
        "Related posts",
        "Miscalculation Led to Escalation in Clash Between Israel and Iran",
        "newsconquest",
        "Best possible United bank cards | CNN Underscored",
        "Syria: Israeli strikes hit province of Homs, causing fires",
        "Leave a Comment",
    ],
    "003_d982830aa2fa4bf9.txt": [],
    "004_6c8c47967f33c65d.txt": [
        "JONATHAN ERNST/POOL VIA ASSOCIATED PRESS",
        "U. S. Secretary of State Antony Blinken returns to Baghdad International Airport from "
        "the foreign zone by helicopter after meeting with Iraqi Prime Minister Mohammed Shia "
        "al-Sudani at Baghdad International Airport, Iraq, on Nov. 5. Over the past two months, "
        "Iranian-backed factions in Iraq have forced the Baghdad government into a balancing act "
        "that is becoming more complicated by the day.",
        "ASSOCIATED PRESS",
        "Iraqis attend the funeral of members of Kataib Hezbollah in Najaf, Iraq, on Nov. 22. "
        "Kataib Hezbollah fighters were killed in U. S. airstrikes in reaction to attacks on "
        "U. S. forces at Al-Asad airbase this week.",
        "Have comments? Learn more here.",
        "Click here for our full information on the coronavirus outbreak. Submit your "
        "coronavirus news.",
        "Back to top",
        "Leave a Comment",
        "Your email address will not be published. Required fields are marked *",
    ],
}


def _load(name: str) -> list[Article]:
    result = load_file(ARTICLES / name, ARTICLES, default_options())
    assert result.skipped is None
    return list(result.articles)


def _words(text: str) -> set[str]:
    return set(re.findall(r"\w+", text.lower()))


def _output_text(articles: list[Article]) -> str:
    parts = []
    for article in articles:
        parts += [article.title, *article.deck, article.text]
        parts += [f"[{r.label}] {r.text}" for r in article.references]
    return "\n".join(parts)


@pytest.mark.parametrize("name", sorted(CHROME))
def test_chrome_lines_are_dropped(name: str) -> None:
    articles = _load(name)
    lines = {line.strip() for a in articles for line in a.text.split("\n")}
    lines |= {a.title for a in articles} | {d for a in articles for d in a.deck}
    for chrome in CHROME[name]:
        assert chrome not in lines, chrome
        if len(chrome) > 30:
            assert chrome not in _output_text(articles)


@pytest.mark.parametrize("name", sorted(CHROME))
def test_every_body_word_is_kept(name: str) -> None:
    raw = (ARTICLES / name).read_text(encoding="utf-8")
    chrome = set(CHROME[name])
    body_words: set[str] = set()
    for line in raw.splitlines():
        if line.strip() and line.strip() not in chrome:
            body_words |= _words(line)
    kept = _words(_output_text(_load(name)))
    assert body_words - kept == set()


def test_one_file_two_articles_each_with_title_and_date() -> None:
    first, second = _load("000_4b7c8a7470fbc100.txt")
    assert first.title.startswith("Iraq’s prime minister seeks closer US ties")
    assert first.date == "2025-07-29"
    assert second.title == "Washington presses Syria to shift from Chinese telecom systems"
    assert second.date == "2026-02-26"
    assert "Chinese telecom" not in first.text and "Al-Sudani" not in second.text
    assert second.id == first.id + "-2"
    assert len(second.deck) == 2 and second.deck[0].startswith("Syria is exploring")


def test_headings_are_headings_not_paragraphs() -> None:
    first, second = _load("000_4b7c8a7470fbc100.txt")
    headings = [h.text for h in first.headings]
    assert "Staying on the sidelines as Israel and Iran traded blows" in headings
    assert all(p.text not in headings for p in first.passages)
    assert first.passages[3].heading == "Staying on the sidelines as Israel and Iran traded blows"
    assert [h.text for h in second.headings] == [
        "SYRIAN OFFICIALS CITE US EXPORT CONTROLS AS TELECOMS BARRIER"
    ]


def test_deck_bullets_and_subtitle() -> None:
    (article,) = _load("001_d3326cb8ef4ea649.txt")
    assert article.title == "Blinken presses Iraq on Iran-backed groups, seeing Syria window"
    assert article.deck == (
        "US calls on Iraq to limit Iranian arms transfers to Syria and clamp down on extremists",
    )
    assert article.passages[0].text.startswith("U.S. Secretary of State Antony Blinken")


def test_title_after_site_navigation_and_source_from_dateline() -> None:
    (blog,) = _load("002_ea0493244cfba2d5.txt")
    assert blog.title == "Iraq Hosts Both U.S. and Iranian-Backed Forces. It’s Getting Tense."
    (ap,) = _load("004_6c8c47967f33c65d.txt")
    assert ap.source == "AP"
    assert (
        ap.title
        == "Iraq struggles to contain fighting between U.S. troops and Iranian-backed groups"
    )


def test_photo_captions_are_not_passages_and_the_story_opens_with_its_dateline() -> None:
    (article,) = _load("004_6c8c47967f33c65d.txt")
    assert article.passages[0].text.startswith("BAGHDAD (AP) — Dozens of attacks")
    assert not any("funeral" in p.text or "helicopter" in p.text for p in article.passages)


def test_title_without_a_title_line_is_a_whole_clause_of_the_lead() -> None:
    (article,) = _load("003_d982830aa2fa4bf9.txt")
    assert article.title == (
        "Iraq’s struggle to assert its sovereignty is increasingly complicated by its "
        "entanglements with Iran and Turkey"
    )


def test_pull_quotes_shown_once() -> None:
    (article,) = _load("003_d982830aa2fa4bf9.txt")
    for quote in (
        "Iran has sought to consolidate its political and military dominance",
        "Militia groups have received substantial support from Iran",
        "ISIS is set to more than double its attacks from 2023",
    ):
        assert sum(p.text.count(quote) for p in article.passages) == 1, quote


def test_footnotes_linked_to_references_not_body() -> None:
    (article,) = _load("003_d982830aa2fa4bf9.txt")
    assert len(article.references) == 40
    assert article.reference("xiv").text.startswith("Al-Rahim, R. (2024)")
    assert "retrieved from" not in article.text
    cited = {label for p in article.passages for label in p.footnotes}
    assert {"i", "viii", "ix", "xiv", "xl"} <= cited
    assert all(article.reference(label) for label in cited)
    troops = next(p for p in article.passages if "2,500 American" in p.text)
    assert "viii" in troops.footnotes and "[viii]" in troops.text


def test_passage_offsets_slice_back_and_ids_are_stable() -> None:
    for name in CHROME:
        for article in _load(name):
            for number, passage in enumerate(article.passages, start=1):
                assert article.text[passage.start : passage.end] == passage.text
                assert passage.id == f"{article.id}:p{number}"
            for heading in article.headings:
                assert article.text[heading.start : heading.end] == heading.text
    assert [a.id for a in _load("000_4b7c8a7470fbc100.txt")] == [
        a.id for a in _load("000_4b7c8a7470fbc100.txt")
    ]
