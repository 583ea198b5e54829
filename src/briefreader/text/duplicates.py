"""Duplicates: the same text under two names is indexed once, and the copy is reported.

A file is a copy when its bytes are those of an indexed file that stays, or when every article
in it has the title and text (whitespace and case aside) of an indexed article that stays or of
an article of a file loaded before it in the same run (files load in path order, so the first
name wins). A
file with only some articles seen before keeps the others, with a notice. A copy is skipped
with the reason, like any other file. The index remembers it: the next run skips it again
without reading it while it and the file it copies stay as they are, and indexes it once that
file is gone.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import replace

from briefreader.models import Article, LoadResult, Skipped

SHORT_WORDS = 40  # a text this short may recur by chance: its title must match too


def text_fingerprint(article: Article, with_title: bool = True) -> str:
    """A hash of the article's title and clean text, whitespace runs and case ignored.

    Without ``with_title`` (a page saved again under another headline), the title counts only
    when the text is short.
    """
    words = article.text.split()
    if with_title or len(words) < SHORT_WORDS:
        words = [*article.title.split(), "\n", *words]
    return hashlib.sha256(" ".join(words).casefold().encode("utf-8")).hexdigest()


def drop_duplicates(
    results: list[LoadResult],
    indexed: Mapping[str, str] | None = None,
    indexed_texts: Mapping[str, str] | None = None,
) -> list[LoadResult]:
    """The results with copies turned into skipped files (or trimmed of repeated articles).

    ``indexed`` maps the content hash of each indexed file that stays to its path;
    ``indexed_texts`` the ``text_fingerprint`` of indexed articles that stay to their file's
    path (the indexer gives those sharing a title with an article loaded now).
    """
    by_bytes = dict(indexed or {})
    by_text: dict[str, str] = dict(indexed_texts or {})
    kept = []
    for result in results:
        if result.articles:
            result = _without_copies(result, by_bytes, by_text)
        kept.append(result)
    return kept


def _without_copies(
    result: LoadResult, by_bytes: dict[str, str], by_text: dict[str, str]
) -> LoadResult:
    digest = result.articles[0].content_hash
    original = by_bytes.get(digest)
    if original is not None and original != result.path:
        return _copy_of(result, original, "same content as")
    fresh = [a for a in result.articles if text_fingerprint(a) not in by_text]
    if not fresh:
        originals = [by_text[text_fingerprint(article)] for article in result.articles]
        # Remembered (a run may skip it unread) only while its one original stays.
        return _copy_of(result, originals[0], "same text as", len(set(originals)) == 1)
    notices = result.notices
    for article in result.articles:
        if article not in fresh:
            seen = by_text[text_fingerprint(article)]
            notices += (f"'{article.title}' is the same text as in {seen}: indexed once",)
    by_bytes.setdefault(digest, result.path)
    for article in fresh:
        by_text.setdefault(text_fingerprint(article), result.path)
    if len(fresh) == len(result.articles):
        return result
    return replace(result, articles=tuple(fresh), notices=notices)


def _copy_of(result: LoadResult, original: str, how: str, one_original: bool = True) -> LoadResult:
    skipped = copy_skipped(result.path, original, how)
    if not one_original:
        skipped = replace(skipped, original="")
    return LoadResult(result.path, skipped=skipped, notices=result.notices)


def copy_skipped(path: str, original: str, how: str = "same content as") -> Skipped:
    """Why the file at ``path`` is not indexed: a copy of ``original``."""
    return Skipped(path, f"duplicate: {how} {original} (indexed once)", original)
