"""Bytes to text: decide whether a file is text by decoding it, never by its name or libmagic."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any


class NotText(Exception):
    """The bytes are not a text article (binary, empty); the message says why."""


@dataclass(frozen=True)
class Decoded:
    """Decoded text and, when a fallback encoding was used, a notice for the user."""

    text: str
    notice: str | None = None


_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
# Control bytes other than whitespace and ESC (ANSI escapes are text); many mean binary.
_CONTROL_BYTES = bytes(b for b in range(32) if b not in (9, 10, 11, 12, 13, 27))
_BINARY_CONTROL_RATIO = 0.01


def decode_bytes(data: bytes) -> Decoded:
    """Decode file bytes as UTF-8, else UTF-16 (BOM), else cp1252/latin-1, with a notice.

    Raises:
        NotText: for empty files and binary data (NUL bytes, many control characters).
    """
    if data.startswith(_UTF16_BOMS):
        try:
            return Decoded(data.decode("utf-16"), "decoded as UTF-16 (byte-order mark)")
        except UnicodeDecodeError:
            pass
    if not data.strip():
        raise NotText("empty file")
    if b"\x00" in data:
        raise NotText("binary file (contains NUL bytes)")
    controls = sum(data.count(bytes([b])) for b in _CONTROL_BYTES)
    if controls > max(2, len(data) * _BINARY_CONTROL_RATIO):
        raise NotText("binary file (control characters)")
    try:
        return Decoded(data.decode("utf-8-sig"))
    except UnicodeDecodeError as error:
        where = f"byte {error.start}"
    try:
        text = data.decode("cp1252")
        encoding = "cp1252"
    except UnicodeDecodeError:
        text = data.decode("latin-1")
        encoding = "latin-1"
    return Decoded(text, f"not valid UTF-8 (at {where}); decoded as {encoding}")


# ANSI/VT escape sequences: CSI, OSC (BEL or ST terminated), DCS/PM/APC strings, 2-char ESC.
# A string sequence counts only when it is terminated within one line and a bounded length:
# a stray ``ESC ]`` in an article loses those two characters, never the paragraphs after it.
_STRING_BODY = r"[^\x07\x1b\n]{0,4096}"
_ESCAPES = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"
    rf"|\x1b\]{_STRING_BODY}(?:\x07|\x1b\\)"
    rf"|\x1b[PX^_]{_STRING_BODY}\x1b\\"
    r"|\x1b[@-Z\\-_]"
    r"|\x9b[0-?]*[ -/]*[@-~]"
)
_LINE_BREAKS = re.compile(r"\r\n|\r|\u2028|\u2029|\x85|\x0b|\x0c")
_CONTROLS = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]")
_SURROGATES = re.compile("[\ud800-\udfff]")
# Zero-width characters, and the bidi embedding/override/isolate controls (U+202A-U+202E,
# U+2066-U+2069) that make a terminal show text in an order other than the one stored.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\ufeff\u00ad\u202a\u202b\u202c\u202d\u202e"), None)
_INVISIBLE.update(dict.fromkeys(range(0x2066, 0x206A), None))
# What JSON output must not carry raw (json.dumps escapes only C0): C1, DEL, bidi, LS/PS.
_JSON_UNSAFE = re.compile("[\x7f-\x9f\u202a-\u202e\u2066-\u2069\u2028\u2029]")


def strip_control(text: str) -> str:
    """Remove escape sequences and control characters, keeping newlines and tabs as spaces.

    Lone surrogates (possible in text built from other sources) become U+FFFD.
    """
    text = _ESCAPES.sub("", text)
    text = text.translate(_INVISIBLE).replace("\t", " ")
    text = _CONTROLS.sub("", text)
    return _SURROGATES.sub("\ufffd", text)


def safe_json(data: Any, indent: int | None = 2) -> str:
    """``data`` as JSON (UTF-8 text kept) with every character a terminal could act on
    escaped as ``\\uXXXX``: the one JSON rule for stdout and for files. Lossless."""
    text = json.dumps(data, ensure_ascii=False, indent=indent)
    return _JSON_UNSAFE.sub(lambda match: f"\\u{ord(match.group()):04x}", text)


def normalize_text(text: str) -> str:
    """Normalise line breaks to ``\\n``, remove control characters, non-breaking spaces."""
    text = _LINE_BREAKS.sub("\n", text)
    text = strip_control(text)
    return text.replace("\u00a0", " ").replace("\u202f", " ")
