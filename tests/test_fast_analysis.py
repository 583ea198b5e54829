"""The one-loop analyzer gives exactly the tokens of Whoosh's chain it replaces."""

from __future__ import annotations

import pickle

import pytest
from hypothesis import given
from hypothesis import strategies as st
from whoosh import analysis

from briefreader.search.index.fast_analysis import FastAnalyzer
from briefreader.search.index.schema import (
    STOP_WORDS,
    DottedAcronymFilter,
    text_analyzer,
    word_analyzer,
)

TEXTS = [
    "The U.S. and the U.N. met in Washington on 3.5 Jan. US officials said it was a test.",
    "  a an I x  ",
    "",
    "Café owners’ rights: naïve résumé 2004-05, e-mail, O'Neill, www.bbc.co.uk, A.B.C.D.E.F.G.",
    "Running runners ran; the quickly-moving fox jumps over lazy dogs. Mr. Smith's houses.",
]
OPTIONS = [
    {},
    {"positions": True},
    {"chars": True, "mode": "query"},
    {"positions": True, "chars": True, "boosts": True, "mode": "index"},
    {"no_morph": True, "positions": True},
    {"boost": 1.0, "mode": "index", "nomorph": True},  # Whoosh's SpellField
    {"removestops": False, "positions": True, "chars": True},
    {"start_pos": 5, "start_char": 10, "positions": True, "chars": True},
    {"tokenize": False, "chars": True},
]


def _chain(stem: bool) -> analysis.Analyzer:
    chain = (
        analysis.RegexTokenizer()
        | analysis.LowercaseFilter()
        | DottedAcronymFilter()
        | analysis.StopFilter(stoplist=STOP_WORDS, minsize=2)
    )
    return chain | analysis.StemFilter() if stem else chain


def _tokens(analyzer: analysis.Analyzer, text: str, options: dict) -> list[tuple]:
    keys = ("text", "pos", "startchar", "endchar", "boost", "stopped")
    return [tuple(getattr(t, k, None) for k in keys) for t in analyzer(text, **options)]


@pytest.mark.parametrize("options", OPTIONS)
@pytest.mark.parametrize("stem", [True, False])
def test_same_tokens_as_the_chain(options: dict, stem: bool) -> None:
    fast = text_analyzer() if stem else word_analyzer()
    assert isinstance(fast, FastAnalyzer)
    for text in TEXTS * 2:  # the second time from the cache
        assert _tokens(fast, text, options) == _tokens(_chain(stem), text, options)


def test_body_and_words_share_one_pass() -> None:
    text = "Ministers meeting in Brussels agreed new rules " * 3
    words = [t.text for t in word_analyzer()(text)]
    stems = [t.text for t in text_analyzer()(text)]
    assert words[:3] == ["ministers", "meeting", "brussels"]
    assert stems[:3] == ["minist", "meet", "brussel"]


def test_pickles_and_refuses_other_chains() -> None:
    copy = pickle.loads(pickle.dumps(text_analyzer()))
    assert _tokens(copy, TEXTS[0], {}) == _tokens(_chain(True), TEXTS[0], {})
    with pytest.raises(ValueError):
        FastAnalyzer(analysis.RegexTokenizer(), analysis.LowercaseFilter())


@pytest.mark.parametrize("stem", [True, False])
def test_spans_and_terms_are_the_chains_tokens(stem: bool) -> None:
    """``spans`` and ``terms`` (read by key terms and word values) give the chain's texts,
    characters and positions, and key terms come out the same from either."""
    from briefreader.search.index.terms import analyse_terms

    fast = text_analyzer() if stem else word_analyzer()
    for text in TEXTS * 2:
        tokens = _tokens(_chain(stem), text, {"chars": True, "positions": True})
        assert list(zip(*fast.spans(text), strict=True)) == [(t[0], t[2], t[3]) for t in tokens]
        assert list(zip(*fast.terms(text), strict=True)) == [(t[0], t[1]) for t in tokens]
        assert analyse_terms(fast, text) == analyse_terms(_chain(stem), text)


