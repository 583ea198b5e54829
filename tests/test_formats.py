"""PDF, Word, EPUB and e-mail files: real small files made by the tests, loaded and indexed
through the CLI; broken files are skipped with a reason, never a traceback."""

from __future__ import annotations

import datetime as dt
import json
import zipfile
from io import BytesIO
from pathlib import Path

import pytest

from briefreader.cli import main
from briefreader.text.formats.pdf import drop_running_lines, rebuild_paragraphs
from briefreader.text.load import default_options, load_bytes
from tests.conftest import make_workspace
from tests.documents import make_docx, make_email, make_epub, make_pdf

BODY = (
    "The committee reviewed the water-sharing agreement between the two countries and found "
    "that the flow of the river had fallen by a third since the dam was completed."
)
PAGE_ONE = [
    "Quarterly Water Review",
    "Water talks resume in Baghdad",
    "The committee reviewed the water-sharing agreement between the two",
    "countries and found that the flow of the river had fallen by a third",
    "since the dam was completed in the north of the country, where the",
    "officials said the reservoir was at its lowest level in a decade.",
    "Background",
    "Negotiators met three times in the spring and agreed on a schedule of",
    "releases that would protect farmers downstream during the long sum-",
    "mer months, when demand for irrigation is highest.",
    "Page 1 of 2",
]
PAGE_TWO = [
    "Quarterly Water Review",
    "A second round of talks is planned for the autumn, when the ministers",
    "of both countries will review the figures and decide whether the",
    "schedule has worked as intended for the farmers downstream.",
    "Page 2 of 2",
]
MAIL_DATE = "Tue, 05 Mar 2024 10:00:00 +0000"


def _load(data: bytes, name: str):
    return load_bytes(data, name, default_options())


def test_pdf_paragraphs_rebuilt_without_running_heads_or_page_numbers() -> None:
    pdf = make_pdf([PAGE_ONE, PAGE_TWO], "Microsoft Word - draft3.docx", "D:20240305120000Z")
    (article,) = _load(pdf, "water.pdf").articles
    assert article.title == "Water talks resume in Baghdad"  # the file-name title is ignored
    assert article.date == "2024-03-05"
    assert [h.text for h in article.headings] == ["Background"]
    texts = [p.text for p in article.passages]
    assert len(texts) == 3
    assert texts[0].startswith("The committee reviewed") and texts[0].endswith("in a decade.")
    assert "long summer months" in texts[1]  # hyphenation joined
    assert texts[2].startswith("A second round")  # the running head is gone
    assert "Quarterly Water Review" not in article.text and "Page 1" not in article.text


def test_pdf_title_from_metadata() -> None:
    pdf = make_pdf([PAGE_ONE[2:6]], title="Water (Report)")
    assert _load(pdf, "w.pdf").articles[0].title == "Water (Report)"


def test_running_lines_need_to_repeat_and_page_numbers_go() -> None:
    pages = [["Header 2024", "Body one.", "7"], ["Header 2025", "Body two.", "- 8 -"]]
    assert drop_running_lines(pages) == [["Body one."], ["Body two."]]
    single = [["Only page title", "Body."]]
    assert drop_running_lines(single) == single


def test_rebuild_paragraphs_breaks_on_blank_and_short_sentence_end() -> None:
    lines = ["a" * 60, "ends here.", "Next paragraph starts and runs to the full width of", "x."]
    assert rebuild_paragraphs(lines) == [
        "a" * 60 + " ends here.",
        "Next paragraph starts and runs to the full width of x.",
    ]


def test_scanned_pdf_without_text_is_skipped_with_the_reason() -> None:
    result = _load(make_pdf([[], []]), "scan.pdf")
    assert result.skipped is not None and "no text in this PDF" in result.skipped.reason


def test_docx_headings_and_paragraphs() -> None:
    data = make_docx(
        "Budget brief", [("Overview", [BODY]), ("Schools", [BODY + " Schools."])], "A. Analyst"
    )
    (article,) = _load(data, "brief.docx").articles
    assert article.title == "Budget brief" and article.author == "A. Analyst"
    assert [h.text for h in article.headings] == ["Overview", "Schools"]
    assert [p.heading for p in article.passages] == ["Overview", "Schools"]


def test_docx_made_from_python_docx_template_has_no_made_up_date_or_author() -> None:
    (article,) = _load(make_docx("Untouched properties", [("One", [BODY])]), "t.docx").articles
    assert article.date is None and article.author == ""  # not 2013-12-23, not "python-docx"


def test_epub_is_one_article_per_chapter_with_the_book_as_source() -> None:
    data = make_epub(
        "River Book",
        [("Chapter One", [BODY, BODY + " One."]), ("Chapter Two", [BODY + " Two."])],
        "R. Writer",
    )
    articles = _load(data, "river.epub").articles
    assert [(a.id, a.title) for a in articles] == [
        ("river", "Chapter One"),
        ("river-2", "Chapter Two"),
    ]
    assert {(a.source, a.author, a.date) for a in articles} == {
        ("River Book", "R. Writer", "2024-03-05")
    }
    assert [len(a.passages) for a in articles] == [2, 1]
    assert all("Chapter" not in a.text for a in articles)  # the nav page is not a chapter


