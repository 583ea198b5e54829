"""The semantic extra with the packaged model (skipped only when the extra is not installed)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from briefreader.search import semantic
from briefreader.search.library import Library
from briefreader.search.related import RelatedOptions, find_related
from briefreader.workspace import Workspace

REASON = semantic.available()
pytestmark = pytest.mark.skipif(REASON is not None, reason=f"semantic extra: {REASON}")


@pytest.fixture(scope="module")
def library(sample_workspace: Path, tmp_path_factory: pytest.TempPathFactory) -> Library:
    # A private copy: the embedding cache file is written into the index folder.
    root = tmp_path_factory.mktemp("semantic") / "ws"
    shutil.copytree(sample_workspace, root)
    return Library.open(Workspace(root))


def test_packaged_model_embeds_offline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    vectors = semantic.load_model().encode(["US troops in Iraq", "soldiers stationed in Iraq"])
    assert vectors.shape == (2, 384)


def test_similarity_prefers_the_same_subject(library: Library) -> None:
    scores = semantic.similarities(
        library,
        "The United States has about 2,000 troops in Iraq.",
        ["Around 2,500 American soldiers are stationed in Iraq.", "Huawei sells telecom kit."],
    )
    assert scores[0] > scores[1] + 0.2


def test_semantic_reranking_finds_the_examples_and_caches_vectors(library: Library) -> None:
    options = RelatedOptions(semantic=True)
    result = find_related(library, "002_ea0493244cfba2d5:p12", limit=5, options=options)
    ids = {item.passage_id for item in result.items}
    assert {"004_6c8c47967f33c65d:p8", "003_d982830aa2fa4bf9:p9"} <= ids
    quiet = find_related(library, "000_4b7c8a7470fbc100:p19", limit=5, options=options)
    assert quiet.nothing_related
    store = semantic.store_for(library)
    assert store.path.is_file() and len(store.vectors) > 10
    assert len(semantic.EmbeddingStore(store.path).vectors) == len(store.vectors)
