"""RSS and Atom feeds (feedparser): each item's page fetched and saved like ``add URL``.

The feed is a URL or a local file. An item whose page cannot be fetched, or holds no article,
is saved from the text the feed itself carries (its content or summary), if any.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from briefreader.text.formats import first_line, require
from briefreader.text.web import (
    FetchError,
    WebArticle,
    check_url,
    extract_article,
    fetch,
    is_loopback,
    split_paragraphs,
)


@dataclass(frozen=True)
class FeedItem:
    """One entry of a feed: its link, title, date and the HTML the feed carries."""

    url: str
    title: str
    date: str | None
    content: str


@dataclass(frozen=True)
class Feed:
    """A feed's title and items, and whether its links may point at this machine."""

    title: str
    items: tuple[FeedItem, ...]
    allow_private: bool


def read_feed(location: str) -> Feed:
    """The feed at a URL or in a local file, or ``FetchError`` (not a feed, cannot fetch)."""
    path = Path(location).expanduser()
    if "://" not in location:
        try:
            data = path.read_bytes()
        except OSError as error:
            raise FetchError(f"cannot read {location}: {error.strerror or error}") from error
        return parse_feed(data, allow_private=True)
    fetched = fetch(check_url(location), allow_private=is_loopback(location))
    return parse_feed(fetched.data, allow_private=is_loopback(location))


def parse_feed(data: bytes, allow_private: bool = False) -> Feed:
    """Items of an RSS or Atom document; ``FetchError`` when it is not a feed."""
    feedparser = require("feedparser", "feedparser", "feed")
    parsed = feedparser.parse(data)
    if not parsed.entries:
        detail = first_line(parsed.bozo_exception) if parsed.get("bozo") else "no items"
        raise FetchError(f"not an RSS or Atom feed ({detail})")
    items = tuple(_item(entry) for entry in parsed.entries if entry.get("link"))
    title = " ".join(str(parsed.feed.get("title", "")).split())
    return Feed(title, items, allow_private)


def _item(entry: Any) -> FeedItem:
    content = ""
    if entry.get("content"):
        content = str(entry.content[0].get("value", ""))
    content = content or str(entry.get("summary", ""))
    stamp = entry.get("published_parsed") or entry.get("updated_parsed")
    date = dt.date(*stamp[:3]).isoformat() if stamp else None
    return FeedItem(str(entry.link), " ".join(str(entry.get("title", "")).split()), date, content)


def item_article(item: FeedItem, feed: Feed) -> WebArticle:
    """The item's page as an article, else the feed's own text for it; ``FetchError`` if
    neither has any text."""
    try:
        fetched = fetch(check_url(item.url), allow_private=feed.allow_private)
        found = extract_article(fetched.text, fetched.url)
    except FetchError as error:
        found, reason = None, str(error)
    else:
        reason = f"no article text at {item.url}"
    if found is None:
        found = _from_feed_text(item) if item.content else None
    if found is None:
        raise FetchError(reason)
    return replace(
        found,
        url=item.url,
        title=item.title or found.title,
        date=found.date or item.date,
        source=found.source or feed.title,
    )


def _from_feed_text(item: FeedItem) -> WebArticle | None:
    wrapped = f"<html><body><article>{item.content}</article></body></html>"
    found = extract_article(wrapped, item.url)
    if found is None:
        paragraphs = split_paragraphs(item.content)
        found = WebArticle(item.url, item.title, paragraphs) if paragraphs else None
    return found