def test_epub_with_encrypted_chapters_is_skipped_as_drm() -> None:
    data = make_epub("Locked", [("One", [BODY])])
    out = BytesIO()
    with zipfile.ZipFile(BytesIO(data)) as book, zipfile.ZipFile(out, "w") as copy:
        for item in book.infolist():
            copy.writestr(item, book.read(item))
        copy.writestr(
            "META-INF/encryption.xml", '<encryption><CipherReference URI="OEBPS/text/ch1.xhtml"/>'
        )
    result = _load(out.getvalue(), "locked.epub")
    assert result.skipped is not None and "DRM" in result.skipped.reason


@pytest.mark.parametrize("kind", ["text", "html"])
def test_email_plain_or_html_body(kind: str) -> None:
    body = {"text": f"{BODY}\n\n{BODY} Mail."}
    body_html = f"<html><body><article><p>{BODY}</p><p>{BODY} Html.</p></article></body></html>"
    data = make_email(
        "Weekly digest: water",
        "Gulf Letter <news@gulf.example>",
        MAIL_DATE,
        text=body.get(kind, ""),
        html=body_html if kind == "html" else "",
    )
    (article,) = _load(data, "digest.eml").articles
    assert (article.title, article.source, article.author, article.date) == (
        "Weekly digest: water",
        "Gulf Letter",
        "news@gulf.example",
        "2024-03-05",
    )
    assert len(article.passages) == 2 and "<p>" not in article.text


@pytest.mark.parametrize(
    "name, data, reason",
    [
        ("broken.pdf", b"%PDF-1.4\n1 0 obj << /Type /Catalog", "cannot read this PDF"),
        ("broken.docx", b"PK\x03\x04 not really a zip", "cannot read this .docx file"),
        ("broken.epub", b"not a zip at all", "cannot read this EPUB"),
        ("broken.eml", b"\x00\x01\x02 binary, not mail", "not an e-mail message"),
        ("empty.eml", b"Subject: nothing\n\n", "no text in this e-mail"),
    ],
)
def test_broken_files_are_skipped_with_a_reason(name: str, data: bytes, reason: str) -> None:
    result = _load(data, name)
    assert result.skipped is not None and reason in result.skipped.reason
    assert "\n" not in result.skipped.reason


def _one_of_each(root: Path) -> dict[str, bytes | str]:
    return {
        "a-note.txt": f"A plain note\n\n{BODY}",
        "b-post.md": f"---\ntitle: A markdown post\n---\n\n{BODY} *Markdown*.",
        "c-page.html": f"<html><head><title>A web page</title></head><body><article>"
        f"<h1>A web page</h1><p>{BODY}</p><p>{BODY} Web.</p></article></body></html>",
        "d-report.pdf": make_pdf([PAGE_ONE, PAGE_TWO]),
        "e-book.epub": make_epub("A book", [("The only chapter", [BODY + " Book."])]),
        "f-brief.docx": make_docx("A Word brief", [("Summary", [BODY + " Word."])]),
        "g-letter.eml": make_email(
            "A newsletter", "Gulf Letter <n@g.example>", MAIL_DATE, BODY + "!"
        ),
        "h-broken.pdf": b"%PDF-1.4 truncated",
    }


def test_index_one_file_of_each_format_and_list_them(tmp_path: Path, capsys) -> None:
    root = make_workspace(tmp_path, _one_of_each(tmp_path))
    (root / "briefreader.toml").write_text('[entities]\nrecogniser = "rules"\n')
    assert main(["-w", str(root), "index"]) == 0
    said = " ".join(capsys.readouterr().err.split())
    assert "h-broken.pdf: cannot read this PDF" in said and "Traceback" not in said
    assert main(["-w", str(root), "articles", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    rows = listed["articles"]
    assert {row["title"] for row in rows} == {
        "A plain note",
        "A markdown post",
        "A web page",
        "Water talks resume in Baghdad",
        "The only chapter",
        "A Word brief",
        "A newsletter",
    }
    assert main(["-w", str(root), "search", "summer months", "--json"]) == 0
    assert "d-report" in capsys.readouterr().out


def test_unsupported_type_lists_the_new_formats(tmp_path: Path, capsys) -> None:
    root = make_workspace(tmp_path, {"a.txt": f"Title\n\n{BODY}", "sheet.xlsx": b"PK"})
    assert main(["-w", str(root), "index"]) == 0
    said = " ".join(capsys.readouterr().err.split())
    assert ".pdf, .docx, .epub, .eml" in said


def test_docx_created_date_is_the_article_date() -> None:
    import docx

    document = docx.Document()
    document.add_paragraph("Dated brief", style="Title")
    document.add_paragraph(BODY)
    document.core_properties.created = dt.datetime(2023, 7, 1, 9, 0)
    out = BytesIO()
    document.save(out)
    assert _load(out.getvalue(), "dated.docx").articles[0].date == "2023-07-01"
