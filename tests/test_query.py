"""The query language over the sample corpus, and malformed queries."""

from __future__ import annotations

from pathlib import Path

import pytest

from briefreader.search.library import Library
from briefreader.search.query import QueryError
from briefreader.workspace import Workspace


@pytest.fixture(scope="module")
def library(sample_workspace: Path) -> Library:
    return Library.open(Workspace(sample_workspace))


def _articles(library: Library, text: str) -> list[str]:
    return sorted(hit.article_id[:3] for hit in library.search(text, limit=50).hits)


def test_words_are_all_required(library: Library) -> None:
    assert _articles(library, "Kataib Hezbollah") == ["000", "003", "004"]
    assert _articles(library, "waiver") == ["001", "004"]
    assert _articles(library, "waiver electricity") == ["001", "004"]
    assert _articles(library, "waiver Tsurkov") == []


def test_phrase_or_not_and_minus(library: Library) -> None:
    assert _articles(library, '"gangs and kidnappers"') == ["000"]
    assert _articles(library, "waiver OR Tsurkov") == ["000", "001", "004"]
    assert _articles(library, "waiver NOT Blinken") == []
    assert _articles(library, "Kataib -Tsurkov") == ["003", "004"]
    assert len(_articles(library, "Iran-backed")) >= 4


def test_fields_dates_prefix_and_fuzzy(library: Library) -> None:
    assert _articles(library, "source:AP") == ["004"]
    assert _articles(library, "title:Blinken") == ["001"]
    assert _articles(library, "date:2025") == ["000"]
    assert _articles(library, "date:2025..2026-12") == ["000", "000"]
    assert _articles(library, "date:..2025-12-31 Sudani") == ["000"]
    assert "003" in _articles(library, "references:Soufan")
    assert _articles(library, "kidnap*") == ["000"]
    assert _articles(library, "Tsurkow~") == ["000"]


def test_a_fuzzy_title_word_finds_titles(library: Library) -> None:
    """The title's vocabulary for ``~`` is its spelling words, stemmed into title terms (a
    word typed exactly, ``presses~1``, found no title before)."""
    assert _articles(library, "title:presses~1") == _articles(library, "title:presses")
    assert _articles(library, "title:presses~1") == ["000", "001"]
    assert _articles(library, "title:Blinkem~1") == ["001"]
    assert _articles(library, "title:Blinkem~1 -Syria") == []


def test_a_fuzzy_word_ranks_as_the_words_it_stands_for(library: Library) -> None:
    """``iran~1`` stands for "iran" and "iraq" (one letter changed) and ranks as they do, by
    their weights in each article: Whoosh's ``FuzzyTerm`` gave every hit of a segment of up
    to 5,000 documents the score 1.0 (weighing them only in bigger segments)."""

    def ranked(text: str) -> list[tuple[str, float]]:
        return [(hit.article_id, round(hit.score, 6)) for hit in library.search(text).hits]

    fuzzy = ranked("iran~1")
    assert fuzzy == ranked("iran OR iraq")
    assert len({score for _, score in fuzzy}) == len(fuzzy) >= 4
    spread = [score for _, score in ranked("body:state~2")]  # 11 words: 1.0 each before
    assert len(spread) >= 5 and len(set(spread)) == len(spread)
    assert ranked("militla~1") == ranked("militia")
    assert _articles(library, "title:militla~1") == []  # no title word is one edit away
    assert _articles(library, "militlaxx~1 waiver") == []  # nothing near: nothing found


def test_a_fuzzy_word_stands_for_the_words_near_it_only(library: Library) -> None:
    """Only the stems of words within its edits: not its own stem ("goverment" stems to
    "gover", which "governess" has; found by an independent audit); its length is the
    word's as typed (``taxes~2`` is not ``tax~2``); a misspelled fuzzy word gets a respelling."""
    from whoosh import query

    parsed = library.article_query("goverment~1")
    texts = {leaf.text for leaf in parsed.leaves() if isinstance(leaf, query.Term)}
    assert "govern" in texts and "gover" not in texts
    library.search("taxes~2")  # not refused
    with pytest.raises(QueryError, match="'ab~1' is too short"):
        library.search("ab~1")
    assert library.search("Blinkemm~1").suggestion == "Blinken~1"


