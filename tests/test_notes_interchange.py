"""Notes for other tools, through the CLI: `#tags` and a source link per quote in the brief,
CSV and RIS exports, W3C annotations on web pages and Hypothesis exports imported."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from briefreader.cli import main
from tests.conftest import make_workspace

BODY = (
    "The council met on Tuesday to discuss the budget for the coming year, and members "
    "argued for several hours about the share given to schools and roads."
)
PAGE_URL = "https://news.example.org/budget-talks"
WEB_MD = (
    f"---\ntitle: Budget talks stall\nsource: Example News\ndate: 2024-03-05\nurl: {PAGE_URL}\n"
    f"author: A. Reporter\n---\n\n{BODY}\n\nThe port closes at night, the mayor said.\n"
)
FILE_TXT = f"Harbour plan\n\n{BODY} Harbour.\n\nSchools will get =SUM(A1) more funds.\n"


@pytest.fixture
def workspace(tmp_path: Path, capsys) -> Path:
    root = make_workspace(tmp_path / "my ws", {"web.md": WEB_MD, "harbour.txt": FILE_TXT})
    (root / "briefreader.toml").write_text('[entities]\nrecogniser = "rules"\n')
    assert main(["-w", str(root), "index", "-q"]) == 0
    for passage, text, quote in (
        ("web:p2", "closing #port #night-life", "The port closes at night"),
        ("harbour:p2", '=HYPERLINK("x") #funds', None),
    ):
        extra = ["--quote", quote] if quote else []
        assert main(["-w", str(root), "notes", "add", passage, "--text", text, *extra]) == 0
    capsys.readouterr()
    return root


def _export(root: Path, capsys, fmt: str) -> str:
    capsys.readouterr()
    assert main(["-w", str(root), "notes", "export", "--format", fmt]) == 0
    return capsys.readouterr().out


def test_brief_has_plain_tags_and_a_source_link_per_quote(workspace: Path, capsys) -> None:
    text = _export(workspace, capsys, "md")
    assert "Tags: #night-life #port" in text and "\\#" not in text
    parser = MarkdownIt()
    parser.validateLink = lambda url: True  # markdown-it refuses file: links by default
    tokens = parser.parse(text)
    links = [
        child.attrs["href"]
        for token in tokens
        if token.children
        for child in token.children
        if child.type == "link_open"
    ]
    harbour = (workspace / "articles" / "harbour.txt").resolve().as_uri()
    assert links == [PAGE_URL, harbour]  # one per quote: the page, else the file
    assert harbour.startswith("file:///") and "my%20ws" in harbour


def test_csv_export_one_row_per_note_without_formulas(workspace: Path, capsys) -> None:
    rows = list(csv.DictReader(io.StringIO(_export(workspace, capsys, "csv"))))
    assert len(rows) == 2
    web = next(row for row in rows if row["article_id"] == "web")
    assert web["quote"] == "The port closes at night"
    assert web["link"] == PAGE_URL and web["tags"] == "#night-life #port"
    assert web["source"] == "Example News" and web["date"] == "2024-03-05"
    harbour = next(row for row in rows if row["article_id"] == "harbour")
    assert harbour["note"].startswith("'=HYPERLINK")  # not run as a formula
    assert harbour["quote"].startswith("Schools will get =SUM(A1)")


def test_ris_export_one_record_per_article_with_notes(workspace: Path, capsys) -> None:
    text = _export(workspace, capsys, "ris")
    records = [r for r in text.split("ER  - ") if r.strip()]
    assert len(records) == 2
    web = next(r for r in records if "ID  - web" in r)
    lines = [line for line in web.strip().split("\r\n") if line]
    assert lines[0] == "TY  - NEWS"
    assert "TI  - Budget talks stall" in lines and "T2  - Example News" in lines
    assert "AU  - A. Reporter" in lines and "DA  - 2024/03/05" in lines
    assert f"UR  - {PAGE_URL}" in lines
    assert "N1  - “The port closes at night” (web:p2) — closing #port #night-life" in lines
    assert "KW  - port" in lines and "KW  - night-life" in lines
    assert all(line[2:6] == "  - " for line in lines)


def _annotation(source: str, exact: str) -> dict[str, object]:
    return {
        "@context": "http://www.w3.org/ns/anno.jsonld",
        "id": "https://annotations.example/1",
        "type": "Annotation",
        "body": [{"type": "TextualBody", "value": "from another tool #imported"}],
        "target": {
            "source": source,
            "selector": [{"type": "TextQuoteSelector", "exact": exact}],
        },
    }


def _notes(root: Path, capsys) -> list[dict[str, object]]:
    capsys.readouterr()
    assert main(["-w", str(root), "notes", "list", "--json"]) == 0
    return list(json.loads(capsys.readouterr().out)["notes"])


def test_w3c_annotation_on_a_web_page_imports_onto_its_article(
    workspace: Path, tmp_path: Path, capsys
) -> None:
    source = PAGE_URL + "/?utm_source=mail#section"  # the same page
    path = tmp_path / "anno.json"
    path.write_text(json.dumps(_annotation(source, "members argued for several hours")))
    assert main(["-w", str(workspace), "notes", "import", str(path)]) == 0
    assert "imported 1 note," in capsys.readouterr().out
    imported = [n for n in _notes(workspace, capsys) if "another tool" in str(n["body"])]
    assert len(imported) == 1
    note = imported[0]
    assert note["article_id"] == "web" and note["passage_id"] == "web:p1"
    assert note["status"] == "anchored" and note["tags"] == ["imported"]


def test_w3c_annotation_on_an_unknown_page_is_a_one_line_error(
    workspace: Path, tmp_path: Path, capsys
) -> None:
    path = tmp_path / "anno.json"
    path.write_text(json.dumps(_annotation("https://elsewhere.example/x", "anything")))
    assert main(["-w", str(workspace), "notes", "import", str(path)]) == 2
    err = capsys.readouterr().err
    assert "is no article of this workspace" in " ".join(err.split()) and "Traceback" not in err


def test_hypothesis_export_imports(workspace: Path, tmp_path: Path, capsys) -> None:
    row = {
        "id": "AbC123",
        "created": "2024-03-06T10:00:00.000000+00:00",
        "updated": "2024-03-06T10:00:00.000000+00:00",
        "user": "acct:alice@hypothes.is",
        "uri": PAGE_URL,
        "text": "Hypothesis comment",
        "tags": ["Budget", "council"],
        "target": [
            {
                "source": PAGE_URL,
                "selector": [
                    {"type": "RangeSelector", "startContainer": "/p[1]", "startOffset": 0},
                    {"type": "TextPositionSelector", "start": 4, "end": 30},
                    {"type": "TextQuoteSelector", "exact": "council met on Tuesday"},
                ],
            }
        ],
        "document": {"title": ["Budget talks stall"]},
    }
    page_note = {**row, "id": "PageNote", "target": [{"source": PAGE_URL}]}
    path = tmp_path / "hypothesis.json"
    path.write_text(json.dumps({"total": 2, "rows": [row, page_note]}))
    assert main(["-w", str(workspace), "notes", "import", str(path)]) == 0
    (note,) = [n for n in _notes(workspace, capsys) if n["body"] == "Hypothesis comment"]
    assert note["article_id"] == "web" and note["author"] == "alice"
    assert note["tags"] == ["budget", "council"] and note["status"] == "anchored"
