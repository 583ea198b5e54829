"""The contract of ``search/backend.py``: what any engine behind briefreader must do.

Written against the ``SearchBackend`` and ``PassageStatistics`` protocols only, and
parametrised by an ``Engine`` (how to index a workspace, how to open it), so a second engine
(docs/scale.md) runs these tests unchanged by adding itself to ``ENGINES``. The expected
answers come from the corpus itself: the backend's own articles, analysed with
``text_analyzer``, are the truth its search must agree with.
"""

from __future__ import annotations

import itertools
import re
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from briefreader.search.backend import (
    AmbiguousArticleId,
    PassageStatistics,
    SearchBackend,
    open_backend,
)
from briefreader.search.index.indexer import update_index
from briefreader.search.index.schema import text_analyzer
from briefreader.search.query import QueryError
from briefreader.search.related import find_related
from briefreader.workspace import Workspace
from tests.conftest import make_workspace

WORD = re.compile(r"[a-z]{4,}")


@dataclass(frozen=True)
class Engine:
    """A backend under test: ``index`` brings a workspace's index up to date, ``open``
    opens it."""

    name: str
    index: Callable[[Workspace], object]
    open: Callable[[Workspace], SearchBackend]


ENGINES = [Engine("whoosh", update_index, open_backend)]

EXTRA_FILES = {
    "harbour.md": (
        "---\ntitle: Harbour dredging plan\nsource: Coast Times\ndate: 2023-04-02\n---\n\n"
        "The harbour authority approved a plan to dredge the channel before the summer.\n\n"
        "Fishermen said the dredging would close the port, and the council delayed a vote.\n"
    ),
    "ferry.md": (
        "---\ntitle: Ferry timetable changes\nsource: Coast Times\ndate: 2024-11-20\n---\n\n"
        "The ferry company cut winter crossings and blamed the channel works at the harbour.\n"
    ),
}


def _make(root: Path) -> Workspace:
    workspace = Workspace(make_workspace(root, EXTRA_FILES, sample=True))
    workspace.settings_path.write_text('[entities]\nrecogniser = "rules"\n', encoding="utf-8")
    return workspace


@pytest.fixture(scope="module", params=ENGINES, ids=lambda engine: engine.name)
def engine(request: pytest.FixtureRequest) -> Engine:
    return request.param  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def backend(engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SearchBackend]:
    workspace = _make(tmp_path_factory.mktemp(f"contract-{engine.name}"))
    engine.index(workspace)
    opened = engine.open(workspace)
    yield opened
    opened.close()


@dataclass
class Truth:
    """What the corpus says: each article's terms (all fields) and title terms, each
    passage's terms, and a surface word for each term."""

    article_terms: dict[str, set[str]]
    body_terms: dict[str, set[str]]
    title_terms: dict[str, set[str]]
    passage_terms: dict[str, set[str]]
    word_of: dict[str, str]


def _terms(text: str) -> list[str]:
    return [token.text for token in text_analyzer()(text)]


@pytest.fixture(scope="module")
def truth(backend: SearchBackend) -> Truth:
    found = Truth({}, {}, {}, {}, {})
    for summary in backend.articles():
        article = backend.article(summary.id)
        parts = [article.title, *article.deck, article.text]
        parts += [h.text for h in article.headings] + [r.text for r in article.references]
        found.article_terms[article.id] = set(_terms("\n".join(parts)))
        found.title_terms[article.id] = set(_terms(article.title))
        found.body_terms[article.id] = set(_terms("\n\n".join([*article.deck, article.text])))
        for passage in article.passages:
            found.passage_terms[passage.id] = set(_terms(passage.text))
        for word in WORD.findall(article.text.lower()):
            stems = _terms(word)
            if len(stems) == 1:
                found.word_of.setdefault(stems[0], word)
    return found


def _holding(terms_of: dict[str, set[str]], *terms: str) -> set[str]:
    return {key for key, held in terms_of.items() if all(t in held for t in terms)}


def _found(backend: SearchBackend, query: str) -> set[str]:
    return {hit.article_id for hit in backend.search(query, limit=1000).hits}


