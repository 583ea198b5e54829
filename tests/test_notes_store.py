"""The notes store: CRUD, soft delete, migrations, errors, and real concurrent processes."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from briefreader.notes import NoteNotFound, NotesError, NoteStore, TextSelector, parse_tags
from briefreader.notes.store import SCHEMA_VERSION

SRC = str(Path(__file__).resolve().parent.parent / "src")
SELECTOR = TextSelector("quoted words", "before ", " after", 10, 22)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "notes.db"


@pytest.fixture
def store(db: Path) -> NoteStore:
    with NoteStore(db) as notes:
        yield notes


def _add(store: NoteStore, body: str = "", article: str = "a1", **kwargs: object) -> str:
    return store.add(article, f"{article}:p1", SELECTOR, body=body, **kwargs).id  # type: ignore[arg-type]


def test_add_get_round_trip_with_tags_and_author(
    store: NoteStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("USER", "analyst")
    note = store.add("a1", "a1:p1", SELECTOR, body="See #Iraq and #us-policy", tags=["#Extra"])
    saved = store.get(note.id)
    assert saved == note
    assert saved.tags == ("extra", "iraq", "us-policy")
    assert saved.author == "analyst"
    assert saved.created.endswith("Z") and saved.created == saved.updated
    assert store.get("missing") is None


def test_parse_tags_ignores_urls_and_numbers() -> None:
    assert parse_tags("#one x#two http://a.b/c#frag (#three) #4 #five-") == ("one", "three", "five")


def test_update_recomputes_body_tags_and_keeps_explicit_ones(store: NoteStore) -> None:
    note_id = _add(store, "first #old", tags=["kept"])
    updated = store.update(note_id, body="second #new")
    assert updated.tags == ("kept", "new") and updated.body == "second #new"
    assert store.list(tag="old") == [] and [n.id for n in store.list(tag="NEW")] == [note_id]
    assert store.update(note_id, tags=[]).tags == ("new",)
    with pytest.raises(NoteNotFound):
        store.update("nope", body="x")


def test_soft_delete_and_undo(store: NoteStore) -> None:
    keep, gone = _add(store, "keep"), _add(store, "gone")
    deleted = store.delete(gone)
    assert deleted.deleted and store.get(gone) is not None
    assert [n.id for n in store.list()] == [keep]
    assert {n.id for n in store.list(include_deleted=True)} == {keep, gone}
    assert not store.undelete(gone).deleted
    assert {n.id for n in store.list()} == {keep, gone}


def test_list_filters_and_newest_first(store: NoteStore) -> None:
    first = _add(store, "Über café #x", article="a1")
    second = _add(store, "other", article="a2")
    assert [n.id for n in store.list()] == [second, first]
    assert [n.id for n in store.list(article_id="a1")] == [first]
    assert [n.id for n in store.search("über CAFÉ")] == [first]
    assert [n.id for n in store.search("quoted")] == [second, first]
    assert store.search("café missing") == []


def test_resolve_id_prefix(store: NoteStore) -> None:
    note_id = _add(store)
    assert store.resolve_id(note_id[:8]) == note_id
    with pytest.raises(NotesError, match="no note"):
        store.resolve_id("zzz")
    with pytest.raises(NotesError, match="no note"):
        store.resolve_id("")


def test_threads_share_one_store(store: NoteStore) -> None:
    def work() -> None:
        for _ in range(20):
            _add(store, "thread")

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(store.list()) == 80


def test_wal_and_foreign_keys_are_on(store: NoteStore, db: Path) -> None:
    assert store._conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store._conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    with pytest.raises(sqlite3.IntegrityError):
        store._conn.execute("INSERT INTO note_tags VALUES ('no-such-note', 'x')")


# --- migrations and errors ---------------------------------------------------------------------


def test_migrates_from_version_zero(db: Path) -> None:
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE unrelated (x)")  # a version-0 file someone already created
    conn.commit()
    conn.close()
    with NoteStore(db) as store:
        assert store.schema_version() == SCHEMA_VERSION
        _add(store, "works")
    with NoteStore(db) as store:  # reopening does not migrate again
        assert len(store.list()) == 1


def test_newer_schema_is_refused(db: Path) -> None:
    conn = sqlite3.connect(db)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(NotesError, match="newer"):
        NoteStore(db)


def test_garbage_file_is_a_clear_error(db: Path) -> None:
    db.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(NotesError, match="not a usable notes database"):
        NoteStore(db)


def test_disk_full_keeps_previous_state(store: NoteStore) -> None:
    kept = _add(store, "kept")
    pages = store._conn.execute("PRAGMA page_count").fetchone()[0]
    store._conn.execute(f"PRAGMA max_page_count = {pages}")
    with pytest.raises(NotesError, match="disk is full"):
        _add(store, "x" * 200_000)
    assert [n.id for n in store.list()] == [kept]
    assert store.integrity_check() == "ok"


def test_read_only_database_is_a_clear_error(store: NoteStore) -> None:
    kept = _add(store, "kept")
    store._conn.execute("PRAGMA query_only = 1")
    with pytest.raises(NotesError, match="read-only"):
        store.delete(kept)
    assert [n.id for n in store.list()] == [kept]


def test_locked_database_waits_then_fails_with_a_message(db: Path) -> None:
    with NoteStore(db, busy_timeout=0.05, write_deadline=0.3) as store:
        blocker = sqlite3.connect(db, isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")
        started = time.monotonic()
        with pytest.raises(NotesError, match="busy"):
            _add(store)
        assert time.monotonic() - started < 5
        blocker.execute("ROLLBACK")
        blocker.close()
        _add(store)  # works again once the other writer is done
        assert len(store.list()) == 1


# --- real processes ------------------------------------------------------------------------------

WRITER = textwrap.dedent(
    """
    import os, sys, time
    from briefreader.notes import NoteStore, TextSelector
    db, count, label, go = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    while go and not os.path.exists(go):  # start together with the other writers
        time.sleep(0.001)
    store = NoteStore(db)
    for i in range(count):
        note = store.add("a1", "a1:p1", TextSelector("q", start=0, end=1), body=f"{label} {i}")
        print(note.id, flush=True)  # printed only after the commit returned
    """
)


def _writer(db: Path, count: int, label: str, go: str = "") -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": SRC}
    return subprocess.Popen(
        [sys.executable, "-c", WRITER, str(db), str(count), label, go],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def _check_concurrent_writers(db: Path, writers: int, count: int) -> None:
    go = db.with_name("go")
    processes = [_writer(db, count, f"w{n}", str(go)) for n in range(writers)]
    time.sleep(0.5)  # let every child start and wait for the signal
    go.touch()
    acknowledged: set[str] = set()
    for process in processes:
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
        acknowledged |= set(out.split())
    with NoteStore(db) as store:
        stored = {note.id for note in store.list()}
        assert store.integrity_check() == "ok"
    assert len(acknowledged) == writers * count
    assert acknowledged == stored
    print(f"figures: {writers} writers x {count} notes, {len(stored)} stored, 0 lost")


def test_two_processes_writing_at_once_lose_nothing(db: Path) -> None:
    _check_concurrent_writers(db, writers=2, count=100)


@pytest.mark.slow
def test_many_processes_writing_at_once_lose_nothing(db: Path) -> None:
    _check_concurrent_writers(db, writers=6, count=500)


def _kill_mid_write(db: Path, after: int) -> int:
    before = _ids(db)
    process = _writer(db, 100_000, "k")
    assert process.stdout is not None
    acknowledged = [process.stdout.readline().strip() for _ in range(after)]
    os.kill(process.pid, signal.SIGKILL)
    rest, _ = process.communicate(timeout=30)
    # Only complete lines count: a cut last line is an id whose print was interrupted.
    acknowledged += [line for line in rest.split("\n")[:-1] if line]
    with NoteStore(db) as store:
        new = {note.id for note in store.list()} - before
        assert store.integrity_check() == "ok"
    assert len(acknowledged) >= after
    assert set(acknowledged) <= new
    assert len(new - set(acknowledged)) <= 1  # committed, killed before it printed
    return len(acknowledged)


def test_kill_9_during_writes_keeps_every_acknowledged_note(db: Path) -> None:
    for round_number in range(3):
        _kill_mid_write(db, after=20 + 15 * round_number)


@pytest.mark.slow
def test_kill_9_many_rounds(db: Path) -> None:
    acknowledged = sum(_kill_mid_write(db, after=1 + (n * 37) % 200) for n in range(25))
    print(f"figures: 25 kill -9 rounds, {acknowledged} acknowledged notes, 0 lost")


def _ids(db: Path) -> set[str]:
    if not db.exists():
        return set()
    with NoteStore(db) as store:
        return {note.id for note in store.list()}


def test_notes_package_never_imports_textual() -> None:
    code = "import sys, briefreader.notes; print('textual' in sys.modules)"
    env = {**os.environ, "PYTHONPATH": SRC}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert out.stdout.strip() == "False", out.stderr


def test_a_second_store_sees_new_notes_on_refresh(db: Path) -> None:
    with NoteStore(db) as first, NoteStore(db) as second:
        version = second.data_version()
        note_id = _add(first, "from the other login")
        assert second.data_version() != version
        assert [n.id for n in second.list()] == [note_id]


def _two_writers_killed(db: Path, rng: random.Random) -> set[str]:
    """Two writers at once, both killed with SIGKILL at a random moment: their acks."""
    processes = [_writer(db, 100_000, f"p{n}") for n in range(2)]
    time.sleep(rng.uniform(0.3, 1.2))
    for process in processes:
        os.kill(process.pid, signal.SIGKILL)
    acknowledged: set[str] = set()
    for process in processes:
        out, _ = process.communicate(timeout=30)
        acknowledged |= {line for line in out.split("\n")[:-1] if line}
    return acknowledged


def test_two_writers_killed_at_random_lose_no_acknowledged_note(
    db: Path, request: pytest.FixtureRequest
) -> None:
    target = 1000 if request.config.getoption("--slow") else 150
    rng = random.Random(20261122)
    acknowledged: set[str] = set()
    rounds = 0
    while len(acknowledged) < target or rounds < 3:
        acknowledged |= _two_writers_killed(db, rng)
        rounds += 1
        with NoteStore(db) as store:
            assert store.integrity_check() == "ok"
            assert acknowledged <= {note.id for note in store.list()}
    print(f"figures: {rounds} rounds of 2 writers killed, {len(acknowledged)} acknowledged, 0 lost")
