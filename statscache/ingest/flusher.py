"""Writes what the cache holds to the database: exactly once, all or nothing, never dropping a message."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Collection, Sequence

from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from statscache.exceptions import DatabaseOutage
from statscache.ingest.cache import Audiences, Entry, MessageCache
from statscache.ingest.shares import Entries, Share, divide
from statscache.metrics import Metrics
from statscache.plugins import BasePlugin, Batch
from statscache.span import Span, Stretch
from statscache.store import coverage, dialects, quarantine
from statscache.store.ledger import Ledger

log = logging.getLogger(__name__)


#: Messages failing alone, with none written, after which a plugin is taken to fail whatever it is given.
_FAILING_ALONE = 4


class _PluginFails(Exception):
    """The plugin's ``update`` fails on any message: keep its batch for the next flush, quarantine nothing."""


class Flusher:
    """Drains the cache, drops what the ledger says each plugin has counted, writes the rest, commits.

    ``families[i]`` is the index, in each cache entry's contributions, of
    plugin ``plugins[i]``. A plugin whose ``update`` fails is rolled back to
    its savepoint and its batch is written again in halves: a message that
    fails alone while others are written is quarantined for that plugin (see
    :mod:`statscache.store.quarantine`); a plugin that fails whatever it is given
    (its table is gone, the database refuses it) keeps its messages for the
    next flush, without holding back the others. If the transaction itself
    fails or is lost (a full disk makes SQLite roll it back), every entry
    goes back into the cache and nothing of the flush is committed.
    """

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        cache: MessageCache,
        plugins: Sequence[BasePlugin],
        families: Sequence[int],
        metrics: Metrics,
    ) -> None:
        self._session_factory = session_factory
        self._cache = cache
        self._plugins = list(zip(plugins, families, strict=True))
        self._metrics = metrics
        self._ledger = Ledger()
        #: Entries a plugin failed to write, kept for it alone until it succeeds.
        self._retry: dict[BasePlugin, Entries] = {}
        # The periodic poll and the final flush at shutdown must not interleave.
        self._lock = threading.Lock()
        #: Stretches of history handed in whole: once their messages are written, those plugins are complete there.
        self._checkpoints: list[Stretch] = []
        self._checkpoints_lock = threading.Lock()
        #: Per plugin ident: live since when its coverage was last extended (None: not live).
        self._live_since: dict[str, float] = {}
        self._lag = 60.0
        #: Live messages cached as of the last successful flush.
        self._live_seen = 0
        #: The claim of the last successful flush: where live coverage resumes if the database starts anew.
        self._last_claim: float | None = None
        #: Whether the last flush failed as a whole (the database is out: one traceback, then a line a flush).
        self._failing = False
        #: Bumped whenever what was handed in may not all reach the database (let go, or a database made
        #: anew): checkpoints of history handed in before then are refused (see :meth:`checkpoint`).
        self.generation = 0

    def go_live(self, since: float, lag: float = 60.0) -> None:
        """Messages sent from ``since`` on arrive live: each successful flush extends the coverage.

        It extends it to the flush's time when the bus was quiet since the last
        one; while messages keep coming, to no more than ``lag`` past the
        newest event time received, so that messages still waiting in the
        bus's buffers (a burst the hub is behind on) are not claimed: after a
        crash, backfill resumes ``lag`` before the claim.
        """
        with self._lock:
            self._live_since = {plugin.ident: since for plugin, _ in self._plugins}
            self._lag = lag
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
                return True
            try:
                self._retry, written = self._write(drained, audiences, retry, checkpoints, claim)
            except Exception as error:
                self._note_failure(error, len(drained) + _waiting(retry))
                self._metrics.flushes.labels("failed").inc()
                self._ledger.forget_uncommitted()
                self._cache.restore(drained, audiences)
                self._retry = retry
                self._requeue(checkpoints)
                return False
            if self._failing:
                log.warning("statscache flushes work again: every message kept meanwhile is written")
                self._failing = False
            self._live_seen = live_added
            self._last_claim = claim
            for ident in written:
                since = self._live_since.get(ident)
                if since is not None:
                    self._live_since[ident] = max(since, claim)
            failed = {plugin.ident for plugin in self._retry}
            self._requeue([c._replace(idents=c.idents & failed) for c in checkpoints if c.idents & failed])
            self._metrics.flushes.labels("failed" if self._retry else "ok").inc()
            return not self._retry

    def restart(self) -> None:
        """The database was made anew (its file deleted under the daemon): forget what the old one held.

        What was written to the old database is gone with it; live coverage
        in the new one starts where the last successful flush left off, and
        what was cached since is written there.
        """
        with self._lock:
            with self._checkpoints_lock:
                self.generation += 1  # history handed in may have gone to the old database
            self._ledger.forget_uncommitted()
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

    def _note_failure(self, error: Exception, kept: int) -> None:
        if not self._failing:
            log.exception("statscache flush failed; %d messages kept in memory for the next flush", kept)
            self._failing = True
        else:
            log.error("statscache flush failed again (%s); %d messages kept in memory", error, kept)

    def _requeue(self, checkpoints: list[Stretch]) -> None:
        with self._checkpoints_lock:
            self._checkpoints[:0] = checkpoints

    def _write(
        self,
        drained: Entries,
        audiences: Audiences,
        retry: dict[BasePlugin, Entries],
        checkpoints: list[Stretch],
        claim: float,
    ) -> tuple[dict[BasePlugin, Entries], set[str]]:
        """One transaction; returns the entries of plugins whose update failed, and the idents that wrote all theirs."""
        failed: dict[BasePlugin, Entries] = {}
        counts: list[tuple[BasePlugin, int, int]] = []
        if not drained and not retry:  # a quiet second: only coverage moves on
            written = {plugin.ident for plugin, _ in self._plugins}
            with self._session_factory() as session, session.begin():
                self._record_coverage(session, written, checkpoints, claim)
            return failed, written
        with self._session_factory() as session, session.begin():
            alive = _transaction_probe(session)
            before = self._ledger.counted_by(session, [*drained, *(m for e in retry.values() for m in e)])
            counted: dict[str, Entries] = {}
            for share in divide(self._plugins, drained, audiences, retry, before):
                plugin = share.plugin
                try:
                    poisoned = self._write_share(session, alive, share)
                except _PluginFails:
                    log.exception("plugin %s failed to write a batch; kept for the next flush", plugin.ident)
                    self._metrics.plugin_errors.labels(plugin.ident, "update").inc()
                    failed[plugin] = share.offered
                    continue
                counted[plugin.ident] = share.offered  # quarantined messages too: they are not tried again
                counts.append((plugin, len(share.entries) - len(poisoned), share.duplicates))
            # Statements after a lost transaction would each commit on their own (SQLite): never a ledger row alone.
            _check_transaction(alive, None)
            self._ledger.record(session, before, counted)
            written = set(counted)
            self._record_coverage(session, written, checkpoints, claim)
        for plugin, new, duplicates in counts:
            self._metrics.counted.labels(plugin.ident).inc(new)
            if duplicates:
                self._metrics.duplicates.labels(plugin.ident).inc(duplicates)
        return failed, written

    def _write_share(self, session: Session, alive: Callable[[], bool], share: Share) -> list[Entry]:
        """Write one plugin's batch; returns the messages quarantined for it (see :meth:`_isolate`)."""
        error = _attempt(session, alive, share.plugin, share.batch)
        if error is None:
            return []
        return self._isolate(session, alive, share.plugin, share.family, share.entries, error)

    def _isolate(
        self,
        session: Session,
        alive: Callable[[], bool],
        plugin: BasePlugin,
        family: int,
        entries: list[Entry],
        error: Exception,
    ) -> list[Entry]:
        """Write ``entries`` (whose batch just failed with ``error``) in halves, down to the messages that fail alone.

        Returns those, quarantined. Raises :class:`_PluginFails` when the
        plugin fails on every message it is tried with: then none is quarantined.
        """
        contributing = [entry for entry in entries if entry.contributions[family] is not None]
        poisoned: list[tuple[Entry, Exception]] = []
        written = 0

        def split(part: list[Entry], failure: Exception) -> None:
            nonlocal written
            if len(part) == 1:
                poisoned.append((part[0], failure))
                if not written and len(poisoned) >= _FAILING_ALONE:
                    raise _PluginFails from failure
                return
            middle = len(part) // 2
            for half in (part[:middle], part[middle:]):
                found = _attempt(session, alive, plugin, Batch(half, family))
                if found is None:
                    written += len(half)
                else:
                    split(half, found)

        split(contributing, error)
        if not written:  # a batch of one that fails: it may be the plugin, not the message; tried again later
            raise _PluginFails from error
        for (msg_id, timestamp, _), failure in poisoned:
            log.error(
                "plugin %s cannot write message %s (%r); quarantined: it is not counted there",
                plugin.ident,
                msg_id,
                failure,
            )
            quarantine.add(session, plugin.ident, msg_id, timestamp, repr(failure))
            self._metrics.quarantined.labels(plugin.ident).inc()
        return [entry for entry, _ in poisoned]

    def _record_coverage(self, session: Session, written: set[str], checkpoints: list[Stretch], claim: float) -> None:
        """Extend the live coverage of the plugins that wrote everything, and record the checkpoints' stretches."""
        by_since: dict[float, list[str]] = {}
        for ident in sorted(written):
            since = self._live_since.get(ident)
            if since is not None:
                by_since.setdefault(since, []).append(ident)
        for since, live in by_since.items():
            coverage.extend(session, live, since, max(since, claim))
        for checkpoint in checkpoints:
            idents = checkpoint.idents & written
            if idents:
                coverage.add(session, sorted(idents), *checkpoint.span)


