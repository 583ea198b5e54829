"""Loading files: formats, encodings, bad input, ids, cleaning rules on synthetic text."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from briefreader.text.clean import compile_rules, find_date, is_photo_credit, parse_dateline
from briefreader.text.decode import NotText, decode_bytes, normalize_text, strip_control
from briefreader.text.load import (
    article_base_id,
    default_options,
    list_article_files,
    load_bytes,
    load_corpus,
    load_file,
    name_suffix,
    relative_name,
    scan_article_files,
)

BODY = (
    "The council met on Tuesday to discuss the budget for the coming year, and members "
    "argued for several hours about the share given to schools and roads."
)


def _load(text: str | bytes, name: str = "a.txt"):
    data = text.encode("utf-8") if isinstance(text, str) else text
    return load_bytes(data, name, default_options())


def test_utf8_and_cp1252_fallback_with_notice() -> None:
    assert decode_bytes("café".encode()).notice is None
    decoded = decode_bytes("café “quoted”".encode("cp1252"))
    assert decoded.text == "café “quoted”"
    assert "cp1252" in (decoded.notice or "")
    result = _load(f"Title here\n\n{BODY} caf\xe9".encode("cp1252"))
    assert result.articles and "cp1252" in result.notices[0]


@pytest.mark.parametrize(
    "data, reason",
    [
        (b"", "empty"),
        (b"  \n\n ", "empty"),
        (b"ab\x00cd" * 10, "NUL"),
        (bytes(range(1, 9)) * 50, "binary"),
    ],
)
def test_binary_and_empty_are_skipped_with_reason(data: bytes, reason: str) -> None:
    with pytest.raises(NotText, match=reason):
        decode_bytes(data)
    result = _load(data)
    assert result.skipped is not None and reason in result.skipped.reason


def test_text_that_libmagic_calls_an_archive_is_text() -> None:
    result = _load("Blinken presses Iraq on groups\n" + BODY)
    assert result.articles[0].title == "Blinken presses Iraq on groups"


def test_utf16_with_bom() -> None:
    result = _load(("Title\n\n" + BODY).encode("utf-16"))
    assert result.articles and "UTF-16" in result.notices[0]


@settings(max_examples=60, deadline=None)
@given(
    st.text("abcdefgilmnoprstuvzABCDEMPR éèêàçüöñ'’–", min_size=3, max_size=60).filter(
        lambda title: title.strip() and any(ord(c) > 127 for c in title)
    ),
    st.sampled_from([".txt", ".md"]),
)
def test_a_utf8_byte_order_mark_before_cp1252_text_is_dropped(title: str, suffix: str) -> None:
    """A UTF-8 BOM before bytes that are not UTF-8 was decoded as cp1252 "ï»¿" and kept at
    the start of the title (titles: Western words, which the cp1252 fallback is for)."""
    title = " ".join(title.split())
    data = b"\xef\xbb\xbf" + f"{title}\n\n{BODY} Caf\u00e9 cr\u00e8me.\n".encode("cp1252")
    result = _load(data, "a" + suffix)
    assert result.articles, result.skipped
    article = result.articles[0]
    assert not article.title.startswith(("\u00ef\u00bb\u00bf", "\ufeff"))
    assert "\u00ef\u00bb\u00bf" not in article.title + article.text
    assert "Café crème" in article.text


def test_control_characters_and_escapes_removed() -> None:
    text = "a\x1b[2Jb\x1b]0;title\x07c\x1b]52;c;ZXZpbA==\x07d\x00e\u200bf"
    assert strip_control(text) == "abcdef"
    assert normalize_text("a\r\nb\rc\u2028d\u2029e") == "a\nb\nc\nd\ne"
    assert strip_control("x\ud800y") == "x\ufffdy"


def test_markup_like_text_is_kept_as_typed() -> None:
    result = _load(f"Title\n\n[bold]not bold[/] and [link=file:///etc/passwd]x[/link]. {BODY}")
    assert "[bold]not bold[/]" in result.articles[0].text


def test_markdown_front_matter_and_headings(tmp_path: Path) -> None:
    text = (
        "---\ntitle: Budget talks\nsource: Gazette\ndate: 2024-03-05\nauthor: A. Writer\n"
        "tags: [council, budget]\nurl: https://example.org/a\n---\n\n# Budget talks\n\n"
        f"{BODY}\n\n## Next steps\n\nThe [vote](https://example.org) follows. {BODY}\n"
    )
    (article,) = load_bytes(text.encode(), "notes/budget.md", default_options()).articles
    assert (article.title, article.source, article.date) == (
        "Budget talks",
        "Gazette",
        "2024-03-05",
    )
    assert article.tags == ("council", "budget") and article.author == "A. Writer"
    assert [h.text for h in article.headings] == ["Next steps"]
    assert "The vote follows." in article.text and "](" not in article.text
    assert article.id == "notes/budget"


def test_markdown_with_only_front_matter_is_skipped() -> None:
    result = load_bytes(b"---\ntitle: Empty\n---\n", "e.md", default_options())
    assert result.skipped and "no article text" in result.skipped.reason


def test_markdown_with_broken_yaml_keeps_text() -> None:
    result = load_bytes(
        f"---\ntitle: [oops\n---\nTitle line\n\n{BODY}".encode(), "b.md", default_options()
    )
    assert result.articles and "invalid YAML" in result.notices[0]


def test_html_main_text_and_metadata() -> None:
    html = f"""<html><head><title>Budget talks | Gazette</title>
    <meta property="og:site_name" content="Gazette">
    <meta name="date" content="2024-03-05"></head><body>
    <nav><a href="/">Home</a> <a href="/world">World</a></nav>
    <script>alert("x")</script><form><input name="q"></form>
    <article><h1>Budget talks</h1><p>{BODY}</p><h2>Next steps</h2>
    <p>Members will vote on the plan next week, after a public hearing.</p></article>
    <footer>Copyright Gazette</footer></body></html>"""
    (article,) = load_bytes(html.encode(), "page.html", default_options()).articles
    assert "alert" not in article.text and "Copyright" not in article.text
    assert article.passages[0].text == BODY
    assert article.date == "2024-03-05"


def test_user_boilerplate_patterns_extend_the_rules() -> None:
    text = f"Title\n\n{BODY}\n\nSponsored by Acme\n\n{BODY} More."
    assert "Sponsored" in _load(text).articles[0].text
    options = default_options(("sponsored by .*",))
    assert "Sponsored" not in load_bytes(text.encode(), "a.txt", options).articles[0].text
    with pytest.raises(ValueError, match="invalid boilerplate pattern"):
        compile_rules(["(unclosed"])


def test_hard_wrapped_lines_are_joined() -> None:
    wrapped = (
        "The council met on Tuesday to discuss the budget for the coming\n"
        "year, and members argued for several hours about the share given\n"
        "to schools and roads."
    )
    (article,) = _load("Title\n\n" + wrapped + "\n\n" + BODY).articles
    assert article.passages[0].text == " ".join(wrapped.split("\n"))


def test_huge_paragraph_split_into_passages_with_offsets() -> None:
    sentence = "This sentence is about the budget and the roads of the city. "
    (article,) = _load("Title\n\n" + sentence * 400).articles
    assert len(article.passages) > 3
    for passage in article.passages:
        assert article.text[passage.start : passage.end] == passage.text
        assert len(passage.text) <= 4000


def test_date_parsing() -> None:
    assert parse_dateline("Updated 29 July 2025") == "2025-07-29"
    assert parse_dateline("Published: March 5, 2024 10:30 GMT") == "2024-03-05"
    assert parse_dateline("The meeting on 5 March 2024 was long.") is None
    assert find_date("2024-13-40") is None
    assert is_photo_credit("JONATHAN ERNST/POOL VIA ASSOCIATED PRESS")
    assert not is_photo_credit("SYRIAN OFFICIALS CITE US EXPORT CONTROLS AS TELECOMS BARRIER")


def test_ids_from_paths_are_stable_and_safe() -> None:
    assert article_base_id("000_abc.txt") == "000_abc"
    assert article_base_id("sub dir/a:b.md") == "sub-dir/a-b"
    assert ":" not in article_base_id("x:y:z.txt")


def test_corpus_listing_skips_unsupported_symlinks_and_disambiguates(tmp_path: Path) -> None:
    root = tmp_path / "articles"
    root.mkdir()
    (root / "a.txt").write_text("Title A\n\n" + BODY)
    (root / "a.md").write_text("Title B\n\n" + BODY)
    (root / "image.png").write_bytes(b"\x89PNG")
    (root / ".hidden.txt").write_text("x")
    outside = tmp_path / "secret.txt"
    outside.write_text("Secret\n\n" + BODY)
    os.symlink(outside, root / "link.txt")
    results, skipped = load_corpus(root, default_options())
    reasons = {s.path: s.reason for s in skipped}
    assert "unsupported" in reasons["image.png"]
    assert "outside the workspace" in reasons["link.txt"]
    ids = sorted(a.id for r in results for a in r.articles)
    assert ids == ["a", "a-txt"] or ids == ["a", "a-md"]
    files, _ = list_article_files(root, default_options(follow_symlinks=True))
    assert root / "link.txt" in files


def test_unreadable_vanished_and_too_large(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "articles"
    root.mkdir()
    big = root / "big.txt"
    big.write_text("Title\n\n" + BODY * 20)
    result = load_file(big, root, default_options(max_mb=0.001))
    assert result.skipped and "too large" in result.skipped.reason
    gone = load_file(root / "gone.txt", root, default_options())
    assert gone.skipped and "vanished" in gone.skipped.reason
    locked = root / "locked.txt"
    locked.write_text("Title\n\n" + BODY)
    real_read = Path.read_bytes

    def deny(path: Path) -> bytes:  # CI runs as root, where chmod 000 still reads
        if path.name == "locked.txt":
            raise PermissionError(13, "Permission denied")
        return real_read(path)

    monkeypatch.setattr(Path, "read_bytes", deny)
    result = load_file(locked, root, default_options())
    assert result.skipped and "permission" in result.skipped.reason


def test_short_paragraphs_are_text_not_navigation() -> None:
    lines = "\n\n".join(f"Line {n} here." for n in range(1, 11))
    for text in (
        f"Many lines title\n\n{lines}",
        f"Home\n\nWorld\n\nSport\n\nMany lines title\n\n{lines}",
    ):
        (article,) = _load(text).articles
        assert article.title == "Many lines title"
        assert [p.text for p in article.passages] == [f"Line {n} here." for n in range(1, 11)]
    unpunctuated = "\n\n".join(f"Item {n} here" for n in range(1, 6))
    (article,) = _load(f"List title\n\n{unpunctuated}").articles
    assert (article.title, len(article.passages)) == ("List title", 5)
    quotes = "No.\n\nHe declined to comment.\n\nShe left."
    (article,) = _load(f"Home\n\nWorld\n\nNews\n\nMinister quits\n\n{quotes}\n\n{BODY}").articles
    assert article.title == "Minister quits"
    assert [p.text for p in article.passages][:3] == quotes.split("\n\n")


CREDIT = "JANE DOE/POOL VIA REUTERS"
CAPTION = "The minister arrives at the airport in Basra, Iraq, on Nov. 5."
STORY = "BASRA (Reuters) — " + BODY


def test_captions_between_photo_credits_and_the_dateline_are_not_paragraphs() -> None:
    text = (
        f"Budget talks resume\n\n{CREDIT}\n\n{CAPTION}\n\nAP PHOTO\n\n{CAPTION} Again.\n\n{STORY}"
    )
    (article,) = _load(text).articles
    assert article.title == "Budget talks resume"
    assert [p.text for p in article.passages] == [STORY]


@pytest.mark.parametrize(
    "text",
    [
        f"Budget talks resume\n\n{CREDIT}\n\n{BODY}\n\n{BODY} More.",  # a credit, no caption
        f"Budget talks resume\n\n{CAPTION}\n\n{CREDIT}\n\n{BODY}",  # which side is unknown
        f"Budget talks resume\n\n{BODY}\n\n{CREDIT}\n\n{CAPTION}\n\n{STORY}",  # after the lead
    ],
)
def test_paragraphs_next_to_a_lone_credit_are_kept(text: str) -> None:
    (article,) = _load(text).articles
    assert CREDIT not in article.text
    kept = [p for p in text.split("\n\n")[1:] if p != CREDIT]
    assert [p.text for p in article.passages] == kept


def test_title_from_a_long_lead_sentence_ends_at_a_clause() -> None:
    lead = (
        "The city’s struggle to balance its budget is increasingly complicated by its debts to "
        "the banks and the region and a persistent shortfall in tax revenue. Second sentence."
    )
    (article,) = _load(f"{lead}\n\n{BODY}").articles
    assert article.title == (
        "The city’s struggle to balance its budget is increasingly complicated by its debts "
        "to the banks and the region"
    )
    (article,) = _load(f"{'Budget ' * 40}words.\n\n{BODY}").articles
    assert article.title.endswith("…") and len(article.title) <= 121


@pytest.mark.parametrize(
    "name", ["a.txt", "a.TXT", "a.", "README", "a.b.md", "a..", "x.tar.gz", "é.html", ". .txt"]
)
def test_a_names_suffix_is_the_one_pathlib_gives(name: str) -> None:
    assert name_suffix(name) == Path(name).suffix


def test_scanned_files_are_named_as_relative_name_names_them(tmp_path: Path) -> None:
    """The index run's listing (names and directory entries, no paths) lists the files
    ``list_article_files`` lists, under the names ``relative_name`` gives them."""
    root = tmp_path / "articles"
    (root / "sub" / "deeper").mkdir(parents=True)
    (root / "a").mkdir()
    (root / "a-b").mkdir()
    names = ("a.txt", "b.", "README", "sub/c.md", "sub/deeper/d.html", "e.png", "f.TXT")
    for name in (*names, "a/x.txt", "a-b/y.txt"):
        (root / name).write_text("Title\n\n" + BODY)
    with open(os.fsencode(root) + b"/caf\xe9.txt", "wb") as handle:
        handle.write(b"Title\n\n" + BODY.encode())
    os.symlink(root / "a.txt", root / "sub" / "link.txt")
    options = default_options()
    found, skipped = scan_article_files(root, options)
    paths, skipped_before = list_article_files(root, options)
    assert [item.path for item in found] == paths and skipped == skipped_before
    assert [item.relative for item in found] == [relative_name(path, root) for path in paths]
    assert "caf\\xe9.txt" in [item.relative for item in found]
    assert {"b.", "README", "f.TXT", "sub/link.txt"} <= {item.relative for item in found}
    assert [s.path for s in skipped] == ["e.png"]
    relatives = [item.relative for item in found]
    assert relatives == sorted(relatives, key=lambda name: name.split("/"))  # by their parts
    assert relatives.index("a/x.txt") < relatives.index("a-b/y.txt") < relatives.index("a.txt")


def test_the_listing_is_in_path_order_with_each_kind_of_entry_judged(tmp_path: Path) -> None:
    """Folders depth first at their name's place, every supported suffix in any case, no
    suffix, hidden entries left out; a linked folder, a pipe and other types reported."""
    root = tmp_path / "articles"
    (root / "a" / "deep").mkdir(parents=True)
    (root / ".hidden").mkdir()
    (root / "elsewhere").mkdir()
    for name in ("a-c.txt", "a/b.TXT", "a/deep/z.Md", "b", "c.", "d.html", "e.PNG", ".h.txt"):
        (root / name).write_text("Title\n\n" + BODY)
    (root / ".hidden" / "x.txt").write_text("x")
    (root / "elsewhere" / "y.txt").write_text("y")
    os.symlink(root / "elsewhere", root / "linked")
    os.mkfifo(root / "pipe.txt")
    (root / "caf\udce9.txt").write_bytes(b"Title\n\n" + BODY.encode())  # not UTF-8
    found, skipped = scan_article_files(root, default_options())
    assert [f.relative for f in found] == [
        "a/b.TXT",
        "a/deep/z.Md",
        "a-c.txt",
        "b",
        "c.",
        "caf\\xe9.txt",
        "d.html",
        "elsewhere/y.txt",
    ]
    assert all(os.path.isfile(f.entry.path) for f in found)
    reasons = {s.path: s.reason for s in skipped}
    assert set(reasons) == {"e.PNG", "linked", "pipe.txt"}
    assert "unsupported file type '.PNG'" in reasons["e.PNG"]
    assert "linked folder" in reasons["linked"] and "not a regular file" in reasons["pipe.txt"]
