"""Ingest defects found on fresh installs: a missing HTML cleaner, made-up and impossible dates,
legacy encodings, Unicode normalisation, Markdown syntax leaking into the text."""

from __future__ import annotations

import subprocess
import sys
import unicodedata
from pathlib import Path

from briefreader.cli import main
from briefreader.text.clean import find_date, parse_dateline
from briefreader.text.decode import decode_bytes
from briefreader.text.load import default_options, load_bytes
from tests.conftest import make_workspace

BODY = (
    "The council met on Tuesday to discuss the budget for the coming year, and members "
    "argued for several hours about the share given to schools and roads."
)
PAGE = (
    "<html><head><title>Council budget talks</title></head><body><article>"
    "<h1>Council budget talks</h1><p>{body}</p><p>{body}</p></article></body></html>"
)

# Runs the CLI with lxml's html_clean part absent, as `pip install` leaves it when it skips
# lxml's `html_clean` extra (pip 23.x): trafilatura then fails on import.
_WITHOUT_HTML_CLEAN = """
import sys
sys.modules["lxml_html_clean"] = None
sys.modules["lxml.html.clean"] = None
from briefreader.cli import main
sys.exit(main(sys.argv[1:]))
"""


def test_html_without_its_cleaner_is_skipped_with_a_reason(tmp_path: Path) -> None:
    root = make_workspace(
        tmp_path, {"page.html": PAGE.format(body=BODY), "note.txt": f"A plain note\n\n{BODY}"}
    )
    (root / "briefreader.toml").write_text('[entities]\nrecogniser = "rules"\n')
    result = subprocess.run(
        [sys.executable, "-c", _WITHOUT_HTML_CLEAN, "-w", str(root), "index"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "Traceback" not in result.stderr
    assert result.returncode == 0, result.stderr
    said = " ".join((result.stderr + result.stdout).split())  # rich wraps long lines
    assert "skipped page.html: cannot read HTML files" in said
    assert "pip install lxml_html_clean" in said
    listed = subprocess.run(
        [sys.executable, "-m", "briefreader", "-w", str(root), "articles", "--json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "A plain note" in listed.stdout  # the other file is still indexed


def test_html_without_a_date_gets_none_from_a_year_in_its_text() -> None:
    body = f"The programme has run since 2018 in the northern provinces. {BODY}"
    result = load_bytes(PAGE.format(body=body).encode(), "page.html", default_options())
    assert result.articles
    assert result.articles[0].date is None


def test_impossible_dateline_date_is_no_date() -> None:
    assert find_date("31 Feb 2024") is None
    assert find_date("29 Feb 2024") == "2024-02-29"
    assert parse_dateline("Updated 31 February 2024") is None
    text = f"Budget talks stall\n\nPublished 31 Feb 2024\n\n{BODY}\n\n{BODY}"
    result = load_bytes(text.encode(), "a.txt", default_options())
    assert result.articles and result.articles[0].date != "2024-02-31"


def test_arabic_cp1256_file_is_decoded_and_says_which_encoding(tmp_path: Path, capsys) -> None:
    arabic = "العراق وإيران تتفاوضان على اتفاق جديد بشأن المياه والطاقة في بغداد اليوم."
    decoded = decode_bytes(f"{arabic}\n\n{arabic}".encode("cp1256"))
    assert arabic in decoded.text
    assert "cp1256" in (decoded.notice or "")
    root = make_workspace(tmp_path, {"news.txt": f"أخبار\n\n{arabic}\n\n{arabic}".encode("cp1256")})
    assert main(["-w", str(root), "index"]) == 0
    assert "cp1256" in " ".join(capsys.readouterr().err.split())
    assert main(["-w", str(root), "show", "news"]) == 0
    assert arabic in capsys.readouterr().out


def test_western_legacy_text_stays_cp1252() -> None:
    for text in ("café “quoted”", "Grüße aus München, schöne Straße"):
        decoded = decode_bytes(text.encode("cp1252"))
        assert decoded.text == text and "cp1252" in (decoded.notice or "")


def test_nfc_query_finds_decomposed_text_and_back(tmp_path: Path, capsys) -> None:
    composed, decomposed = "café", unicodedata.normalize("NFD", "café")
    assert composed != decomposed
    root = make_workspace(
        tmp_path,
        {
            "stored-nfd.txt": f"Harbour {decomposed} talks\n\n{BODY} The {decomposed} closed.",
            "other.txt": f"Unrelated note\n\n{BODY}",
        },
    )
    assert main(["-w", str(root), "index", "--quiet"]) == 0
    for typed in (composed, decomposed):
        capsys.readouterr()
        assert main(["-w", str(root), "search", typed, "--json"]) == 0
        assert "stored-nfd" in capsys.readouterr().out


def test_markdown_syntax_does_not_leak_into_the_text() -> None:
    source = (
        "# The **budget** talks\n\n"
        "Members *argued* for `several` hours ![chart](chart.png) about <span>schools</span>"
        " and [roads](https://example.org/roads), __again__.\n\n"
        '<div class="promo">Subscribe today</div>\n\n'
        f"{BODY}\n"
    )
    result = load_bytes(source.encode(), "a.md", default_options())
    article = result.articles[0]
    assert article.title == "The budget talks"
    for leak in ("**", "*", "`", "![", "chart.png", "<span", "</span>", "<div", "__", "]("):
        assert leak not in article.text, leak
    assert "Members argued for several hours about schools and roads, again." in article.text
    assert "Subscribe today" in article.text  # raw HTML blocks keep their text
