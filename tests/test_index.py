"""The index: incremental updates, atomic rebuilds, locks, damaged indexes, real kills."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from briefreader.search.index.indexer import update_index
from briefreader.search.index.store import CURRENT_FILE, IndexBusy, active_dir, write_lock
from briefreader.search.library import Library
from briefreader.workspace import Workspace
from tests.conftest import make_workspace

BODY = (
    "The harbour authority approved a plan to dredge the channel, and the fishermen "
    "complained that the work would close the port for the whole summer season."
)


def _ws(tmp_path: Path, **files: str) -> Workspace:
    return Workspace(make_workspace(tmp_path, {f"{k}.txt": v for k, v in files.items()}))


def _ids(workspace: Workspace) -> list[str]:
    library = Library.open(workspace)
    try:
        return sorted(a.id for a in library.articles())
    finally:
        library.close()


def test_add_change_delete_are_incremental(tmp_path: Path) -> None:
    ws = _ws(tmp_path, a=f"Harbour plan\n\n{BODY}", b=f"Second story\n\n{BODY} Extra words.")
    first = update_index(ws)
    assert sorted(first.added) == ["a.txt", "b.txt"] and first.articles == 2
    again = update_index(ws)
    assert not again.changed and again.unchanged == 2
    (ws.articles_dir / "a.txt").write_text(f"Harbour plan revised\n\n{BODY} Lighthouse.")
    (ws.articles_dir / "c.txt").write_text(f"Third story\n\n{BODY}")
    (ws.articles_dir / "b.txt").unlink()
    report = update_index(ws)
    assert (report.added, report.updated, report.removed) == (["c.txt"], ["a.txt"], ["b.txt"])
    library = Library.open(ws)
    assert library.search("lighthouse").hits[0].article_id == "a"
    assert library.article("a").title == "Harbour plan revised"
    assert not library.search('"second story"').hits
    assert _ids(ws) == ["a", "c"]


def test_touch_without_change_is_not_reindexed(tmp_path: Path) -> None:
    ws = _ws(tmp_path, a=f"Harbour plan\n\n{BODY}")
    update_index(ws)
    os.utime(ws.articles_dir / "a.txt", (time.time() + 10, time.time() + 10))
    assert not update_index(ws).changed


def test_skipped_files_reported_and_bad_file_replacing_good_one(tmp_path: Path) -> None:
    ws = _ws(tmp_path, a=f"Harbour plan\n\n{BODY}")
    (ws.articles_dir / "blob.txt").write_bytes(b"\x00\x01binary")
    report = update_index(ws)
    assert [s.path for s in report.skipped] == ["blob.txt"]
    (ws.articles_dir / "a.txt").write_bytes(b"")
    report = update_index(ws)
    assert "a.txt" in report.removed and _ids(ws) == []


def test_rebuild_swaps_atomically_and_cleans_old_dirs(tmp_path: Path) -> None:
    ws = _ws(tmp_path, a=f"Harbour plan\n\n{BODY}")
    update_index(ws)
    old = active_dir(ws.index_dir)
    library = Library.open(ws)
    report = update_index(ws, rebuild=True)
    assert report.rebuilt == "rebuild requested"
    assert active_dir(ws.index_dir) != old
    assert old.exists()  # kept for a grace period: a reader elsewhere may still use it
    assert library.search("harbour").hits  # the old snapshot keeps working
    assert library.refresh() and library.search("harbour").hits
    os.utime(old, (0, 0))
    for path in old.iterdir():
        os.utime(path, (0, 0))
    update_index(ws)
    assert not old.exists() and len(list(ws.index_dir.glob("ix-*"))) == 1


def test_corrupt_index_is_rebuilt_with_message(tmp_path: Path) -> None:
    ws = _ws(tmp_path, a=f"Harbour plan\n\n{BODY}")
    update_index(ws)
    for toc in active_dir(ws.index_dir).glob("*.toc"):
        toc.write_bytes(b"garbage")
    report = update_index(ws)
    assert report.rebuilt and "rebuilding" in report.rebuilt
    assert _ids(ws) == ["a"]


def test_other_schema_version_is_rebuilt(tmp_path: Path) -> None:
    ws = _ws(tmp_path, a=f"Harbour plan\n\n{BODY}")
    update_index(ws)
    with sqlite3.connect(active_dir(ws.index_dir) / "catalog.db") as db:
        db.execute("UPDATE info SET value = '1' WHERE key = 'schema_version'")
    report = update_index(ws)
    assert report.rebuilt and "another version" in report.rebuilt


def test_stale_catalog_is_recovered_from_index(tmp_path: Path) -> None:
    ws = _ws(tmp_path, a=f"Harbour plan\n\n{BODY}")
    update_index(ws)
    (active_dir(ws.index_dir) / "catalog.db").unlink()
    report = update_index(ws)
    assert any("catalog" in n for n in report.notices)
    assert report.updated == ["a.txt"] or report.unchanged == 1
    assert _ids(ws) == ["a"]


def test_second_indexer_refused_and_stale_lock_cleared(tmp_path: Path) -> None:
    ws = _ws(tmp_path, a=f"Harbour plan\n\n{BODY}")
    with write_lock(ws.index_dir, []), pytest.raises(IndexBusy, match="pid"):
        update_index(ws)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (ws.index_dir / ".lock").write_text(str(dead.pid))
    report = update_index(ws)
    assert any(f"process {dead.pid}" in n for n in report.notices)


def test_index_write_failure_keeps_previous_index(tmp_path: Path, monkeypatch) -> None:
    ws = _ws(tmp_path, a=f"Harbour plan\n\n{BODY}")
    update_index(ws)
    (ws.articles_dir / "b.txt").write_text(f"Another story\n\n{BODY}")
    from whoosh.writing import SegmentWriter

    def disk_full(self, *args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(SegmentWriter, "commit", disk_full)
    with pytest.raises(OSError, match="No space"):
        update_index(ws)
    monkeypatch.undo()
    assert _ids(ws) == ["a"]
    assert update_index(ws).added == ["b.txt"]


KILL_SCRIPT = """
import sys
from pathlib import Path
from briefreader.search.index.indexer import update_index
from briefreader.workspace import Workspace
def progress(phase, done, total):
    if phase == sys.argv[2]:
        print("ready", flush=True)
        import time; time.sleep(30)
