"""Web pages and feeds into the corpus: fetch, extract the article, save it as Markdown.

``briefreader add URL…`` and ``add --feed URL`` use this module. A page is fetched with
trafilatura's downloader (size and time limits, retries; private addresses refused unless
the user gave a loopback URL), its main text and metadata extracted as for an .html file,
and saved in ``articles/`` as Markdown with front matter (title, source, date, url, author).
An article whose URL or text is already saved (in a .md file of the corpus) is not saved
again. Article text is data: Markdown syntax in it is escaped, so it reads back as typed.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import yaml

from briefreader.text.duplicates import text_fingerprint
from briefreader.text.formats import require
from briefreader.text.formats.html import page_data
from briefreader.text.load import default_options, load_bytes

_ESCAPED = re.compile(r"([\\`*_\[\]<>#!|~&])")
_LINE_START = re.compile(r"^(\s*)([-+=]|\d+[.)])(?=\s|$)", re.M)
_SLUG = re.compile(r"[^a-z0-9]+")
_TRACKING = re.compile(r"^(utm_[a-z]+|fbclid|gclid|mc_cid|mc_eid)=", re.I)


class FetchError(Exception):
    """A URL could not be fetched or held no article; the message says why (one line)."""


@dataclass(frozen=True)
class WebArticle:
    """An article found on the web, ready to be saved."""

    url: str
    title: str
    paragraphs: tuple[str, ...]
    source: str = ""
    date: str | None = None
    author: str = ""


@dataclass
class Saved:
    """What is already in the corpus: saved URLs and article texts, each with its file."""

    urls: dict[str, str] = field(default_factory=dict)
    texts: dict[str, str] = field(default_factory=dict)


def normalize_url(url: str) -> str:
    """A URL as compared for duplicates: no fragment, no tracking parameters, host in lower
    case, no trailing slash on the path."""
    parts = urlsplit(url.strip())
    query = "&".join(p for p in parts.query.split("&") if p and not _TRACKING.match(p))
    path = parts.path.rstrip("/") or "/"
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), path, query, ""))


def is_loopback(url: str) -> bool:
    """Whether the URL's host is this machine (localhost, 127.0.0.0/8, ::1)."""
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_url(url: str) -> str:
    """The URL if it is http(s) with a host, else ``FetchError``."""
    parts = urlsplit(url.strip())
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise FetchError(f"not a web address (http:// or https://): '{url}'")
    return url.strip()


@dataclass(frozen=True)
class Fetched:
    """A fetched URL: the body as bytes and as text (decoded by its charset), the final URL."""

    data: bytes
    text: str
    url: str


def fetch(url: str, allow_private: bool = False) -> Fetched:
    """The body of ``url`` and its final URL (after redirects), or ``FetchError``.

    Private and loopback addresses are refused (trafilatura's SSRF protection) unless
    ``allow_private``: the user asked for a loopback URL, or a feed served from one.
    """
    downloads = require("trafilatura.downloads", "lxml_html_clean", "web")
    settings = require("trafilatura.settings", "lxml_html_clean", "web")
    config = settings.use_config()
    config.set("DEFAULT", "SSRF_PROTECTION", "off" if allow_private else "on")
    config.set("DEFAULT", "MAX_REDIRECTS", "5")
    config.set("DEFAULT", "DOWNLOAD_TIMEOUT", "20")
    with _logged_errors() as errors:
        response = downloads.fetch_response(check_url(url), decode=True, config=config)
    if response is None:
        raise FetchError(f"cannot fetch {url}: {errors[-1] if errors else 'no answer'}")
    if response.status != 200:
        raise FetchError(f"cannot fetch {url}: HTTP status {response.status}")
    data = bytes(response.data or b"")
    text = response.html if isinstance(response.html, str) else data.decode("utf-8", "replace")
    return Fetched(data, text, str(response.url or url))


@contextmanager
def _logged_errors() -> Iterator[list[str]]:
    """Collect trafilatura's download errors (it logs them and returns None) for the message."""
    errors: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            errors.append(" ".join(record.getMessage().split())[:200])

    logger = logging.getLogger("trafilatura.downloads")
    handler = Collect(logging.WARNING)
    logger.addHandler(handler)
    level, logger.level = logger.level, logging.WARNING
    propagate, logger.propagate = logger.propagate, False
    try:
        yield errors
    finally:
        logger.removeHandler(handler)
        logger.level, logger.propagate = level, propagate


