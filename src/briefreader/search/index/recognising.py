"""Entities for the entity phase's batches, recognised by worker processes a batch ahead of
the process that writes them.

With spaCy, recognising costs about three times what writing costs. Each batch used to start
spaCy's own pool (``nlp.pipe`` with ``n_process``): the processes were forked again for every
batch, sent back whole Docs for the main process to rebuild, and sat idle while it wrote the
batch. Here the workers live through the phase and load the model once each (the main
process never loads it); they recognise and clean up chunks of articles and send back mention
rows; and they stay one batch ahead: while the phase writes batch N, they recognise batch N+1.
Each batch's results are cached as it is handed over, so a kill loses at most the batch the
workers hold.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from briefreader.models import Article
from briefreader.search.index import workers
from briefreader.search.index.workers import WorkerPool
from briefreader.text.entities.extract import (
    POOL_MIN_CHARS,
    EntityCache,
    Extraction,
    Recognised,
    cache_key,
    from_cache,
    processes,
    recognise_chunk,
)
from briefreader.text.entities.model import EntityMention
from briefreader.text.entities.recogniser import Choice, SpacyRecogniser

# Text per worker task: about half a second of NER on one core. Progress is reported, and a
# stop is noticed, between tasks.
CHUNK_CHARS = 50_000
# Batches handed to the workers beyond the one being written.
LOOKAHEAD_BATCHES = 1

Progress = Callable[[int, int], None]
Task = tuple[Any, int, list[Article]]


def pool_workers(
    choice: Choice, first_batches: Sequence[Sequence[Article]], options: Mapping[str, Any]
) -> int:
    """How many worker processes should recognise a phase that starts with ``first_batches``:
    ``processes(options)`` for a spaCy model with at least ``POOL_MIN_CHARS`` of text in them
    on more than one core, else none (the rules recogniser is faster than the trip to a
    worker)."""
    if not isinstance(choice.recogniser, SpacyRecogniser) or workers.available_cores() < 2:
        return 0
    chars = sum(len(article.text) for batch in first_batches for article in batch)
    return processes(options) if chars >= POOL_MIN_CHARS else 0


@dataclass
class _InFlight:
    """A batch handed to the workers: its cached mentions and the tasks recognising the rest."""

    batch: list[Article]
    cache: EntityCache
    mentions: dict[str, list[EntityMention]]
    tasks: list[tuple[Task, Future[Recognised] | None]] = field(default_factory=list)


class PooledRecognition:
    """Recognise batches of articles in ``pool``'s processes, cached in ``cache_path``."""

    def __init__(self, choice: Choice, cache_path: Path | None, limit: int, pool: WorkerPool):
        self.recogniser = choice.recogniser
        self.description = choice.recogniser.description
        self.notice = choice.notice
        self.cache_path = cache_path
        self.limit = limit
        self.pool = pool

    def __call__(
        self, batches: Iterable[list[Article]], progress: Progress
    ) -> Iterator[tuple[list[Article], Extraction]]:
        """Each batch with its mentions, in order; ``progress(done, total)`` counts the
        articles of the batch being collected. The next batch is read and handed to the
        workers before one is yielded."""
        ahead: deque[_InFlight] = deque()
        try:
            for batch in batches:
                ahead.append(self._hand_over(batch))
                if len(ahead) > LOOKAHEAD_BATCHES:
                    yield self._collect(ahead.popleft(), progress)
            while ahead:
                yield self._collect(ahead.popleft(), progress)
        finally:
            for flight in ahead:  # stopped: what the workers hold is given up
                for _task, future in flight.tasks:
                    if future is not None:
                        future.cancel()
                flight.cache.close()

    def _hand_over(self, batch: list[Article]) -> _InFlight:
        """Look the batch up in the cache and start the workers on the articles missing."""
        cache = EntityCache.open(self.cache_path)
        mentions, missing = from_cache(batch, cache, self.recogniser.id)
        flight = _InFlight(batch, cache, mentions)
        for chunk in _chunks(missing, CHUNK_CHARS):
            task: Task = (self.recogniser, self.limit, chunk)
            flight.tasks.append((task, self.pool.submit(recognise_chunk, task)))
        return flight

    def _collect(self, flight: _InFlight, progress: Progress) -> tuple[list[Article], Extraction]:
        """Wait for the batch's tasks in order, cache their rows, and save the cache."""
        done = len(flight.mentions)
        computed = 0
        for task, future in flight.tasks:
            _task, found = self.pool.result(recognise_chunk, task, future)
            self._keep(task[2], found, flight)
            computed += len(task[2])
            done += len(task[2])
            progress(done, len(flight.batch))
        flight.cache.save()
        mentions = {article.id: flight.mentions[article.id] for article in flight.batch}
        extraction = Extraction(
            mentions,
            self.description,
            self.notice,
            computed=computed,
            cached=len(flight.batch) - computed,
        )
        return flight.batch, extraction

    def _keep(self, chunk: list[Article], found: Recognised, flight: _InFlight) -> None:
        """A task's rows as mentions of the batch and as cache entries."""
        if found.notice:  # the model did not load in the worker: the rules stood in
            self.description, self.notice = found.description, found.notice
        for article, rows in zip(chunk, found.rows, strict=True):
            flight.mentions[article.id] = [
                EntityMention.from_row(article.id, article.text, row) for row in rows
            ]
            flight.cache.put(cache_key(article, found.recogniser_id), rows)


def _chunks(articles: Sequence[Article], chars: int) -> Iterator[list[Article]]:
    """The articles in runs of about ``chars`` characters of text (at least one each)."""
    chunk: list[Article] = []
    size = 0
    for article in articles:
        chunk.append(article)
        size += len(article.text)
        if size >= chars:
            yield chunk
            chunk, size = [], 0
    if chunk:
        yield chunk