update_index(Workspace(Path(sys.argv[1])), rebuild=sys.argv[3] == "1", progress=progress)
"""


@pytest.mark.parametrize(
    "phase, rebuild", [("indexing", "0"), ("committing", "0"), ("indexing", "1")]
)
def test_killed_indexer_leaves_a_working_index(tmp_path: Path, phase: str, rebuild: str) -> None:
    ws = _ws(tmp_path, a=f"Harbour plan\n\n{BODY}")
    update_index(ws)
    for number in range(30):
        (ws.articles_dir / f"n{number}.txt").write_text(f"Story {number}\n\n{BODY} n{number}")
    child = subprocess.Popen(
        [sys.executable, "-c", KILL_SCRIPT, str(ws.root), phase, rebuild],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parent.parent / "src")},
    )
    assert child.stdout.readline().strip() == "ready"
    child.send_signal(signal.SIGKILL)
    child.wait()
    assert _ids(ws) == ["a"]
    report = update_index(ws)
    assert report.articles == 31
    (ws.index_dir / CURRENT_FILE).read_text()
    clean = _ws(tmp_path / "clean", a=f"Harbour plan\n\n{BODY}")
    for number in range(30):
        (clean.articles_dir / f"n{number}.txt").write_text(f"Story {number}\n\n{BODY} n{number}")
    update_index(clean)
    assert _ids(ws) == _ids(clean)
    assert len(Library.open(ws).search("harbour", limit=100).hits) == 31


@pytest.mark.parametrize(
    "phase, rebuild",
    [
        ("scanning", False),
        ("parsing", False),
        ("indexing", False),
        ("committing", False),
        ("merging", False),
        ("indexing", True),
        ("committing", True),
    ],
)
def test_a_stopped_run_leaves_the_index_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, phase: str, rebuild: bool
) -> None:
    """The reader quitting stops the text phase at its next progress step, the commit's
    included (its postings given up with the writer): the index answers as before, and the
    next run does the whole update (and its commit removes the files the stopped writer
    left, as after a failed run)."""
    from briefreader.search.index import committing, merging
    from briefreader.search.index.indexer import IndexStopped

    monkeypatch.setattr(committing, "COMMIT_REPORT_EVERY", 10)
    monkeypatch.setattr(merging, "TIER_FLOOR", 1_000)  # the small segments merge each time
    ws = _ws(tmp_path, a=f"Harbour plan\n\n{BODY}")
    update_index(ws, entities=False)
    (ws.articles_dir / "b.txt").write_text(f"Port talks\n\n{BODY} Lighthouse.")
    update_index(ws, entities=False)  # two segments: the next commit merges them
    for number in range(30):
        (ws.articles_dir / f"n{number}.txt").write_text(f"Story {number}\n\n{BODY} n{number}")
    (ws.articles_dir / "a.txt").unlink()
    before = {p.name for p in ws.index_dir.rglob("*")}
    asked: list[str] = []

    def stop() -> bool:
        return phase in asked

    def progress(name: str, done: int, total: int) -> None:
        asked.append(name)

    with pytest.raises(IndexStopped):
        update_index(ws, rebuild=rebuild, progress=progress, should_stop=stop, entities=False)
    assert phase in asked
    assert _ids(ws) == ["a", "b"]
    left = {p.name for p in ws.index_dir.rglob("*")} - before
    report = update_index(ws, entities=False)
    assert report.articles == 31 and report.removed == ["a.txt"]
    assert len(Library.open(ws).search("harbour", limit=100).hits) == 31
    assert not left & {p.name for p in ws.index_dir.rglob("*")} - {"REANCHOR-PENDING"}


def test_a_stop_after_the_commit_is_not_taken(tmp_path: Path) -> None:
    """Once the commit is written the run finishes (catalog, activation): a stop asked then
    does not leave a committed index without its catalog."""
    ws = _ws(tmp_path, a=f"Harbour plan\n\n{BODY}")
    late: list[str] = []

    def progress(name: str, done: int, total: int) -> None:
        late.append(name)

    report = update_index(
        ws, progress=progress, should_stop=lambda: "finishing" in late, entities=False
    )
    assert "finishing" in late and report.added == ["a.txt"]
    assert update_index(ws, entities=False).unchanged == 1


def test_commit_reports_progress_through_the_postings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from briefreader.search.index import committing

    monkeypatch.setattr(committing, "COMMIT_REPORT_EVERY", 10)
    ws = _ws(tmp_path, a=f"Harbour plan\n\n{BODY}", b=f"Port talks\n\n{BODY} More words here.")
    seen: list[tuple[int, int]] = []
    update_index(
        ws,
        progress=lambda phase, done, total: (
            seen.append((done, total)) if phase == "committing" else None
        ),
    )
    totals = {total for _, total in seen}
    assert len(totals) == 1 and next(iter(totals)) > 10
    dones = [done for done, _ in seen]
    assert dones == sorted(dones) and len(dones) > 3 and dones[-1] == seen[-1][1]


def test_an_old_entity_cache_is_kept_until_carried_over(tmp_path: Path) -> None:
    ws = _ws(tmp_path, a=f"Harbour plan\n\n{BODY}")
    (ws.root / "briefreader.toml").write_text('[entities]\nrecogniser = "rules"\n', "utf-8")
    update_index(ws)
    (ws.index_dir / "entities-cache.db").unlink()
    legacy = ws.index_dir / "entities-cache.json"
    legacy.write_text('{"format": 1, "entries": {}}', encoding="utf-8")
    update_index(ws)  # nothing changed: no recognition ran, nothing was carried over
    assert legacy.is_file()
    (ws.articles_dir / "a.txt").write_text(f"Harbour plan\n\n{BODY} More.", encoding="utf-8")
    update_index(ws)
    assert (ws.index_dir / "entities-cache.db").is_file() and not legacy.exists()


def test_stored_article_keeps_its_text_once_and_comes_back_whole(tmp_path: Path) -> None:
    """The article's JSON keeps only what lies between passages; the passages' stored text
    fills it in. Passages that overlap (not written by our splitter) keep the whole text."""
    import json
    from dataclasses import replace

    from briefreader.search.index.documents import article_from_json, article_to_json
    from briefreader.search.library import Library

    ws = _ws(tmp_path, a=f"Harbour plan\n\n{BODY}\n\n## Later\n\nA second paragraph here.")
    update_index(ws)
    library = Library.open(ws)
    try:
        (summary,) = library.articles()
        article = library.article(summary.id)
    finally:
        library.close()
    assert all(article.text[p.start : p.end] == p.text for p in article.passages)
    stored = article_to_json(article)
    assert "text" not in json.loads(stored) and BODY not in stored
    texts = {p.number: p.text for p in article.passages}
    assert article_from_json(stored, texts) == article
    first = article.passages[0]
    odd = replace(article, passages=(first, replace(first, number=2, id=f"{article.id}:p2")))
    assert article_from_json(article_to_json(odd)) == odd


def test_the_stored_article_is_what_asdict_gave(tmp_path: Path) -> None:
    """The stored JSON is built field by field, not by ``dataclasses.asdict``: the same
    bytes, for articles with headings, references, footnotes, a deck and notices."""
    import json
    from dataclasses import asdict, replace

    from briefreader.models import Reference
    from briefreader.search.index.documents import _gaps, article_to_json
    from tests.test_parallel_indexing import _sample_articles

    def with_asdict(article: Any, payload: dict[str, Any]) -> str:
        data = asdict(article)
        gaps = _gaps(article)
        if gaps is not None:
            del data["text"]
            data["gaps"] = gaps
        for passage in data["passages"]:
            for derived in ("id", "article_id", "text"):
                del passage[derived]
        data["extra"] = payload
        return json.dumps(data, ensure_ascii=False)

    articles = _sample_articles()
    odd = replace(
        articles[0],
        deck=("A deck",),
        notices=("cut",),
        tags=("x",),
        references=(Reference("i", "A source"),),
    )
    for article in [*articles, odd]:
        assert article.passages
        payload = {"entities": [["PERSON", "Ada", 0, 3]]}
        assert article_to_json(article, payload) == with_asdict(article, payload)


def test_each_parsed_article_is_freed_once_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The text phase parses every file first; an article written to the index is let go
    at once, so the parsed corpus does not stay in memory beside the postings."""
    import gc
    import weakref

    from briefreader.search.index import indexer

    ws = _ws(tmp_path, **{f"n{n}": f"Story {n}\n\n{BODY} n{n}" for n in range(12)})
    written: list[weakref.ref[object]] = []
    alive: list[int] = []
    index_result = indexer._index_result

    def counting(writer: object, catalog: object, analysed: Any, *rest: Any) -> None:
        gc.collect()
        alive.append(sum(ref() is not None for ref in written))
        result, _ = analysed
        written.extend(weakref.ref(article) for article in result.articles)
        index_result(writer, catalog, analysed, *rest)  # type: ignore[arg-type]

    monkeypatch.setattr(indexer, "_index_result", counting)
    monkeypatch.setenv("BRIEFREADER_WORKERS", "0")  # with workers, those in flight live on
    update_index(ws)
    assert len(written) == 12 and max(alive) <= 1


