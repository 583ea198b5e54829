"""Entities for a batch of articles: recognise (batched), clean up, make consistent, cache.

The cache is keyed by the article's text, the recogniser and the post-processing version, so
re-indexing an unchanged article costs nothing and never loads the model.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import sqlite3
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from briefreader.models import Article
from briefreader.text.entities.cleanup import clean_spans, heading_debris, mask_text
from briefreader.text.entities.consistency import Found, make_consistent
from briefreader.text.entities.evidence import is_match_report
from briefreader.text.entities.keys import name_key
from briefreader.text.entities.model import EntityMention, RawSpan
from briefreader.text.entities.recogniser import (
    Choice,
    Recogniser,
    SpacyRecogniser,
    choose_recogniser,
    ensure_loaded,
)
from briefreader.text.entities.sides import shared_names

# Bump when clean-up or consistency rules change: cached results are then recomputed.
PIPELINE_VERSION = 15

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Extraction:
    """Mentions per article id, and which recogniser produced them (with any fallback notice)."""

    mentions: dict[str, list[EntityMention]]
    recogniser: str
    notice: str = ""
    computed: int = 0
    cached: int = 0
    stats: dict[str, Any] = field(default_factory=dict)


def extract_entities(
    articles: Sequence[Article],
    cache_path: Path | None = None,
    progress: Progress | None = None,
    options: Mapping[str, Any] | None = None,
    choice: Choice | None = None,
) -> Extraction:
    """Recognise entities in ``articles``: cached ones are read, the rest computed in batch.

    Args:
        articles: the articles (their ``text`` and ``headings`` are used).
        cache_path: SQLite cache file (e.g. ``index/entities-cache.db``); None for no cache.
        progress: called as ``progress(done, total)`` while computing.
        options: the ``[entities]`` settings (``recogniser``, ``model``).
        choice: a recogniser already chosen (tests, benchmarks); overrides ``options``.
    """
    choice = choice or choose_recogniser(options)
    cache = EntityCache.open(cache_path)
    mentions, missing = from_cache(articles, cache, choice.recogniser.id)
    if missing:
        choice = ensure_loaded(choice)
        cached, missing = from_cache(missing, cache, choice.recogniser.id)
        mentions.update(cached)
    _size_pool(choice, missing, options)
    computed = _compute(missing, choice, cache, progress, max_chars(options))
    mentions.update(computed)
    cache.save()
    ordered = {a.id: mentions[a.id] for a in articles}
    return Extraction(
        ordered,
        choice.recogniser.description,
        choice.notice,
        computed=len(computed),
        cached=len(articles) - len(computed),
    )


def cached_entities(articles: Sequence[Article], cache: EntityCache, choice: Choice) -> Extraction:
    """The mentions of the articles whose entities ``cache`` holds for ``choice``'s recogniser
    (never loads a model): the text phase of an index run writes these at once and leaves the
    rest pending."""
    mentions, _missing = from_cache(articles, cache, choice.recogniser.id)
    return Extraction(mentions, choice.recogniser.description, cached=len(mentions))


def cached_ids(articles: Sequence[Article], cache: EntityCache, recogniser_id: str) -> set[str]:
    """The ids of the articles whose mentions ``cache`` holds for ``recogniser_id`` (none are
    read)."""
    keys = [(cache_key(article, recogniser_id), article.id) for article in articles]
    present = cache.present([key for key, _ in keys])
    return {article_id for key, article_id in keys if key in present}


def from_cache(
    articles: Sequence[Article], cache: EntityCache, recogniser_id: str
) -> tuple[dict[str, list[EntityMention]], list[Article]]:
    """The mentions of the articles cached for ``recogniser_id``, and the articles missing."""
    found: dict[str, list[EntityMention]] = {}
    missing: list[Article] = []
    for article in articles:
        rows = cache.get(cache_key(article, recogniser_id))
        if rows is None or not EntityMention.readable_rows(rows, article.text):
            missing.append(article)
        else:
            found[article.id] = [EntityMention.from_row(article.id, article.text, r) for r in rows]
    return found, missing


def _compute(
    articles: Sequence[Article],
    choice: Choice,
    cache: EntityCache,
    progress: Progress | None,
    limit: int = 0,
) -> dict[str, list[EntityMention]]:
    recogniser = choice.recogniser
    result: dict[str, list[EntityMention]] = {}
    if not articles:
        return result
    limit = limit or DEFAULT_MAX_CHARS
    masked: dict[str, str] = {}  # masked once, for the recogniser and the clean-up

    def texts() -> Iterator[str]:
        for article in articles:
            masked[article.id] = mask_text(article.text)
            yield masked[article.id][:limit]

    spans = recogniser.recognise_many(texts())
    for done, (article, raw) in enumerate(zip(articles, spans, strict=True), 1):
        mentions = postprocess(article, raw, masked.pop(article.id, None))
        result[article.id] = mentions
        if cache.path is not None:
            cache.put(cache_key(article, recogniser.id), [m.to_row() for m in mentions])
        if progress is not None:
            progress(done, len(articles))
    return result


@dataclass(frozen=True)
class Recognised:
    """What ``recognise_chunk`` found: mention rows (``EntityMention.to_row``) per article, in
    order, and the recogniser that found them (the rules, with a notice, when the model could
    not load in the worker)."""

    rows: list[list[list[Any]]]
    recogniser_id: str
    description: str
    notice: str = ""


# The recognisers a process has loaded, by id: a worker loads its model once, on its first chunk.
_LOADED: dict[str, Choice] = {}


def recognise_chunk(task: tuple[Recogniser, int, list[Article]]) -> Recognised:
    """Recognise and post-process a chunk of articles in this process (a worker's task; the
    recogniser comes unloaded and is loaded here once), up to ``limit`` characters each."""
    recogniser, limit, articles = task
    choice = _LOADED.get(recogniser.id)
    if choice is None:
        if isinstance(recogniser, SpacyRecogniser):
            recogniser.processes = 1  # this process is the worker
        choice = _LOADED[recogniser.id] = ensure_loaded(Choice(recogniser))
    found = _compute(articles, choice, EntityCache(None), None, limit)
    rows = [[mention.to_row() for mention in found[article.id]] for article in articles]
    used = choice.recogniser
    return Recognised(rows, used.id, used.description, choice.notice)


def postprocess(
    article: Article, raw: Iterable[RawSpan], masked: str | None = None
) -> list[EntityMention]:
    """Clean the recogniser's spans and make them consistent within the article
    (``masked`` is ``mask_text(article.text)`` when the caller has it already)."""
    masked = masked if masked is not None else mask_text(article.text)
    headings = [(h.start, h.end) for h in article.headings]
    kept = [s for s in clean_spans(masked, raw) if not heading_debris(masked, s, headings)]
    undecided: set[str] = set()  # a place or a club: no decisive evidence
    found = make_consistent(article.text, kept, masked, undecided)
    shared = _shared_keys(masked) | undecided
    return [_mention(article, item, name_key(item.name) in shared) for item in found]


def _shared_keys(masked: str) -> set[str]:
    """Keys of the names a match report's tables use for two sides (``sides.shared_names``)."""
    if not is_match_report(masked):
        return set()
    return {name_key(name) for name in shared_names(masked)}


