"""The catalog database: incremental writes, entity name totals, damage and recovery."""

from __future__ import annotations

import marshal
from dataclasses import astuple
from pathlib import Path

import pytest

from briefreader.search.index.catalog import (
    ArticleSummary,
    Catalog,
    FileEntry,
    KnownCopy,
    StoredCatalog,
    read_catalog,
    read_entity_forms,
    read_pending_catalog,
    read_titles,
    write_catalog,
)
from briefreader.search.index.indexer import update_index
from briefreader.search.index.store import active_dir
from briefreader.search.library import Library
from briefreader.text.entities import EntityForm
from briefreader.workspace import Workspace
from tests.conftest import make_workspace

BAGHDAD = EntityForm("Baghdad", "Baghdad", "PLACE", 2)
SUDANI = EntityForm("Sudani", "Mohammed Shia al-Sudani", "PERSON", 3)


def _summary(article_id: str, date: str | None = None) -> ArticleSummary:
    return ArticleSummary(article_id, f"Title {article_id}", "Source", date, f"{article_id}.txt", 2)


def _two_articles() -> Catalog:
    catalog = Catalog(generation=1, schema_version=7)
    for article_id, forms in (("a", [BAGHDAD, SUDANI]), ("b", [BAGHDAD])):
        catalog.put_file(f"{article_id}.txt", FileEntry(10, 20, "hash", (article_id,)))
        catalog.put_article(_summary(article_id), forms)
    return catalog


def _totals(folder: Path) -> dict[str, tuple[int, tuple[str, ...]]]:
    forms = read_entity_forms(folder, with_articles=True) or []
    return {f.text: (f.mentions, f.article_ids) for f in forms}


def test_round_trip_and_entity_totals(tmp_path: Path) -> None:
    write_catalog(tmp_path, _two_articles())
    catalog = read_catalog(tmp_path)
    assert catalog is not None and catalog.generation == 1 and catalog.schema_version == 7
    assert catalog.files["a.txt"] == FileEntry(10, 20, "hash", ("a",))
    assert catalog.articles["b"] == _summary("b")
    assert _totals(tmp_path) == {"Baghdad": (4, ("a", "b")), "Sudani": (3, ("a",))}
    stored = StoredCatalog.open(tmp_path)
    assert stored is not None and stored.generation == 1
    assert stored.summary("a") == _summary("a") and stored.summary("zzz") is None
    assert stored.articles_of_file("b.txt") == ("b",) and stored.articles_of_file("x") == ()
    assert stored.ids_starting_with("a") == ["a"]
    assert stored.newest_first() == catalog.newest_first()
    stored.close()


def test_incremental_write_changes_only_what_changed(tmp_path: Path) -> None:
    write_catalog(tmp_path, _two_articles())
    catalog = read_catalog(tmp_path)
    assert catalog is not None
    catalog.drop_file("a.txt")
    catalog.put_article(_summary("b", "2024-01-02"), [EntityForm("Tehran", "Tehran", "PLACE", 1)])
    catalog.generation = 2
    write_catalog(tmp_path, catalog)
    again = read_catalog(tmp_path)
    assert again is not None and set(again.articles) == {"b"} and set(again.files) == {"b.txt"}
    assert again.articles["b"].date == "2024-01-02"
    assert _totals(tmp_path) == {"Tehran": (1, ("b",))}


def test_no_index_by_name_form_and_an_older_catalog_drops_its_own(tmp_path: Path) -> None:
    """``article_forms`` is read by article or whole; the index by form no statement used
    (35% of the catalog at BBC x16) is not made, and one an older version made is dropped
    at the next write, the entity totals unchanged."""
    import sqlite3

    from briefreader.search.index.catalog import CATALOG_NAME

    def indexes() -> set[str]:
        with sqlite3.connect(tmp_path / CATALOG_NAME) as db:
            rows = db.execute("SELECT name FROM sqlite_master WHERE type = 'index'").fetchall()
        db.close()
        return {name for (name,) in rows}

    write_catalog(tmp_path, _two_articles())
    assert "article_forms_by_form" not in indexes()
    with sqlite3.connect(tmp_path / CATALOG_NAME) as db:
        db.execute("CREATE INDEX article_forms_by_form ON article_forms (form_id)")
    db.close()
    catalog = read_catalog(tmp_path)
    assert catalog is not None
    catalog.put_article(_summary("c"), [BAGHDAD])
    write_catalog(tmp_path, catalog)
    assert "article_forms_by_form" not in indexes()
    assert _totals(tmp_path) == {"Baghdad": (6, ("a", "b", "c")), "Sudani": (3, ("a",))}


def test_missing_or_damaged_catalog_reads_as_none(tmp_path: Path) -> None:
    assert read_catalog(tmp_path) is None and read_entity_forms(tmp_path) is None
    (tmp_path / "catalog.db").write_bytes(b"not a database" * 200)
    assert read_catalog(tmp_path) is None and StoredCatalog.open(tmp_path) is None


