"""The semantic extra with the packaged model (skipped only when the extra is not installed)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from briefreader.search import semantic
from briefreader.search.library import Library
from briefreader.search.related import RelatedOptions, clear_cache, find_related
from briefreader.workspace import Workspace

REASON = semantic.available()
pytestmark = pytest.mark.skipif(REASON is not None, reason=f"semantic extra: {REASON}")

ATTACKS_160 = "002_ea0493244cfba2d5:p12"
ATTACKS_91 = "004_6c8c47967f33c65d:p6"
ATTACKS_70 = "003_d982830aa2fa4bf9:p9"
TROOPS_2000 = "004_6c8c47967f33c65d:p3"
TROOPS_2500 = "003_d982830aa2fa4bf9:p8"
GANGS = "000_4b7c8a7470fbc100:p19"
SEMANTIC = RelatedOptions(semantic=True)


@pytest.fixture(scope="module")
def library(sample_workspace: Path, tmp_path_factory: pytest.TempPathFactory) -> Library:
    # A private copy: the embedding files are written into the index folder.
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


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (ATTACKS_160, {ATTACKS_91, ATTACKS_70}),
        (ATTACKS_91, {ATTACKS_160, ATTACKS_70}),
        (ATTACKS_70, {ATTACKS_160, ATTACKS_91}),
        (TROOPS_2000, {TROOPS_2500}),
        (TROOPS_2500, {TROOPS_2000}),
    ],
)
def test_issue_examples_hold_with_the_extra(
    library: Library, query: str, expected: set[str]
) -> None:
    result = find_related(library, query, limit=5, options=SEMANTIC)
    assert expected <= {item.passage_id for item in result.items}
    assert result.notice == ""


def test_gangs_and_kidnappers_stays_quiet_with_the_extra(library: Library) -> None:
    assert find_related(library, GANGS, limit=5, options=SEMANTIC).nothing_related


def test_small_corpus_is_embedded_once_and_reloads(library: Library) -> None:
    find_related(library, ATTACKS_160, limit=5, options=SEMANTIC)
    store = semantic.store_for(library)
    passages = sum(s.passages for s in library.articles())
    assert store.path.is_file() and store.rows == passages
    again = semantic.EmbeddingStore(store.folder)
    assert again.ids == store.ids and again.hashes == store.hashes
    assert np.allclose(np.asarray(again.matrix), np.asarray(store.matrix))
    assert isinstance(again.matrix, np.memmap)
    assert len(list(store.folder.glob(f"{semantic.VECTOR_PREFIX}*.npy"))) == 1
    assert semantic.update_embeddings(library) == 0  # already complete: nothing rewritten


def test_centred_cosine_matches_the_explicit_computation(library: Library) -> None:
    store = semantic.prepare(library)
    mean = np.asarray(store.matrix).mean(axis=0)
    query = np.asarray(store.matrix[3])
    hits = store.nearest(query, 5)
    assert hits[0][0] == store.ids[3] and hits[0][2] == pytest.approx(1.0, abs=1e-5)
    for passage_id, _, score in hits:
        other = np.asarray(store.matrix[store.ids.index(passage_id)])
        a, b = query - mean, other - mean
        explicit = float(a @ b / np.linalg.norm(a) / np.linalg.norm(b))
        assert score == pytest.approx(explicit, abs=1e-5)
        assert store.centred_cosines(query, [other])[0] == pytest.approx(explicit, abs=1e-5)


def test_nearest_passages_leave_out_the_own_article(library: Library) -> None:
    article, passage = library.passage(ATTACKS_160)
    found, notice = semantic.nearest_passages(library, passage, count=10)
    assert notice == "" and len(found) == 20
    assert all(not pid.startswith(article.id + ":") for pid, _ in found)
    assert ATTACKS_91 in {pid for pid, _ in found[:10]}


def test_nearest_candidates_are_checked_against_the_index(
    library: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A passage found only by embedding joins the candidates if its text is the one that was
    embedded; a stale row (text changed since) or a passage gone from the index does not."""
    huawei = "000_4b7c8a7470fbc100-2:p15"  # shares no key term with the gangs paragraph
    text = library.passage(huawei)[1].text
    everything = RelatedOptions(semantic=True, threshold=0)

    def candidates(nearest: list[tuple[str, str]]) -> set[str]:
        monkeypatch.setattr(semantic, "nearest_passages", lambda *a, **k: (nearest, ""))
        clear_cache(library)
        result = find_related(library, GANGS, limit=200, options=everything)
        return {item.passage_id for item in result.items}

    assert huawei not in candidates([])
    assert huawei in candidates([(huawei, semantic.text_hash(text))])
    assert huawei not in candidates([(huawei, semantic.text_hash(text + " edited"))])
    assert "gone:p1" not in candidates([("gone:p1", "0" * 20)])
    clear_cache(library)


