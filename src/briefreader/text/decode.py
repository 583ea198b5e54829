"""Bytes to text: decide whether a file is text by decoding it, never by its name or libmagic."""

from __future__ import annotations

import codecs
import json
import re
import unicodedata
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
    if _counts_as_binary(data):
        raise NotText("binary file (control characters)")
    try:
        return Decoded(data.decode("utf-8-sig"))
    except UnicodeDecodeError as error:
        where = f"byte {error.start}"
    # A UTF-8 byte-order mark before text that is not UTF-8 (an editor's mixed save) is not
    # text in any code page: decoded as cp1252 it became "ï»¿" in front of the title.
    text, encoding = decode_legacy(data.removeprefix(codecs.BOM_UTF8))
    return Decoded(text, f"not valid UTF-8 (at {where}); decoded as {encoding}")


def _counts_as_binary(data: bytes) -> bool:
    """Whether control bytes are too many for text. Escape sequences do not count: the BEL
    that ends an OSC title or link is part of a sequence that is stripped, not binary."""
    plain = _ESCAPE_BYTES.sub(b"", data)
    controls = sum(plain.count(bytes([b])) for b in _CONTROL_BYTES)
    return controls > max(2, len(data) * _BINARY_CONTROL_RATIO)


def decode_legacy(data: bytes) -> tuple[str, str]:
    """Decode bytes that are not UTF-8: a detected non-Latin code page (Arabic cp1256,
    Cyrillic cp1251…) when the detection reads as real words, else cp1252 (else latin-1).

    charset-normalizer guesses short Western text poorly (``café`` as cp1125 ``cafщ``);
    such a guess mixes scripts inside words, and is not taken.
    """
    from charset_normalizer import from_bytes  # imported lazily: only legacy files need it

    best = from_bytes(data).best()
    if best is not None and best.encoding and _reads_as_other_script(str(best)):
        return str(best), best.encoding
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "latin-1"


_WORD = re.compile(r"[^\W\d_]+")


def _reads_as_other_script(text: str) -> bool:
    """Whether the text has words in a non-Latin script and (almost) no word mixing it with
    Latin letters, the mark of a wrong code page."""
    other = mixed = 0
    for word in _WORD.findall(text):
        foreign = sum(1 for char in word if not _is_latin(char))
        if foreign:
            other += 1
            mixed += foreign < len(word)
    return other > 0 and mixed <= other * 0.05


def _is_latin(char: str) -> bool:
    point = ord(char)
    return point < 0x250 or 0x1E00 <= point < 0x1F00


# ANSI/VT escape sequences: CSI, OSC (BEL or ST terminated), DCS/PM/APC strings, 2-char ESC.
# A string sequence counts only when it is terminated within one line and a bounded length:
# a stray ``ESC ]`` in an article loses those two characters, never the paragraphs after it.
# The last 7-bit form is any other ESC sequence: intermediates (0x20-0x2F) then a final byte,
# as ``ESC ( B`` (character set, from ``tput sgr0``), ``ESC 7``, ``ESC c``.
_STRING_BODY = r"[^\x07\x1b\n]{0,4096}"
_ESCAPE_7BIT = (
    r"\x1b\[[0-?]*[ -/]*[@-~]"
    rf"|\x1b\]{_STRING_BODY}(?:\x07|\x1b\\)"
    rf"|\x1b[PX^_]{_STRING_BODY}\x1b\\"
    r"|\x1b[ -/]*[0-~]"
)
_ESCAPES = re.compile(_ESCAPE_7BIT + r"|\x9b[0-?]*[ -/]*[@-~]")
# The same sequences in a file's bytes, before decoding (C1 CSI 0x9B is a UTF-8 byte there).
_ESCAPE_BYTES = re.compile(_ESCAPE_7BIT.encode())
_LINE_BREAKS = re.compile(r"\r\n|\r|\u2028|\u2029|\x85|\x0b|\x0c")
_CONTROLS = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]")
_SURROGATES = re.compile("[\ud800-\udfff]")
# Zero-width characters, and the bidi embedding/override/isolate controls (U+202A-U+202E,
# U+2066-U+2069) that make a terminal show text in an order other than the one stored.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\ufeff\u00ad\u202a\u202b\u202c\u202d\u202e"), None)
_INVISIBLE.update(dict.fromkeys(range(0x2066, 0x206A), None))
# What JSON output must not carry raw (json.dumps escapes only C0): C1, DEL, bidi, LS/PS.
_JSON_UNSAFE = re.compile("[\x7f-\x9f\u202a-\u202e\u2066-\u2069\u2028\u2029]")


def strip_control(text: str, replacement: str = "") -> str:
    """Remove escape sequences and control characters, keeping newlines and tabs as spaces.

    The one definition of what may not reach a terminal or a report: the reader, the CLI and
    the Markdown export all use it. Each escape sequence and control character becomes
    ``replacement`` (nothing by default; a space where it separated words). Lone surrogates
    (possible in text built from other sources) become U+FFFD.
    """
    text = _ESCAPES.sub(replacement, text)
    text = text.translate(_INVISIBLE).replace("\t", " ")
    text = _CONTROLS.sub(replacement, text)
    return _SURROGATES.sub("\ufffd", text)


def safe_json(data: Any, indent: int | None = 2) -> str:
    """``data`` as JSON (UTF-8 text kept) with every character a terminal could act on
    escaped as ``\\uXXXX``: the one JSON rule for stdout and for files. Lossless."""
    text = json.dumps(data, ensure_ascii=False, indent=indent)
    return _JSON_UNSAFE.sub(lambda match: f"\\u{ord(match.group()):04x}", text)


def normalize_text(text: str) -> str:
    """Normalise line breaks to ``\\n`` and Unicode to NFC; remove control characters and
    non-breaking spaces."""
    text = _LINE_BREAKS.sub("\n", text)
    text = unicodedata.normalize("NFC", strip_control(text))
    return text.replace("\u00a0", " ").replace("\u202f", " ")
