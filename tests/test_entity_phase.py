"""Two phases: the text phase makes every article searchable at once, the entity phase
recognises entities batch by batch (a few commits per phase), resumable after a stop or a
kill."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from briefreader.cli import main
from briefreader.pipeline import run_entities, run_index
from briefreader.search.index.catalog import read_catalog, read_entity_forms
from briefreader.search.index.entity_phase import recognise_pending
from briefreader.search.index.indexer import update_index
from briefreader.search.index.store import active_dir
from briefreader.search.library import Library
from briefreader.workspace import Workspace
from tests.conftest import make_workspace, matches

RULES = '[entities]\nrecogniser = "rules"\n'


def _story(n: int) -> str:
    return (
        f"Harbour story {n}\n\nPrime Minister Mohammed Shia Al-Sudani visited Basra on Monday "
        f"to open the harbour number {n}. Officials from the United Nations attended.\n\n"
        f"Al-Sudani said the harbour would create jobs for the people of Basra."
    )


def _workspace(tmp_path: Path, count: int = 6) -> Workspace:
    files = {f"s{n:02}.txt": _story(n) for n in range(count)}
    root = make_workspace(tmp_path, files)
    (root / "briefreader.toml").write_text(RULES, encoding="utf-8")
    return Workspace(root)


def _pending(workspace: Workspace) -> set[str]:
    folder = active_dir(workspace.index_dir)
    assert folder is not None
    catalog = read_catalog(folder)
    assert catalog is not None
    return catalog.pending


def _counting_recognitions(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The ids of the articles recognised from now on, in order (in this process)."""
    from briefreader.text.entities import extract

    computed: list[str] = []
    compute = extract._compute

    def counting(articles: Any, *args: Any, **kwargs: Any) -> Any:
        computed.extend(a.id for a in articles)
        return compute(articles, *args, **kwargs)

    monkeypatch.setattr(extract, "_compute", counting)
    return computed


def test_the_text_phase_makes_everything_searchable_and_leaves_entities_pending(
    tmp_path: Path,
) -> None:
    workspace = _workspace(tmp_path)
    report = update_index(workspace, entities=False)
    assert report.pending == 6 and len(_pending(workspace)) == 6
    assert matches(workspace, "harbour") == 6  # plain search: every article
    assert matches(workspace, "person:sudani") == 0  # nothing recognised yet
    library = Library.open(workspace)
    assert library.entity_coverage() == (0, 6)
    library.close()
    assert not (workspace.index_dir / "entities-cache.db").exists()  # no recognition ran

    entities = recognise_pending(workspace)
    assert entities.recognised == 6 and entities.left == 0 and not entities.stopped
    assert _pending(workspace) == set()
    assert matches(workspace, "person:sudani") == 6


def test_the_phase_commits_at_its_points_with_the_entity_names(tmp_path: Path) -> None:
    """One article per batch, 40 articles: commits after about 1% and 10% of them and at the
    end (not 40), each with the catalog's entity names and pending marks, visible to a
    reader; the last one leaves one segment with no deleted document."""
    workspace = _workspace(tmp_path, count=40)
    update_index(workspace, entities=False)
    seen: list[tuple[int, int, int, int]] = []
    written: list[str] = []

    def after_batch(done: int, total: int, ids: tuple[str, ...]) -> None:
        folder = active_dir(workspace.index_dir)
        assert folder is not None
        forms = read_entity_forms(folder, with_articles=True) or []
        users = {a for form in forms for a in form.article_ids}
        seen.append((done, total, len(_pending(workspace)), len(users)))
        written.extend(ids)
        assert matches(workspace, "person:sudani") == done  # committed: a reader sees it

    report = recognise_pending(workspace, after_batch=after_batch, batch_chars=100)
    assert report.commits == 3 and seen == [(1, 40, 39, 1), (4, 40, 36, 4), (40, 40, 0, 40)]
    assert len(set(written)) == len(written) == 40
    library = Library.open(workspace)
    try:
        segments = list(library.searcher.reader().leaf_readers())
        assert len(segments) == 1 and not segments[0][0].has_deletions()
    finally:
        library.close()