def _mention(article: Article, item: Found, shared: bool) -> EntityMention:
    surface = article.text[item.start : item.end]
    return EntityMention(article.id, item.start, item.end, surface, item.type, item.name, shared)


def cache_key(article: Article, recogniser_id: str) -> str:
    """What a cached result depends on: text, headings, recogniser, post-processing version."""
    digest = hashlib.sha256(article.text.encode("utf-8"))
    for heading in article.headings:
        digest.update(f"|{heading.start}:{heading.end}".encode())
    return f"{recogniser_id}|v{PIPELINE_VERSION}|{digest.hexdigest()[:32]}"


class EntityCache:
    """Mention rows by cache key, in an SQLite file; unreadable or absent means empty.

    Lookups read single rows and ``save`` writes only the new ones, so the cost of a
    re-index does not grow with the size of the cache (that is, of the corpus).
    """

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._db: sqlite3.Connection | None = None
        self._pending: dict[str, list[list[Any]]] = {}
        if path is not None and path.is_file():
            self._db = _readable_cache(path)
        elif path is not None:
            self._pending = _legacy_entries(path.with_suffix(".json"))

    @classmethod
    def open(cls, path: Path | None) -> EntityCache:
        """Open the cache file (an empty cache if it is missing, damaged or of another format)."""
        return cls(path)

    def get(self, key: str) -> list[list[Any]] | None:
        """Rows for a key, or None."""
        if key in self._pending:
            return self._pending[key]
        if self._db is None:
            return None
        try:
            row = self._db.execute("SELECT rows FROM cache WHERE key = ?", (key,)).fetchone()
            return list(json.loads(_unpacked(row[0]))) if row else None
        except (sqlite3.Error, ValueError, TypeError, zlib.error):
            return None

    def present(self, keys: Sequence[str]) -> set[str]:
        """Which of ``keys`` have rows (the rows are not read)."""
        found = {key for key in keys if key in self._pending}
        if self._db is None:
            return found
        try:
            for start in range(0, len(keys), _LOOKUP_KEYS):
                chunk = keys[start : start + _LOOKUP_KEYS]
                marks = ",".join("?" * len(chunk))
                query = f"SELECT key FROM cache WHERE key IN ({marks})"
                found.update(row[0] for row in self._db.execute(query, chunk))
        except sqlite3.Error:
            pass  # unreadable: as ``get``, missing
        return found

    def put(self, key: str, rows: list[list[Any]]) -> None:
        """Store rows for a key (written by ``save``)."""
        self._pending[key] = rows

    def save(self) -> None:
        """Write the new rows in one transaction; a cache that cannot be written is skipped
        (it only saves time), except for a full disk, which is reported as ``OSError``."""
        if self.path is None or not self._pending:
            self.close()
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        rows = [(k, _packed(v)) for k, v in self._pending.items()]
        try:
            db = self._db or _open_cache(self.path)
            with db:
                db.executemany("INSERT OR REPLACE INTO cache VALUES (?, ?)", rows)
            self._db = db
        except sqlite3.DatabaseError as error:
            if "full" in str(error):
                raise OSError(errno.ENOSPC, f"entity cache not written: {error}") from error
            if self.path.is_file() and os.access(self.path, os.R_OK | os.W_OK):
                self.path.unlink(missing_ok=True)  # damaged: start afresh next time
        self._pending.clear()
        self.close()

    def close(self) -> None:
        """Release the database file."""
        if self._db is not None:
            self._db.close()
            self._db = None