def test_small_corpus_store_follows_index_updates(sample_workspace: Path, tmp_path: Path) -> None:
    from briefreader.pipeline import run_index

    root = tmp_path / "ws"
    shutil.copytree(sample_workspace, root)
    workspace = Workspace(root)
    library = Library.open(workspace)
    find_related(library, GANGS, limit=5, options=SEMANTIC)
    before = semantic.store_for(library).rows
    (root / "articles" / "extra.md").write_text(
        "---\ntitle: Troop levels\n---\n\nAbout 2,500 American soldiers remain stationed in "
        "Iraq, officials said, as talks on a withdrawal timeline continue.\n",
        encoding="utf-8",
    )
    run_index(workspace)
    library.refresh()
    result = find_related(library, "extra:p1", limit=5, options=SEMANTIC)
    store = semantic.store_for(library)
    assert store.rows == before + 1 == sum(s.passages for s in library.articles())
    assert "extra:p1" in store.ids
    assert result.items[0].passage_id == TROOPS_2500
    library.close()


def test_index_embeds_every_passage_when_semantic_is_on(
    sample_workspace: Path, tmp_path: Path
) -> None:
    from briefreader.pipeline import run_index

    root = tmp_path / "ws"
    shutil.copytree(sample_workspace, root)
    (root / "briefreader.toml").write_text("[related]\nsemantic = true\n", encoding="utf-8")
    (root / "articles" / "extra.md").write_text(
        "---\ntitle: Troop levels\n---\n\nAbout 2,500 American soldiers remain in Iraq.\n",
        encoding="utf-8",
    )
    phases: list[str] = []
    run = run_index(Workspace(root), progress=lambda phase, done, total: phases.append(phase))
    report = run.report
    assert "embedding" in phases and "embedding" in report.timings
    library = Library.open(Workspace(root))
    try:
        store = semantic.store_for(library)
        assert store.rows == sum(s.passages for s in library.articles())
    finally:
        library.close()


# ---------------------------------------------------------------- the store across updates


