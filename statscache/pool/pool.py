"""The consumer's side of the pool: the workers started, each message handed to one, live coverage claimed for all.

A worker reports, after each flush, how far it has written every message it
was handed (its claim, worked out as a lone pipeline's flush works out its
live coverage). The pool claims live coverage for every plugin up to the
smallest of the latest claims, in a transaction of its own, after those
flushes committed: never past what some worker still holds. A worker that
lost messages to the database restarts live coverage from that moment, and
the first worker backfills what is missing.
"""

from __future__ import annotations

import logging
import pickle
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from typing import Any

from prometheus_client import CollectorRegistry, Metric
from prometheus_client.registry import Collector

from statscache import health, metrics_port
from statscache.config import Config
from statscache.exceptions import WorkerUnavailable
from statscache.health import Verdict
from statscache.metrics import GAUGES_COMBINED, Metrics, summary
from statscache.plugins import BasePlugin
from statscache.pool.routing import TopicRouter
from statscache.pool.worker import Snapshot, snapshot
from statscache.span import iso
from statscache.store import coverage, heartbeat, schema
from statscache.store.engine import make_engine, make_session_factory, writing
from statscache.store.heartbeat import Daemon

log = logging.getLogger(__name__)

#: Messages handed to a worker at once (one socket write): enough that the write costs next to nothing per message.
BATCH = 256
#: Seconds a partial batch waits at most before it is handed over anyway: live messages must not linger.
DISPATCH_INTERVAL = 0.02
#: Seconds a worker may take to start (import statscache and its plugins, open the database).
START_TIMEOUT = 120.0
#: Seconds the workers' final flushes may take, all together (the hub's stop has a deadline of its own).
STOP_TIMEOUT = 15.0


@dataclass
class _Worker:
    index: int
    process: subprocess.Popen[bytes]
    connection: Connection
    lock: threading.Lock = field(default_factory=threading.Lock)
    batch: list[str] = field(default_factory=list)
    #: How far it has written everything it was handed (None: not yet, or its last flush failed).
    claim: float | None = None
    metrics: Snapshot = field(default_factory=dict)
    #: Set once it has stopped: messages it could not write.
    unwritten: int | None = None
    gone: bool = False