def test_plain_text_just_works(library: Library) -> None:
    assert len(_articles(library, "U.S.")) == 6
    assert _articles(library, "U.S.") == _articles(library, "US")
    assert len(_articles(library, "al-Sudani's")) >= 5
    assert _articles(library, "[i]") == ["003"]
    assert _articles(library, "[xxxvi] Turkish") == ["003"]
    assert _articles(library, "Iraq: waiver") == ["001", "004"]


def test_hits_carry_best_passage_and_highlighted_snippet(library: Library) -> None:
    result = library.search("waiver")
    assert result.total == 2
    for hit in result.hits:
        _article, passage = library.passage(hit.passage_id)
        assert "waiver" in passage.text.lower()
        spans = hit.snippet.highlights
        assert spans and all(
            hit.snippet.text[s.start : s.end].lower().startswith("waiver") for s in spans
        )


def test_did_you_mean_from_the_index_vocabulary(library: Library) -> None:
    result = library.search("electricty waiver")
    assert not result.hits and result.suggestion == "electricity waiver"
    assert library.search("Tsurkvo").suggestion == "Tsurkov"  # the case typed
    assert library.search("waiver NOT electricity").suggestion is None


@pytest.mark.parametrize(
    "text, message",
    [
        ("title:(", "parenthesis"),
        ('"unbalanced', "quote"),
        ("AND", "AND"),
        ("iraq OR", "OR"),
        ("(iraq", "never closed"),
        ("iraq)", "without a matching"),
        ("date:soon", "bad date"),
        ("foo:bar", "unknown field 'foo:'; the fields are title, text, source"),
        ("waiver (foo:bar)", "unknown field 'foo:'"),
        ("titl:iraq", "unknown field 'titl:'; did you mean title:"),
        ("persn:Sudani", "did you mean person:"),
        ("date:2024-13", "bad date 2024-13: no such month"),
        ("date:2024-00", "no such month"),
        ("date:2023-02-29", "no such day"),
        ("date:2024-04-31..2024-06", "no such day"),
        ("date:0000", "no such year"),
        ("date:2025..2023", r"2025\.\.2023 is reversed.*date:2023\.\.2025"),
        ("date:2024-06..2024-05", r"reversed.*date:2024-05\.\.2024-06"),
        ("date:2024-05-10..2024-05-09", "reversed"),
        ("the of and", "no searchable words"),
        ("*", "lone"),
        ("a*", "'a\\*' is too broad"),
        ("*stan", "too broad"),
        ("NOT NOT iraq", "NOT"),
        ("   ", "empty"),
        ("title:", "needs a value"),
    ],
)
def test_malformed_queries_explained(library: Library, text: str, message: str) -> None:
    with pytest.raises(QueryError, match=message):
        library.search(text)


def test_colons_that_are_not_fields(library: Library) -> None:
    assert _articles(library, "Iraq: waiver") == ["001", "004"]  # a space after the colon
    assert _articles(library, "TEXT:waiver") == ["001", "004"]  # an alias, any case
    assert not library.search('"foo:bar"').hits  # in a phrase: text, no error
    assert not library.search("https://example.com/x").hits  # a web address: text


def test_date_ranges_that_are_valid(library: Library) -> None:
    assert _articles(library, "date:2024-02-29..2026") == ["000", "000"]  # a leap day
    assert _articles(library, "date:2026-02..2026") == ["000"]  # in that year, from February
    assert _articles(library, "date:2025-07-29..2025-07") == ["000"]  # that day to month's end


def test_prefix_matches_whole_words_not_only_stems(library: Library) -> None:
    # "negotiating" is indexed as "negoti"; "negotia*" must still find it.
    assert _articles(library, "negotia*") == _articles(
        library, "negotiate OR negotiations OR negotiating OR negotiates"
    )
    hit = library.search("kidnapp*").hits[0]
    assert any(
        hit.snippet.text[s.start : s.end].lower().startswith("kidnapp")
        for s in hit.snippet.highlights
    )


