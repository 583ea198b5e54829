"""Worker processes for the CPU-bound steps of an index run (parsing files, analysing
documents), which the one Whoosh writer's process could not do fast enough on its own.

``WorkerPool`` maps a function over chunks of a stream in order, with a bounded number of
chunks in flight (memory stays flat when the caller is the slower side). Its processes are
started fresh, not forked: the reader runs index runs from a thread, and a fork copies a
threaded process's locks in whatever state they are. With no processes (small runs, one
core) the chunks run in the calling process.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import get_context, resource_tracker
from types import TracebackType
from typing import Any, TypeVar

CHUNKS_IN_FLIGHT = 3  # per process: enough to keep it busy, few enough to bound memory
PARENT_CHECK_SECONDS = 0.5
MIN_PARALLEL_FILES = 400  # below this, starting the processes costs more than it saves

_T = TypeVar("_T")
_R = TypeVar("_R")


def default_workers(files: int, notices: list[str] | None = None) -> int:
    """How many processes to start for a run over ``files`` files (0: work in this one).

    None below ``MIN_PARALLEL_FILES`` files or on one core; else one per core the process
    may run on, or ``BRIEFREADER_WORKERS`` (0 turns them off; more than the cores are not
    started: they would only share them). A value that is not a whole number gets a notice.
    """
    cores = available_cores()
    chosen = os.environ.get("BRIEFREADER_WORKERS", "").strip()
    wanted = cores if cores > 1 else 0
    if chosen.isdigit():
        wanted = min(int(chosen), cores)
    elif chosen and notices is not None:
        notices.append(
            f"BRIEFREADER_WORKERS={chosen!r} is not a whole number: "
            f"{wanted or 'no'} worker processes"
        )
    return wanted if files >= MIN_PARALLEL_FILES else 0


def available_cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


class WorkerPool:
    """``processes`` worker processes (none: the work runs in the caller's)."""

    def __init__(self, processes: int, notices: list[str] | None = None) -> None:
        self.processes = max(0, processes)
        self._notices = notices if notices is not None else []
        self._executor: ProcessPoolExecutor | None = None
        if self.processes:
            try:
                quiet = not _has_descriptor(sys.stderr)
                _start_resource_tracker()
                self._executor = ProcessPoolExecutor(
                    self.processes,
                    mp_context=get_context("spawn"),
                    initializer=_start_worker,
                    initargs=(os.getpid(), quiet),
                )
            except Exception as error:  # no semaphores, no process allowed…: go on here
                self._notices.append(f"no worker processes ({error}): the run used one core")
                self.processes = 0

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close(wait=kind is None)  # a failed or stopped run does not wait for its tasks

    def close(self, wait: bool = True) -> None:
        """Stop the processes (work not started is dropped); ``wait=False`` ends them at
        once, the tasks they are running given up (a quit: Python's exit would otherwise
        wait for them, 13 s for a long article in the reader)."""
        if self._executor is None:
            return
        if not wait:
            # The executor has no public way to end its processes (Python 3.14 adds one).
            for process in list(getattr(self._executor, "_processes", {}).values()):
                process.terminate()
        self._executor.shutdown(wait=wait, cancel_futures=True)
        self._executor = None

    def map_chunks(
        self, function: Callable[[list[_T]], _R], items: Iterable[_T], size: int
    ) -> Iterator[tuple[list[_T], _R]]:
        """Each chunk of ``size`` items with ``function(chunk)``, in order. ``function`` runs
        in the worker processes (it and the items must pickle); its errors are raised here.
        If the processes die (the kernel's out-of-memory killer…), the chunks they held and
        the rest run in this process, and a notice says so: nothing is lost."""
        window: deque[tuple[list[_T], Future[_R] | None]] = deque()
        for chunk in chunks(items, size):
            if self._executor is None:
                while window:
                    yield self.result(function, *window.popleft())
                yield chunk, function(chunk)
                continue
            window.append((chunk, self.submit(function, chunk)))
            if len(window) >= self.processes * CHUNKS_IN_FLIGHT:
                yield self.result(function, *window.popleft())
        while window:
            yield self.result(function, *window.popleft())

    def submit(self, function: Callable[[_T], _R], argument: _T) -> Future[_R] | None:
        """Start ``function(argument)`` in a worker process (None: it will run here, in
        ``result``; the processes could not start or are gone)."""
        if self._executor is None:
            return None
        try:
            return self._executor.submit(function, argument)
        except Exception as error:  # a process could not start (the pool is broken…)
            self._stop(error)
            return None

    def result(
        self, function: Callable[[_T], _R], argument: _T, future: Future[_R] | None
    ) -> tuple[_T, _R]:
        """``argument`` and what ``submit`` started for it returned; run here if it was not
        started or its process died (a notice says so). Its errors are raised here."""
        if future is not None:
            try:
                return argument, future.result()
            except BrokenProcessPool as error:
                self._stop(error)
        return argument, function(argument)

    def _stop(self, error: BaseException) -> None:
        """Give up the processes after one died; the work goes on in this process."""
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None
            self._notices.append(f"a worker process stopped ({error}); the run went on without")


def _has_descriptor(stream: Any) -> bool:
    """Does the stream write to a file descriptor? (Inside the reader, Textual's stand-in
    for ``sys.stderr`` has none: its ``fileno()`` is -1.)"""
    try:
        return int(stream.fileno()) >= 0
    except (AttributeError, OSError, ValueError):
        return False


def _start_resource_tracker() -> None:
    """Start multiprocessing's resource tracker, which the pool's queues need, with a
    ``sys.stderr`` it can pass on: it hands ``sys.stderr.fileno()`` to its process, and
    Textual's -1 made starting the workers fail inside the reader."""
    if _has_descriptor(sys.stderr):
        resource_tracker.ensure_running()
        return
    saved = sys.stderr
    with open(os.devnull, "w") as nowhere:
        sys.stderr = nowhere
        try:
            resource_tracker.ensure_running()
        finally:
            sys.stderr = saved


def _start_worker(parent: int, quiet: bool) -> None:
    """In a worker: end it when the process that started it is gone (a ``kill -9`` of an
    index run; its task queue would not tell it: every worker holds that pipe open); and,
    ``quiet``, send its output nowhere (it would write over the reader's screen)."""
    if quiet:
        nowhere = os.open(os.devnull, os.O_WRONLY)
        os.dup2(nowhere, 1)
        os.dup2(nowhere, 2)
        os.close(nowhere)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_CHECK_SECONDS)
        os._exit(1)

    threading.Thread(target=watch, name="briefreader-parent-watch", daemon=True).start()


def chunks(items: Iterable[_T], size: int) -> Iterator[list[_T]]:
    """The items in lists of ``size`` (the last may be shorter)."""
    chunk: list[_T] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
