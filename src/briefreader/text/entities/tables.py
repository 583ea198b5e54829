"""The switch for the shipped name tables: every table of names is cached through
``name_table`` so that ``use_name_tables`` can turn them all off (evaluation) and on again.

Apart from ``gazetteer`` because ``keys`` needs it and ``gazetteer`` needs ``keys``.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any, TypeVar

_Table = TypeVar("_Table", bound=Callable[[], Any])
_Lookup = TypeVar("_Lookup", bound=Callable[..., Any])
_NAME_TABLE_CACHES: list[Any] = []
_SETTINGS = {"name_tables": True}


def name_table(function: _Table) -> _Table:
    """Cache a table of names (places, groups, aliases, or anything derived from them) so
    that ``use_name_tables`` can switch them all off and on again."""
    cached = lru_cache(maxsize=1)(function)
    _NAME_TABLE_CACHES.append(cached)
    return cached  # type: ignore[return-value]


def name_lookup(maxsize: int) -> Callable[[_Lookup], _Lookup]:
    """Cache a look-up of one name in the tables (its result depends on the name and the
    tables only), cleared with them by ``use_name_tables``: the rules recogniser asks for
    the same few thousand names hundreds of thousands of times."""

    def decorate(function: _Lookup) -> _Lookup:
        cached = lru_cache(maxsize=maxsize)(function)
        _NAME_TABLE_CACHES.append(cached)
        return cached  # type: ignore[return-value]

    return decorate


def name_tables_enabled() -> bool:
    """Whether the shipped name tables (places, groups, aliases) are in use."""
    return _SETTINGS["name_tables"]


def use_name_tables(enabled: bool) -> None:
    """Use the shipped name tables or not (evaluation: what the recogniser finds on its own).

    Word lists that describe shapes (titles, organisation and place words, the stoplist) stay.
    """
    _SETTINGS["name_tables"] = enabled
    for cached in _NAME_TABLE_CACHES:
        cached.cache_clear()
