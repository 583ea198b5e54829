"""The text phase's worker processes: documents analysed in a worker are written exactly as
Whoosh's ``add_document`` writes them, an index built with workers is the one built without,
a worker's error reaches the caller, and a ``kill -9`` while workers run loses nothing."""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from whoosh import index as whoosh_index

from briefreader.models import Article
from briefreader.search.index import workers
from briefreader.search.index.analysed import (
    add_analysed,
    analyse_article,
    analyse_document,
    analysed_groups,
    with_passage_texts,
    without_passage_texts,
)
from briefreader.search.index.documents import article_documents
from briefreader.search.index.enrich import Enrichment
from briefreader.search.index.indexer import update_index
from briefreader.search.index.schema import build_schema
from briefreader.search.index.store import active_dir
from briefreader.search.index.workers import WorkerPool, default_workers
from briefreader.search.library import Library
from briefreader.text.load import default_options, load_file
from briefreader.workspace import Workspace
from tests.conftest import SAMPLE_DIR, make_workspace, matches

SRC = str(Path(__file__).resolve().parents[1] / "src")


def _sample_articles() -> list[Article]:
    options = default_options()
    return [
        article
        for path in sorted(SAMPLE_DIR.iterdir())
        for article in load_file(path, SAMPLE_DIR, options).articles
    ]


def _enrichment(article: Article) -> Enrichment:
    """Entity fields for the article and its first passage (so those fields are written)."""
    first = article.passages[0].id
    return Enrichment(
        fields={"person": ["Ada Lovelace"], "place": ["Baghdad", "Iraq"]},
        passage_fields={first: {"org": ["Chatham House"]}},
        payload={"entities": [["Ada Lovelace", "person"]]},
    )


def _everything(folder: Path) -> dict[str, Any]:
    """Every posting (document, weight, value), stored value and field length of an index."""
    ix = whoosh_index.open_dir(str(folder))
    with ix.reader() as reader:
        postings = {}
        for fieldname, text in reader.all_terms():
            matcher = reader.postings(fieldname, text)
            items = []
            while matcher.is_active():
                items.append((matcher.id(), matcher.weight(), matcher.value()))
                matcher.next()
            postings[fieldname, text] = items
        stored = [reader.stored_fields(n) for n in range(reader.doc_count_all())]
        names = [n for n in ix.schema.names() if ix.schema[n].scorable]
        lengths = [
            [reader.doc_field_length(n, name) for name in names]
            for n in range(reader.doc_count_all())
        ]
    ix.close()
    return {"postings": postings, "stored": stored, "lengths": lengths}


def _write(folder: Path, add: Any) -> None:
    folder.mkdir()
    ix = whoosh_index.create_in(str(folder), build_schema())
    writer = ix.writer()
    add(writer)
    writer.commit()
    ix.close()


def test_an_analysed_document_is_written_as_add_document_writes_it(tmp_path: Path) -> None:
    articles = _sample_articles()
    odd = {"title": "Odd fields", "body": "A body of words", "_boost": 2.0, "_title_boost": 3.0}
    odd["_stored_title"] = "Stored instead"

    def directly(writer: Any) -> None:
        for article in articles:
            for fields in article_documents(article, _enrichment(article)):
                writer.add_document(**fields)
        writer.add_document(**odd)

    def analysed(writer: Any) -> None:
        for article in articles:
            for document in analyse_article(article, _enrichment(article)):
                add_analysed(writer, document)
        add_analysed(writer, analyse_document(odd))

    _write(tmp_path / "direct", directly)
    _write(tmp_path / "analysed", analysed)
    direct, through_analysis = _everything(tmp_path / "direct"), _everything(tmp_path / "analysed")
    assert len(direct["stored"]) > len(articles) and len(direct["postings"]) > 1000
    assert any(field == "spell_title" for field, _ in direct["postings"])
    assert through_analysis == direct


def test_an_unknown_field_is_refused_before_anything_is_written() -> None:
    from whoosh.fields import UnknownFieldError

    with pytest.raises(UnknownFieldError):
        analyse_document({"title": "fine", "no_such_field": "x"})


def test_the_workers_analyse_as_this_process_does() -> None:
    articles = _sample_articles()
    groups = [[(a, _enrichment(a))] for a in articles] + [[]]  # [] as for a skipped file

    def analysed(processes: int) -> list[Any]:
        with WorkerPool(processes) as pool:
            return list(analysed_groups(list(range(len(groups))), groups.__getitem__, pool))

    def comparable(results: list[Any]) -> list[Any]:
        """The postings and words of a document in one order (a set's order changes between
        processes: the index written is the same, as ``test_an_index_built_by_workers...``
        shows)."""
        return [
            (
                item,
                [
                    [(sorted(d.postings), sorted(d.spelling), d.fields) for d in docs]
                    for docs in group
                ],
            )
            for item, group in results
        ]

    here, there = analysed(0), analysed(2)
    assert [item for item, _ in there] == list(range(len(groups)))  # in the order given
    assert comparable(there) == comparable(here) and here[-1][1] == []