class WorkerPool:
    """``settings.consumer_workers`` pipelines in processes of their own, for ``plugins``, fed by the consumer
    through :meth:`handle`."""

    def __init__(
        self,
        settings: Config,
        fedmsg_config: Mapping[str, Any],
        plugins: Sequence[BasePlugin],
        daemon: Daemon | None = None,
    ) -> None:
        """``daemon``: whose heartbeat each claim of live coverage writes (None: none)."""
        workers = settings.consumer_workers
        #: The consumer's own counters (received, frames rejected); the workers' are added when served.
        self.metrics = Metrics()
        #: Called (from the pool's thread) when a worker ends unexpectedly: the consumer cannot go on.
        self.on_failure: Callable[[str], None] | None = None
        self._idents = [plugin.ident for plugin in plugins]
        self._daemon = daemon
        self._plugins = list(plugins)
        self._settings = settings
        self._engine = make_engine(settings.sqlalchemy_uri)
        self._sessions = make_session_factory(writing(self._engine))
        # Made ready here, once: workers starting together would otherwise all make it at once.
        schema.prepare(self._engine, plugins, upgrade=settings.sqlalchemy_auto_upgrade)
        self._router = TopicRouter(workers)
        self._lock = threading.Lock()
        self._since: float | None = None
        self._closing = threading.Event()
        self._workers: list[_Worker] = []
        try:
            for index in range(workers):
                self._workers.append(self._start(index, settings, _picklable(fedmsg_config)))
        except BaseException:
            self._end_workers()
            self._engine.dispose()
            raise
        #: The consumer's counters and the workers', summed: what is served and logged.
        self.summed = CollectorRegistry()
        self.summed.register(_Summed(self))
        self._reporting = threading.Thread(target=self._read_reports, name="statscache-pool", daemon=True)
        self._dispatching = threading.Thread(target=self._dispatch, name="statscache-dispatch", daemon=True)
        self._reporting.start()
        self._dispatching.start()
        log.info("statscache runs %d workers: %s", workers, ", ".join(str(w.process.pid) for w in self._workers))

    # -- the consumer's side -----------------------------------------------------------------

    def handle(self, topic: str, body: str) -> None:
        """Take one message in: queued for the worker of its topic, handed over with its batch."""
        with self._lock:
            worker = self._workers[self._router.worker_for(topic)]
            worker.batch.append(body)
            if len(worker.batch) >= BATCH:
                self._hand_over(worker)

    def go_live(self, since: float) -> None:
        """Messages come live from ``since``: live coverage starts there, and the first worker backfills."""
        self._since = since
        for worker in self._workers:
            self._send(worker, ("live", since))

    def close(self, left: tuple[str, str] | None = None) -> bool:
        """Hand over what is queued (and ``left``, the earliest message the stop left: see the consumer), let
        each worker write its final flush, claim coverage as far as all of them wrote; True if nothing is unwritten."""
        self._closing.set()
        self._dispatching.join()
        if left is not None:
            self.handle(*left)
        with self._lock:
            for worker in self._workers:
                self._hand_over(worker)
                self._send(worker, ("stop", None))
        deadline = time.monotonic() + STOP_TIMEOUT
        while time.monotonic() < deadline and any(w.unwritten is None and not w.gone for w in self._workers):
            time.sleep(0.05)
        self._reporting.join(timeout=1.0)
        unwritten = [w.unwritten for w in self._workers]
        complete = all(count == 0 for count in unwritten)
        if complete:
            self._claim()
        else:
            log.error("statscache workers could not write everything: unwritten messages per worker %s", unwritten)
        self._end_workers()
        self._engine.dispose()
        log.info("statscache stopped: %s", summary(self.summed))
        return complete

    def serve_metrics(self, port: int) -> None:
        """Expose the consumer's and the workers' counters, summed, and the health probes, on 127.0.0.1:``port``."""
        metrics_port.serve(port, self.summed, self.readiness, self._settings.metrics_host)

    def readiness(self) -> Verdict:
        """Whether the hub is ready (see :mod:`statscache.health`): its claims of coverage are its heartbeat."""
        return health.ready(
            self._engine, self._plugins, self._settings, None if self._daemon is None else self._daemon.name
        )

    def snapshots(self) -> list[Snapshot]:
        """The consumer's counters and each worker's, as last reported."""
        return [snapshot(self.metrics), *(dict(worker.metrics) for worker in self._workers)]

    # -- the workers' side -------------------------------------------------------------------

    def _start(self, index: int, settings: Config, fedmsg_config: dict[str, Any]) -> _Worker:
        ours, theirs = socket.socketpair()
        try:
            process = subprocess.Popen(
                [sys.executable, "-m", "statscache.pool.worker", str(theirs.fileno())],
                pass_fds=[theirs.fileno()],
                stdin=subprocess.DEVNULL,
            )
        finally:
            theirs.close()
        connection = Connection(ours.detach())
        worker = _Worker(index, process, connection)
        level = logging.getLogger("statscache").getEffectiveLevel()
        try:
            connection.send(sys.path)
            connection.send((settings, fedmsg_config, index, level))
            if not connection.poll(START_TIMEOUT):
                raise WorkerUnavailable(f"worker {index} did not start within {START_TIMEOUT:g} s")
            kind, detail = connection.recv()
        except (OSError, EOFError) as error:
            self._workers.append(worker)  # ended with the others
            raise WorkerUnavailable(f"worker {index} ended as it started (see its log above): {error!r}") from error
        if kind != "ready":
            self._workers.append(worker)
            raise WorkerUnavailable(f"worker {index} could not start: {detail}")
        return worker

    def _hand_over(self, worker: _Worker) -> None:
        """Send the worker its queued batch (under the pool's lock)."""
        if worker.batch:
            batch, worker.batch = worker.batch, []
            self._send(worker, ("bodies", batch))

    def _send(self, worker: _Worker, message: tuple[str, Any]) -> None:
        with worker.lock:
            try:
                worker.connection.send(message)
            except OSError as error:
                self._lost_worker(worker, f"could not be handed messages: {error!r}")

    def _dispatch(self) -> None:
        """Partial batches go out every :data:`DISPATCH_INTERVAL`: a quiet bus's messages do not wait for company."""
        while not self._closing.wait(DISPATCH_INTERVAL):
            with self._lock:
                for worker in self._workers:
                    self._hand_over(worker)

    def _read_reports(self) -> None:
        while True:
            waiting = {w.connection: w for w in self._workers if not w.gone and w.unwritten is None}
            if not waiting:
                return
            for connection in wait(list(waiting), timeout=0.5):
                worker = waiting[connection]  # type: ignore[index]
                try:
                    report = worker.connection.recv()
                except (EOFError, OSError):
                    self._lost_worker(worker, "ended unexpectedly")
                    continue
                self._take(worker, report)

    def _take(self, worker: _Worker, report: tuple[Any, ...]) -> None:
        kind = report[0]
        if kind == "flushed":
            _, claim, lost, metrics = report
            worker.metrics = metrics
            if lost:
                self._live_again(worker)
            else:
                worker.claim = claim
                self._claim()
        elif kind == "counted":
            worker.metrics = report[1]
        elif kind == "stopped":
            _, unwritten, claim, metrics = report
            worker.metrics, worker.claim, worker.unwritten = metrics, claim, unwritten

    def _claim(self) -> None:
        """Extend every plugin's live coverage as far as every worker has written what it was handed."""
        claims = [worker.claim for worker in self._workers]
        if self._since is None or None in claims:
            return
        until = min(claim for claim in claims if claim is not None)
        if until <= self._since:
            return
        try:
            with self._sessions() as session, session.begin():
                coverage.extend(session, self._idents, self._since, until)
                if self._daemon is not None:
                    heartbeat.beat(session, self._daemon, until)
        except Exception as error:  # the database is failing: coverage waits, the next report tries again
            log.warning("statscache could not extend live coverage to %s: %s", iso(until), error)
            return
        self._since = until

    def _live_again(self, worker: _Worker) -> None:
        """Worker ``worker`` lost messages to the database: live coverage starts again now, backfill fetches the gap."""
        log.error(
            "statscache worker %d lost messages to the database: live coverage starts again now, and what is "
            "missing is backfilled",
            worker.index,
        )
        self._since = time.time()
        for each in self._workers:
            each.claim = None
        self._send(self._workers[0], ("again", None))

    def _lost_worker(self, worker: _Worker, what: str) -> None:
        if worker.gone:
            return
        worker.gone = True
        worker.claim = None
        if self._closing.is_set() and worker.unwritten is not None:
            return
        reason = f"statscache worker {worker.index} (process {worker.process.pid}) {what}"
        log.error("%s", reason)
        if self.on_failure is not None:
            self.on_failure(reason)

    def _end_workers(self) -> None:
        for worker in self._workers:
            worker.connection.close()
        for worker in self._workers:
            try:
                worker.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                log.error("statscache worker %d did not end; killed", worker.index)
                worker.process.kill()
                worker.process.wait()