def test_a_damaged_catalog_is_replaced_by_a_complete_write(tmp_path: Path) -> None:
    (tmp_path / "catalog.db").write_bytes(b"not a database" * 200)
    write_catalog(tmp_path, _two_articles())  # every row is written anyway
    catalog = read_catalog(tmp_path)
    assert catalog is not None and set(catalog.files) == {"a.txt", "b.txt"}


def test_a_damaged_catalog_under_a_partial_write_is_an_os_error(tmp_path: Path) -> None:
    """Changed rows alone cannot stand in for a lost catalog: the write fails, and the next
    reader or index run recovers the catalog from the index."""
    (tmp_path / "catalog.db").write_bytes(b"not a database" * 200)
    catalog = _two_articles()
    catalog.complete = False
    with pytest.raises(OSError, match="catalog not written"):
        write_catalog(tmp_path, catalog)


def test_entity_search_follows_an_edited_article(tmp_path: Path) -> None:
    """An article's names leave the corpus table when it changes, without a rebuild."""
    ws = Workspace(
        make_workspace(
            tmp_path,
            {
                "a.txt": "Harbour talks\n\nThe minister Karim Nadeem met traders in Basra today.",
                "b.txt": "Port news\n\nNadeem said the port of Basra would reopen next week.",
            },
        )
    )
    (ws.root / "briefreader.toml").write_text('[entities]\nrecogniser = "rules"\n', "utf-8")
    update_index(ws)
    library = Library.open(ws)
    assert library.entity_table().find("Karim Nadeem") is not None
    library.close()
    (ws.articles_dir / "a.txt").write_text("Harbour talks\n\nTraders met in Basra today.", "utf-8")
    (ws.articles_dir / "b.txt").write_text("Port news\n\nThe port of Basra reopens.", "utf-8")
    report = update_index(ws)
    assert sorted(report.updated) == ["a.txt", "b.txt"]
    library = Library.open(ws)
    assert library.entity_table().find("Karim Nadeem") is None
    assert library.entity_table().find("Basra") is not None
    folder = active_dir(ws.index_dir)
    assert folder is not None and "Nadeem" not in _totals(folder)
    library.close()


def test_a_shared_name_form_round_trips_apart_from_the_plain_one(tmp_path: Path) -> None:
    """A name an article uses for two sides is stored as its own form, flag and all."""
    shared = EntityForm("KELSBY", "KELSBY", "ORG", 2, shared=True)
    catalog = Catalog(generation=1, schema_version=7)
    for article_id, form in (("a", shared), ("b", EntityForm("KELSBY", "KELSBY", "ORG", 1))):
        catalog.put_file(f"{article_id}.txt", FileEntry(10, 20, "hash", (article_id,)))
        catalog.put_article(_summary(article_id), [form])
    write_catalog(tmp_path, catalog)
    forms = read_entity_forms(tmp_path, with_articles=True) or []
    assert sorted((f.shared, f.article_ids, f.mentions) for f in forms) == [
        (False, ("b",), 1),
        (True, ("a",), 2),
    ]


def test_a_catalog_of_the_older_format_is_rewritten(tmp_path: Path) -> None:
    """Name forms without the shared column (format 1) are dropped and written anew."""
    import sqlite3

    with sqlite3.connect(tmp_path / "catalog.db") as db:
        db.executescript(
            "CREATE TABLE info (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
            "INSERT INTO info VALUES ('format', '1');"
            "CREATE TABLE forms (id INTEGER PRIMARY KEY, text TEXT NOT NULL, name TEXT NOT NULL,"
            " type TEXT NOT NULL, mentions INTEGER NOT NULL, articles INTEGER NOT NULL,"
            " UNIQUE (text, name, type));"
        )
    assert read_catalog(tmp_path) is None
    write_catalog(tmp_path, _two_articles())
    assert _totals(tmp_path) == {"Baghdad": (4, ("a", "b")), "Sudani": (3, ("a",))}


def test_the_pending_catalog_holds_only_the_pending_articles(tmp_path: Path) -> None:
    """The entity phase reads the pending articles' rows only, and writing what it changed
    keeps every other row."""
    catalog = _two_articles()
    catalog.put_file("c.txt", FileEntry(10, 20, "hash", ("c",)))
    catalog.put_article(_summary("c", "2024-01-02"), pending=True)
    write_catalog(tmp_path, catalog)
    pending = read_pending_catalog(tmp_path)
    assert pending is not None and pending.generation == 1 and pending.schema_version == 7
    assert pending.pending == {"c"} and set(pending.articles) == {"c"} and not pending.files
    pending.put_article(_summary("c", "2024-01-02"), [SUDANI])
    pending.generation = 2
    write_catalog(tmp_path, pending)
    after = read_catalog(tmp_path)
    assert after is not None and after.generation == 2 and not after.pending
    assert set(after.files) == {"a.txt", "b.txt", "c.txt"}
    assert set(after.articles) == {"a", "b", "c"}
    assert _totals(tmp_path) == {"Baghdad": (4, ("a", "b")), "Sudani": (6, ("a", "c"))}


