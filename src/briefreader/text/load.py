"""Load article files (.txt, .md, .html) into clean ``Article`` objects.

Entry points: ``list_article_files`` (what is in the corpus, with skip reasons; as names
and directory entries, ``scan_article_files``),
``load_file`` (one file → articles) and ``load_corpus`` (everything).
"""

from __future__ import annotations

import datetime as dt
import errno
import functools
import hashlib
import itertools
import operator
import os
import re
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, NamedTuple

import yaml

from briefreader.models import Article, LoadResult, Skipped, make_passage_id
from briefreader.text.clean import LineRules, compile_rules, find_date
from briefreader.text.decode import NotText, decode_bytes, normalize_text
from briefreader.text.duplicates import drop_duplicates
from briefreader.text.formats import (
    DOCUMENT_SUFFIXES,
    Document,
    Unreadable,
    document_readers,
)
from briefreader.text.formats.html import page_data
from briefreader.text.split import (
    Draft,
    build_article,
    parse_article,
    split_articles,
    split_references,
)

TEXT_SUFFIXES = {".txt", ".text", ""}
MARKDOWN_SUFFIXES = {".md", ".markdown"}
HTML_SUFFIXES = {".html", ".htm"}
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | MARKDOWN_SUFFIXES | HTML_SUFFIXES | DOCUMENT_SUFFIXES
SUPPORTED_LIST = ".txt, .md, .html, .pdf, .docx, .epub, .eml"
DEFAULT_MAX_BYTES = 20 * 1024 * 1024
_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(?P<yaml>.*?)\n(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.S)
_ID_UNSAFE = re.compile(r"[^A-Za-z0-9_.\-/]+")


@dataclass(frozen=True)
class LoadOptions:
    """How to load: cleaning rules, size limit, whether to follow symlinks out of the corpus."""

    rules: LineRules
    max_bytes: int = DEFAULT_MAX_BYTES
    follow_symlinks: bool = False


def default_options(
    extra_patterns: tuple[str, ...] = (), max_mb: float | None = None, follow_symlinks: bool = False
) -> LoadOptions:
    """Options with the built-in cleaning rules plus the user's patterns."""
    max_bytes = int(max_mb * 1024 * 1024) if max_mb else DEFAULT_MAX_BYTES
    return LoadOptions(compile_rules(extra_patterns), max_bytes, follow_symlinks)


def article_base_id(relative_path: str) -> str:
    """A stable id from the file's path inside ``articles/`` (no order, time or machine)."""
    stem = relative_path.rsplit(".", 1)[0] if "." in Path(relative_path).name else relative_path
    slug = _ID_UNSAFE.sub("-", stem).strip("-/") or "article"
    return slug


class FoundFile(NamedTuple):
    """A candidate file: its name inside the corpus (always printable, as ``relative_name``
    gives it) and its directory entry (its path and a ``stat`` that needs no path parsing)."""

    relative: str
    entry: os.DirEntry[str]

    @property
    def path(self) -> Path:
        """The file's path."""
        return Path(self.entry.path)


def list_article_files(root: Path, options: LoadOptions) -> tuple[list[Path], list[Skipped]]:
    """List candidate files under ``root`` (sorted), with reasons for those skipped up front."""
    found, skipped = scan_article_files(root, options)
    return [item.path for item in found], skipped


def scan_article_files(root: Path, options: LoadOptions) -> tuple[list[FoundFile], list[Skipped]]:
    """``list_article_files`` as names and directory entries: no ``Path`` per file (building
    two per file was 0.55 of the 0.79 s this took for 35,600 files, BBC ×16).

    Files below ``root`` (not hidden, not inside hidden or linked folders), sorted by their
    path's parts (each folder's entries by name, depth first). Pipes, devices and linked
    folders are reported, not read."""
    files: list[FoundFile] = []
    skipped: list[Skipped] = []
    _scan_folder(str(root), "", (root, options), files, skipped)
    return files, skipped