class _Summed(Collector):
    """The consumer's metrics and its workers', combined per sample: counters and histograms summed (each
    message passes through one worker), gauges as :data:`~statscache.metrics.GAUGES_COMBINED` says (summed
    by default)."""

    def __init__(self, pool: WorkerPool) -> None:
        self._pool = pool

    def collect(self) -> Iterator[Metric]:
        families: dict[tuple[str, str, str], dict[tuple[str, tuple[tuple[str, str], ...]], list[float]]] = {}
        for each in self._pool.snapshots():
            for (family, kind, documentation, name, labels), value in each.items():
                families.setdefault((family, kind, documentation), {}).setdefault((name, labels), []).append(value)
        for (family, kind, documentation), samples in sorted(families.items()):
            metric = Metric(family, documentation, kind)
            combine = GAUGES_COMBINED.get(family, sum) if kind == "gauge" else sum
            for (name, labels), values in sorted(samples.items()):
                metric.add_sample(name, dict(labels), combine(values))
            yield metric


def _picklable(config: Mapping[str, Any]) -> dict[str, Any]:
    """What of the fedmsg settings can be handed to a worker (fedmsg.meta and signature checks read them)."""
    kept = {}
    for key, value in config.items():
        try:
            pickle.dumps(value)
        except Exception:
            continue
        kept[key] = value
    return kept