@pytest.mark.parametrize("text", ["re*", "co*", "pro* iraq", "de* OR in*", "con* -iran"])
def test_a_prefix_of_many_words_ranks_as_the_union_tree_did(
    library: Library, monkeypatch: pytest.MonkeyPatch, text: str
) -> None:
    """From ``ARRAY_FROM`` words on, a prefix's words are matched by Whoosh's array union:
    the same articles with the same scores as the binary tree of unions gave."""
    from whoosh import query

    from briefreader.search.query import ExpandedWords

    def ranked() -> list[tuple[str, float]]:
        result = library.search(text, limit=50)
        return [(hit.article_id, round(hit.score, 9)) for hit in result.hits]

    def nodes(node: query.Query) -> list[query.Query]:
        return [node, *(part for child in node.children() for part in nodes(child))]

    widest = max(
        len(n.subqueries) for n in nodes(library._parse(text)) if isinstance(n, ExpandedWords)
    )
    assert widest >= ExpandedWords.ARRAY_FROM
    array = ranked()
    monkeypatch.setattr(ExpandedWords, "TOO_MANY_CLAUSES", 10_000)  # the tree, as before
    assert ranked() == array and array


def test_offset_pages_through_the_same_ranking(library: Library) -> None:
    whole = library.search("Iraq", limit=6)
    first = library.search("Iraq", limit=3)
    second = library.search("Iraq", limit=3, offset=3)
    assert [h.article_id for h in first.hits + second.hits] == [h.article_id for h in whole.hits]
    # a page that reaches the end counts exactly; a full page may only estimate (Whoosh)
    assert second.total == whole.total == len(whole.hits) <= first.total
    assert second.hits[0].snippet.text and second.suggestion is None
    assert not library.search("Iraq", limit=3, offset=whole.total).hits


def test_count_is_exact_where_search_estimates(library: Library) -> None:
    # words, phrases, AND and OR are scored match by match (search/bulk.py): counted exactly
    page = library.search("Iraq", limit=3)
    whole = library.search("Iraq", limit=100)
    assert page.exact and whole.exact and page.total == whole.total == len(whole.hits) > 3
    # a negation goes through Whoosh's collector, which estimates past a full page
    negated = library.search("Iraq NOT zzzqqq", limit=3)
    assert not negated.exact
    assert library.count("Iraq NOT zzzqqq") == whole.total
    assert library.count("Iraq") == whole.total == len(whole.hits)
    assert library.count("Iraq", should_stop=lambda: True) in (None, whole.total)
    assert library.count("nonexistentwordzz") == 0
    with pytest.raises(QueryError):
        library.count('"unclosed')


def test_a_stale_search_gives_up_between_steps(library: Library) -> None:
    from briefreader.search.library import SearchCancelled

    with pytest.raises(SearchCancelled):
        library.search("Iraq", should_stop=lambda: True)
    asked: list[int] = []

    def after_first_check() -> bool:
        asked.append(1)
        return len(asked) > 1

    with pytest.raises(SearchCancelled):
        library.search("Iraq", should_stop=after_first_check)
    assert library.search("Iraq", should_stop=lambda: False).hits


def test_a_prefix_is_the_one_typed_not_its_stem(tmp_path: Path) -> None:
    """Whoosh's parser stems ``games*`` to ``game*``, which would also match "gamer"."""
    from briefreader.search.index.indexer import update_index
    from tests.conftest import make_workspace

    ws = Workspace(
        make_workspace(
            tmp_path,
            {
                "a.txt": "Console news\n\nThe games sold well this winter.",
                "b.txt": "Players\n\nA gamer bought a new console.",
                "c.txt": "Shows\n\nThe gameshows drew a large audience.",
            },
        )
    )
    update_index(ws, enricher=lambda articles, progress: {})
    library = Library.open(ws)
    try:
        assert sorted(h.article_id for h in library.search("games*").hits) == ["a", "c"]
        assert sorted(h.article_id for h in library.search("game*").hits) == ["a", "b", "c"]
    finally:
        library.close()