@pytest.fixture(scope="module")
def embedded_workspace(sample_workspace: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample with ``[related] semantic = true``, indexed and embedded once (copy it)."""
    from briefreader.pipeline import run_index

    root = tmp_path_factory.mktemp("embedded") / "ws"
    shutil.copytree(sample_workspace, root)
    (root / "briefreader.toml").write_text("[related]\nsemantic = true\n", encoding="utf-8")
    run_index(Workspace(root))
    return root


@pytest.fixture
def embedded_copy(embedded_workspace: Path, tmp_path: Path) -> Workspace:
    root = tmp_path / "ws"
    shutil.copytree(embedded_workspace, root)
    return Workspace(root)


class EncodeSpy:
    """Records every text handed to the model (and which articles were read)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.texts: list[str] = []
        self.articles: list[str] = []
        encode, entries = semantic.encode, semantic._entries

        def spy_encode(texts: list[str]) -> object:
            self.texts.extend(texts)
            return encode(texts)

        def spy_entries(article: object) -> list[tuple[str, str, str]]:
            self.articles.append(article.id)  # type: ignore[attr-defined]
            return entries(article)  # type: ignore[arg-type]

        monkeypatch.setattr(semantic, "encode", spy_encode)
        monkeypatch.setattr(semantic, "_entries", spy_entries)


def stored_rows(workspace: Workspace) -> tuple[int, int]:
    """(vectors in a freshly read store, passages in the index)."""
    library = Library.open(workspace)
    try:
        store = semantic.EmbeddingStore(workspace.index_dir / semantic.STORE_DIR)
        return store.rows, sum(s.passages for s in library.articles())
    finally:
        library.close()


def test_rebuild_keeps_the_vectors(
    embedded_copy: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    from briefreader.pipeline import run_index

    spy = EncodeSpy(monkeypatch)
    semantic._STORES.clear()
    report = run_index(embedded_copy, rebuild=True).report
    assert report.rebuilt and spy.texts == []  # every text already has its vector
    rows, passages = stored_rows(embedded_copy)
    assert rows == passages


def test_update_reads_and_embeds_only_the_changed_article(
    embedded_copy: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    from briefreader.pipeline import run_index

    path = next(embedded_copy.articles_dir.glob("001_*"))
    text = path.read_text(encoding="utf-8")
    paragraph = "Officials in Baghdad said the electricity waiver would be renewed again."
    middle = text.index("\n", len(text) // 3)  # one paragraph a line in this file
    path.write_text(f"{text[:middle]}\n{paragraph}{text[middle:]}", encoding="utf-8")
    spy = EncodeSpy(monkeypatch)
    semantic._STORES.clear()
    run_index(embedded_copy)
    assert {a.split("-")[0] for a in spy.articles} == {path.stem}
    assert len(spy.texts) == 1 and spy.texts[0].endswith(paragraph)
    rows, passages = stored_rows(embedded_copy)
    assert rows == passages


def test_removed_article_loses_its_vectors(embedded_copy: Workspace) -> None:
    from briefreader.pipeline import run_index

    path = next(embedded_copy.articles_dir.glob("002_*"))
    path.unlink()
    semantic._STORES.clear()
    run_index(embedded_copy)
    store = semantic.EmbeddingStore(embedded_copy.index_dir / semantic.STORE_DIR)
    assert store.rows and not any(i.startswith(path.stem) for i in store.ids)
    assert stored_rows(embedded_copy)[0] == stored_rows(embedded_copy)[1]


def test_index_run_completes_a_partial_store(
    embedded_copy: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A store filled only in part (the setting turned on after indexing, a lazy fill) is
    completed by the next index run even when no article changed."""
    from briefreader.pipeline import run_index

    folder = embedded_copy.index_dir / semantic.STORE_DIR
    store = semantic.EmbeddingStore(folder)
    keep = [(i, h, "") for i, h in zip(store.ids, store.hashes, strict=True)][:40]
    store.write(keep)
    spy = EncodeSpy(monkeypatch)
    semantic._STORES.clear()
    report = run_index(embedded_copy).report
    assert not report.changed
    rows, passages = stored_rows(embedded_copy)
    assert rows == passages and len(spy.texts) == passages - 40


def test_reader_picks_up_vectors_written_by_another_process(
    embedded_copy: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(semantic, "RELOAD_CHECK_SECONDS", 0.0)
    folder = embedded_copy.index_dir / semantic.STORE_DIR
    reader = semantic.EmbeddingStore(folder)
    before = reader.rows
    writer = semantic.EmbeddingStore(folder)  # stands for the indexer's process
    writer.write([(i, h, "") for i, h in zip(writer.ids, writer.hashes, strict=True)][:10])
    assert reader.reload_if_changed() and reader.rows == 10 < before
    assert not reader.reload_if_changed()


def test_vectors_of_an_earlier_version_are_moved_not_recomputed(
    embedded_copy: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Earlier versions kept the vectors inside the active index folder."""
    from briefreader.pipeline import run_index
    from briefreader.search.index.store import active_dir

    folder = embedded_copy.index_dir / semantic.STORE_DIR
    active = active_dir(embedded_copy.index_dir)
    assert active is not None
    for path in folder.iterdir():
        shutil.move(str(path), active / path.name)
    folder.rmdir()
    spy = EncodeSpy(monkeypatch)
    semantic._STORES.clear()
    run_index(embedded_copy, rebuild=True)
    assert spy.texts == []
    assert not list(active.glob("related-embeddings*"))  # moved, not copied
    rows, passages = stored_rows(embedded_copy)
    assert rows == passages


def test_a_new_section_heading_re_embeds_its_paragraphs(
    embedded_copy: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Vectors are kept by the paragraph's text, but what is embedded includes its heading:
    a renamed section gets new vectors for its paragraphs, and only for them."""
    from briefreader.pipeline import run_index

    path = embedded_copy.articles_dir / "briefing.md"
    body = (
        "---\ntitle: Briefing\n---\n\n## Talks\n\n"
        "The delegation left Baghdad on Friday after two days of talks.\n\n"
        "## {heading}\n\n"
        "Officials said the electricity waiver would be renewed for another four months.\n"
    )
    path.write_text(body.format(heading="Power"), encoding="utf-8")
    semantic._STORES.clear()
    run_index(embedded_copy)
    spy = EncodeSpy(monkeypatch)
    path.write_text(body.format(heading="Electricity from Iran"), encoding="utf-8")
    semantic._STORES.clear()
    run_index(embedded_copy)
    assert spy.texts == [
        "Electricity from Iran. Officials said the electricity waiver would be renewed for "
        "another four months."
    ]
    spy.texts.clear()
    semantic._STORES.clear()
    run_index(embedded_copy, rebuild=True)
    assert spy.texts == []


def test_model_loads_without_progress_bars() -> None:
    """The transformers loader drew "Loading weights" bars over the index run's progress."""
    import subprocess
    import sys

    script = "from briefreader.search import semantic; semantic.load_model(); print('ok')"
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr
    assert "Loading weights" not in done.stderr and "it/s" not in done.stderr