PIECES = ["The", "U.S.", "a", "of", "Café", "naïve", "x_y", "3.5", "A.B.C", "e-mail", "*", ".", "'"]


@given(
    st.lists(
        st.lists(st.sampled_from(PIECES) | st.text("ab.*_ é\n", max_size=6), max_size=12).map(
            " ".join
        ),
        min_size=2,
        max_size=6,
    ),
    st.data(),
)
def test_a_paragraph_cut_from_its_article_has_its_own_tokens(
    paragraphs: list[str], data: st.DataObject
) -> None:
    """Paragraphs, and any slice of the text, analysed after the article's text (whose
    tokens they are cut from when no token runs across the cut) give the chain's tokens."""
    fast = text_analyzer()
    text = "\n\n".join(paragraphs)
    start = data.draw(st.integers(0, len(text)))
    piece = text[start : data.draw(st.integers(start, len(text)))]
    options = {"chars": True, "positions": True}
    assert _tokens(fast, text, options) == _tokens(_chain(True), text, options)
    for value in [*paragraphs, piece]:
        assert _tokens(fast, value, options) == _tokens(_chain(True), value, options), value


def test_paragraphs_are_cut_from_the_article_not_tokenised_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    paragraphs = ["First para: the U.S. said so.", "Second one, on 3.5 Jan.", "A third."]
    fast = text_analyzer()
    list(fast("\n\n".join(paragraphs), positions=True))
    analysed: list[str] = []
    monkeypatch.setattr(FastAnalyzer, "_analyse", lambda self, value: analysed.append(value))
    for paragraph in paragraphs:
        assert [t.text for t in fast(paragraph)] == [t.text for t in _chain(True)(paragraph)]
    assert analysed == []


def _key_terms_by_the_rules(analyzer: analysis.Analyzer, text: str) -> tuple:
    """``terms.analyse_terms``'s results worked out rule by rule over the whole token list:
    a word is kept unless a query stop word; its surface word is itself if capitalised, else
    lowercased; a capitalised word is a name unless a calendar word or a sentence's first."""
    from collections import Counter

    from briefreader.search.index.terms import (
        CALENDAR_WORDS,
        QUERY_STOP_WORDS,
        _spans,
        _starts_sentence,
    )

    def bare(word: str) -> str:
        return word.lower().strip(".'’")

    tokens = [(term, text[start:end], start) for term, start, end in _spans(analyzer, text)]
    kept = [token for token in tokens if bare(token[1]) not in QUERY_STOP_WORDS]
    counts: Counter[str] = Counter()
    for term, _word, _start in kept:
        counts[term] += 1
    surface: dict[str, str] = {}
    for term, word, _start in kept:
        surface.setdefault(term, word if word[:1].isupper() else bare(word))
    names = {
        term
        for term, word, start in kept
        if word[:1].isupper()
        and bare(word) not in CALENDAR_WORDS
        and not _starts_sentence(text, start)
    }
    return counts, surface, names, [term for term, _word, _start in kept]


@given(
    st.lists(st.sampled_from([*PIECES, "Monday", "Iraq", "Mr", "said", ". ", "\n"]), max_size=30)
)
def test_key_terms_follow_the_rules(pieces: list[str]) -> None:
    """Key terms (stored with every passage, read by related passages) follow the rules:
    counts (in order of first use), surface words, names and sequence."""
    from briefreader.search.index.terms import NAME_MARK, analyse_terms, passage_terms

    fast = text_analyzer()
    for text in [" ".join(pieces), *TEXTS]:
        counts, surface, names, sequence = _key_terms_by_the_rules(fast, text)
        found = analyse_terms(fast, text)
        assert found == (counts, surface, names, sequence)
        assert list(found[0].items()) == list(counts.items())
        marked = " ".join(NAME_MARK + t if t in names else t for t in sequence)
        assert passage_terms(text) == marked
