"""Selectors and re-anchoring: notes stay on the same words, or become orphans — never wrong."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_notes_support import levenshtein, make_article

from briefreader.notes import (
    ANCHORED,
    FUZZY,
    ORPHANED,
    NotesError,
    NoteStore,
    add_note,
    make_selector,
    notes_for_article,
    passages_covering,
    reanchor_all,
    resolve,
    selector_for_passage,
)
from briefreader.notes.anchor import FUZZY_MIN_SIMILARITY, edit_distances

PARAGRAPHS = [
    "The ministry published its annual report on Tuesday morning.",
    "Officials said the new border agreement would reduce smuggling along the river "
    "and open two crossings for trade before the end of the year.",
    "Critics argued that the agreement ignored the fishermen who depend on the river.",
]
QUOTE = "the new border agreement would reduce smuggling along the river"


@pytest.fixture
def store(tmp_path: Path) -> NoteStore:
    with NoteStore(tmp_path / "notes.db") as notes:
        yield notes


def _quote_range(text: str, quote: str = QUOTE) -> tuple[int, int]:
    start = text.index(quote)
    return start, start + len(quote)


def test_selector_has_quote_context_and_position() -> None:
    article = make_article(PARAGRAPHS)
    start, end = _quote_range(article.text)
    selector = make_selector(article, start, end)
    assert selector.exact == QUOTE
    assert article.text.endswith(selector.suffix, 0, end + len(selector.suffix))
    assert article.text[start - len(selector.prefix) : start] == selector.prefix
    assert (selector.start, selector.end) == (start, end)


@pytest.mark.parametrize("bounds", [(5, 5), (-1, 3), (0, 10_000), (9, 3)])
def test_selector_rejects_bad_ranges(bounds: tuple[int, int]) -> None:
    with pytest.raises(NotesError):
        make_selector(make_article(PARAGRAPHS), *bounds)


def test_selector_for_passage_requires_quote_in_that_passage() -> None:
    article = make_article(PARAGRAPHS)
    assert selector_for_passage(article, "art:p2", "border agreement").exact == "border agreement"
    assert selector_for_passage(article, "art:p2", None).exact == PARAGRAPHS[1]
    with pytest.raises(NotesError, match="does not occur"):
        selector_for_passage(article, "art:p1", "border agreement")
    with pytest.raises(NotesError, match="no passage"):
        selector_for_passage(article, "art:p9", None)


def test_passages_covering_spans_several_paragraphs() -> None:
    article = make_article(PARAGRAPHS)
    start = article.text.index("Tuesday")
    end = article.text.index("Officials said") + 9
    assert passages_covering(article, start, end) == ("art:p1", "art:p2")


def test_unchanged_text_resolves_exactly() -> None:
    article = make_article(PARAGRAPHS)
    anchor = resolve(make_selector(article, *_quote_range(article.text)), article)
    assert (anchor.status, anchor.score, anchor.passage_ids) == (ANCHORED, 1.0, ("art:p2",))
    assert article.text[anchor.start : anchor.end] == QUOTE


def test_paragraph_inserted_above_keeps_the_same_words() -> None:
    old = make_article(PARAGRAPHS)
    selector = make_selector(old, *_quote_range(old.text))
    new = make_article(["A new opening paragraph about the river and smuggling.", *PARAGRAPHS])
    anchor = resolve(selector, new)
    assert anchor.status == ANCHORED
    assert new.text[anchor.start : anchor.end] == QUOTE
    assert anchor.passage_ids == ("art:p3",)


def test_repeated_quote_picks_the_occurrence_with_matching_context() -> None:
    alpha, beta = "Alpha said the river rose today.", "Beta said the river rose again."
    old = make_article([alpha, beta, "Gamma."])
    start = old.text.index("Beta said") + len("Beta ")
    selector = make_selector(old, start, start + len("said the river rose"))
    # Swap the paragraphs: the other occurrence now sits near the old offset.
    new = make_article([beta, alpha, "Gamma."])
    anchor = resolve(selector, new)
    assert anchor.passage_ids == ("art:p1",)
    assert new.text[anchor.start - 5 : anchor.end + 6] == "Beta said the river rose again"


def test_small_edit_inside_quote_is_fuzzy_on_the_edited_words() -> None:
    old = make_article(PARAGRAPHS)
    selector = make_selector(old, *_quote_range(old.text))
    edited = PARAGRAPHS[1].replace("would reduce", "could reduce")
    new = make_article([PARAGRAPHS[0], edited, PARAGRAPHS[2]])
    anchor = resolve(selector, new)
    assert anchor.status == FUZZY
    assert FUZZY_MIN_SIMILARITY <= anchor.score < 1
    found = new.text[anchor.start : anchor.end]
    assert found == QUOTE.replace("would", "could")
    assert anchor.passage_ids == ("art:p2",)


def test_large_edit_orphans_rather_than_attaching_to_other_text() -> None:
    old = make_article(PARAGRAPHS)
    selector = make_selector(old, *_quote_range(old.text))
    rewritten = "Officials said a treaty on the frontier could cut contraband near the water."
    new = make_article([PARAGRAPHS[0], rewritten, PARAGRAPHS[2]])
    assert resolve(selector, new).status == ORPHANED


def test_short_quote_with_an_edit_is_orphaned() -> None:
    old = make_article(PARAGRAPHS)
    start = old.text.index("Tuesday")
    selector = make_selector(old, start, start + len("Tuesday"))
    new = make_article([PARAGRAPHS[0].replace("Tuesday", "Thursday"), *PARAGRAPHS[1:]])
    assert resolve(selector, new).status == ORPHANED


def test_deleted_text_becomes_an_orphan_listed_not_lost(store: NoteStore) -> None:
    old = make_article(PARAGRAPHS)
    note = add_note(store, old, *_quote_range(old.text), body="watch #border")
    report = reanchor_all(store, [make_article([PARAGRAPHS[0], PARAGRAPHS[2]])])
    assert report.orphaned == (note.id,)
    orphans = store.list(orphans=True)
    assert [n.id for n in orphans] == [note.id]
    assert orphans[0].selector.exact == QUOTE and orphans[0].body == "watch #border"
    # The text comes back: the note is found again.
    report = reanchor_all(store, [old])
    assert report.restored == (note.id,)
    assert store.list(orphans=True) == []


def test_reanchor_all_saves_new_positions_and_reports(store: NoteStore) -> None:
    old = make_article(PARAGRAPHS)
    note = add_note(store, old, *_quote_range(old.text))
    new = make_article(["Inserted paragraph.", *PARAGRAPHS])
    report = reanchor_all(store, [new])
    assert report.moved == (note.id,) and report.checked == 1
    saved = store.get(note.id)
    assert saved is not None and saved.passage_id == "art:p3"
    assert new.text[saved.selector.start : saved.selector.end] == QUOTE
    assert reanchor_all(store, [new]).moved == ()


def test_reanchor_all_orphans_notes_of_missing_articles(store: NoteStore) -> None:
    note = add_note(store, make_article(PARAGRAPHS), 0, 3)
    assert reanchor_all(store, []).orphaned == ()  # never orphaned by omission
    assert reanchor_all(store, [], gone=["other"]).orphaned == ()
    assert reanchor_all(store, [], gone=[note.article_id]).orphaned == (note.id,)


def test_notes_for_article_resolves_current_offsets_in_text_order(store: NoteStore) -> None:
    old = make_article(PARAGRAPHS)
    late = add_note(store, old, *_quote_range(old.text, "fishermen"))
    early = add_note(store, old, *_quote_range(old.text, "ministry"))
    gone = add_note(store, old, *_quote_range(old.text, "annual report"))
    new = make_article(
        ["Added.", PARAGRAPHS[0].replace("annual report", "review"), *PARAGRAPHS[1:]]
    )
    pairs = notes_for_article(store, new)
    assert [note.id for note, _ in pairs] == [early.id, late.id, gone.id]
    assert [anchor.status for _, anchor in pairs] == [ANCHORED, ANCHORED, ORPHANED]
    assert new.text[pairs[1][1].start : pairs[1][1].end] == "fishermen"
    assert len(notes_for_article(store, new, include_orphans=False)) == 2


def test_add_note_over_two_paragraphs_records_both(store: NoteStore) -> None:
    article = make_article(PARAGRAPHS)
    note = add_note(store, article, 10, article.passages[1].start + 5, body="#span")
    assert note.passage_ids == ("art:p1", "art:p2") and note.passage_id == "art:p1"


@given(
    pattern=st.text(alphabet="abc ", min_size=1, max_size=10),
    text=st.text(alphabet="abc ", max_size=30),
    anchored=st.booleans(),
)
def test_bit_parallel_distances_match_dynamic_programming(
    pattern: str, text: str, anchored: bool
) -> None:
    scores = edit_distances(pattern, text, anchored=anchored)
    for j in range(len(text)):
        starts = [0] if anchored else range(j + 2)
        expected = min(levenshtein(pattern, text[i : j + 1]) for i in starts)
        assert scores[j] == expected


_WORDS = st.sampled_from(
    ["river", "border", "report", "agreement", "said", "the", "of", "and", "trade", "crossing"]
)


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(
    words=st.lists(_WORDS, min_size=12, max_size=60),
    data=st.data(),
)
def test_resolution_never_attaches_to_text_unlike_the_quote(words: list[str], data) -> None:
    old = make_article([" ".join(words)])
    start = data.draw(st.integers(0, len(old.text) - 2))
    end = data.draw(st.integers(start + 1, min(len(old.text), start + 80)))
    selector = make_selector(old, start, end)
    # Random edits: replace, insert or delete words anywhere.
    edited = list(words)
    for _ in range(data.draw(st.integers(0, 4))):
        position = data.draw(st.integers(0, len(edited) - 1))
        action = data.draw(st.sampled_from(["replace", "insert", "delete"]))
        if action == "replace":
            edited[position] = data.draw(_WORDS)
        elif action == "insert":
            edited.insert(position, data.draw(_WORDS))
        elif len(edited) > 1:
            del edited[position]
    new = make_article([" ".join(edited)])
    anchor = resolve(selector, new)
    found = new.text[anchor.start : anchor.end]
    if anchor.status == ANCHORED:
        assert found == selector.exact
    elif anchor.status == FUZZY:
        similarity = 1 - levenshtein(found, selector.exact) / len(selector.exact)
        assert similarity >= FUZZY_MIN_SIMILARITY
        assert abs(similarity - anchor.score) < 1e-9 or anchor.score == 0.999


def test_resolve_with_stale_hint_outside_text() -> None:
    article = make_article(PARAGRAPHS)
    selector = replace(make_selector(article, *_quote_range(article.text)), start=10**6, end=10**6)
    anchor = resolve(selector, article)
    assert article.text[anchor.start : anchor.end] == QUOTE
