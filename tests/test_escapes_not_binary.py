"""Terminal escape sequences in an article are stripped, not taken for binary data (audit:
a short article with a few BEL-ended OSC titles or links was skipped whole)."""

from __future__ import annotations

import random
import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from briefreader.text.decode import NotText, decode_bytes, normalize_text
from briefreader.text.load import default_options, load_bytes

# Each kind of sequence a terminal capture, a pasted log or a crafted file may hold.
ESCAPES = {
    "csi colour": "\x1b[1;31m",
    "csi clear": "\x1b[2J",
    "csi reset": "\x1b[0m",
    "osc title bel": "\x1b]0;window title\x07",
    "osc title st": "\x1b]2;window title\x1b\\",
    "osc 8 link bel": "\x1b]8;;http://x.example/a?b=1\x07",
    "osc 8 end bel": "\x1b]8;;\x07",
    "osc 52 bel": "\x1b]52;c;ZXZpbCBwYXlsb2Fk\x07",
    "osc 52 st": "\x1b]52;c;ZXZpbA==\x1b\\",
    "dcs": "\x1bP1$r0m\x1b\\",
    "apc": "\x1b_hidden\x1b\\",
    "charset": "\x1b(B",
    "save cursor": "\x1b7",
    "reset terminal": "\x1bc",
}
VOCABULARY = "the council met on tuesday to weigh budget roads schools members argued"


def _article(words: int, seed: int) -> str:
    chooser = random.Random(seed)
    body = " ".join(chooser.choice(VOCABULARY.split()) for _ in range(words))
    return f"Council weighs budget\n\n{body.capitalize()}.\n"


def _scatter(text: str, escapes: list[str], seed: int) -> str:
    """``text`` with each escape put between two words (never inside one)."""
    chooser = random.Random(seed)
    parts = text.split(" ")
    for escape in escapes:
        spot = chooser.randrange(1, len(parts))
        parts[spot] = escape + parts[spot]
    return " ".join(parts)


@settings(max_examples=120, deadline=None)
@given(
    st.lists(st.sampled_from(sorted(ESCAPES)), min_size=1, max_size=8),
    st.sampled_from([6, 12, 40, 200, 2000]),
    st.integers(0, 10_000),
)
def test_escapes_are_stripped_and_the_article_kept(kinds: list[str], words: int, seed: int):
    plain = _article(words, seed)
    data = _scatter(plain, [ESCAPES[kind] for kind in kinds], seed).encode()
    assert normalize_text(decode_bytes(data).text) == plain
    result = load_bytes(data, "a.txt", default_options())
    assert result.skipped is None and result.articles
    (article,) = result.articles
    assert article.title == "Council weighs budget"
    assert "\x1b" not in article.text and "\x07" not in article.text


def test_the_audit_example_article_is_read() -> None:
    data = (
        b"\x1b]0;Gazette\x07Budget talks\n\nThe council met; see "
        b"\x1b]8;;http://x\x07the minutes\x1b]8;;\x07 and \x1b]52;c;ZXZpbA==\x07the vote.\n"
    )
    (article,) = load_bytes(data, "a.txt", default_options()).articles
    assert article.text.endswith("see the minutes and the vote.")


def _random_bytes(size: int, seed: int, lowest: int = 0) -> bytes:
    chooser = random.Random(seed)
    return bytes(chooser.randrange(lowest, 256) for _ in range(size))


def _png() -> bytes:
    return b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + zlib.compress(_random_bytes(3000, 7), 0)


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(_random_bytes(4000, 1), id="random"),
        pytest.param(_random_bytes(4000, 2, lowest=1), id="random-no-nul"),
        pytest.param(_random_bytes(300, 3, lowest=1), id="short-random-no-nul"),
        pytest.param(_png(), id="png"),
        pytest.param(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 8, id="jpeg"),
        pytest.param(b"GIF89a\x01\x02\x03\x04\x05\x06" + b"\x1b[m" * 50, id="gif-like"),
        pytest.param(b"text\x07\x07\x07\x07 with bells" * 3, id="bare-bells"),
    ],
)
def test_binary_files_are_still_refused(data: bytes) -> None:
    with pytest.raises(NotText, match="binary"):
        decode_bytes(data)
    result = load_bytes(data, "a.txt", default_options())
    assert result.skipped is not None and "binary" in result.skipped.reason