def _sample_terms(truth: Truth, count: int) -> list[str]:
    """Terms held by more than one article and not by all, spread over the vocabulary."""
    articles = len(truth.article_terms)
    usable = sorted(
        term
        for term, word in truth.word_of.items()
        if 1 < len(_holding(truth.article_terms, term)) < articles
    )
    step = max(len(usable) // count, 1)
    return usable[::step][:count]


def test_implements_the_protocols(backend: SearchBackend) -> None:
    assert isinstance(backend, SearchBackend)
    with backend.lock:
        assert isinstance(backend.passage_statistics(), PassageStatistics)


def test_a_word_finds_exactly_the_articles_holding_it(backend: SearchBackend, truth: Truth) -> None:
    for term in _sample_terms(truth, 15):
        word = truth.word_of[term]
        assert _found(backend, word) == _holding(truth.article_terms, term), word


def test_and_or_not_are_set_algebra(backend: SearchBackend, truth: Truth) -> None:
    terms = _sample_terms(truth, 8)
    for first, second in itertools.pairwise(terms):
        a, b = truth.word_of[first], truth.word_of[second]
        left, right = _holding(truth.article_terms, first), _holding(truth.article_terms, second)
        assert _found(backend, f"{a} {b}") == left & right
        assert _found(backend, f"{a} OR {b}") == left | right
        assert _found(backend, f"{a} NOT {b}") == left - right
        assert _found(backend, f"{a} -{b}") == left - right


def test_a_phrase_needs_its_words_in_order(backend: SearchBackend) -> None:
    article = backend.article("harbour")
    assert _found(backend, '"dredge the channel"') == {"harbour"} == {article.id}
    assert _found(backend, '"channel dredge"') == set()
    assert _found(backend, "channel dredge") >= {"harbour"}


def test_fields_title_and_source(backend: SearchBackend, truth: Truth) -> None:
    for term in sorted({t for terms in truth.title_terms.values() for t in terms})[:12]:
        word = truth.word_of.get(term)
        if word:
            assert _found(backend, f"title:{word}") == _holding(truth.title_terms, term), word
    coast = {s.id for s in backend.articles() if s.source == "Coast Times"}
    assert coast == {"harbour", "ferry"}
    assert _found(backend, 'source:"Coast Times"') == coast


def test_dates_and_ranges(backend: SearchBackend) -> None:
    dates = {s.id: s.date or "" for s in backend.articles()}
    for year in sorted({d[:4] for d in dates.values() if d}):
        assert _found(backend, f"date:{year}") == {i for i, d in dates.items() if d[:4] == year}
    assert _found(backend, "date:2023-04..2024-11") >= {"harbour", "ferry"}
    in_range = {i for i, d in dates.items() if d and "2023-04" <= d[:7] <= "2024-11"}
    assert _found(backend, "date:2023-04..2024-11") == in_range
    assert _found(backend, "date:..2023-12 harbour") == {"harbour"}


def test_prefix_and_fuzzy(backend: SearchBackend, truth: Truth) -> None:
    holders = _holding(truth.article_terms, "dredg")
    assert _found(backend, "dredg*") >= holders
    assert all(term.startswith("dredg") for term in backend.highlight_terms("dredg*"))
    assert _found(backend, "ferri~") >= _holding(truth.article_terms, "ferri")
    assert "ferry" in _found(backend, "ferrx~")  # one edit away from the stem
    assert "ferry" not in _found(backend, "ferrx")


def test_footnotes(backend: SearchBackend) -> None:
    citing: dict[str, set[str]] = {}
    for summary in backend.articles():
        for passage in backend.article(summary.id).passages:
            for label in passage.footnotes:
                citing.setdefault(label, set()).add(summary.id)
    assert citing, "the sample corpus has footnotes"
    for label, articles in sorted(citing.items())[:5]:
        assert _found(backend, f"[{label}]") == articles, label


def test_entity_names_expand_to_their_aliases(backend: SearchBackend) -> None:
    table = backend.entity_table()
    with_aliases = [e for e in table.entities if e.aliases and '"' not in e.name][:5]
    assert with_aliases, "the sample corpus has entities with aliases"
    for entity in with_aliases:
        expected = _found(backend, f'entity:"{entity.name}"')
        assert expected >= set(entity.article_ids)
        for alias in entity.aliases:
            assert _found(backend, f'entity:"{alias}"') == expected, (entity.name, alias)


def test_paging_totals_and_counts(backend: SearchBackend, truth: Truth) -> None:
    word = truth.word_of["iraq"]
    whole = backend.search(word, limit=100)
    pages = [backend.search(word, limit=2, offset=o).hits for o in range(0, whole.total, 2)]
    assert [h.article_id for page in pages for h in page] == [h.article_id for h in whole.hits]
    assert whole.exact and whole.total == len(_holding(truth.article_terms, "iraq"))
    assert backend.count(word) == whole.total
    assert backend.count(word, should_stop=lambda: False) == whole.total
    scores = [hit.score for hit in whole.hits]
    assert scores == sorted(scores, reverse=True)


def test_hits_carry_a_passage_and_a_highlighted_snippet(backend: SearchBackend) -> None:
    for hit in backend.search("channel", limit=20).hits:
        article, passage = backend.passage(hit.passage_id)
        assert article.id == hit.article_id and passage.article_id == hit.article_id
        assert hit.snippet.highlights
        for span in hit.snippet.highlights:
            assert "channel" in hit.snippet.text[span.start : span.end].lower()


def test_malformed_queries_and_suggestions(backend: SearchBackend) -> None:
    for bad in ('"open quote', "(unbalanced", "date:2024-13", "AND"):
        with pytest.raises(QueryError):
            backend.search(bad)
    missed = backend.search("harbuor")
    assert not missed.hits and missed.suggestion == "harbour"
    assert backend.suggest("harbuor") == "harbour"
    assert backend.suggest("harbour") is None


def test_reading_articles_and_passages(backend: SearchBackend) -> None:
    summaries = backend.articles()
    assert len(summaries) == 8  # six sample articles and the two extra files
    for summary in summaries:
        article = backend.article(summary.id)
        assert backend.summary(summary.id) == summary
        for passage in article.passages:
            assert article.text[passage.start : passage.end] == passage.text
            assert backend.passage(passage.id) == (article, passage)
    assert backend.resolve_article_id("harbour.md") == "harbour"
    assert backend.resolve_article_id("harb") == "harbour"
    for missing in ("no-such-article", "no-such-article:p1", "harbour:p99"):
        with pytest.raises(KeyError):
            backend.passage(missing) if ":" in missing else backend.article(missing)
    with pytest.raises(KeyError):
        backend.resolve_article_id("zzz")
    with pytest.raises(AmbiguousArticleId) as ambiguous:  # a KeyError too
        backend.resolve_article_id("0")
    assert len(ambiguous.value.matches) > 1 and str(ambiguous.value).startswith("'0' is the start")
    assert isinstance(backend.extra("harbour"), dict)


def test_passages_matching_in_reading_order(backend: SearchBackend, truth: Truth) -> None:
    for article_id in ("harbour", "ferry"):
        ids = backend.passages_matching("channel OR port", article_id)
        expected = [
            p.id
            for p in backend.article(article_id).passages
            if truth.passage_terms[p.id] & {"channel", "port"}
        ]
        assert ids == expected


def _marked(backend: SearchBackend, query: str, article_id: str) -> dict[str, list[str]]:
    """The words a query marks in an article, by where they are shown."""
    marks = backend.highlight(query, article_id)
    article = backend.article(article_id)
    shown = {
        "title": [(article.title, None)],
        "body": [(p.text, p.start) for p in article.passages],
        "heading": [(h.text, h.start) for h in article.headings],
        "references": [(r.text, None) for r in article.references],
    }
    return {
        name: [
            text[s.start : s.end] for text, offset in texts for s in marks.spans(name, text, offset)
        ]
        for name, texts in shown.items()
    }


def test_highlight_marks_what_the_query_means(backend: SearchBackend) -> None:
    """Marks follow the query: a phrase marks the phrase (stop words inside it too), not
    each of its words; a field clause marks only its field; negated words are never marked;
    stems mark every form (attack, attacks); an article the query does not match gets none."""
    phrase = _marked(backend, '"dredge the channel"', "harbour")
    assert phrase["body"] == ["dredge the channel"]  # "channel" alone elsewhere: not marked
    assert _marked(backend, "channel", "ferry")["body"] == ["channel"]
    assert _marked(backend, "title:harbour", "harbour") == {
        "title": ["Harbour"],
        "body": [],
        "heading": [],
        "references": [],
    }
    plain = _marked(backend, "harbour", "harbour")
    assert plain["title"] == ["Harbour"] and plain["body"] == ["harbour"]
    negated = _marked(backend, "channel -ferry", "harbour")
    assert negated["body"] == ["channel"]
    assert _marked(backend, "channel NOT dredging", "harbour")["body"] == []  # no match
    assert not backend.highlight("channel NOT dredging", "harbour").matches
    assert backend.highlight("channel", "harbour").matches
    assert _marked(backend, "dredging", "harbour")["body"] == ["dredge", "dredging"]  # stems
    assert _marked(backend, "ferry", "harbour")["body"] == []  # the article does not match
    assert _marked(backend, "dredg*", "harbour")["body"] == ["dredge", "dredging"]


def test_highlight_marks_an_entity_by_its_names(backend: SearchBackend) -> None:
    table = backend.entity_table()
    entity = next(e for e in table.entities if e.aliases and '"' not in e.name)
    article_id = sorted(entity.article_ids)[0]
    marked = _marked(backend, f'entity:"{entity.name}"', article_id)["body"]
    names = {name.casefold() for name in (entity.name, *entity.aliases)}
    assert marked and all(word.casefold() in names for word in marked), (entity, marked)
    assert _marked(backend, f'entity:"{entity.name}"', article_id)["title"] == []


def test_passage_statistics(backend: SearchBackend, truth: Truth) -> None:
    with backend.lock:
        stats = backend.passage_statistics()
        assert stats.passages == len(truth.passage_terms) == sum(stats.mask)
        assert stats.total == len(truth.passage_terms) + len(truth.article_terms)
        assert stats.field_length("body") > 0
        for term in _sample_terms(truth, 10):
            passages = _holding(truth.passage_terms, term)
            articles = _holding(truth.body_terms, term)
            assert stats.df("body", term) == len(passages) + len(articles), term
            live = {d for d in stats.docnums("body", term) if stats.mask[d]}
            assert {stats.stored_fields(d)["doc_id"] for d in live} == passages
            scores: dict[int, float] = {}
            stats.accumulate("body", [(term, 1.0)], scores)
            assert set(scores) == live and all(score > 0 for score in scores.values())
        for passage_id in list(truth.passage_terms)[:20]:
            docnum = stats.document_number(passage_id)
            assert docnum is not None and stats.mask[docnum]
            fields = stats.stored_fields(docnum)
            assert fields["doc_id"] == passage_id
            assert fields["text"] == backend.passage(passage_id)[1].text
        assert stats.document_number("no-such:p1") is None
        assert [t.text for t in stats.analyzer("Dredging the U.S. channels")] == _terms(
            "Dredging the U.S. channels"
        )


def test_related_passages_run_on_any_backend(backend: SearchBackend) -> None:
    result = find_related(backend, "ferry:p1", limit=5)
    assert all(item.article_id != "ferry" for item in result.items)
    assert result.items and result.items[0].article_id == "harbour"


def test_refresh_sees_an_update(engine: Engine, tmp_path: Path, backend: SearchBackend) -> None:
    workspace = _make(tmp_path / "ws")
    engine.index(workspace)
    opened = engine.open(workspace)
    try:
        before = opened.snapshot
        assert not opened.search("lighthouse").hits
        assert opened.refresh() is False and opened.snapshot is before
        shutil.copyfile(workspace.articles_dir / "ferry.md", workspace.articles_dir / "f2.md")
        (workspace.articles_dir / "ferry.md").write_text(
            EXTRA_FILES["ferry.md"] + "\nA new lighthouse will guide the ferry.\n"
        )
        engine.index(workspace)
        assert opened.refresh() is True and opened.snapshot is not before
        assert _found(opened, "lighthouse") == {"ferry"}
        assert "f2" in {s.id for s in opened.articles()}
        assert opened.refresh() is False
    finally:
        opened.close()


def test_callers_use_only_the_protocol() -> None:
    """The reader, the CLI, notes and the related ranking reach the index only through
    ``SearchBackend``'s members (so another engine can stand behind them)."""
    members = {name for name in dir(SearchBackend) if not name.startswith("_")}
    members |= set(SearchBackend.__annotations__)  # attributes: workspace, tag_articles
    source = Path(__file__).resolve().parent.parent / "src" / "briefreader"
    callers = [*source.glob("tui/**/*.py"), *source.glob("cli/*.py"), source / "sync.py"]
    callers += [source / "pipeline.py", *source.glob("search/related/*.py")]
    callers.append(source / "search" / "semantic.py")
    used = re.compile(r"\blibrary\.([A-Za-z_]\w*)")
    for path in callers:
        for name in used.findall(path.read_text(encoding="utf-8")):
            assert name in members, f"{path.relative_to(source)} uses library.{name}"