def test_a_stopped_phase_keeps_its_commits_and_the_next_run_finishes(tmp_path: Path) -> None:
    workspace = _workspace(tmp_path, count=40)
    update_index(workspace, entities=False)
    commits: list[int] = []
    report = recognise_pending(
        workspace,
        batch_chars=100,
        after_batch=lambda done, total, ids: commits.append(done),
        should_stop=lambda: len(commits) >= 2,
    )
    assert report.stopped and report.recognised == 4 and report.left == 36
    assert len(_pending(workspace)) == 36
    assert matches(workspace, "person:sudani") == 4

    run = run_index(workspace)  # nothing changed in articles/: the phase just goes on
    assert not run.report.changed and run.entities is not None
    assert run.entities.recognised == 36 and _pending(workspace) == set()
    assert matches(workspace, "person:sudani") == 40


def test_an_unchanged_workspace_commits_nothing(tmp_path: Path) -> None:
    workspace = _workspace(tmp_path)
    run_index(workspace)
    folder = active_dir(workspace.index_dir)
    assert folder is not None
    before = sorted(p.name for p in folder.iterdir())
    catalog_time = (folder / "catalog.db").stat().st_mtime_ns
    run = run_index(workspace)
    assert run.entities is None and not run.report.changed
    assert sorted(p.name for p in folder.iterdir()) == before
    assert (folder / "catalog.db").stat().st_mtime_ns == catalog_time


def test_cached_entities_are_written_by_the_text_phase(tmp_path: Path) -> None:
    workspace = _workspace(tmp_path)
    run_index(workspace)
    report = update_index(workspace, rebuild=True, entities=False)
    assert report.pending == 0  # every article's entities came from the cache
    assert matches(workspace, "person:sudani") == 6


def test_a_rebuild_reads_the_cached_entities_one_file_at_a_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Read for every article before writing, the cache's entities of a rebuild at BBC ×32
    held 1.2 GB; each file's are read as it is written, through one open cache."""
    from briefreader.search.index.enrich import EntityEnricher
    from briefreader.text.entities import extract

    workspace = _workspace(tmp_path, count=8)
    run_index(workspace)
    asked: list[int] = []
    cached, opened = EntityEnricher.cached, []
    cache_open = extract.EntityCache.open.__func__  # type: ignore[attr-defined]

    def counting_cached(self: EntityEnricher, articles: Any) -> Any:
        asked.append(len(articles))
        return cached(self, articles)

    def counting_open(cls: Any, path: Any) -> Any:
        opened.append(path)
        return cache_open(cls, path)

    monkeypatch.setattr(EntityEnricher, "cached", counting_cached)
    monkeypatch.setattr(extract.EntityCache, "open", classmethod(counting_open))
    report = update_index(workspace, rebuild=True, entities=False)
    assert report.pending == 0 and matches(workspace, "person:sudani") == 8
    assert asked == [1] * 8  # one file, one article, at a time
    assert len(opened) == 1
    folder = active_dir(workspace.index_dir)
    assert folder is not None
    forms = read_entity_forms(folder)
    assert forms is not None and any(form.name == "Mohammed Shia Al-Sudani" for form in forms)


def test_articles_missing_from_the_cache_are_left_pending_by_a_rebuild(tmp_path: Path) -> None:
    import sqlite3

    from briefreader.text.entities import CACHE_FILE

    workspace = _workspace(tmp_path, count=4)
    run_index(workspace)
    _edit(workspace, 2)  # its new text is in no cache
    with sqlite3.connect(workspace.index_dir / CACHE_FILE) as db:
        rows = db.execute("SELECT count(*) FROM cache").fetchone()[0]
    report = update_index(workspace, rebuild=True, entities=False)
    assert rows == 4 and report.pending == 1 and _pending(workspace) == {"s02"}
    assert matches(workspace, "person:sudani") == 3
    assert recognise_pending(workspace).recognised == 1
    assert matches(workspace, "person:sudani") == 4


def test_switching_entities_off_clears_what_was_pending(tmp_path: Path) -> None:
    workspace = _workspace(tmp_path)
    update_index(workspace, entities=False)
    (workspace.root / "briefreader.toml").write_text(
        "[entities]\nenabled = false\n", encoding="utf-8"
    )
    run = run_index(workspace)
    assert run.entities is not None and run.entities.recognised == 0
    assert _pending(workspace) == set()


def test_a_busy_lock_does_not_fail_a_finished_text_phase(tmp_path: Path) -> None:
    from briefreader.search.index.store import write_lock

    workspace = _workspace(tmp_path)
    update_index(workspace, entities=False)
    with write_lock(workspace.index_dir, []):
        import multiprocessing

        context = multiprocessing.get_context("fork")
        queue = context.Queue()
        child = context.Process(target=_entities_in_child, args=(workspace.root, queue))
        child.start()
        child.join(60)
        stopped, notices = queue.get(timeout=5)
    assert stopped and "another briefreader process" in notices[0]


