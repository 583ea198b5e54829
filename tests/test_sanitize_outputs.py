"""Issue 19: one control-character rule at every output boundary, checked on generated text:
notes (CLI text and JSON, Markdown/JSON/W3C export), JSON on stdout, Rich consoles."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from briefreader.cli import main
from briefreader.notes import NoteStore
from briefreader.text.decode import normalize_text, safe_json, strip_control
from tests.conftest import make_workspace
from tests.hostile_text import forbidden_in, hostile_text

ARTICLE = "Port closes\n\nThe council voted to close the port at night after a long debate.\n"
CHECKS = settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))


@given(hostile_text)
@CHECKS
def test_strip_control_leaves_no_forbidden_character(text: str) -> None:
    assert not forbidden_in(strip_control(text))


@given(st.lists(st.sampled_from(["alpha", "beta", "gamma", "delta"]), min_size=3, max_size=30))
@CHECKS
def test_a_stray_osc_start_loses_two_characters_not_the_paragraphs(words: list[str]) -> None:
    paragraphs = [" ".join(words[i:] or words) + "." for i in range(len(words))]
    text = "Intro \x1b] then\n\n" + "\n\n".join(paragraphs)
    cleaned = normalize_text(text)
    assert cleaned == text.replace("\x1b]", "")


@given(st.recursive(hostile_text, lambda inner: st.lists(inner, max_size=3), max_leaves=6))
@CHECKS
def test_safe_json_is_lossless_and_carries_no_raw_control(data: object) -> None:
    dumped = safe_json({"value": data})
    assert not forbidden_in(dumped.replace("\n", ""))
    assert json.loads(dumped) == {"value": data}


def _export_with(body: str, tag: str, quote: str) -> str:
    note = {
        "id": "n-1",
        "article_id": "port",
        "passage_id": "port:p1",
        "passage_ids": ["port:p1"],
        "selector": {"exact": quote, "prefix": body, "suffix": tag, "start": 0, "end": 5},
        "body": body,
        "extra_tags": [tag, "plain"],
        "author": tag,
        "created": "2026-01-01T00:00:00.000Z",
    }
    return json.dumps({"format": "briefreader-notes", "version": 1, "notes": [note]})


@pytest.fixture(scope="module")
def notes_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = make_workspace(tmp_path_factory.mktemp("notes"), {"port.txt": ARTICLE})
    assert main(["-w", str(root), "index", "-q"]) == 0
    return root


@given(hostile_text, hostile_text, hostile_text)
@CHECKS
def test_imported_hostile_notes_never_reach_any_output_raw(
    notes_root: Path, capsys: pytest.CaptureFixture[str], body: str, tag: str, quote: str
) -> None:
    (notes_root / "notes.db").unlink(missing_ok=True)
    source = notes_root / "in.json"
    source.write_text(_export_with(body, tag, quote), encoding="utf-8")
    assert main(["-w", str(notes_root), "notes", "import", str(source)]) == 0
    with NoteStore(notes_root / "notes.db") as store:
        stored = store.list()
    assert all(not forbidden_in(t) for n in stored for t in n.tags)  # sanitised on the way in
    capsys.readouterr()
    commands = [
        ["notes", "list"],
        ["notes", "list", "--json"],
        ["notes", "search", "plain"],
        ["notes", "export", "--format", "md"],
        ["notes", "export", "--format", "json"],
        ["notes", "export", "--format", "w3c"],
        ["notes", "export", "--format", "csv"],
        ["notes", "export", "--format", "ris"],
    ]
    for command in commands:
        assert main(["-w", str(notes_root), *command]) == 0
        out, err = capsys.readouterr()
        if command[-1] in ("csv", "ris"):  # both formats end lines with CRLF: not a control
            out = out.replace("\r\n", "\n")
        assert not forbidden_in(out + err), command


@given(hostile_text)
@CHECKS
def test_notes_add_tag_is_sanitised_on_the_way_in(
    notes_root: Path, capsys: pytest.CaptureFixture[str], tag: str
) -> None:
    command = ["-w", str(notes_root), "notes", "add", "port:p1", "--text", "x", "--tag", tag]
    assert main([*command, "--json"]) == 0
    printed = capsys.readouterr().out
    assert not forbidden_in(printed.replace("\n", ""))
    with NoteStore(notes_root / "notes.db") as store:
        note = store.get(json.loads(printed)["id"])
    assert note is not None and not any(forbidden_in(t) for t in note.tags)


def test_consoles_print_no_emoji_codes_and_no_escapes(monkeypatch: pytest.MonkeyPatch) -> None:
    from briefreader.cli.common import err_console, out_console

    buffer = io.StringIO()
    monkeypatch.setattr("sys.stdout", buffer)
    out_console().print(":skull: x \x1b]0;title\x07 \u202eevil", markup=False)
    assert buffer.getvalue() == ":skull: x  evil\n"
    console = err_console()
    with console.capture() as captured:
        console.print(":skull: \x1b]8;;file:///etc\x07y", markup=False)
    assert captured.get() == ":skull: y\n"


@given(
    st.one_of(st.integers(0, 31).filter(lambda c: c not in (9, 10, 13)), st.integers(127, 159)),
    st.booleans(),
)
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_a_page_with_a_control_character_reference_is_read(
    tmp_path_factory: pytest.TempPathFactory, code: int, hexadecimal: bool
) -> None:
    from briefreader.text.load import default_options, load_file

    root = tmp_path_factory.mktemp("html")
    reference = f"&#x{code:x};" if hexadecimal else f"&#{code};"
    page = (
        "<html><head><title>Short page</title></head><body><h1>Short page</h1>"
        f"<p>The council met {reference} and voted to close the port after a long debate.</p>"
        "</body></html>"
    )
    (root / "p.html").write_text(page)
    result = load_file(root / "p.html", root, default_options((), 20, False))
    assert result.skipped is None and result.articles
    text = result.articles[0].text
    assert "voted to close the port" in text and not forbidden_in(text.replace("\n", ""))


def test_a_renamed_entity_is_printed_as_typed_in_the_table(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_workspace(tmp_path, sample=True)
    (root / "briefreader.toml").write_text('[entities]\nrecogniser = "rules"\n')
    assert main(["-w", str(root), "entities", "--json"]) == 0
    first = json.loads(capsys.readouterr().out)["entities"][0]["name"]
    hostile = "\x1b]8;;file:///etc/passwd\x07[link=file:///etc/passwd]x[/link] :skull: \x1b[5m"
    assert main(["-w", str(root), "entities", "rename", first, hostile]) == 0
    assert main(["-w", str(root), "entities"]) == 0
    out, err = capsys.readouterr()
    assert "[link=file:///etc/passwd]x[/link] :skull:" in out
    assert not forbidden_in((out + err).replace("\n", ""))