def test_a_pending_catalog_of_nothing_pending_or_missing(tmp_path: Path) -> None:
    assert read_pending_catalog(tmp_path) is None
    write_catalog(tmp_path, _two_articles())
    empty = read_pending_catalog(tmp_path)
    assert empty is not None and not empty.pending and not empty.articles


def test_an_index_run_reads_the_files_and_only_the_titles_it_needs(tmp_path: Path) -> None:
    catalog = _two_articles()
    catalog.put_file("two.txt", FileEntry(1, 2, "h2", ("two", "two-2")))
    catalog.put_file("odd.txt", FileEntry(1, 2, "h3", ('o"d\\d', "caf\u00e9")))
    write_catalog(tmp_path, catalog)
    files = read_catalog(tmp_path, summaries=False)
    assert files is not None and not files.articles
    assert files.files == catalog.files  # one id, several, and ids the JSON escapes
    assert read_titles(tmp_path, ["b", "zzz", "a", "b"]) == {"a": "Title a", "b": "Title b"}
    assert read_titles(tmp_path / "nowhere", ["a"]) == {}


def test_articles_with_the_same_title_and_date_keep_one_order(tmp_path: Path) -> None:
    """Ties are broken by id, so two builds of one corpus list it in one order."""
    same = [
        ArticleSummary(f"{i}{d}", "Same title", "S", d, f"{i}{d}.txt", 1)
        for i in "cab"
        for d in ("", "2020")
    ]
    orders = []
    for summaries in (same, same[::-1]):
        catalog = Catalog(schema_version=1)
        for summary in summaries:
            catalog.put_article(summary, ())
        orders.append([(a.date, a.id) for a in catalog.newest_first()])
        write_catalog(tmp_path, catalog)
        stored = read_catalog(tmp_path)
        assert stored is not None and stored.newest_first() == catalog.newest_first()
    assert orders[0] == orders[1]
    assert [i for _, i in orders[0]] == ["a2020", "b2020", "c2020", "a", "b", "c"]


def test_packed_forms_read_back_as_given() -> None:
    from briefreader.search.index.catalog import PackedForms
    from briefreader.text.entities.model import EntityMention, mention_forms

    mentions = [
        EntityMention("a1", 0, 9, "Al-Sudani", "PERSON", "Mohammed Shia Al-Sudani"),
        EntityMention("a1", 20, 25, "Basra", "PLACE", "Basra"),
        EntityMention("a1", 40, 49, "Al-Sudani", "PERSON", "Mohammed Shia Al-Sudani"),
        EntityMention("a1", 60, 62, "UN", "ORG", "United Nations", shared=True),
    ]
    forms = tuple(mention_forms(mentions))
    packed = PackedForms(forms)
    assert packed.unpacked() == forms and tuple(packed) == forms and len(packed) == 3
    assert [f.article_mentions for f in packed] == [(2,), (1,), (1,)]
    assert [f.shared for f in packed] == [False, False, True] and packed[0] == forms[0]
    catalog = Catalog()
    catalog.put_article(ArticleSummary("a1", "T", "", "", "a1.txt", 1), packed)
    assert catalog.forms["a1"] is packed  # kept packed until the catalog is written
    many = [
        EntityMention("a1", n * 30, n * 30 + 9, f"Name {n}", "PERSON", f"Person Name {n}")
        for n in range(40)
    ]
    plain = len(marshal.dumps(tuple(astuple(f) for f in mention_forms(many))))
    assert len(PackedForms(mention_forms(many)).data) < plain / 2  # compressed


def test_known_copies_are_written_changed_and_dropped(tmp_path: Path) -> None:
    catalog = _two_articles()
    copy = KnownCopy(10, 21, "hash", "duplicate: same content as a.txt (indexed once)", "a.txt")
    catalog.put_copy("c.txt", copy)
    catalog.put_copy("d.txt", copy._replace(mtime_ns=22))
    write_catalog(tmp_path, catalog)  # a complete write
    read = read_catalog(tmp_path)
    assert read is not None and read.copies == {"c.txt": copy, "d.txt": copy._replace(mtime_ns=22)}
    read.put_copy("c.txt", copy)  # the same: nothing to write
    assert not read.changed_copies
    read.drop_copy("d.txt")
    read.put_copy("e.txt", copy._replace(original="b.txt"))
    write_catalog(tmp_path, read)  # only the changes
    again = read_catalog(tmp_path)
    assert again is not None and sorted(again.copies) == ["c.txt", "e.txt"]
    assert again.copies["e.txt"].original == "b.txt"


def test_a_catalog_from_before_copies_were_kept_reads_with_none(tmp_path: Path) -> None:
    import sqlite3

    write_catalog(tmp_path, _two_articles())
    with sqlite3.connect(tmp_path / "catalog.db") as db:
        db.execute("DROP TABLE copies")
    catalog = read_catalog(tmp_path)
    assert (
        catalog is not None and catalog.copies == {} and sorted(catalog.files) == ["a.txt", "b.txt"]
    )
