"""Reading the archive's database with several processes: a rebuild of years of history in hours.

The stretches to fill are surveyed (messages an hour, from the timestamp
index) and cut in windows of about :data:`statscache.history.archive.WINDOW_MESSAGES`.
Worker processes, each with a whole pipeline of its own, take the windows
oldest first; a worker reads its window in one streamed query, hands every
message to its plugins, and flushes: the window becomes coverage in the
transaction that writes its last counts. Windows finish out of order; the
coverage recorded is exactly the windows complete, so an interrupted rebuild
(even by ``kill -9``) resumes with what is missing. Whatever two workers, or
two runs, both read, the ledger counts once.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import logging
import multiprocessing
import os
import signal
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from multiprocessing.sharedctypes import Synchronized
from typing import NamedTuple

from statscache.exceptions import WindowNotWritten
from statscache.history import archive
from statscache.history.archive import Archive, Window
from statscache.ingest.pipeline import Pipeline
from statscache.metrics import describe, main_counters
from statscache.span import Stretch, iso

log = logging.getLogger(__name__)

#: Windows handed to the workers ahead of those they are reading, per worker: none of them waits for the next.
AHEAD = 2
#: Seconds between two looks at the workers' progress.
POLL = 0.25
#: Attempts at a window's final flush (a locked database is usually free again soon).
FLUSH_ATTEMPTS = 5
#: Seconds between two of them.
FLUSH_PAUSE = 1.0
#: Linux's prctl option that signals a process when its parent dies.
_PR_SET_PDEATHSIG = 1


@dataclass(frozen=True)
class Reading:
    """How a rebuild reads: with how many processes, and in windows of how many messages."""

    workers: int
    window_messages: int = archive.WINDOW_MESSAGES


@dataclass
class Outcome:
    """What a parallel read did."""

    windows: int = 0
    messages: int = 0
    #: Why it stopped short; None when every window is covered.
    failure: str | None = None
    #: Each worker's main counters (by process id), as of the last window it finished.
    counters: dict[int, dict[str, float]] = field(default_factory=dict)

    def summary(self) -> str:
        """The workers' main counters, summed, in one line."""
        summed: Counter[str] = Counter()
        for counted in self.counters.values():
            summed.update(counted)
        return describe(summed)


class _Read(NamedTuple):
    """One window read: its messages, and the worker's main counters since it started."""

    messages: int
    worker: int
    counters: dict[str, float]


def plan(archive_db: Archive, stretches: Sequence[Stretch], per_window: int = archive.WINDOW_MESSAGES) -> list[Window]:
    """The windows of ``stretches``, oldest first, each with the messages the survey found in it."""
    return [
        window
        for stretch in sorted(stretches, key=lambda stretch: stretch.span.start)
        for window in archive.windows(stretch, archive_db.survey(stretch.span), per_window)
    ]


class Readers:
    """``workers`` processes reading the archive at ``source``, each with a pipeline ``open_pipeline`` opens
    (picklable: a module-level function, or a partial of one).

    They start at once, so that they import statscache and open their
    pipelines while the caller surveys the windows; :meth:`read` hands them
    out. Leaving the ``with`` block lets the windows being read finish.
    """

    def __init__(self, source: str, open_pipeline: Callable[[], Pipeline], workers: int) -> None:
        context = multiprocessing.get_context("spawn")  # fresh interpreters: no database connection is inherited
        self.workers = workers
        self._handed: Synchronized[int] = context.Value("q", 0)
        level = logging.getLogger().getEffectiveLevel()
        self._pool = ProcessPoolExecutor(
            max_workers=workers,
            mp_context=context,
            initializer=_start_worker,
            initargs=(os.getpid(), open_pipeline, source, self._handed, level),
        )
        for _ in range(workers):  # each submission starts a process while none is idle
            self._pool.submit(_started)

    def __enter__(self) -> Readers:
        return self

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        # An error (or Ctrl-C) drops the windows not begun; those being read finish, and are written.
        self._pool.shutdown(wait=True, cancel_futures=kind is not None)

    def read(self, windows: Sequence[Window], on_progress: Callable[[int], None] | None = None) -> Outcome:
        """Read ``windows``, oldest first; ``on_progress`` gets the messages handed in so far, a few times a
        second. A window that fails stops the read: the windows being read finish, no other starts, and the
        outcome says why."""
        outcome = Outcome()
        queued = list(reversed(windows))
        running: set[Future[_Read]] = set()
        while queued or running:
            while queued and outcome.failure is None and len(running) < AHEAD * self.workers:
                try:
                    running.add(self._pool.submit(_read_window, queued.pop()))
                except BrokenProcessPool as error:  # a worker could not start, or died
                    outcome.failure = f"a worker process is gone: {error}"
            finished, running = wait(running, timeout=POLL, return_when=FIRST_COMPLETED)
            for future in finished:
                try:
                    read = future.result()
                    outcome.messages += read.messages
                    outcome.windows += 1
                    outcome.counters[read.worker] = read.counters
                except Exception as error:  # a worker's exception, or a worker gone (BrokenProcessPool)
                    outcome.failure = outcome.failure or f"{type(error).__name__}: {error}"
            if outcome.failure is not None:
                queued.clear()
            if on_progress is not None:
                on_progress(self._handed.value)
        if on_progress is not None:
            on_progress(self._handed.value)
        return outcome


# One worker's side: its pipeline and connection to the archive, opened once by the pool's initializer.
_worker: _Worker | None = None


@dataclass
class _Worker:
    pipeline: Pipeline
    archive: Archive
    every_plugin: frozenset[str]
    handed: Synchronized[int]
    parent: int


def _start_worker(
    parent: int, open_pipeline: Callable[[], Pipeline], source: str, handed: Synchronized[int], level: int
) -> None:
    global _worker
    _die_with(parent)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's: it lets the windows being read finish
    logging.basicConfig(level=level, format="[%(asctime)s][%(name)20s %(levelname)7s] %(message)s", stream=sys.stderr)
    pipeline = open_pipeline()
    _worker = _Worker(pipeline, Archive(source), frozenset(plugin.ident for plugin in pipeline.plugins), handed, parent)


def _started() -> None:
    """Nothing: submitted once per worker, so that every process starts at once."""


def _die_with(parent: int) -> None:
    """End this worker when the process that started it dies, even by SIGKILL: no worker writes on, orphaned."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # it died before this could ask
        os._exit(1)


def _read_window(window: Window) -> _Read:
    """Hand in every message of ``window``, then write them with the window's coverage; the messages read."""
    worker = _worker
    assert worker is not None, "the pool's initializer opens each worker"
    told = 0

    def on_progress(handed: int) -> None:
        nonlocal told
        if os.getppid() != worker.parent:  # where the parent's death sends no signal
            os._exit(1)
        with worker.handed.get_lock():
            worker.handed.value += handed - told
        told = handed

    pipeline = worker.pipeline
    generation = pipeline.generation
    handed = archive.fill(worker.archive, pipeline.history_sink(), [window.stretch], worker.every_plugin, on_progress)
    for attempt in range(FLUSH_ATTEMPTS):
        if attempt:
            time.sleep(FLUSH_PAUSE)
        if pipeline.flush():
            break
    span = window.stretch.span
    if pipeline.pending() or pipeline.generation != generation:  # not written, or let go (and not covered)
        raise WindowNotWritten(f"{iso(span.start)} to {iso(span.end)}: the database did not take its counts")
    return _Read(handed, os.getpid(), main_counters(pipeline.metrics.registry))
