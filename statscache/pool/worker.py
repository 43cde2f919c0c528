"""One worker of the pool: a whole pipeline in a process of its own, fed message bodies by the consumer.

Run as ``python -m statscache.pool.worker FD`` by :class:`statscache.pool.pool.WorkerPool`,
which speaks to it over the socket FD (:mod:`multiprocessing.connection` messages):

- to the worker: ``("bodies", [body, ...])``, ``("live", since)`` (the first
  worker then backfills what came before), ``("again", None)`` (backfill again:
  messages were lost to the database somewhere), ``("stop", None)``;
- from the worker: ``("ready", pid)``, then after each flush
  ``("flushed", claim, lost, metrics)``, between them ``("counted", metrics)``, and at the end
  ``("stopped", unwritten, claim, metrics)``. ``claim``: how far this worker
  has written every message it was handed (None: its last flush failed);
  ``lost``: messages it held were lost to the database since its last report.

It ignores SIGINT and SIGTERM (the consumer stops it, after its final flush)
and ends on ``stop`` or when the socket closes (the consumer is gone).
"""

from __future__ import annotations

import contextlib
import gc
import logging
import os
import queue
import signal
import sys
import threading
import time
from collections.abc import Mapping
from multiprocessing.connection import Connection
from typing import Any

from statscache.config import Config
from statscache.history.catchup import Backfiller
from statscache.ingest.meta import MetaReader
from statscache.ingest.pipeline import MAX_CACHED, Pipeline
from statscache.metrics import Metrics
from statscache.plugins import registry

log = logging.getLogger(__name__)

#: Batches read off the socket and not yet handled, at most (256 messages each): what comes while this worker
#: flushes, a few megabytes, before the consumer waits for it.
INBOX = 16

#: Seconds between two reports of the worker's counters, between flushes (the consumer serves them summed).
REPORT_INTERVAL = 0.25

#: A worker's counters as the consumer sums them: (sample name, sorted labels) -> value.
#: Each sample's value, by its family (name, type, help), its own name and its labels.
Snapshot = dict[tuple[str, str, str, str, tuple[tuple[str, str], ...]], float]


def snapshot(metrics: Metrics) -> Snapshot:
    """Every sample of the worker's metrics."""
    return {
        (family.name, family.type, family.documentation, sample.name, tuple(sorted(sample.labels.items()))): (
            sample.value
        )
        for family in metrics.registry.collect()
        for sample in family.samples
        if not sample.name.endswith("_created")
    }


class Worker:
    """The worker's side of the socket: its pipeline, its periodic flush, its reports."""

    def __init__(self, connection: Connection, settings: Config, fedmsg_config: Mapping[str, Any], first: bool):
        self._connection = connection
        self._send_lock = threading.Lock()
        self._first = first
        self.pipeline = Pipeline.open(settings, registry.load(settings), names=MetaReader(fedmsg_config))
        if fedmsg_config.get("validate_signatures"):
            import fedmsg.crypto

            self.pipeline.authenticate = lambda envelope: bool(fedmsg.crypto.validate(envelope, **fedmsg_config))
        # The workers share the memory one pipeline would have: each caches its part of the bound.
        self.pipeline.limit_cache(max(1000, MAX_CACHED // max(1, settings.consumer_workers)))
        self.history = Backfiller(self.pipeline)
        self._lost = False
        self._inbox: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=INBOX)

    def run(self) -> None:
        gc.freeze()  # the start-up heap lives as long as the process: collections need not walk it
        self._send(("ready", os.getpid()))
        threading.Thread(target=self._read, name="statscache-inbox", daemon=True).start()
        try:
            self._serve()
        finally:
            self.history.close()
            self.pipeline.close()
            unwritten = self.pipeline.pending()
            claim = self.pipeline.last_claim if unwritten == 0 else None
            self._send(("stopped", unwritten, claim, snapshot(self.pipeline.metrics)))

    def _serve(self) -> None:
        """Take what comes, and flush every interval in between.

        A thread of its own reads the socket into :attr:`_inbox`, so that the
        consumer can go on handing this worker messages while it flushes
        (it would wait for this worker otherwise, and every other worker with it).
        """
        handle = self.pipeline.handle
        interval = self.pipeline.config.producer_frequency.total_seconds()
        next_flush = time.monotonic() + interval
        next_report = time.monotonic() + REPORT_INTERVAL
        while True:
            now = time.monotonic()
            if now >= next_flush:
                self._flush()
                next_flush = max(next_flush + interval, time.monotonic())
                continue
            if now >= next_report:
                self._send(("counted", snapshot(self.pipeline.metrics)))
                next_report = now + REPORT_INTERVAL
            try:
                kind, payload = self._inbox.get(timeout=min(next_flush, next_report) - now)
            except queue.Empty:
                continue
            if kind == "bodies":
                for body in payload:
                    handle(body)
            elif kind == "live":
                self._go_live(payload)
            elif kind == "again":
                if self._first:
                    self.history.again()
            elif kind == "stop":
                return

    def _read(self) -> None:
        """Move what comes over the socket into the inbox (a full inbox holds the consumer back)."""
        while True:
            try:
                message = self._connection.recv()
            except (EOFError, OSError):
                log.error("the consumer is gone: this worker writes its final flush and ends")
                message = ("stop", None)
            self._inbox.put(message)
            if message[0] == "stop":
                return

    def _go_live(self, since: float) -> None:
        """Messages come live from ``since``; the consumer claims live coverage, the first worker backfills."""
        if self._first:
            self.history.catch_up(since)
        self.pipeline.on_history_lost = self._note_lost

    def _note_lost(self) -> None:
        self._lost = True

    def _flush(self) -> None:
        try:
            written = self.pipeline.flush()
        except Exception:
            log.exception("statscache flush raised; will retry on the next one")
            written = False
        lost, self._lost = self._lost, False
        claim = self.pipeline.last_claim if written else None
        self._send(("flushed", claim, lost, snapshot(self.pipeline.metrics)))

    def _send(self, message: tuple[Any, ...]) -> None:
        # The consumer gone, the serving loop notices and ends.
        with self._send_lock, contextlib.suppress(OSError):
            self._connection.send(message)


def main() -> None:
    # The consumer ends this process (a stop message, or its socket closing), after its final flush.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    connection = Connection(int(sys.argv[1]))
    sys.path[:] = connection.recv()  # first: what follows may name classes importable only there
    settings, fedmsg_config, index, level = connection.recv()
    logging.basicConfig(level=level, format=f"%(asctime)s %(levelname)s [%(name)s] worker {index}: %(message)s")
    try:
        worker = Worker(connection, settings, fedmsg_config, first=index == 0)
    except BaseException as error:
        connection.send(("failed", f"{type(error).__name__}: {error}"))
        raise
    worker.run()
    connection.close()


if __name__ == "__main__":
    main()
