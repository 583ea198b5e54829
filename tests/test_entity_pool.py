"""Entities of a big batch are recognised by a pool of processes (``nlp.pipe`` with
``n_process``), a small batch in-process; both give the same spans."""

from __future__ import annotations

import pytest

from briefreader.text.entities import extract
from briefreader.text.entities.extract import POOL_MIN_CHARS, processes
from briefreader.text.entities.recogniser import SpacyRecogniser, choose_recogniser
from briefreader.text.load import default_options, load_file
from tests.conftest import SAMPLE_DIR


def test_the_pool_size_follows_the_setting_and_the_cores(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(extract.os, "sched_getaffinity", lambda pid: {0, 1, 2, 3}, raising=False)
    assert processes({"processes": 1}) == 1
    assert processes({"processes": 3}) == 3
    assert processes({}) == 2
    assert processes({"processes": "many"}) == 1


def test_the_pool_is_never_bigger_than_the_cores(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(extract.os, "sched_getaffinity", lambda pid: {0, 1}, raising=False)
    assert processes({"processes": 3}) == 2  # a third worker would only share the two cores
    monkeypatch.setattr(extract.os, "sched_getaffinity", lambda pid: {0}, raising=False)
    assert processes({"processes": 2}) == 1
    assert processes({}) == 1


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


def _spacy() -> SpacyRecogniser:
    recogniser = choose_recogniser({}).recogniser
    if not isinstance(recogniser, SpacyRecogniser):
        pytest.skip("the spaCy model is not installed")
    return recogniser


def test_two_processes_find_the_same_spans_as_one() -> None:
    recogniser = _spacy()
    texts = [article.text for article in _articles()]
    recogniser.processes = 1
    alone = list(recogniser.recognise_many(texts))
    recogniser.processes = 2
    pooled = list(recogniser.recognise_many(texts))
    assert pooled == alone and any(alone)


def test_one_process_batches_keep_order_and_bound_their_text() -> None:
    """``nlp.pipe`` batches in one process: at most 16 pieces and, unless one piece is longer,
    ``PIPE_BATCH_CHARS`` of text (a batch's memory grows with its text)."""
    from briefreader.text.entities.recogniser import batches_by_chars

    pieces = [("x" * size, n) for n, size in enumerate([30, 30, 50, 5, 5, 90, 1] + [1] * 20)]
    batches = list(batches_by_chars(pieces, 60, 16))
    assert [piece for batch in batches for piece in batch] == pieces
    assert [len(batch) for batch in batches] == [2, 3, 1, 16, 5]  # 60, 60, 90 alone, 16 × 1…
    assert all(sum(len(text) for text, _ in batch) <= 60 for batch in batches if len(batch) > 1)


def test_one_process_finds_the_same_spans_in_bounded_batches(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Batches bounded by text, and long texts cut into windows at paragraph breaks: the same
    spans as whole texts in one batch."""
    from briefreader.text.entities import recogniser as module

    recogniser = _spacy()
    texts = [article.text for article in _articles()]
    recogniser.processes = 1
    bounded = list(recogniser.recognise_many(texts))
    assert max(len(text) for text in texts) > module.WINDOW_CHARS  # one is cut
    monkeypatch.setattr(module, "PIPE_BATCH_CHARS", 10**9)
    monkeypatch.setattr(module, "WINDOW_CHARS", 10**9)
    whole = list(recogniser.recognise_many(texts))
    assert bounded == whole and any(whole)


def test_a_process_loads_a_model_once() -> None:
    """Every run of an index in one process (the reader after each edit) chooses its
    recogniser anew; the pipeline is loaded the first time only."""
    first = _spacy()
    first.load()
    again = _spacy()
    assert again is not first and again._nlp is None
    again.load()
    assert again._nlp is first._nlp
