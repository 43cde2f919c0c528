"""Where the hub's messages are counted: in its own process, or by a pool of workers (``statscache.consumer.workers``).

Both take each message with its topic, go live when the hub runs, flush on the
producer's beat (the pool's workers flush themselves), and write a final flush
at the stop, counting first the earliest message the stop left (see the consumer).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any, Protocol

from statscache import health, metrics_port
from statscache.history.catchup import Backfiller
from statscache.ingest.pipeline import Pipeline
from statscache.metrics import Metrics
from statscache.pool.pool import WorkerPool

log = logging.getLogger(__name__)


class Counting(Protocol):
    """What the consumer and the producer need of whatever counts the hub's messages."""

    @property
    def metrics(self) -> Metrics: ...

    def handle(self, topic: Any, body: Any) -> None: ...

    def go_live(self) -> None: ...

    def flush(self) -> None: ...

    def close(self, left: tuple[Any, Any] | None) -> bool:
        """The final flush (``left`` counted first); False if some message is not written."""
        ...

    def serve_metrics(self, port: int) -> None:
        """Serve the counters and the health probes on 127.0.0.1:``port`` (see :mod:`statscache.metrics_port`)."""
        ...


class InProcess:
    """One pipeline in the hub's process, and its backfill.

    ``run_flush``: how the producer's beat gets the flush done. In blocking
    mode the hub hands it to the reactor thread, which also handles every
    message: one thread doing both in turn wastes nothing, where two sharing
    the interpreter lock would each slow the other (every statement the flush
    sends waits for the lock to come back). None: on the producer's thread.
    """

    def __init__(self, pipeline: Pipeline, run_flush: Callable[[Callable[[], None]], None] | None = None) -> None:
        self.pipeline = pipeline
        self.metrics = pipeline.metrics
        self.history = Backfiller(pipeline)
        self._run_flush = run_flush

    def handle(self, topic: Any, body: Any) -> None:
        self.pipeline.handle(body)

    def go_live(self) -> None:
        self.history.go_live()

    def flush(self) -> None:
        if self._run_flush is None:
            self.pipeline.flush()
        else:
            self._run_flush(self._flush_logged)

    def _flush_logged(self) -> None:
        try:
            self.pipeline.flush()
        except Exception:  # on the reactor thread: nothing may escape into Twisted
            log.exception("statscache flush raised; will retry on the next beat")

    def close(self, left: tuple[Any, Any] | None) -> bool:
        self.history.close()
        if left is not None:
            self.pipeline.handle(left[1])
        self.pipeline.close()
        return self.pipeline.pending() == 0

    def serve_metrics(self, port: int) -> None:
        metrics_port.serve(
            port, self.metrics.registry, health.of_pipeline(self.pipeline), self.pipeline.config.metrics_host
        )

    def authenticate_with(self, check: Callable[[dict[str, Any]], bool]) -> None:
        self.pipeline.authenticate = check


class InWorkers:
    """A pool of worker processes (each checks signatures itself, with the hub's settings)."""

    def __init__(self, pool: WorkerPool) -> None:
        self.pool = pool
        self.metrics = pool.metrics

    def handle(self, topic: Any, body: Any) -> None:
        self.pool.handle(topic, body)

    def go_live(self) -> None:
        self.pool.go_live(time.time())

    def flush(self) -> None:
        """Nothing: each worker flushes on its own beat."""

    def close(self, left: tuple[Any, Any] | None) -> bool:
        return self.pool.close(left)

    def serve_metrics(self, port: int) -> None:
        self.pool.serve_metrics(port)