def _packed(rows: list[list[Any]]) -> bytes:
    """Rows as zlib-compressed JSON: 39% of the JSON's size, 2.6 MB less per 10,000
    articles of news (the cache is in the index folder, held to 2.5x the text)."""
    return zlib.compress(json.dumps(rows, ensure_ascii=False).encode("utf-8"), 6)


def _unpacked(value: bytes | str) -> str:
    """The JSON of a cached value: compressed (this version) or text (earlier ones)."""
    return zlib.decompress(value).decode("utf-8") if isinstance(value, bytes) else value


def _legacy_entries(path: Path) -> dict[str, list[list[Any]]]:
    """Rows of the JSON cache earlier versions wrote (``entities-cache.json``), so that an
    upgrade keeps hours of recognition; empty if there is none or it is unreadable."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        entries = data["entries"] if data.get("format") == 1 else {}
        return {str(k): list(v) for k, v in entries.items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}


_LOOKUP_KEYS = 500  # keys per ``IN (…)`` query (older SQLite allows 999 parameters)
_CACHE_TABLE = (
    "CREATE TABLE IF NOT EXISTS cache (key TEXT PRIMARY KEY, rows BLOB NOT NULL) WITHOUT ROWID"
)


def _readable_cache(path: Path) -> sqlite3.Connection | None:
    """The cache file opened for reading, or None when it cannot be (no permission, a
    folder in its place): an empty cache, recomputed and not written."""
    try:
        return _open_cache(path)
    except (sqlite3.Error, OSError):
        return None


def _open_cache(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(path, timeout=10)
    try:
        db.execute(_CACHE_TABLE)
    except sqlite3.DatabaseError:
        db.close()
        path.unlink(missing_ok=True)
        db = sqlite3.connect(path, timeout=10)
        db.execute(_CACHE_TABLE)
    return db


DEFAULT_MAX_CHARS = 200_000
# Below this much text a batch is recognised in this process: starting worker processes
# (fork, and the Docs they send back) costs more than it saves (docs/performance.md).
POOL_MIN_CHARS = 400_000


def _size_pool(
    choice: Choice, articles: Sequence[Article], options: Mapping[str, Any] | None
) -> None:
    """Give a spaCy recogniser ``processes(options)`` worker processes for a batch with at
    least ``POOL_MIN_CHARS`` of text to recognise, else none (``nlp.pipe``'s ``n_process``)."""
    recogniser = choice.recogniser
    if hasattr(recogniser, "processes"):
        big = sum(len(article.text) for article in articles) >= POOL_MIN_CHARS
        recogniser.processes = processes(options) if big else 1


def processes(options: Mapping[str, Any] | None) -> int:
    """How many processes recognise entities: ``[entities] processes``, by default as many as
    there are cores, at most 2; never more than the cores (each worker holds its own copy of
    the model, about 200 MB, and more workers than cores would only share them)."""
    cores = _cores()
    wanted = (options or {}).get("processes", min(cores, DEFAULT_PROCESSES))
    try:
        return max(1, min(int(wanted), cores))
    except (TypeError, ValueError):
        return 1


def _cores() -> int:
    """The cores this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


DEFAULT_PROCESSES = 2


def max_chars(options: Mapping[str, Any] | None) -> int:
    """Entities are recognised in the first ``[entities] max_chars`` characters of an article
    (200,000 by default): NER costs about 1 s per 50,000 characters on one core."""
    try:
        value = int((options or {}).get("max_chars", DEFAULT_MAX_CHARS))
    except (TypeError, ValueError):
        return DEFAULT_MAX_CHARS
    return value if value > 0 else DEFAULT_MAX_CHARS
