"""Results per passage, kept until the library's searcher changes (``SearchBackend.refresh``)."""

from __future__ import annotations

import threading
import weakref
from typing import TYPE_CHECKING, Any

from briefreader.search.related.model import RelatedResult

if TYPE_CHECKING:
    from briefreader.search.backend import SearchBackend


class RelatedCache:
    """Results per (passage, limit, options) for one snapshot of the index."""

    def __init__(self) -> None:
        self.snapshot: Any = None
        self.results: dict[tuple[Any, ...], RelatedResult] = {}
        self.library: weakref.ReferenceType[Any] | None = None
        self.lock = threading.Lock()

    def get(self, key: tuple[Any, ...]) -> RelatedResult | None:
        """The cached result, or None (and the cache emptied) when the snapshot changed."""
        library = self.library() if self.library else None
        with self.lock:
            if library is None or library.snapshot is not self.snapshot:
                self.results.clear()
                self.snapshot = library.snapshot if library is not None else None
                return None
            return self.results.get(key)

    def put(self, key: tuple[Any, ...], result: RelatedResult) -> None:
        """Keep a result (at most 2,048; beyond that the cache starts again)."""
        with self.lock:
            if len(self.results) >= 2048:
                self.results.clear()
            self.results[key] = result


_CACHES: weakref.WeakKeyDictionary[Any, RelatedCache] = weakref.WeakKeyDictionary()
_CACHES_LOCK = threading.Lock()


def cache_for(library: SearchBackend) -> RelatedCache:
    """The library's result cache (made on first use)."""
    with _CACHES_LOCK:
        cache = _CACHES.get(library)
        if cache is None:
            cache = RelatedCache()
            cache.library = weakref.ref(library)
            _CACHES[library] = cache
        return cache


def clear_cache(library: SearchBackend) -> None:
    """Forget cached results for this library (the cache also clears itself on refresh)."""
    with _CACHES_LOCK:
        _CACHES.pop(library, None)