def _attempt(session: Session, alive: Callable[[], bool], plugin: BasePlugin, batch: Batch) -> Exception | None:
    """Write one batch in a savepoint: None when it is written, else the plugin's error (rolled back).

    Raises :class:`DatabaseOutage` when the transaction itself is gone, and
    :class:`_PluginFails` for the database's own errors (a table gone, a lock,
    a read-only file): those refuse any message, so none is to blame.
    """
    try:
        with session.begin_nested():
            plugin.update(session, batch)
    except Exception as error:
        _check_transaction(alive, error)
        if isinstance(error, OperationalError):
            raise _PluginFails from error
        return error
    return None


def _waiting(retry: dict[BasePlugin, Entries]) -> int:
    """Messages kept for plugins whose update failed."""
    return sum(len(entries) for entries in retry.values())


def _transaction_probe(session: Session) -> Callable[[], bool]:
    """A check of whether the session's database transaction is still open (cheap: no round trip)."""
    connection = session.connection()
    return dialects.of(connection).transaction_probe(connection)


def _check_transaction(alive: Callable[[], bool], error: Exception | None) -> None:
    """Raise :class:`DatabaseOutage` when the transaction is gone, or ``error`` means the connection is."""
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        raise DatabaseOutage(f"the database connection was lost: {error}") from error
    if not alive():
        raise DatabaseOutage(f"the database ended the flush's transaction: {error!r}") from error
