"""The one-loop analyzer gives exactly the tokens of Whoosh's chain it replaces."""

from __future__ import annotations

import pickle

import pytest
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