def _entities_in_child(root: Path, queue: object) -> None:
    report = run_entities(Workspace(root))
    queue.put((report.stopped, report.notices))  # type: ignore[attr-defined]


def test_search_says_how_far_entities_have_got(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    workspace = _workspace(tmp_path)
    update_index(workspace, entities=False)
    root = str(workspace.root)
    assert main(["-w", root, "search", "person:sudani"]) == 1
    _, err = capsys.readouterr()
    assert "entities recognised in 0 of 6 articles so far" in err
    main(["-w", root, "search", "--json", "harbour"])
    out, _ = capsys.readouterr()
    assert json.loads(out)["entities"] == {"recognised": 0, "articles": 6}

    assert main(["-w", root, "index"]) == 0
    _, err = capsys.readouterr()
    assert "entities recognised in 6 articles" in err
    assert main(["-w", root, "search", "person:sudani"]) == 0
    _, err = capsys.readouterr()
    assert "so far" not in err


def test_the_emptied_text_segment_is_dropped_not_merged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After the phase the text phase's segment is gone (copied into a merge only once fewer
    than TIER_FLOOR of its documents were left), no deleted document is left, and the
    segments are tiered."""
    from whoosh.reading import SegmentReader

    from briefreader.search.index import merging

    copied: dict[str, int] = {}  # segment id: live documents when copied into a merge

    def counted(storage: object, schema: object, segment: Any) -> SegmentReader:
        copied[segment.segment_id()] = segment.doc_count()
        return SegmentReader(storage, schema, segment)

    workspace = _workspace(tmp_path, count=120)  # 360 documents: the text segment is tier 1
    update_index(workspace, entities=False)
    library = Library.open(workspace)
    (text_segment,) = [
        r.segment().segment_id() for r, _ in library.searcher.reader().leaf_readers()
    ]
    library.close()
    monkeypatch.setattr(merging, "SegmentReader", counted)
    recognise_pending(workspace, batch_chars=2_000)
    # Batch segments were merged; the text segment only once fewer than TIER_FLOOR were left.
    assert len(copied) > 1 and copied.get(text_segment, 0) < merging.TIER_FLOOR
    library = Library.open(workspace)
    try:
        segments = list(library.searcher.reader().leaf_readers())
        documents = sum(reader.doc_count() for reader, _ in segments)
        assert documents == 360 and len(segments) <= merging.max_segments(documents)
        assert text_segment not in {r.segment().segment_id() for r, _ in segments}
        assert not any(reader.has_deletions() for reader, _ in segments)
    finally:
        library.close()


def test_batch_commits_leave_big_emptied_segments_out_of_merges() -> None:
    """At BBC ×1 the text segment (47,000 documents) fell a tier as batches emptied it and was
    merged, 28,000 documents rewritten that the next batches deleted again."""
    from briefreader.search.index.merging import sparing_emptied

    class Segment:
        def __init__(self, documents: int, deletions: bool) -> None:
            self.documents, self.deletions = documents, deletions

        def doc_count(self) -> int:
            return self.documents

        def has_deletions(self) -> bool:
            return self.deletions

    emptied, batch, small = Segment(28_000, True), Segment(10_000, False), Segment(50, True)
    given: list[list[Segment]] = []

    def merge_all(writer: object, segments: list[Segment]) -> list[Segment]:
        given.append(segments)
        return []

    kept = sparing_emptied(merge_all)(None, [emptied, batch, small])
    assert given == [[batch, small]] and kept == [emptied]


def test_a_stop_between_commits_loses_no_recognition(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Batches recognised but not yet committed when the phase stops are not recognised again:
    the next run writes them from the entity cache."""
    computed = _counting_recognitions(monkeypatch)
    workspace = _workspace(tmp_path, count=24)  # commits after the first and third
    update_index(workspace, entities=False)
    report = recognise_pending(workspace, batch_chars=100, should_stop=lambda: len(computed) >= 5)
    assert report.stopped and report.commits == 2 and len(computed) == 5
    # The fourth batch was recognised but not committed; the fifth was in hand.
    assert len(_pending(workspace)) == 21 and matches(workspace, "person:sudani") == 3
    fourth, in_hand = computed[3], computed[4]

    report = recognise_pending(workspace, batch_chars=100)
    assert report.recognised == 21 and not report.stopped and _pending(workspace) == set()
    assert len(set(computed)) == 24 and len(computed) == 25
    assert computed.count(fourth) == 1 and computed.count(in_hand) == 2  # only it, twice
    assert matches(workspace, "person:sudani") == 24