def test_every_query_finds_articles_and_only_plain_ones_skip_the_kind_filter(
    library: Library,
) -> None:
    """Article and passage documents have fields of their own: a query on the user's fields
    reaches article documents without ``kind:article``; one made of negations or of ``tag:``
    ids (fields both kinds share) keeps the filter and still finds articles only."""
    from whoosh import query

    def filtered(text: str) -> bool:
        parsed = library.article_query(text)
        return any(
            isinstance(leaf, query.Term) and leaf.fieldname == "kind" for leaf in parsed.leaves()
        )

    for text in ("waiver", '"gangs and kidnappers"', "source:AP", "waiver OR Tsurkov", "Kataib -x"):
        assert not filtered(text), text
    assert filtered("NOT waiver")
    everything = {summary.id for summary in library.articles()}
    negated = {hit.article_id for hit in library.search("NOT waiver", limit=50).hits}
    assert negated == everything - {h.article_id for h in library.search("waiver").hits}
    library.tag_articles = lambda tag: ["001_d3326cb8ef4ea649"]
    try:
        assert filtered("tag:x")
        assert [hit.article_id for hit in library.search("tag:x").hits] == ["001_d3326cb8ef4ea649"]
    finally:
        library.tag_articles = None


def test_a_tag_no_note_carries_matches_nothing_with_other_words(library: Library) -> None:
    """Whoosh's ``NullQuery`` means *no clause*, and an ``And`` drops it: ``tag:unused word``
    found every article with the word (found by an independent audit)."""
    library.tag_articles = lambda tag: []
    try:
        assert _articles(library, "tag:unused") == []
        assert _articles(library, "tag:unused waiver") == []
        assert _articles(library, "waiver") == ["001", "004"]
    finally:
        library.tag_articles = None


def _best_passage(library: Library, text: str) -> list[tuple[str, str]]:
    """(passage id, passage text) of each hit's best passage."""
    found = []
    for hit in library.search(text, limit=10).hits:
        article = library.article(hit.article_id)
        passage = next(p for p in article.passages if p.id == hit.passage_id)
        found.append((hit.passage_id, passage.text))
    return found


def test_a_phrase_opens_on_a_passage_holding_the_phrase(library: Library) -> None:
    """'"armed groups"' opened 000 on ¶10 ("groups to arm"): its words, not the phrase."""
    best = _best_passage(library, '"armed groups"')
    assert best and all("armed groups" in text.lower() for _, text in best[:2])


def test_a_title_word_opens_the_article_at_its_top(library: Library) -> None:
    """'title:syria' opened on a body paragraph with nothing marked; the title matched."""
    for hit in library.search("title:syria", limit=10).hits:
        article = library.article(hit.article_id)
        assert hit.passage_id == article.passages[0].id


def test_a_heading_word_opens_under_that_heading(library: Library) -> None:
    best = library.search("heading:militias", limit=10).hits
    assert best
    for hit in best:
        article = library.article(hit.article_id)
        passage = next(p for p in article.passages if p.id == hit.passage_id)
        assert "militia" in passage.heading.lower(), (hit.passage_id, passage.heading)


SNIPPET_QUERIES = (
    '"prime minister"',
    '"gangs and kidnappers"',
    "heading:militias",
    "title:Blinken iraq",
    "kataib -title:blinken",
    "[xiv]",
    "kidnapp*",
)


@pytest.mark.parametrize("text", SNIPPET_QUERIES)
def test_snippets_mark_what_the_article_pane_marks(library: Library, text: str) -> None:
    """A result's snippet is marked by the rules of the open article (``highlight``): a
    phrase as a phrase, a field clause only its field, a negated clause never."""
    hits = library.search(text).hits
    assert hits
    for hit in hits:
        marks = library.highlight(text, hit.article_id)
        assert hit.snippet.highlights == marks.spans("body", hit.snippet.text), hit.article_id


def test_a_phrase_is_marked_whole_in_snippets(library: Library) -> None:
    """``"prime minister"`` marked every "prime" and every "minister" one by one."""
    hits = library.search('"prime minister"').hits
    assert len(hits) >= 3
    for hit in hits:
        marked = [hit.snippet.text[s.start : s.end] for s in hit.snippet.highlights]
        assert marked and {" ".join(m.lower().split()) for m in marked} == {"prime minister"}
    assert not library.search("heading:militias").hits[0].snippet.highlights  # not in a heading