def test_passage_texts_left_out_for_the_run_come_back_whole() -> None:
    articles = _sample_articles()
    for article in articles:
        light = without_passage_texts(article)
        assert all(p.text == "" for p in light.passages)
        assert with_passage_texts(light) == article
    first = articles[0]
    odd = replace(first, passages=(replace(first.passages[0], text="not a slice"),))
    assert without_passage_texts(odd) is odd and with_passage_texts(odd) is odd


@pytest.mark.parametrize("processes", ["0", "2"])
def test_the_index_holds_the_texts_the_loader_gave(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, processes: str
) -> None:
    monkeypatch.setenv("BRIEFREADER_WORKERS", processes)
    monkeypatch.setattr(workers, "MIN_PARALLEL_FILES", 0)
    monkeypatch.setattr(workers, "available_cores", lambda: 2)
    workspace = Workspace(make_workspace(tmp_path, sample=True))
    update_index(workspace, entities=False)
    loaded = {a.id: a for a in _sample_articles()}
    library = Library.open(workspace)
    try:
        for article_id, article in loaded.items():
            stored = library.article(article_id)
            assert stored.text == article.text
            assert [p.text for p in stored.passages] == [p.text for p in article.passages]
    finally:
        library.close()


def _fails(chunk: list[int]) -> list[int]:
    if 3 in chunk:
        raise ValueError("chunk with 3")
    return chunk


def test_an_error_in_a_worker_is_raised_in_the_caller() -> None:
    with WorkerPool(1) as pool, pytest.raises(ValueError, match="chunk with 3"):
        list(pool.map_chunks(_fails, range(10), 2))


def _dies_in_a_worker(chunk: list[int]) -> list[int]:
    if multiprocessing.parent_process() is not None and 7 in chunk:
        os._exit(1)  # as the out-of-memory killer would end it
    return chunk


def test_a_worker_that_dies_loses_nothing() -> None:
    notices: list[str] = []
    with WorkerPool(2, notices) as pool:
        chunks = list(pool.map_chunks(_dies_in_a_worker, range(30), 2))
    assert [n for _, result in chunks for n in result] == list(range(30))
    assert [chunk for chunk, _ in chunks] == [result for _, result in chunks]
    assert len(notices) == 1 and "worker process stopped" in notices[0]


def test_without_processes_the_run_goes_on_here(monkeypatch: pytest.MonkeyPatch) -> None:
    from briefreader.search.index import workers

    def no_semaphores(*args: Any, **kwargs: Any) -> None:
        raise OSError("sem_open is not implemented")

    monkeypatch.setattr(workers, "ProcessPoolExecutor", no_semaphores)
    notices: list[str] = []
    with WorkerPool(2, notices) as pool:
        assert pool.processes == 0
        assert [r for _, r in pool.map_chunks(sorted, [3, 1, 2], 2)] == [[1, 3], [2]]
    assert notices == ["no worker processes (sem_open is not implemented): the run used one core"]


def test_the_chunks_come_back_in_order_with_few_in_flight() -> None:
    with WorkerPool(2) as pool:
        given: list[int] = []

        def numbers() -> Any:
            for n in range(40):
                given.append(n)
                yield n

        seen = []
        for chunk, result in pool.map_chunks(sorted, numbers(), 2):
            assert len(given) - len(seen) <= 2 * 2 * 3 + 2  # CHUNKS_IN_FLIGHT per process
            seen.extend(result)
            assert chunk == result
    assert seen == list(range(40))


def test_how_many_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(workers, "available_cores", lambda: 2)
    monkeypatch.delenv("BRIEFREADER_WORKERS", raising=False)
    assert default_workers(10) == 0  # a small run: not worth starting processes
    assert default_workers(100_000) == 2  # one per core
    monkeypatch.setattr(workers, "available_cores", lambda: 1)
    assert default_workers(100_000) == 0  # never one worker beside an idle caller
    monkeypatch.setattr(workers, "available_cores", lambda: 2)
    monkeypatch.setenv("BRIEFREADER_WORKERS", "1")
    assert default_workers(100_000) == 1 and default_workers(10) == 0
    monkeypatch.setenv("BRIEFREADER_WORKERS", "64")
    assert default_workers(100_000) == 2  # no more than the cores
    monkeypatch.setenv("BRIEFREADER_WORKERS", "0")
    assert default_workers(100_000) == 0
    for bad in ("abc", "-1", "2.5"):
        monkeypatch.setenv("BRIEFREADER_WORKERS", bad)
        notices: list[str] = []
        assert default_workers(100_000, notices) == 2
        assert notices == [f"BRIEFREADER_WORKERS={bad!r} is not a whole number: 2 worker processes"]


@pytest.fixture
def forced_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    """Two worker processes for any run, however small (the tests' corpora are)."""
    monkeypatch.setenv("BRIEFREADER_WORKERS", "2")
    monkeypatch.setattr(workers, "MIN_PARALLEL_FILES", 0)
    monkeypatch.setattr(workers, "available_cores", lambda: 2)


