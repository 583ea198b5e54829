"""Generated hostile text for the output-boundary tests: escape sequences, C1, bidi controls,
Rich markup and emoji codes, mixed with words (imported by the tests, not a test itself)."""

from __future__ import annotations

from hypothesis import strategies as st

# Characters no output of briefreader may carry raw (a newline is the one control allowed).
FORBIDDEN = (
    {chr(c) for c in range(0x20) if c != 0x0A}
    | {chr(c) for c in range(0x7F, 0xA0)}
    | set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
)
PIECES = [
    "\x1b]0;pwned\x07",
    "\x1b]52;c;ZXZpbA==\x07",
    "\x1b]8;;file:///etc/passwd\x1b\\link\x1b]8;;\x1b\\",
    "\x1b[5m",
    "\x1b[2J",
    "\x1b]",
    "\x1bP1$r\x1b\\",
    "\x9b31m",
    "\x9d0;title\x9c",
    "\x85",
    "\u202e",
    "\u2066",
    "\x07",
    "\x00",
    "[b]",
    "[/]",
    "[link=x]",
    ":skull:",
    "#tag",
    " ",
    "\n",
    "word",
    "Ünïcødé",
]
hostile_text = st.lists(
    st.one_of(st.sampled_from(PIECES), st.text(max_size=4)), min_size=1, max_size=12
).map("".join)


def forbidden_in(text: str) -> set[str]:
    """The forbidden characters found in ``text``."""
    return {char for char in text if char in FORBIDDEN}