def _scan_folder(
    folder: str,
    prefix: str,
    context: tuple[Path, LoadOptions],
    files: list[FoundFile],
    skipped: list[Skipped],
) -> None:
    """Add the files of ``folder`` and its folders (their names after ``prefix``) to
    ``files``, or with a reason to ``skipped``. A plain file of a supported type, the usual
    entry, costs no system call and no function (a third of a one-file re-index at BBC ×32
    went to listing its 71,200 files)."""
    try:
        with os.scandir(folder) as listing:
            entries = sorted(listing, key=_ENTRY_NAME)
    except OSError:
        return
    for entry in entries:
        name = entry.name
        if name[0] == ".":
            continue
        relative = prefix + name
        try:
            plain = entry.is_file(follow_symlinks=False)  # from the listing: no system call
        except OSError:
            plain = False
        if plain:
            dot = name.rfind(".")
            suffix = name[dot:] if 0 < dot < len(name) - 1 else ""
            if suffix in SUPPORTED_SUFFIXES or suffix.lower() in SUPPORTED_SUFFIXES:
                printable = relative if relative.isascii() else _printable(relative)
                files.append(_new_found((printable, entry)))
                continue
        elif _is_dir(entry) and not entry.is_symlink():
            _scan_folder(entry.path, relative + "/", context, files, skipped)
            continue
        reason = _skip_reason(*context, entry)
        if reason:
            skipped.append(Skipped(_printable(relative), reason))
        else:
            files.append(FoundFile(_printable(relative), entry))


_ENTRY_NAME = operator.attrgetter("name")
# ``FoundFile((relative, entry))`` without the named tuple's own ``__new__`` (a Python
# function): one C call per file.
_new_found = functools.partial(tuple.__new__, FoundFile)


