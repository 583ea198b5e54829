"""Files of very many short lines (lists, logs, tables, word lists): one article titled by
its first line, passages grouped to a bounded number, loaded in bounded time, no word lost.

A file of 200,000 short lines took its title from a random line: a line repeated within a
few lines looked like an article header (title, chrome, title), so the file was cut into
thousands of "articles" (14,287 for two-word lines from a small vocabulary).
"""

from __future__ import annotations

import random
import re
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from briefreader.text.load import default_options, load_bytes

LINES = 200_000
WORDS = ["Alpha", "Bravo", "Charlie", "Delta", "Echo", "Foxtrot", "Golf", "Hotel", "India"]
SEED_000 = Path(__file__).resolve().parent.parent / "articles" / "000_4b7c8a7470fbc100.txt"


def _shapes(rng: random.Random) -> dict[str, Callable[[int], str]]:
    """Generators of one short line each, by shape."""
    vocabulary = [f"{rng.choice(WORDS)} {rng.choice(WORDS).lower()}" for _ in range(50)]
    big = [f"{rng.choice(WORDS)} {rng.randrange(10**5)}" for _ in range(100_000)]
    return {
        "unique entries": lambda n: f"Entry {n} of the list",
        "two words, small vocabulary": lambda n: rng.choice(vocabulary),
        "two words, large vocabulary": lambda n: rng.choice(big),
        "one capitalised word": lambda n: rng.choice(WORDS),
        "numbers": lambda n: str(rng.randrange(1000)),
        "lower case": lambda n: rng.choice(WORDS).lower() + " x",
        "short sentences": lambda n: f"{rng.choice(WORDS)} went home.",
        "csv rows": lambda n: f"{rng.choice(WORDS)},{rng.randrange(100)},{rng.random():.3f}",
        "log lines": lambda n: f"INFO {rng.choice(WORDS)} started",
    }


def _file(rng: random.Random, line: Callable[[int], str], separator: str) -> str:
    return separator.join(line(n) for n in range(LINES)) + "\n"


def _cases() -> list[tuple[str, str]]:
    rng = random.Random(20261206)
    cases = []
    for name in _shapes(rng):
        cases.append((name, rng.choice(["\n", "\r\n", "\n\n"])))
    return cases


@pytest.mark.parametrize(("shape", "separator"), _cases())
def test_two_hundred_thousand_short_lines(shape: str, separator: str) -> None:
    rng = random.Random(shape)
    text = _file(rng, _shapes(rng)[shape], separator)
    data = text.encode("utf-8")
    started = time.process_time()
    result = load_bytes(data, "lines.txt", default_options())
    cpu = time.process_time() - started
    assert len(result.articles) == 1, [a.title for a in result.articles[:5]]
    (article,) = result.articles
    first = text.split("\n", 1)[0].strip()
    assert article.title == first.rstrip(".")
    assert len(article.passages) <= 2 * len(data) // 1000 + 10  # about 1,000 characters each
    for passage in article.passages:
        assert article.text[passage.start : passage.end] == passage.text
    assert set(re.findall(r"\w+", text)) <= set(re.findall(r"\w+", article.title + article.text))
    assert cpu < 15, f"{cpu:.1f} s CPU"


def test_real_articles_after_a_long_list_are_still_found() -> None:
    """The header rule still splits a file of two real articles (title, chrome, title, prose),
    even after 200,000 short lines."""
    rng = random.Random(7)
    lines = "\n".join(f"{rng.choice(WORDS)} {rng.choice(WORDS).lower()}" for _ in range(LINES))
    seed = SEED_000.read_text(encoding="utf-8")
    for text in (seed, lines + "\n\n" + seed):
        titles = [a.title for a in load_bytes(text.encode(), "two.txt", default_options()).articles]
        assert titles[-2:] == [
            "Iraq’s prime minister seeks closer US ties while keeping armed groups at bay",
            "Washington presses Syria to shift from Chinese telecom systems",
        ]


def test_a_short_list_inside_an_article_keeps_a_paragraph_per_line() -> None:
    """Grouping is for long runs only: a list of a few dozen lines stays one line a passage."""
    body = "The council met on Tuesday and members argued for hours about the budget plan."
    items = [f"Item {n}: {rng_word}" for n, rng_word in enumerate(WORDS * 5)]  # 45 lines
    text = "Budget lines\n\n" + body + "\n\n" + "\n".join(items) + "\n\n" + body + " Again.\n"
    (article,) = load_bytes(text.encode(), "a.txt", default_options()).articles
    blocks = article.text.split("\n\n")
    assert blocks[blocks.index(items[0]) :][: len(items)] == items
