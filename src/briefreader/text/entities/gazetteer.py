"""Word lists shipped in ``briefreader/text/data``: titles, organisation words, places, groups."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

from briefreader.text.entities.tables import name_table, name_tables_enabled


def _read_list(name: str) -> tuple[str, ...]:
    path = resources.files("briefreader.text") / "data" / name
    lines = path.read_text(encoding="utf-8").splitlines()
    return tuple(line.strip() for line in lines if line.strip() and not line.startswith("#"))


@lru_cache(maxsize=1)
def titles() -> tuple[str, ...]:
    """Honorifics and titles, longest first (``"Prime Minister"`` before ``"Minister"``)."""
    return tuple(sorted(_read_list("entity_titles.txt"), key=len, reverse=True))


@lru_cache(maxsize=1)
def title_pattern() -> str:
    """A regex alternation of the titles (longest first), each with an optional dot."""
    import re

    return "(?:" + "|".join(re.escape(t) for t in titles()) + r")\.?"


@lru_cache(maxsize=1)
def org_words() -> frozenset[str]:
    """Words that end organisation names (``Party``, ``Forces``, ``Inc.``)."""
    return frozenset(_read_list("entity_org_words.txt"))


@lru_cache(maxsize=1)
def generic_words() -> frozenset[str]:
    """Lower-case words of generic organisation and place names (``national``, ``league``,
    ``red``, ``gulf``): the place words and the shipped generic words."""
    words = {word.casefold() for word in place_words()}
    return frozenset(words | set(_read_list("entity_generic_words.txt")))


@lru_cache(maxsize=1)
def place_words() -> frozenset[str]:
    """Words that end place and facility names (``Airport``, ``Province``)."""
    return frozenset(_read_list("entity_place_words.txt"))


@name_table
def places() -> frozenset[str]:
    """Country, region and city names."""
    return frozenset(_read_list("entity_places.txt") if name_tables_enabled() else ())


@name_table
def countries() -> frozenset[str]:
    """Country names: the head of the places list, before its "Regions and cities" line."""
    if not name_tables_enabled():
        return frozenset()
    path = resources.files("briefreader.text") / "data" / "entity_places.txt"
    text = path.read_text(encoding="utf-8").split("# Regions and cities", 1)[0]
    return frozenset(line.strip() for line in text.splitlines()[1:] if line.strip())


@name_table
def groups() -> frozenset[str]:
    """Nationalities and religious, ethnic and political groups."""
    return frozenset(_read_list("entity_groups.txt") if name_tables_enabled() else ())


@lru_cache(maxsize=1)
def stoplist() -> frozenset[str]:
    """Name keys never kept as entities (site chrome, citation debris)."""
    from briefreader.text.entities.keys import name_key

    return frozenset(name_key(line) for line in _read_list("entity_stoplist.txt"))
