"""``briefreader notes …`` end to end on a small workspace (real loading and indexing)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from briefreader.cli import main
from tests.conftest import make_workspace

INTRO = "The council voted to close the port at night after a long and bitter debate."
REPLY = "Residents said the decision ignored them and their livelihoods entirely."
ARTICLE = f"Port closes at night\n\n{INTRO}\n\n{REPLY}\n"


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = make_workspace(tmp_path / "ws", {"port.txt": ARTICLE})
    monkeypatch.setenv("BRIEFREADER_WORKSPACE", str(root))
    return root


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["notes", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def _passage_with(capsys: pytest.CaptureFixture[str], text: str) -> str:
    from briefreader.cli.notes import article_source
    from briefreader.workspace import find_workspace

    article = article_source(find_workspace())("port")
    assert article is not None
    return next(p.id for p in article.passages if text in p.text)


def _add(capsys: pytest.CaptureFixture[str], *argv: str) -> dict:
    code, out, err = run(capsys, "add", *argv, "--json")
    assert code == 0, err
    return json.loads(out)


def test_add_list_search_delete_undelete(workspace: Path, capsys) -> None:
    passage = _passage_with(capsys, "bitter debate")
    note = _add(
        capsys, passage, "--text", "Why close? #port [b]x[/] 🎉", "--quote", "bitter debate"
    )
    assert note["selector"]["exact"] == "bitter debate" and note["tags"] == ["port"]
    code, out, _ = run(capsys, "list")
    assert code == 0 and note["id"][:8] in out and "[b]x[/] 🎉" in out
    tagged = json.loads(run(capsys, "list", "--tag", "PORT", "--json")[1])["notes"]
    assert tagged[0]["id"] == note["id"]
    assert json.loads(run(capsys, "list", "--article", "other", "--json")[1])["notes"] == []
    assert note["id"][:8] in run(capsys, "search", "why CLOSE")[1]
    assert run(capsys, "delete", note["id"][:8])[0] == 0
    assert run(capsys, "list")[1].strip() == "no notes"
    assert run(capsys, "undelete", note["id"][:8])[0] == 0
    assert note["id"][:8] in run(capsys, "list")[1]


@pytest.mark.parametrize(
    "argv",
    [
        ("add", "port:p1", "--text", "x", "--quote", "not in this passage"),
        ("add", "port:p99", "--text", "x"),
        ("add", "nosuch:p1", "--text", "x"),
        ("add", "not-a-passage-id", "--text", "x"),
        ("delete", "ffffffff"),
        ("import", "missing-file.json"),
    ],
)
def test_errors_are_one_line_exit_2(workspace: Path, capsys, argv: tuple[str, ...]) -> None:
    code, _, err = run(capsys, *argv)
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("briefreader: ") and "Traceback" not in err


def test_export_import_round_trip_via_files(workspace: Path, tmp_path: Path, capsys) -> None:
    passage = _passage_with(capsys, "bitter debate")
    _add(capsys, passage, "--text", "multi\nline #a", "--quote", "close the port", "--tag", "b")
    for fmt in ("json", "w3c"):
        target = tmp_path / f"out.{fmt}"
        assert run(capsys, "export", "--format", fmt, "-o", str(target))[0] == 0
        assert target.exists()
    code, out, _ = run(capsys, "import", str(tmp_path / "out.json"))
    assert code == 0 and "imported 0 notes, skipped 1 duplicate" in out
    code, out, _ = run(capsys, "export", "--format", "md", "--tag", "b")
    assert "> close the port" in out and "multi\\\nline #a" in out
    assert "## Port closes at night" in out and "paragraph 1" in out
    assert run(capsys, "export", "--format", "md", "--tag", "none")[1] == "# Notes\n"


def test_edits_keep_notes_on_their_words_or_orphan_them(workspace: Path, capsys) -> None:
    passage = _passage_with(capsys, "ignored them")
    note = _add(capsys, passage, "--text", "#reply", "--quote", "the decision ignored them")
    article = workspace / "articles" / "port.txt"
    # Insert a paragraph above the noted text, re-index: same words, next paragraph number.
    article.write_text(ARTICLE.replace(INTRO, f"A new first paragraph.\n\n{INTRO}"), "utf-8")
    assert run(capsys, "reanchor")[0] == 0
    listed = json.loads(run(capsys, "list", "--json")[1])["notes"][0]
    assert (
        listed["status"] == "anchored" and listed["selector"]["exact"] == note["selector"]["exact"]
    )
    assert listed["passage_id"] == _passage_with(capsys, "ignored them") != note["passage_id"]
    # Delete the noted text: the note becomes an orphan, listed, still exported.
    article.write_text(ARTICLE.replace(REPLY, "Nobody else spoke."), "utf-8")
    _code, out, _ = run(capsys, "reanchor")
    assert "1 orphaned" in out
    orphans = json.loads(run(capsys, "list", "--orphans", "--json")[1])["notes"]
    assert [o["id"] for o in orphans] == [note["id"]]
    assert "orphaned" in run(capsys, "export", "--format", "md")[1]


@pytest.mark.parametrize(("fmt", "indexed_first"), [("json", True), ("w3c", True), ("json", False)])
def test_imported_notes_whose_article_is_absent_are_listed_as_orphans(
    workspace: Path, tmp_path: Path, capsys, fmt: str, indexed_first: bool
) -> None:
    """Generated imports mixing notes on the workspace's article and on articles it does not
    have: the absent ones are orphans at once when there is an index (they were listed as
    anchored, and never by ``--orphans``), or after the first ``index`` run when there is not."""
    import random

    passage = _passage_with(capsys, "bitter debate")
    _add(capsys, passage, "--text", "seed #t", "--quote", "bitter debate")
    exported = tmp_path / f"seed.{fmt}"
    assert run(capsys, "export", "--format", fmt, "-o", str(exported))[0] == 0
    seed = exported.read_text(encoding="utf-8")
    run(capsys, "delete", json.loads(run(capsys, "list", "--json")[1])["notes"][0]["id"])
    rng = random.Random(20261206)
    absent, present, pieces = set(), set(), []
    for number in range(12):
        article = rng.choice(["port", f"gone_{rng.randrange(10**6)}", "port-2", "other/story"])
        text = seed.replace("port", article) if article != "port" else seed
        note_id = f"{number:08d}-0000-4000-8000-{rng.randrange(10**12):012d}"
        text = _with_note_id(text, note_id, f"body {number}")
        (absent if article != "port" else present).add(note_id)
        pieces.append((note_id, text))
    if indexed_first:
        assert main(["index", "-q"]) == 0
    for number, (note_id, text) in enumerate(pieces):
        source = tmp_path / f"import{number}.{fmt}"
        source.write_text(text, encoding="utf-8")
        code, out, _ = run(capsys, "import", str(source))
        assert code == 0 and out.startswith("imported 1 note, skipped 0 duplicates")
        assert _import_says(out, indexed_first, int(note_id in absent))
    if not indexed_first:
        assert main(["index", "-q"]) == 0
        capsys.readouterr()
    orphans = json.loads(run(capsys, "list", "--orphans", "--json")[1])["notes"]
    assert {note["id"] for note in orphans} == absent
    listed = json.loads(run(capsys, "list", "--json")[1])["notes"]
    assert {n["id"] for n in listed if n["status"] != "orphaned"} == present


def _import_says(out: str, indexed: bool, orphaned: int) -> bool:
    """Whether the import summary says how many notes were orphaned (none: nothing)."""
    if not indexed:
        return "; not anchored yet: no index (run 'briefreader index')\n" in out
    if not orphaned:
        return "orphaned" not in out and "not anchored" not in out
    noun = "note" if orphaned == 1 else "notes"
    return f"; {orphaned} {noun} orphaned (article not in the index; see 'briefreader" in out


@pytest.mark.parametrize("absent", [0, 1, 2, 5])
def test_an_import_counts_the_notes_it_orphans(
    workspace: Path, tmp_path: Path, capsys, absent: int
) -> None:
    """ "imported 2 notes" said nothing of the notes whose article is not in the index."""
    passage = _passage_with(capsys, "bitter debate")
    _add(capsys, passage, "--text", "seed #t", "--quote", "bitter debate")
    exported = tmp_path / "seed.json"
    assert run(capsys, "export", "--format", "json", "-o", str(exported))[0] == 0
    seed = exported.read_text(encoding="utf-8")
    notes = []
    for number in range(absent + 2):
        article = f"gone_{number}" if number < absent else "port"
        text = seed.replace("port", article) if article != "port" else seed
        note_id = f"{number:08d}-0000-4000-8000-{number:012d}"
        notes += json.loads(_with_note_id(text, note_id, f"body {number}"))["notes"]
    source = tmp_path / "many.json"
    source.write_text(json.dumps({**json.loads(seed), "notes": notes}), encoding="utf-8")
    assert main(["index", "-q"]) == 0
    capsys.readouterr()
    code, out, _ = run(capsys, "import", str(source))
    assert code == 0 and out.startswith(f"imported {absent + 2} notes, skipped 0 duplicates")
    assert _import_says(out, True, absent) and out.count("\n") == 1
    assert len(json.loads(run(capsys, "list", "--orphans", "--json")[1])["notes"]) == absent


def _with_note_id(text: str, note_id: str, body: str) -> str:
    """An export of one note with its id and body replaced (json or w3c)."""
    data = json.loads(text)
    items = data.get("notes") or data.get("items") or data.get("first", {}).get("items")
    (item,) = items
    if "body" in item and isinstance(item["body"], str):
        item["id"], item["body"], item["deleted_at"] = note_id, body, None
    else:
        item["id"] = f"urn:uuid:{note_id}"
        item["briefreader"].update(note_id=note_id, deleted_at=None)
        item["body"][0]["value"] = body
    return json.dumps(data)