def extract_article(html: str, url: str) -> WebArticle | None:
    """The page's main text and metadata (as for an .html file), or None if it has none."""
    data = page_data(html, url)
    if data is None:
        return None
    paragraphs = split_paragraphs(data.get("text") or "")
    if not paragraphs:
        return None
    return WebArticle(
        url=url,
        title=" ".join(str(data.get("title") or "").split()),
        paragraphs=paragraphs,
        source=str(data.get("sitename") or data.get("hostname") or ""),
        date=iso_date(data.get("date")),
        author=str(data.get("author") or ""),
    )


def split_paragraphs(text: str) -> tuple[str, ...]:
    """Non-empty lines of extracted text (trafilatura gives a paragraph per line)."""
    lines = (" ".join(line.split()) for line in text.split("\n"))
    return tuple(line for line in lines if line)


def iso_date(value: Any) -> str | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(str(value)[:10]).isoformat()
    except ValueError:
        return None


def escape_markdown(text: str) -> str:
    """Text that Markdown reads back as typed (``*``, ``_``, ``#``, ``<…>``, ``[…]`` escaped)."""
    return _LINE_START.sub(lambda m: m.group(1) + "\\" + m.group(2), _ESCAPED.sub(r"\\\1", text))


def to_markdown(article: WebArticle) -> str:
    """The article as a Markdown file: YAML front matter, then its paragraphs."""
    front = {
        "title": article.title or article.url,
        "source": article.source or urlsplit(article.url).hostname or "",
        "date": article.date,
        "url": article.url,
        "author": article.author,
    }
    front = {key: value for key, value in front.items() if value}
    head = yaml.safe_dump(front, allow_unicode=True, sort_keys=False, width=1000)
    body = "\n\n".join(escape_markdown(p) for p in article.paragraphs)
    return f"---\n{head}---\n\n{body}\n"


def saved_articles(articles_dir: Path) -> Saved:
    """The URLs and texts of the Markdown articles already in the corpus."""
    saved = Saved()
    options = default_options()
    for path in sorted(articles_dir.rglob("*.md")):
        relative = path.relative_to(articles_dir).as_posix()
        try:
            result = load_bytes(path.read_bytes(), relative, options)
        except OSError:
            continue
        for article in result.articles:
            if article.url:
                saved.urls.setdefault(normalize_url(article.url), relative)
            saved.texts.setdefault(text_fingerprint(article, with_title=False), relative)
    return saved


def save_article(articles_dir: Path, article: WebArticle, saved: Saved) -> tuple[str, bool]:
    """Save the article unless its URL or text is already saved.

    Returns the file's path inside ``articles/`` and whether it was written (False: the file
    that already holds it).
    """
    known = saved.urls.get(normalize_url(article.url))
    if known:
        return known, False
    text = to_markdown(article)
    loaded = load_bytes(text.encode("utf-8"), "new.md", default_options()).articles
    fingerprints = [text_fingerprint(a, with_title=False) for a in loaded]
    for fingerprint in fingerprints:
        if fingerprint in saved.texts:
            return saved.texts[fingerprint], False
    relative = _free_name(articles_dir, article)
    target = articles_dir / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.tmp")
    temporary.write_text(text, encoding="utf-8")
    temporary.replace(target)
    saved.urls[normalize_url(article.url)] = relative
    for fingerprint in fingerprints:
        saved.texts.setdefault(fingerprint, relative)
    return relative, True


def _free_name(articles_dir: Path, article: WebArticle) -> str:
    """``web/<date>-<title slug>.md``, numbered when the name is taken."""
    slug = _SLUG.sub("-", (article.title or urlsplit(article.url).path).lower()).strip("-")
    stem = "-".join(part for part in (article.date, slug[:60].strip("-") or "page") if part)
    name = f"web/{stem}.md"
    number = 2
    while (articles_dir / name).exists():
        name = f"web/{stem}-{number}.md"
        number += 1
    return name
