"""Entities of a big batch are recognised by a pool of processes (``nlp.pipe`` with
``n_process``), a small batch in-process; both give the same spans."""

from __future__ import annotations

import pytest

from briefreader.text.entities import extract
from briefreader.text.entities.extract import POOL_MIN_CHARS, processes
from briefreader.text.entities.recogniser import SpacyRecogniser, choose_recogniser
from briefreader.text.load import default_options, load_file
from tests.conftest import SAMPLE_DIR


def test_the_pool_size_follows_the_setting_and_the_cores() -> None:
    assert processes({"processes": 1}) == 1
    assert processes({"processes": 3}) == 3
    assert 1 <= processes({}) <= 2


def _articles() -> list:
    options = default_options()
    results = [load_file(path, SAMPLE_DIR, options) for path in sorted(SAMPLE_DIR.iterdir())]
    return [article for result in results for article in result.articles]


def test_only_a_big_batch_gets_worker_processes(monkeypatch: pytest.MonkeyPatch) -> None:
    choice = choose_recogniser({})
    if not isinstance(choice.recogniser, SpacyRecogniser):
        pytest.skip("the spaCy model is not installed")
    articles = _articles()
    extract._size_pool(choice, articles, {"processes": 2})
    assert choice.recogniser.processes == 1  # the sample is under POOL_MIN_CHARS
    monkeypatch.setattr(extract, "POOL_MIN_CHARS", 1)
    extract._size_pool(choice, articles, {"processes": 2})
    assert choice.recogniser.processes == 2
    assert sum(len(a.text) for a in articles) < POOL_MIN_CHARS


def test_two_processes_find_the_same_spans_as_one() -> None:
    choice = choose_recogniser({})
    recogniser = choice.recogniser
    if not isinstance(recogniser, SpacyRecogniser):
        pytest.skip("the spaCy model is not installed")
    texts = [article.text for article in _articles()]
    recogniser.processes = 1
    alone = list(recogniser.recognise_many(texts))
    recogniser.processes = 2
    pooled = list(recogniser.recognise_many(texts))
    assert pooled == alone and any(alone)