def test_a_commit_reports_progress_while_it_merges(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Copying merged segments' postings is not a silence: it reports ``merging`` steps,
    then the pool's postings are written with ``committing`` steps up to their total."""
    from whoosh import fields, index
    from whoosh.writing import OPTIMIZE

    from briefreader.search.index import committing

    monkeypatch.setattr(committing, "COMMIT_REPORT_EVERY", 10)
    ix = index.create_in(str(tmp_path), fields.Schema(body=fields.TEXT))
    for part in range(2):
        writer = ix.writer()
        for n in range(20):
            writer.add_document(body=f"{BODY} part{part} doc{n}")
        writer.commit()
    writer = ix.writer()
    writer.add_document(body=BODY)
    steps: list[tuple[str, int, int]] = []
    committing.commit_reporting(
        writer, lambda phase, done, total: steps.append((phase, done, total)), OPTIMIZE
    )
    merging = [(done, total) for phase, done, total in steps if phase == "merging"]
    assert len(merging) > 4 and all(done <= total for done, total in merging)
    assert merging[-1][0] == merging[-1][1]  # each merged segment ends at its count
    phases = [phase for phase, _, _ in steps]
    assert phases[0] == phases[-1] == "committing" and steps[-1][1] == steps[-1][2]
    with ix.searcher() as searcher:
        assert searcher.doc_count() == 41 and len(list(searcher.reader().leaf_readers())) == 1


def test_the_scanning_bar_ends_full(tmp_path: Path) -> None:
    """Progress is reported every 500 files and at the last one (the bar stopped at
    2,000 of 2,225 while its clock ran on)."""
    stories = {f"n{n}": f"Story {n}\n\nA paragraph about harbour {n}." for n in range(3)}
    ws = _ws(tmp_path, **stories)
    seen: list[tuple[int, int]] = []

    def progress(phase: str, done: int, total: int) -> None:
        if phase == "scanning":
            seen.append((done, total))

    update_index(ws, progress=progress, entities=False)
    assert seen and seen[-1] == (3, 3)


def test_unchanged_counts_files_compared_by_their_stat_or_their_bytes(tmp_path: Path) -> None:
    """A file is unchanged when its size and mtime are the catalog's, or, touched, when its
    bytes are; a changed, a new and a copied file are not counted."""
    ws = _ws(tmp_path, a=f"One\n\n{BODY}", b=f"Two\n\n{BODY} Ferry.", c=f"Three\n\n{BODY} Dock.")
    update_index(ws, entities=False)
    os.utime(ws.articles_dir / "b.txt", ns=(1, 1))  # touched: same bytes, another mtime
    (ws.articles_dir / "c.txt").write_text(f"Three\n\n{BODY} Dock. Pier.")
    (ws.articles_dir / "d.txt").write_text(f"Four\n\n{BODY} Quay.")
    (ws.articles_dir / "e.txt").write_bytes((ws.articles_dir / "a.txt").read_bytes())
    report = update_index(ws, entities=False)
    assert report.unchanged == 2  # a (stat), b (bytes)
    assert (report.added, report.updated) == (["d.txt"], ["c.txt"])
    again = update_index(ws, entities=False)
    assert again.unchanged == 4 and not again.changed  # e stays a remembered copy


@pytest.mark.parametrize("enabled_before", [True, False])
def test_the_garbage_collector_pauses_while_files_are_compared(
    tmp_path: Path, monkeypatch, enabled_before: bool
) -> None:
    """The catalog is read, the files compared, the changed ones written and committed with
    the collector off (its full passes over an object or two per file were a fifth of the
    comparing at BBC ×32); it is back as it was afterwards, and after a failure."""
    import gc

    from briefreader.search.index import indexer

    seen: list[bool] = []
    real_plan, real_commit = indexer._plan, indexer._commit

    def plan(*args: Any) -> Any:
        seen.append(gc.isenabled())
        return real_plan(*args)

    def commit(*args: Any, **kwargs: Any) -> Any:
        seen.append(gc.isenabled())
        return real_commit(*args, **kwargs)

    monkeypatch.setattr(indexer, "_plan", plan)
    monkeypatch.setattr(indexer, "_commit", commit)
    workspace = _ws(tmp_path, a=f"A title\n\n{BODY}")
    (workspace.root / "briefreader.toml").write_text('[entities]\nrecogniser = "rules"\n')
    was = gc.isenabled()
    try:
        if not enabled_before:
            gc.disable()
        update_index(workspace)
        assert seen == [False, False] and gc.isenabled() is enabled_before
        monkeypatch.setattr(indexer, "_plan", lambda *a: 1 / 0)
        with pytest.raises(ZeroDivisionError):
            update_index(workspace)
        assert gc.isenabled() is enabled_before
    finally:
        if was:
            gc.enable()