def test_the_commit_reports_its_progress_as_saving_entities(tmp_path: Path) -> None:
    """A phase's commit (the last one merges too) is not a silence: it reports the postings
    it writes, under a phase of its own."""
    workspace = _workspace(tmp_path, count=12)
    update_index(workspace, entities=False)
    steps: list[tuple[str, int, int]] = []
    recognise_pending(
        workspace, progress=lambda phase, done, total: steps.append((phase, done, total))
    )
    saving = [(done, total) for phase, done, total in steps if phase == "saving entities"]
    assert saving and saving[0][0] == 0 and saving[-1][0] == saving[-1][1] > 1
    assert {phase for phase, _, _ in steps} == {
        "entities",
        "saving entities",
        "finishing",
        "catalog",
    }
    # then the catalog (every article's entity names): articles written
    assert [step for step in steps if step[0] == "catalog"][-1] == ("catalog", 12, 12)
    # the copy into the segment's compound file, after the last posting is written: bytes
    finishing = [(done, total) for phase, done, total in steps if phase == "finishing"]
    assert finishing[0][0] == 0 and finishing[-1][0] == finishing[-1][1] > 1_000
    assert [done for done, _ in finishing] == sorted(done for done, _ in finishing)


def test_the_first_batch_is_small_and_committed_at_once(tmp_path: Path) -> None:
    """A tenth of a batch goes first and is committed when more follow: the newest articles
    get their entities early even when the phase is a few batches long."""
    workspace = _workspace(tmp_path, count=30)
    update_index(workspace, entities=False)
    size = len(_story(10)) * 10  # about ten articles a batch, the first about one
    committed: list[int] = []
    report = recognise_pending(
        workspace, batch_chars=size, after_batch=lambda done, total, ids: committed.append(done)
    )
    assert committed[0] <= 2 and committed[-1] == 30 == report.recognised


def test_a_big_phase_commits_its_first_batch_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first batch is committed even when it is far below the first commit point."""
    from briefreader.search.index import entity_phase

    monkeypatch.setattr(entity_phase, "COMMIT_POINTS", (0.5, 0.9))
    workspace = _workspace(tmp_path, count=30)
    update_index(workspace, entities=False)
    committed: list[int] = []
    recognise_pending(
        workspace, batch_chars=10, after_batch=lambda done, total, ids: committed.append(done)
    )
    assert committed == [1, 15, 27, 30]


def test_a_batch_is_committed_before_the_next_is_recognised(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first batch reaches the reader as soon as it is written, not once the next one
    is recognised too."""
    computed = _counting_recognitions(monkeypatch)
    workspace = _workspace(tmp_path, count=12)
    update_index(workspace, entities=False)
    seen: list[int] = []
    recognise_pending(
        workspace, batch_chars=100, after_batch=lambda done, total, ids: seen.append(len(computed))
    )
    assert seen[0] == 1 and seen[-1] == 12


def _edit(workspace: Workspace, n: int) -> None:
    text = _story(n) + "\n\nPrime Minister Gordon Brown visited Basra on Tuesday."
    (workspace.articles_dir / f"s{n:02}.txt").write_text(text, encoding="utf-8")


