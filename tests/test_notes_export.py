"""Export (md brief, W3C JSON-LD, JSON backup) and import round trips."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from test_notes_support import make_article

from briefreader.notes import (
    NotesError,
    NoteStore,
    add_note,
    export_notes,
    import_notes,
    reanchor_all,
)
from briefreader.notes.export import md_lines

TRICKY = "Markup [b]bold[/] [link=x]y[/link] \x1b[2J emoji 🎉👩‍🔬 *stars* _under_ <b>html</b> & ok"
ARTICLE = make_article(
    [
        "The council voted to close the port at night.",
        "Residents said *the* decision [b]ignored[/] them 🎉 and the port.",
        "Trade groups welcomed the vote.",
    ],
    article_id="port",
    title="Port [closes] at *night*",
    source="Harbour Times",
    date="2025-07-29",
)


@pytest.fixture
def store(tmp_path: Path) -> NoteStore:
    with NoteStore(tmp_path / "a.db") as notes:
        yield notes


@pytest.fixture
def other(tmp_path: Path) -> NoteStore:
    with NoteStore(tmp_path / "b.db") as notes:
        yield notes


def _span(text: str) -> tuple[int, int]:
    start = ARTICLE.text.index(text)
    return start, start + len(text)


def _fill(store: NoteStore) -> None:
    add_note(store, ARTICLE, *_span("close the port"), body="First #Port note", tags=["policy"])
    second = _span("Residents said *the* decision [b]ignored[/] them 🎉")
    add_note(store, ARTICLE, *second, body=TRICKY + "\n# not a heading\n\n```\n> not quote\n---")
    add_note(store, ARTICLE, *_span("Trade groups"))  # a highlight: no text
    deleted = add_note(store, ARTICLE, *_span("welcomed"), body="deleted later")
    store.delete(deleted.id)


def _lookup(article_id: str):
    return ARTICLE if article_id == ARTICLE.id else None


@pytest.mark.parametrize("fmt", ["json", "w3c"])
def test_round_trip_is_lossless_and_reimport_finds_duplicates(
    store: NoteStore, other: NoteStore, fmt: str
) -> None:
    _fill(store)
    notes = store.list(include_deleted=fmt == "json")
    exported = export_notes(notes, fmt, _lookup)
    report = import_notes(other, exported)
    assert (report.added, report.duplicates) == (len(notes), 0)
    assert sorted(other.list(include_deleted=True), key=lambda n: n.id) == sorted(
        notes, key=lambda n: n.id
    )
    again = import_notes(other, exported)
    assert (again.added, again.duplicates) == (0, len(notes))


def test_same_target_and_body_under_another_id_is_a_duplicate(
    store: NoteStore, other: NoteStore
) -> None:
    _fill(store)
    notes = store.list()
    renamed = [replace(note, id=f"copy-{note.id}") for note in notes]
    import_notes(other, export_notes(notes, "json"))
    assert import_notes(other, export_notes(renamed, "json")).duplicates == len(notes)


def test_w3c_has_the_required_structure(store: NoteStore) -> None:
    _fill(store)
    data = json.loads(export_notes(store.list(), "w3c", _lookup))
    assert data["@context"] == "http://www.w3.org/ns/anno.jsonld"
    assert data["type"] == "AnnotationCollection" and data["id"]
    page = data["first"]
    assert page["type"] == "AnnotationPage" and data["total"] == len(page["items"]) == 3
    for item in page["items"]:
        assert item["type"] == "Annotation"
        assert re.fullmatch(r"urn:uuid:[0-9a-f-]{36}", item["id"])
        assert item["motivation"] in ("commenting", "highlighting")
        target = item["target"]
        assert target["source"] == "urn:briefreader:article:port"
        kinds = {s["type"]: s for s in target["selector"]}
        quote, position = kinds["TextQuoteSelector"], kinds["TextPositionSelector"]
        assert ARTICLE.text[position["start"] : position["end"]] == quote["exact"]
        assert {"exact", "prefix", "suffix"} <= quote.keys()
        for body in item.get("body", []):
            assert body["type"] == "TextualBody" and isinstance(body["value"], str)
            assert body["purpose"] in ("commenting", "tagging")
    first = next(i for i in page["items"] if "First" in json.dumps(i))
    purposes = [(b["purpose"], b["value"]) for b in first["body"]]
    assert purposes == [
        ("commenting", "First #Port note"),
        ("tagging", "policy"),
        ("tagging", "port"),
    ]


def test_w3c_from_another_tool_imports(other: NoteStore) -> None:
    annotation = {
        "@context": "http://www.w3.org/ns/anno.jsonld",
        "id": "http://example.org/anno1",
        "type": "Annotation",
        "body": [
            {"type": "TextualBody", "value": "outside note", "purpose": "commenting"},
            {"type": "TextualBody", "value": "Tagged", "purpose": "tagging"},
        ],
        "target": {
            "source": "urn:briefreader:article:port",
            "selector": {"type": "TextQuoteSelector", "exact": "Trade groups"},
        },
    }
    assert import_notes(other, json.dumps(annotation)).added == 1
    note = other.list()[0]
    assert (note.body, note.tags, note.selector.exact) == (
        "outside note",
        ("tagged",),
        "Trade groups",
    )
    reanchor_all(other, [ARTICLE])
    fixed = other.get(note.id)
    assert fixed is not None and fixed.passage_id == "port:p3"


@pytest.mark.parametrize(
    "text",
    ["not json", "[1, 2]", '{"type": "Other"}', '{"format": "briefreader-notes", "notes": [{}]}'],
)
def test_bad_import_is_a_clear_error(other: NoteStore, text: str) -> None:
    with pytest.raises(NotesError):
        import_notes(other, text)
    assert other.list(include_deleted=True) == []


def test_markdown_brief_groups_quotes_and_cites(store: NoteStore) -> None:
    _fill(store)
    text = export_notes(store.list(), "md", _lookup)
    tokens = MarkdownIt().parse(text)
    headings = [t for t in tokens if t.type == "heading_open"]
    assert [h.tag for h in headings] == ["h1", "h2"]  # body lines added no heading
    assert not [t for t in tokens if t.type in ("fence", "code_block", "html_block")]
    assert len([t for t in tokens if t.type == "blockquote_open"]) == 3
    html = MarkdownIt().render(text)
    assert "Port [closes] at *night*" in _plain(html)
    assert "Harbour Times · 2025-07-29" in text
    assert "Residents said *the* decision [b]ignored[/] them 🎉" in _plain(html)
    assert "[b]bold[/]" in _plain(html) and "# not a heading" in _plain(html)
    assert "— Port \\[closes\\] at \\*night\\*, paragraph 2" in text
    assert "Tags: \\#policy, \\#port" in text
    assert "deleted later" not in text


def test_markdown_marks_orphans(store: NoteStore) -> None:
    _fill(store)
    reanchor_all(store, [make_article(["Nothing left."], article_id="port")])
    assert "orphaned" in export_notes(store.list(), "md", _lookup)


def _plain(html: str) -> str:
    """The text a reader sees in rendered Markdown (tags dropped, entities decoded)."""
    import html as html_lib

    return html_lib.unescape(re.sub(r"<[^>]+>", "", html))


_TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=80)


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=_TEXT, quote=_TEXT.filter(lambda q: q != ""), tag=st.text("abc-_é", max_size=6))
def test_any_body_and_quote_round_trip(tmp_path: Path, body: str, quote: str, tag: str) -> None:
    article = make_article([f"Intro. {quote} outro."], article_id="x")
    start = article.text.index(quote, 7)
    with NoteStore(tmp_path / "p.db") as source:
        note = add_note(source, article, start, start + len(quote), body=body, tags=[tag])
        for fmt in ("json", "w3c"):
            target_db = tmp_path / f"{fmt}-{note.id}.db"
            with NoteStore(target_db) as target:
                import_notes(target, export_notes([note], fmt))
                assert target.list() == [note]
        source.delete(note.id)


@given(text=_TEXT)
def test_markdown_lines_render_to_the_same_words(text: str) -> None:
    rendered = MarkdownIt().render("\n".join(md_lines(text)))
    tokens = MarkdownIt().parse("\n".join(md_lines(text)))
    assert all(t.type in ("paragraph_open", "paragraph_close", "inline") for t in tokens)
    assert _plain(rendered).split() == _words(text)


def _words(text: str) -> list[str]:
    """The words a reader should see: escape sequences and control characters (C0, C1,
    bidi) are removed by the one rule, ``strip_control``."""
    from briefreader.text.decode import strip_control

    return strip_control(text).split()
