"""Related passages' fast path: stored key terms, posting blocks, deletions, synonyms, budget."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from briefreader.search import related
from briefreader.search.index.indexer import update_index
from briefreader.search.index.terms import passage_terms
from briefreader.search.library import Library
from briefreader.search.postings import PassageIndex, posting_blocks
from briefreader.search.related import RelatedOptions, candidates, find_related, vocabulary
from briefreader.workspace import Workspace

WAIVER_004 = "004_6c8c47967f33c65d:p22"


@pytest.fixture(scope="module")
def library(sample_workspace: Path) -> Library:
    return Library.open(Workspace(sample_workspace))


def test_passage_terms_mark_names_and_drop_function_words() -> None:
    packed = passage_terms("Officials said the troops met Renad Mansour in Baghdad.").split()
    assert "+mansour" in packed and "+baghdad" in packed
    assert "troop" in packed and "said" not in packed and "the" not in packed
    assert "+offici" not in packed  # capitalised only because it starts the sentence


def test_passage_documents_store_their_key_terms(library: Library) -> None:
    with library.lock:
        stats = library.passage_statistics()
        docnum = stats.document_number(WAIVER_004)
        assert docnum is not None
        fields = stats.stored_fields(docnum)
    assert fields["doc_id"] == WAIVER_004
    assert fields["terms"] == passage_terms(fields["text"])


def test_posting_blocks_match_whoosh_postings(library: Library) -> None:
    reader = library.searcher.reader()
    for leaf, _ in reader.leaf_readers():
        for term in ("iraq", "electr", "troop", "nosuchterm"):
            ids = [d for block, _ in posting_blocks(leaf, "body", term) for d in block]
            expected = list(leaf.postings("body", term).all_ids()) if ids else []
            assert ids == expected


def test_mask_counts_live_passages(library: Library) -> None:
    index = PassageIndex(library.searcher)
    total = sum(s.passages for s in library.articles())
    assert index.passages == total


def test_deleted_articles_are_never_related(sample_workspace: Path, tmp_path: Path) -> None:
    root = tmp_path / "ws"
    shutil.copytree(sample_workspace, root)
    workspace = Workspace(root)
    target = next(p for p in (root / "articles").iterdir() if p.name.startswith("001"))
    target.unlink()
    update_index(workspace)
    library = Library.open(workspace)
    result = find_related(library, WAIVER_004, limit=8, options=RelatedOptions(threshold=0))
    assert result.items and all(not i.article_id.startswith("001") for i in result.items)
    assert PassageIndex(library.searcher).passages == sum(s.passages for s in library.articles())


def test_synonyms_fold_to_one_key_term(library: Library) -> None:
    fold = vocabulary.synonyms(library.schema["body"].analyzer)
    assert fold["drawdown"] == fold["withdraw"] == fold["pullout"]
    assert fold["exempt"] == fold["waiver"]
    assert vocabulary.members(fold["waiver"])[0] == fold["waiver"]


def test_budget_keeps_the_heaviest_terms(library: Library, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(candidates, "POSTINGS_BUDGET", 0)
    related.clear_cache(library)
    result = find_related(library, WAIVER_004, limit=5, options=RelatedOptions(threshold=0))
    related.clear_cache(library)
    assert result.items  # the MIN_GATHER_TERMS heaviest terms still gather candidates


def test_document_frequencies_leave_deleted_documents_out(
    sample_workspace: Path, tmp_path: Path
) -> None:
    """With deleted documents left in a segment (an update not merged), a term's document
    frequency counts the live documents holding it, as Whoosh's deletion-filtered postings
    list them (each posting block is read only where a deleted document may fall)."""
    from briefreader.search.index.schema import entity_index_fields, passage_field

    root = tmp_path / "ws"
    shutil.copytree(sample_workspace, root)
    workspace = Workspace(root)
    before = Library.open(workspace)
    writer = before._ix.writer()
    writer.delete_by_term("article_id", WAIVER_004.split(":")[0])
    writer.commit(merge=False)
    before.close()
    library = Library.open(workspace)
    reader = library.searcher.reader()
    assert reader.has_deletions()
    stats = PassageIndex(library.searcher)

    def live(fieldname: str, term: str) -> int:
        names = {n for base in entity_index_fields(fieldname) for n in (base, passage_field(base))}
        holding = set()
        for name in names:
            for leaf, base in reader.leaf_readers():
                if (name, term) in leaf:
                    holding.update(base + d for d in leaf.postings(name, term).all_ids())
        return len(holding)

    for term in ("iraq", "militia", "troop", "said", "syria", "nosuchterm"):
        assert stats.df("body", term) == live("body", term), term
    # Words only the deleted article had: their postings are all deleted documents.
    gone = [
        term.decode()
        for term in reader.lexicon("p_body")
        if live("body", term.decode()) == 0 and reader.doc_frequency("p_body", term)
    ]
    assert len(gone) > 10
    assert all(stats.df("body", term) == 0 for term in gone), gone[:10]
    whoosh_counts = {
        t: reader.doc_frequency("body", t) + reader.doc_frequency("p_body", t)
        for t in ("iraq", "troop")
    }
    assert all(stats.df("body", t) < count for t, count in whoosh_counts.items())  # deleted out