def test_an_edit_of_a_few_articles_gets_its_entities_in_its_one_commit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A second phase would cost a second commit, most of a one-file re-index: the text
    phase of an update with little new text recognises it, and nothing is left pending."""
    workspace = _workspace(tmp_path)
    update_index(workspace)
    _edit(workspace, 1)
    recognised = _counting_recognitions(monkeypatch)
    report = update_index(workspace, entities=False)  # the text phase alone, as the reader runs it
    assert report.updated == ["s01.txt"] and report.pending == 0 and recognised == ["s01"]
    assert report.recognised_now == 1
    assert _pending(workspace) == set()
    assert matches(workspace, 'person:"gordon brown"') == 1  # found by entity at once
    assert matches(workspace, "person:sudani") == 6


def test_an_update_with_more_new_text_leaves_it_to_the_entity_phase(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from briefreader.search.index import indexer

    workspace = _workspace(tmp_path)
    update_index(workspace)
    monkeypatch.setattr(indexer, "INLINE_ENTITY_CHARS", len(_story(1)) + 100)  # below two edits
    _edit(workspace, 1)
    _edit(workspace, 2)
    report = update_index(workspace, entities=False)
    assert report.pending == 2 and _pending(workspace) == {"s01", "s02"}
    assert report.recognised_now == 0
    assert matches(workspace, 'person:"gordon brown"') == 0 and matches(workspace, "harbour") == 6
    assert recognise_pending(workspace).recognised == 2
    assert matches(workspace, 'person:"gordon brown"') == 2


def test_a_first_build_of_little_text_still_has_two_phases(tmp_path: Path) -> None:
    workspace = _workspace(tmp_path, count=2)  # far below INLINE_ENTITY_CHARS
    assert update_index(workspace, entities=False).pending == 2


def test_the_index_command_says_a_small_update_recognised_its_entities(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    workspace = _workspace(tmp_path)
    assert main(["-w", str(workspace.root), "index"]) == 0
    _edit(workspace, 3)
    capsys.readouterr()
    assert main(["-w", str(workspace.root), "index"]) == 0
    err = capsys.readouterr().err
    assert "1 updated" in err and "entities recognised in 1 article (with the text)" in err


def test_the_text_phase_report_waits_as_one_string_during_the_entity_phase(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its lists, made as the files were parsed, kept the allocator from giving back the
    memory around them (85 MB at BBC ×32): none of its objects lives while entities are
    recognised, and the run's report comes back whole."""
    import gc

    from briefreader import pipeline
    from briefreader.search.index.indexer import IndexReport

    workspace = _workspace(tmp_path)
    alive: list[int] = []
    recognise = pipeline.recognise_pending

    def counting(*args: Any, **kwargs: Any) -> Any:
        alive.append(sum(isinstance(o, IndexReport) for o in gc.get_objects()))
        return recognise(*args, **kwargs)

    monkeypatch.setattr(pipeline, "recognise_pending", counting)
    run = run_index(workspace)
    assert alive == [0]
    assert sorted(run.report.added) == [f"s{n:02}.txt" for n in range(6)]
    assert run.report.pending == 6 and run.report.touched
    assert run.entities is not None and run.report.entities is run.entities
    assert run.entities.recognised == 6


def test_a_folder_where_the_entity_cache_should_be_only_costs_the_cache(tmp_path: Path) -> None:
    """Recognised again on each run, never written; the index run itself succeeds."""
    from briefreader.text.entities import CACHE_FILE

    workspace = _workspace(tmp_path)
    workspace.index_dir.mkdir(parents=True, exist_ok=True)
    (workspace.index_dir / CACHE_FILE).mkdir()
    run = run_index(workspace)
    assert run.entities is not None and run.entities.recognised == 6
    assert matches(workspace, "person:sudani") == 6
    rebuilt = run_index(workspace, rebuild=True)
    assert rebuilt.entities is not None and rebuilt.entities.recognised == 6
    assert (workspace.index_dir / CACHE_FILE).is_dir()


def test_an_entity_cache_that_cannot_be_opened_does_not_stop_an_index_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As an unreadable file (no permission): an idle run, an edit and a rebuild all finish."""
    import sqlite3

    from briefreader.text.entities import extract

    workspace = _workspace(tmp_path)
    run_index(workspace)

    def unopenable(path: Path) -> Any:
        raise sqlite3.OperationalError("unable to open database file")

    monkeypatch.setattr(extract, "_open_cache", unopenable)
    assert not run_index(workspace).report.changed  # idle
    _edit(workspace, 1)
    assert run_index(workspace).report.updated == ["s01.txt"]
    assert matches(workspace, 'person:"gordon brown"') == 1
    rebuilt = run_index(workspace, rebuild=True)
    assert rebuilt.entities is not None and rebuilt.entities.recognised == 6
    assert matches(workspace, "person:sudani") == 6


def test_the_collector_pauses_while_a_batch_is_written_and_not_between(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import gc

    from briefreader.search.index import entity_phase

    workspace = _workspace(tmp_path)
    update_index(workspace, entities=False)
    writing: list[bool] = []
    between: list[bool] = []
    rewrite = entity_phase._Phase._rewrite

    def recording(self: Any, *args: Any) -> None:
        writing.append(gc.isenabled())
        rewrite(self, *args)

    monkeypatch.setattr(entity_phase._Phase, "_rewrite", recording)
    report = recognise_pending(
        workspace,
        batch_chars=200,
        progress=lambda phase, *_: phase == "entities" and between.append(gc.isenabled()),
    )
    assert report.recognised == 6 and report.commits >= 2
    assert writing and not any(writing) and between and all(between) and gc.isenabled()
