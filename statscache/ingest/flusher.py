"""Writes what the cache holds to the database: exactly once, all or nothing, never dropping a message."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Collection, Sequence

from statscache.ingest.cache import MessageCache
from statscache.ingest.shares import Entries
from statscache.ingest.writing import Outcome, Request, Writer
from statscache.metrics import Metrics
from statscache.plugins import BasePlugin
from statscache.span import Span, Stretch
from statscache.store.heartbeat import Daemon

log = logging.getLogger(__name__)


class Flusher:
    """Drains the cache, drops what the ledger says each plugin has counted, writes the rest, commits.

    The transaction itself is the ``writer``'s (:class:`~statscache.ingest.writing.Writer`);
    the flusher keeps what lasts between flushes: what waits for a failing
    plugin, the checkpoints, live coverage.
    A plugin whose ``update`` fails is rolled back to
    its savepoint and its batch is written again in halves: a message that
    fails alone while others are written is quarantined for that plugin (see
    :mod:`statscache.store.quarantine`); a plugin that fails whatever it is given
    (its table is gone, the database refuses it) keeps its messages for the
    next flush, without holding back the others. If the transaction itself
    fails or is lost (a full disk makes SQLite roll it back), every entry
    goes back into the cache and nothing of the flush is committed.
    """

    def __init__(self, writer: Writer, cache: MessageCache, plugins: Sequence[BasePlugin], metrics: Metrics) -> None:
        self._writer = writer
        self._cache = cache
        self._idents = [plugin.ident for plugin in plugins]
        self._metrics = metrics
        #: Entries a plugin (by ident) failed to write, kept for it alone until it succeeds.
        self._retry: dict[str, Entries] = {}
        # The periodic poll and the final flush at shutdown must not interleave.
        self._lock = threading.Lock()
        #: Stretches of history handed in whole: once their messages are written, those plugins are complete there.
        self._checkpoints: list[Stretch] = []
        self._checkpoints_lock = threading.Lock()
        #: Per plugin ident: live since when its coverage was last extended (None: not live).
        self._live_since: dict[str, float] = {}
        self._lag = 60.0
        #: Who beats in each live flush's transaction (see :mod:`statscache.store.heartbeat`).
        self._daemon: Daemon | None = None
        #: Live messages cached as of the last successful flush.
        self._live_seen = 0
        #: The claim of the last successful flush: where live coverage resumes if the database starts anew.
        self._last_claim: float | None = None
        #: Whether the last flush failed as a whole (the database is out: one traceback, then a line a flush).
        self._failing = False
        #: Bumped whenever what was handed in may not all reach the database (let go, or a database made
        #: anew): checkpoints of history handed in before then are refused (see :meth:`checkpoint`).
        self.generation = 0

    def go_live(self, since: float, lag: float = 60.0, daemon: Daemon | None = None) -> None:
        """Messages sent from ``since`` on arrive live: each successful flush extends the coverage.

        It extends it to the flush's time when the bus was quiet since the last
        one; while messages keep coming, to no more than ``lag`` past the
        newest event time received, so that messages still waiting in the
        bus's buffers (a burst the hub is behind on) are not claimed: after a
        crash, backfill resumes ``lag`` before the claim. ``daemon``: its
        heartbeat is written with each of those flushes.
        """
        with self._lock:
            self._live_since = dict.fromkeys(self._idents, since)
            self._lag = lag
            self._daemon = daemon
            self._live_seen = self._cache.live_added

    def checkpoint(self, start: float, end: float, idents: Collection[str], generation: int | None = None) -> bool:
        """Every message sent from ``start`` to ``end`` has been cached for ``idents``: record it once written.

        ``generation``: the :attr:`generation` its messages were handed in at;
        if it has moved on since, some may be gone, and the stretch is not
        recorded (False).
        """
        with self._checkpoints_lock:
            if generation is not None and generation != self.generation:
                return False
            self._checkpoints.append(Stretch(Span(start, end), frozenset(idents)))
            return True

    def pending(self) -> int:
        """Messages waiting to be written (cached, or kept for a failing plugin)."""
        with self._lock:
            return len(self._cache) + _waiting(self._retry)

    def flush(self) -> bool:
        """Write what is waiting; True when nothing is left waiting because of an error."""
        with self._lock:
            # Checkpoints before the cache: each one's messages are then in this drain or an earlier one.
            with self._checkpoints_lock:
                checkpoints, self._checkpoints = self._checkpoints, []
            now = time.time()
            live_added, newest = self._cache.live_added, self._cache.newest_live
            claim = now if live_added == self._live_seen else min(now, newest + self._lag)
            drained, audiences = self._cache.drain()
            retry, self._retry = self._retry, {}
            if not drained and not retry and not checkpoints and not self._live_since:
                self._last_claim = claim  # nothing came since the last flush: complete up to now
                self._metrics.moments.last_flush = now  # nothing to commit is a flush that worked
                return True
            began = time.monotonic()
            try:
                outcome = self._writer.write(
                    Request(drained, audiences, retry, checkpoints, claim, self._live_since, self._daemon)
                )
            except Exception as error:
                self._metrics.flush_seconds.observe(time.monotonic() - began)
                self._note_failure(error, len(drained) + _waiting(retry))
                self._metrics.database_errors.inc()
                self._metrics.flushes.labels("failed").inc()
                self._writer.forget()
                self._cache.restore(drained, audiences)
                self._retry = retry
                self._requeue(checkpoints)
                return False
            self._metrics.flush_seconds.observe(time.monotonic() - began)
            self._retry, written = outcome.failed, outcome.written
            self._count(outcome)
            moments = self._metrics.moments
            moments.last_flush = time.time()
            if live_added != self._live_seen:  # live messages were written: the newest of them is how far counting is
                moments.newest_event = max(newest, moments.newest_event or 0.0)
            if self._failing:
                log.warning("statscache flushes work again: every message kept meanwhile is written")
                self._failing = False
            self._live_seen = live_added
            self._last_claim = claim
            for ident in written:
                since = self._live_since.get(ident)
                if since is not None:
                    self._live_since[ident] = max(since, claim)
            failed = set(self._retry)
            self._requeue([c._replace(idents=c.idents & failed) for c in checkpoints if c.idents & failed])
            self._metrics.flushes.labels("failed" if self._retry else "ok").inc()
            return not self._retry

    @property
    def last_claim(self) -> float | None:
        """How far the last successful flush found the messages handed in complete (see :meth:`go_live`)."""
        return self._last_claim

    def restart(self) -> None:
        """The database was made anew (its file deleted under the daemon): forget what the old one held.

        What was written to the old database is gone with it; live coverage
        in the new one starts where the last successful flush left off, and
        what was cached since is written there.
        """
        with self._lock:
            with self._checkpoints_lock:
                self.generation += 1  # history handed in may have gone to the old database
            self._writer.forget()
            resume = self._last_claim
            for ident, since in self._live_since.items():
                self._live_since[ident] = since if resume is None else max(since, resume)

    def let_go(self) -> tuple[int, float, float]:
        """Drop everything waiting (cached, kept for failing plugins, checkpoints); live coverage restarts now.

        Returns how many messages were dropped, and the stretch whose
        completeness is no longer claimed: from the last successful flush's
        claim (or the start of live coverage) to now.
        """
        with self._lock:
            dropped = len(self._cache) + _waiting(self._retry)
            self._cache.drain()
            self._retry = {}
            with self._checkpoints_lock:
                self._checkpoints = []
                self.generation += 1
            now = time.time()
            since = self._last_claim if self._last_claim is not None else min(self._live_since.values(), default=now)
            self._live_since = dict.fromkeys(self._live_since, now)
            self._live_seen = self._cache.live_added
            return dropped, since, now

    def _count(self, outcome: Outcome) -> None:
        metrics = self._metrics
        for ident in outcome.failed:
            metrics.plugin_errors.labels(ident, "update").inc()
        for ident, quarantined in outcome.quarantined.items():
            metrics.quarantined.labels(ident).inc(quarantined)
        metrics.rows_written.inc(outcome.rows)
        for ident, (new, duplicates) in outcome.counted.items():
            metrics.counted.labels(ident).inc(new)
            if duplicates:
                metrics.duplicates.labels(ident).inc(duplicates)

    def _note_failure(self, error: Exception, kept: int) -> None:
        if not self._failing:
            log.exception("statscache flush failed; %d messages kept in memory for the next flush", kept)
            self._failing = True
        else:
            log.error("statscache flush failed again (%s); %d messages kept in memory", error, kept)

    def _requeue(self, checkpoints: list[Stretch]) -> None:
        with self._checkpoints_lock:
            self._checkpoints[:0] = checkpoints


def _waiting(retry: dict[str, Entries]) -> int:
    """Messages kept for plugins whose update failed."""
    return sum(len(entries) for entries in retry.values())
