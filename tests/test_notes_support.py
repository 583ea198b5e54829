"""Helpers for the notes tests: build Articles from plain strings; a brute-force edit distance."""

from __future__ import annotations

from briefreader.models import Article, Passage


def make_article(
    paragraphs: list[str], article_id: str = "art", title: str = "Title", **meta: str
) -> Article:
    """An Article whose passages are ``paragraphs`` joined by blank lines (numbered from 1)."""
    text = "\n\n".join(paragraphs)
    passages, offset = [], 0
    for number, paragraph in enumerate(paragraphs, start=1):
        start = offset
        passages.append(
            Passage(
                f"{article_id}:p{number}",
                article_id,
                number,
                start,
                start + len(paragraph),
                paragraph,
            )
        )
        offset = start + len(paragraph) + 2
    return Article(
        id=article_id,
        path=f"{article_id}.txt",
        part=1,
        title=title,
        text=text,
        passages=tuple(passages),
        **meta,  # type: ignore[arg-type]
    )


def levenshtein(a: str, b: str) -> int:
    """Plain dynamic-programming edit distance (the reference for the fast matcher)."""
    previous = list(range(len(b) + 1))
    for i, x in enumerate(a, start=1):
        current = [i]
        for j, y in enumerate(b, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x != y)))
        previous = current
    return previous[-1]


def test_make_article_offsets_hold() -> None:
    article = make_article(["one", "two words", "three"])
    assert all(article.text[p.start : p.end] == p.text for p in article.passages)