def _is_dir(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir()
    except OSError:
        return False


def _printable(relative: str) -> str:
    if relative.isascii():  # the usual name: nothing to replace
        return relative
    return os.fsencode(relative).decode("utf-8", errors="backslashreplace")


def relative_name(path: Path, root: Path) -> str:
    """The file's name inside ``articles/`` as text that is always valid UTF-8.

    Bytes that are not UTF-8 in a file name are shown as ``\\xNN``, so the name can be
    stored, indexed and printed; the same file always gets the same name.
    """
    text, base = str(path), str(root)
    if text.startswith(base + "/"):  # the common case, without pathlib's parsing
        return _printable(text[len(base) + 1 :])
    return _printable(path.relative_to(root).as_posix())


LINKED_FOLDER = "a linked folder: not followed (link or copy its files into articles/)"


def _skip_reason(root: Path, options: LoadOptions, entry: os.DirEntry[str]) -> str | None:
    if entry.is_symlink() and _is_dir(entry):
        return LINKED_FOLDER
    suffix = name_suffix(entry.name)
    if suffix.lower() not in SUPPORTED_SUFFIXES:
        return f"unsupported file type '{suffix}' (supported: {SUPPORTED_LIST})"
    if entry.is_symlink():
        reason = _link_skip_reason(Path(entry.path), root, options)
        if reason:
            return reason
    if not _is_file(entry):
        return "not a regular file (a pipe, socket or device)"
    return None


def name_suffix(name: str) -> str:
    """A file name's suffix as ``PurePath.suffix`` gives it (``""`` for ``a.`` and
    ``.hidden``), without making a path."""
    dot = name.rfind(".")
    return name[dot:] if 0 < dot < len(name) - 1 else ""


def _link_skip_reason(path: Path, root: Path, options: LoadOptions) -> str | None:
    try:
        target = path.resolve()
        exists = target.exists()
    except RuntimeError:  # Python < 3.13 reports a loop this way
        return "symbolic link loop"
    except OSError as error:
        if error.errno == errno.ELOOP:
            return "symbolic link loop"
        return f"cannot follow symbolic link: {error.strerror or error}"
    if not exists:
        return "broken symbolic link"
    if not options.follow_symlinks and not target.is_relative_to(root.resolve()):
        return "symbolic link to outside the workspace (set follow_symlinks to allow)"
    return None


def _is_file(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_file()
    except OSError:
        return False


def load_file(path: Path, root: Path, options: LoadOptions) -> LoadResult:
    """Load one file into its articles, or say why it was skipped. Never raises for bad input."""
    relative = relative_name(path, root)
    try:
        size = path.stat().st_size
        if size > options.max_bytes:
            limit = options.max_bytes / 1024 / 1024
            return _skip(relative, f"too large ({size / 1024 / 1024:.1f} MB > {limit:g} MB limit)")
        data = path.read_bytes()
    except FileNotFoundError:
        return _skip(relative, "file vanished before it could be read")
    except PermissionError:
        return _skip(relative, "permission denied")
    except OSError as error:
        return _skip(relative, f"cannot read: {error.strerror or error}")
    return load_bytes(data, relative, options)


def load_bytes(data: bytes, relative: str, options: LoadOptions) -> LoadResult:
    """Decode and parse a file's bytes (its path relative to ``articles/`` names it)."""
    suffix = Path(relative).suffix.lower()
    if suffix in DOCUMENT_SUFFIXES:
        return _load_document(data, relative, suffix, options)
    try:
        decoded = decode_bytes(data)
    except NotText as reason:
        return _skip(relative, str(reason))
    notices: tuple[str, ...] = (decoded.notice,) if decoded.notice else ()
    try:
        drafts, meta, more = _parse_text(decoded.text, suffix, options)
    except Unreadable as reason:
        return _skip(relative, str(reason), notices)
    return _build_result(data, relative, drafts, meta, notices + more)


def _load_document(data: bytes, relative: str, suffix: str, options: LoadOptions) -> LoadResult:
    """A PDF, Word, EPUB or e-mail file through its format reader (``text/formats``)."""
    drafts: list[Draft] = []
    notices: tuple[str, ...] = ()
    shared: dict[str, Any] = {}  # author, url, tags: one set per file
    try:
        for document in document_readers()[suffix](data):
            found, meta, more = _document_drafts(document, options)
            drafts += found
            notices += more
            shared = shared or {k: meta[k] for k in ("url", "author", "tags") if k in meta}
    except Unreadable as reason:
        return _skip(relative, str(reason))
    return _build_result(data, relative, drafts, shared, tuple(dict.fromkeys(notices)))


def _document_drafts(
    document: Document, options: LoadOptions
) -> tuple[list[Draft], dict[str, Any], tuple[str, ...]]:
    """A format reader's document as drafts (its stated title, date and source applied), with
    its metadata and notices."""
    meta, notices = _clean_meta({"title": document.title, **document.meta})
    if document.html is not None:
        drafts, page_meta, more = _parse_html(document.html, options)
        notices += more
    elif document.text is not None:
        drafts, page_meta = _one_article(_parse_plain(normalize_text(document.text), options)), {}
    else:
        blocks = [
            replace(block, text=normalize_text(block.text))
            for block in document.blocks
            if not options.rules.is_boilerplate(block.text)
        ]
        if not meta.get("title") and blocks and blocks[0].kind == "heading":
            meta["title"] = blocks.pop(0).text
        drafts, page_meta = [Draft(blocks=blocks)], {}
    meta = {**page_meta, **meta}
    for draft in drafts:
        _meta_for(draft, meta)
    return drafts, meta, notices


def _parse_text(
    text: str, suffix: str, options: LoadOptions
) -> tuple[list[Draft], dict[str, Any], tuple[str, ...]]:
    """Drafts, metadata and notices of a decoded file, by its suffix."""
    if suffix in HTML_SUFFIXES:
        return _parse_html(text, options)
    if suffix in MARKDOWN_SUFFIXES:
        return _parse_markdown(text, options)
    return _parse_plain(normalize_text(text), options), {}, ()


def _build_result(
    data: bytes,
    relative: str,
    drafts: list[Draft],
    meta: dict[str, Any],
    notices: tuple[str, ...],
) -> LoadResult:
    """The file's articles from its drafts (ids from its path), or why there are none."""
    content_hash = hashlib.sha256(data).hexdigest()
    drafts = [d for d in drafts if d.blocks]
    if not drafts:
        return _skip(relative, "no article text after cleaning", notices)
    base = article_base_id(relative)
    articles = tuple(
        build_article(
            draft,
            base if part == 1 else f"{base}-{part}",
            relative,
            part,
            content_hash=content_hash,
            notices=notices,
            **_meta_for(draft, meta),
        )
        for part, draft in enumerate(drafts, start=1)
    )
    return LoadResult(relative, articles=articles, notices=notices)


def _skip(relative: str, reason: str, notices: tuple[str, ...] = ()) -> LoadResult:
    return LoadResult(relative, skipped=Skipped(relative, reason), notices=notices)


def _meta_for(draft: Draft, meta: dict[str, Any]) -> dict[str, Any]:
    """Front-matter/page metadata overrides what the text says (title, date, source…)."""
    if meta.get("title"):
        draft.title = str(meta["title"])
    if meta.get("date"):
        draft.date = meta["date"]
    if meta.get("source"):
        draft.source = str(meta["source"])
    return {key: meta[key] for key in ("url", "author", "tags") if key in meta}


def _parse_plain(text: str, options: LoadOptions) -> list[Draft]:
    lines, references = split_references(text.split("\n"))
    drafts = [
        parse_article(title, header, body, options.rules)
        for title, header, body in split_articles(lines, options.rules)
    ]
    _merge_untitled_lead(drafts)
    if drafts and references:
        drafts[-1].references = references
    return drafts


def _merge_untitled_lead(drafts: list[Draft]) -> None:
    """Text before the first article header that is only a line or two is chrome; drop it."""
    if len(drafts) > 1 and sum(len(b.text.split()) for b in drafts[0].blocks) < 12:
        del drafts[0]


class _FrontMatterLoader(yaml.SafeLoader):
    """Safe YAML that keeps scalars as typed (``2024-13-45``, ``yes``, ``1984`` stay text, to be
    checked by us) and refuses aliases, so a small file cannot expand into gigabytes."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            mark = self.peek_event().start_mark
            raise yaml.composer.ComposerError(
                None, None, "aliases (*name) are not accepted in front matter", mark
            )
        return super().compose_node(parent, index)


def _scalar_text(loader: _FrontMatterLoader, node: yaml.ScalarNode) -> str:
    return str(loader.construct_scalar(node))


for _tag in ("bool", "int", "float", "timestamp"):
    _FrontMatterLoader.add_constructor(f"tag:yaml.org,2002:{_tag}", _scalar_text)


def _parse_markdown(
    text: str, options: LoadOptions
) -> tuple[list[Draft], dict[str, Any], tuple[str, ...]]:
    text = normalize_text(text)
    meta: dict[str, Any] = {}
    notices: tuple[str, ...] = ()
    match = _FRONT_MATTER.match(text)
    if match:
        meta, notices = _read_front_matter(match.group("yaml"))
        text = text[match.end() :]
    elif re.match(r"---[ \t]*(\n|\Z)", text):
        notices = ("front matter not closed (no second '---' line): read as text",)
    from briefreader.text.formats.markdown import markdown_to_text  # only .md needs it

    return _parse_plain(markdown_to_text(text), options), meta, notices


def _read_front_matter(source: str) -> tuple[dict[str, Any], tuple[str, ...]]:
    """Front-matter metadata and notices; YAML that cannot be read is ignored with a notice."""
    try:
        loaded = yaml.load(source, Loader=_FrontMatterLoader)  # a SafeLoader
    except yaml.YAMLError as error:
        return {}, (f"front matter ignored: invalid YAML ({_first_line(str(error))})",)
    except RecursionError:
        return {}, ("front matter ignored: nested too deeply",)
    return _clean_meta(loaded) if isinstance(loaded, dict) else ({}, ())


def _clean_meta(loaded: dict[Any, Any]) -> tuple[dict[str, Any], tuple[str, ...]]:
    """Title, source, url, author (text only), a checked date and tags, with notices."""
    meta: dict[str, Any] = {}
    notices: tuple[str, ...] = ()
    for key in ("title", "source", "url", "author"):
        value = _meta_text(loaded.get(key))
        if value:
            meta[key] = value
        elif loaded.get(key) is not None and not isinstance(loaded.get(key), str):
            notices += (f"{key} ignored: not text",)
    date, notice = _meta_date(loaded.get("date"))
    meta["date"] = date
    notices += (notice,) if notice else ()
    tags = loaded.get("tags")
    if isinstance(tags, str):
        tags = [t.strip() for t in tags.split(",")]
    if isinstance(tags, list):
        meta["tags"] = tuple(t for t in (_meta_text(t) for t in tags) if t)
    return {k: v for k, v in meta.items() if v}, notices


def _meta_text(value: Any) -> str | None:
    """A metadata value as one line of text: a string, or strings in a list joined by ', '."""
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        value = ", ".join(v.strip() for v in value if v.strip())
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        return " ".join(normalize_text(str(value)).split()) or None
    return None


def _meta_date(value: Any) -> tuple[str | None, str | None]:
    """A front-matter or page date as ``YYYY-MM-DD``, or a notice saying why it was ignored."""
    if value is None or value == "":
        return None, None
    if isinstance(value, dt.datetime):
        return value.date().isoformat(), None
    if isinstance(value, dt.date):
        return value.isoformat(), None
    text = _meta_text(value)
    if text:
        found = find_date(text) or _iso_prefix(text)
        try:
            return dt.date.fromisoformat(found or "").isoformat(), None
        except ValueError:
            return None, f"date ignored: not a valid date ({text[:40]})"
    return None, "date ignored: not a valid date"


def _iso_prefix(text: str) -> str | None:
    match = re.match(r"\d{4}-\d{2}-\d{2}", text.strip())
    return match.group(0) if match else None


def _first_line(text: str) -> str:
    return text.strip().split("\n", 1)[0]


# Character references (``&#27;``, ``&#x1b;``): those to control characters are dropped before
# parsing (an XML parser refuses them and the whole page was lost; text cannot hold them).
_CHAR_REF = re.compile(r"&#(?:([0-9]{1,8})|[xX]([0-9a-fA-F]{1,8}));?")


def _drop_control_refs(html: str) -> str:
    """``html`` without character references to C0 (but tab, LF, CR), DEL or C1."""

    def replace(match: re.Match[str]) -> str:
        code = int(match.group(1)) if match.group(1) else int(match.group(2), 16)
        control = (code < 32 and code not in (9, 10, 13)) or 127 <= code <= 159
        return "" if control else match.group()

    return _CHAR_REF.sub(replace, html)


def _parse_html(
    html: str, options: LoadOptions
) -> tuple[list[Draft], dict[str, Any], tuple[str, ...]]:
    """Main-text extraction with trafilatura; page metadata (title, date, site, author).

    A page nested deeper than the HTML parser goes (256 elements) is parsed again without
    that limit; past the parser's hard limit its text is read without the page's layout.
    """
    html = _drop_control_refs(html)
    found = _extract_html(html, options)
    if any(draft.blocks for draft in found[0]) or not _html_tree(html, huge=False)[1]:
        return found
    tree, truncated = _html_tree(html, huge=True)
    if tree is not None and not truncated:
        return _extract_html(tree, options)
    return _plain_html(html, options)


def _html_tree(html: str, huge: bool) -> tuple[Any, bool]:
    """The page parsed by lxml, and whether it was cut short for nesting too deeply."""
    from lxml import etree
    from lxml import html as lxml_html

    parser = lxml_html.HTMLParser(huge_tree=huge)
    try:
        tree = lxml_html.document_fromstring(html, parser=parser)
    except (etree.ParserError, ValueError):
        return None, False
    too_deep = any("Excessive depth" in error.message for error in parser.error_log)
    return tree, too_deep


def _plain_html(
    html: str, options: LoadOptions
) -> tuple[list[Draft], dict[str, Any], tuple[str, ...]]:
    """The page's text, a paragraph per block element, without trafilatura's layout analysis."""
    reader = _HtmlText()
    reader.feed(html)
    reader.close()
    drafts = _one_article(_parse_plain(normalize_text("".join(reader.parts)), options))
    meta, notices = _clean_meta({"title": "".join(reader.title)})
    notice = "page nested too deeply to analyse its layout: all of its text is kept"
    return drafts, meta, (*notices, notice)


class _HtmlText(HTMLParser):
    """Collects a page's text (not scripts or styles) with blank lines between blocks."""

    SKIP = frozenset({"script", "style", "noscript", "template", "svg"})
    BLOCKS = re.compile(
        r"p|div|br|hr|li|[uod]l|d[dt]|h[1-6]|tr|table|section|article|blockquote|pre|header"
        r"|footer|nav|aside|main|figure|figcaption"
    )

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.title: list[str] = []
        self.skipping: list[str] = []
        self.in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.in_title = tag == "title"
        if tag in self.SKIP:
            self.skipping.append(tag)
        elif self.BLOCKS.fullmatch(tag):
            self.parts.append("\n\n")

    def handle_endtag(self, tag: str) -> None:
        self.in_title = False
        if tag in self.skipping:
            while self.skipping.pop() != tag:
                pass
        elif self.BLOCKS.fullmatch(tag):
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        if self.in_title:
            self.title.append(data)
        elif not self.skipping:
            self.parts.append(re.sub(r"\s+", " ", data))


def _extract_html(
    html: Any, options: LoadOptions
) -> tuple[list[Draft], dict[str, Any], tuple[str, ...]]:
    """Main text and metadata of a page (its source, or an lxml tree) found by trafilatura."""
    data = page_data(html)
    if data is None:
        return [], {}, ()
    text = normalize_text(data.get("text") or "")
    meta, notices = _clean_meta(
        {
            "title": data.get("title"),
            "date": data.get("date"),
            "source": data.get("sitename") or data.get("hostname"),
            "url": data.get("url"),
            "author": data.get("author"),
            "tags": data.get("tags") or None,
        }
    )
    return _one_article(_parse_plain(text, options)), meta, notices


def _one_article(drafts: list[Draft]) -> list[Draft]:
    """A web page is one article: headers repeated by the page don't split it."""
    if len(drafts) > 1:
        return [Draft(blocks=[b for d in drafts for b in d.blocks])]
    return drafts


def load_corpus(root: Path, options: LoadOptions) -> tuple[list[LoadResult], list[Skipped]]:
    """Load every file under ``root``; every article gets an id no other article has."""
    files, skipped = list_article_files(root, options)
    results = drop_duplicates([load_file(path, root, options) for path in files])
    return disambiguate(results), skipped


def disambiguate(
    results: list[LoadResult],
    taken: Collection[str] = (),
    previous: Mapping[str, Sequence[str]] | None = None,
    titles: Mapping[str, str] | None = None,
) -> list[LoadResult]:
    """Give every article an id that no other article holds.

    ``taken`` are the ids of indexed files that are not among ``results`` (an incremental run);
    ``previous`` maps a re-loaded file to the ids it had, which it keeps (notes anchor to them):
    an article whose title is the old title of one of them (``titles``: id to title) gets that
    id, so articles of one file that swap places keep their ids; the others go by position.
    Otherwise the first file (in order) gets its path's id; a later file sharing it gets the
    suffix added (``a.txt``, ``a.md`` → ``a``, ``a-md``), then a number, until the id is free.
    """
    previous = previous or {}
    used = set(taken)
    kept: dict[int, dict[int, str]] = {}
    for index, result in enumerate(results):
        held = previous.get(result.path, ())
        for part, old in _held_by_part(result.articles, held, titles or {}).items():
            if old not in used:
                kept.setdefault(index, {})[part] = old
                used.add(old)
    for index, result in enumerate(results):
        if result.articles:
            results[index] = _with_ids(result, kept.get(index, {}), used, previous)
    return results


def _held_by_part(
    articles: Sequence[Article], held: Sequence[str], titles: Mapping[str, str]
) -> dict[int, str]:
    """Which held id each article part keeps: the id whose old title is its title, else the
    id at its position (when no other part took it by title)."""
    by_title = {titles[i].casefold(): i for i in held if titles.get(i)}
    chosen: dict[int, str] = {}
    for article in articles:
        old = by_title.get(article.title.casefold())
        if old is not None and old not in chosen.values():
            chosen[article.part] = old
    for article in articles:
        if article.part not in chosen and article.part <= len(held):
            old = held[article.part - 1]
            if old not in chosen.values():
                chosen[article.part] = old
    return chosen


def _with_ids(
    result: LoadResult,
    kept: dict[int, str],
    used: set[str],
    previous: Mapping[str, Sequence[str]],
) -> LoadResult:
    """The result with each article renamed to its kept id or the first free candidate."""
    fresh = [a for a in result.articles if a.part not in kept]
    stems = _stem_candidates(result.path, previous.get(result.path, ()))
    for stem in stems:
        ids = {a.part: _part_id(stem, a.part) for a in fresh}
        if not set(ids.values()) & used and len(set(ids.values())) == len(ids):
            break
    used.update(ids.values())
    ids.update(kept)
    articles = tuple(
        a if ids[a.part] == a.id else _renamed(a, ids[a.part]) for a in result.articles
    )
    return replace(result, articles=articles)


def _stem_candidates(relative: str, held: Sequence[str]) -> Iterator[str]:
    """Ids to try for a file's first article (later parts add ``-N``): endless, all distinct."""
    base = article_base_id(relative)
    if held:
        yield held[0]
    yield base
    suffixed = f"{base}-{Path(relative).suffix.lstrip('.').lower() or 'file'}"
    yield suffixed
    for number in itertools.count(2):
        yield f"{suffixed}{number}"


def _part_id(stem: str, part: int) -> str:
    return stem if part == 1 else f"{stem}-{part}"


def _renamed(article: Article, new_id: str) -> Article:
    passages = tuple(
        replace(p, id=make_passage_id(new_id, p.number), article_id=new_id)
        for p in article.passages
    )
    return replace(article, id=new_id, passages=passages)