def _corpus(root: Path, copies: int = 4) -> Workspace:
    files: dict[str, str | bytes] = {}
    for copy in range(copies):
        for path in sorted(SAMPLE_DIR.iterdir()):
            text = path.read_text(encoding="utf-8")
            files[f"c{copy}-{path.name}"] = f"{text.rstrip()}\n\nmarkercopy{copy} closes it.\n"
    files["empty.txt"] = ""
    files["binary.txt"] = b"\x00\x01\x02" * 100
    return Workspace(make_workspace(root, files))


@pytest.mark.parametrize("entities", [False, True], ids=["text phase", "both phases"])
def test_an_index_built_by_workers_is_the_one_built_here(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, entities: bool
) -> None:
    built = {}
    query = "markercopy2 OR iraq" + (" OR place:iraq OR person:sudani" if entities else "")
    monkeypatch.setattr(workers, "MIN_PARALLEL_FILES", 0)
    monkeypatch.setattr(workers, "available_cores", lambda: 2)
    for processes in ("0", "2"):
        monkeypatch.setenv("BRIEFREADER_WORKERS", processes)
        workspace = _corpus(tmp_path / f"w{processes}")
        (workspace.root / "briefreader.toml").write_text('[entities]\nrecogniser = "rules"\n')
        report = update_index(workspace, entities=entities)
        assert report.entities is None or report.entities.recognised > 5
        folder = active_dir(workspace.index_dir)
        assert folder is not None
        library = Library.open(workspace)
        try:
            hits = [h.title for h in library.search(query, limit=50).hits]
        finally:
            library.close()
        skipped = sorted(s.path for s in report.skipped)
        built[processes] = (_everything(folder), hits, skipped, sorted(report.added))
    assert built["2"] == built["0"]
    assert len(built["0"][1]) > 3 and {"binary.txt", "empty.txt"} <= set(built["0"][2])
    assert len(built["0"][3]) >= 5


def _state(pid: int) -> tuple[str, int] | None:
    """A process's state letter and parent, or None if it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return fields[0], int(fields[1])


def _children(pid: int) -> set[int]:
    pids = (int(entry.name) for entry in Path("/proc").iterdir() if entry.name.isdigit())
    return {child for child in pids if (state := _state(child)) and state[1] == pid}


def _running(pid: int) -> bool:
    state = _state(pid)
    return state is not None and state[0] != "Z"


def _many_files(root: Path, count: int = 420) -> Workspace:
    """Enough small distinct files for an index run to start its worker processes."""
    words = ["harbour", "dredging", "budget", "minister", "river", "grain", "port", "council"]
    files: dict[str, str | bytes] = {
        f"f{n:03}.txt": f"Story {n}\n\n"
        + " ".join(words[(n * k) % len(words)] for k in range(1, 40))
        + f" marker{n}.\n\nmarkercopy{n % 3} closes story {n}.\n"
        for n in range(count)
    }
    return Workspace(make_workspace(root, files))


def kill_leaving_no_process(process: subprocess.Popen[Any], children: set[int]) -> None:
    """``kill -9`` an index run: its ``children`` must end on their own soon after."""
    os.kill(process.pid, signal.SIGKILL)
    process.wait(10)
    deadline = time.monotonic() + 30
    while any(_running(pid) for pid in children):
        assert time.monotonic() < deadline, "a worker outlived the killed run"
        time.sleep(0.05)


@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="one core: no worker processes")
def test_a_kill_while_workers_run_keeps_the_old_index_and_leaves_no_process(
    tmp_path: Path,
) -> None:
    assert workers.MIN_PARALLEL_FILES <= 420
    workspace = _many_files(tmp_path)
    update_index(workspace, entities=False)
    found = matches(workspace, "markercopy2")
    env = {**os.environ, "PYTHONPATH": SRC, "BRIEFREADER_CONFIG": "", "BRIEFREADER_WORKERS": "2"}
    command = [sys.executable, "-m", "briefreader", "-w", str(workspace.root), "index"]
    process = subprocess.Popen([*command, "--rebuild"], env=env, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    children: set[int] = set()
    while len(children) < 2:  # the rebuild has started its processes
        assert process.poll() is None and time.monotonic() < deadline
        children = _children(process.pid)
        time.sleep(0.01)
    kill_leaving_no_process(process, children)
    assert matches(workspace, "markercopy2") == found > 0
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr


def test_a_pool_closed_without_waiting_ends_its_processes_at_once() -> None:
    """A quit (``close(wait=False)``) does not wait for the task a process is running: the
    reader's exit waited 13 s for an entity worker's long article."""
    pool = workers.WorkerPool(1)
    assert pool._executor is not None
    future = pool.submit(time.sleep, 60)
    assert future is not None
    deadline = time.monotonic() + 30
    while not future.running() and time.monotonic() < deadline:
        time.sleep(0.05)
    pids = [p.pid for p in pool._executor._processes.values()]  # type: ignore[attr-defined]
    started = time.monotonic()
    pool.close(wait=False)
    # By pid: the executor's own thread reaps the processes, and a ``Process.join`` racing
    # it could see one alive for ever.
    while any(_running(pid) for pid in pids) and time.monotonic() - started < 10:
        time.sleep(0.05)
    assert pids and not any(_running(pid) for pid in pids)
    assert time.monotonic() - started < 10
