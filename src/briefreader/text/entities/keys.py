"""Name keys: the normal form under which surface variants of a name are the same.

``"Al-Sudani"``, ``"al Sudani"`` and ``"Sudani"`` share the key ``"sudani"``; ``"U.S."``,
``"U. S."`` and ``"US"`` share ``"us"``. Keys are also the terms stored in the search index.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from functools import lru_cache
from importlib import resources

from briefreader.text.entities.tables import name_lookup, name_table, name_tables_enabled

_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "`": "'", "ʼ": "'"})
_PARTICLES = frozenset({"al", "el", "the"})
_SEPARATORS = re.compile(r"[\s\-–—_/]+")
_DROP = re.compile(r"[.'\"“”,()\[\]]")
_POSSESSIVE = re.compile(r"'s$")


def strip_accents(text: str) -> str:
    """Remove combining accents (``Türkiye`` → ``Turkiye``)."""
    if text.isascii():
        return text  # nothing to decompose: most names, asked for thousands of times
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@lru_cache(maxsize=200_000)
def name_key(name: str) -> str:
    """The normal form of a name: lower case, no accents/dots/apostrophes, no "al-"/"the".

    Cached: resolving a corpus's entities asks for the same few names again and again."""
    if name.isascii() and name.replace(" ", "").isalpha():  # most names: letters and spaces
        words = name.lower().split()
    else:
        words = _key_words(name)
    kept = [w for w in words if w not in _PARTICLES]
    return " ".join(kept or words)


def _key_words(name: str) -> list[str]:
    """The words of a name's key, before the particles are dropped (any name)."""
    if not name.isascii() or "`" in name:  # the only ASCII character to translate
        name = name.translate(_APOSTROPHES)
    text = strip_accents(name).casefold()
    text = _POSSESSIVE.sub("", text)
    text = _DROP.sub("", text)
    return [w for w in _SEPARATORS.split(text) if w]


@name_table
def alias_entries() -> tuple[tuple[str, str, tuple[str, ...]], ...]:
    """Shipped alias sets as (canonical name, type, aliases)."""
    if not name_tables_enabled():
        return ()
    path = resources.files("briefreader.text") / "data" / "entity_aliases.toml"
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return tuple(
        (str(e["name"]), str(e["type"]), tuple(str(a) for a in e.get("aliases", ())))
        for e in data.get("entity", [])
    )


@name_table
def alias_table() -> dict[str, tuple[str, str]]:
    """Shipped alias sets: key of every alias (and name) → (canonical name, type)."""
    table: dict[str, tuple[str, str]] = {}
    for canonical, kind, aliases in alias_entries():
        for alias in (canonical, *aliases):
            table.setdefault(name_key(alias), (canonical, kind))
    return table


@name_lookup(maxsize=100_000)
def canonical_alias(name: str) -> tuple[str, str] | None:
    """Shipped (canonical name, type) for ``name`` (``"U.S."`` → United States), if any."""
    return alias_table().get(name_key(name))
