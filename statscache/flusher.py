"""Writes what the cache holds to the database: exactly once, all or nothing, never dropping a message."""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Collection, Sequence
from typing import NamedTuple

from sqlalchemy.orm import Session, sessionmaker

from statscache import coverage
from statscache.cache import Audiences, Entry, MessageCache
from statscache.ledger import Ledger
from statscache.metrics import Metrics
from statscache.plugins import BasePlugin, Batch

log = logging.getLogger(__name__)

Entries = dict[str, Entry]


class Checkpoint(NamedTuple):
    """Every message of ``start .. end`` for these plugins has been cached: once written, they are complete there."""

    start: float
    end: float
    idents: frozenset[str]


class Flusher:
    """Drains the cache, drops what the ledger says each plugin has counted, writes the rest, commits.

    ``families[i]`` is the index, in each cache entry's contributions, of
    plugin ``plugins[i]``. A plugin whose ``update`` fails is rolled back to its
    savepoint and keeps its messages for the next flush, without holding back
    the others; if the transaction itself fails, every entry goes back into
    the cache.
    """

    def __init__(
        self,
        session_factory: sessionmaker,
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
        self._checkpoints: list[Checkpoint] = []
        self._checkpoints_lock = threading.Lock()
        #: Per plugin ident: live since when its coverage was last extended (None: not live).
        self._live_since: dict[str, float] = {}
        self._lag = 60.0
        #: Live messages cached as of the last successful flush.
        self._live_seen = 0

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

    def checkpoint(self, start: float, end: float, idents: Collection[str]) -> None:
        """Every message sent from ``start`` to ``end`` has been cached for ``idents``: record it once written."""
        with self._checkpoints_lock:
            self._checkpoints.append(Checkpoint(start, end, frozenset(idents)))

    def pending(self) -> int:
        """Messages waiting to be written (cached, or kept for a failing plugin)."""
        with self._lock:
            return len(self._cache) + sum(len(entries) for entries in self._retry.values())

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
            except Exception:
                log.exception("statscache flush failed; %d messages kept for the next flush", len(drained))
                self._metrics.flushes.labels("failed").inc()
                self._ledger.forget_uncommitted()
                self._cache.restore(drained, audiences)
                self._retry = retry
                self._requeue(checkpoints)
                return False
            self._live_seen = live_added
            for ident in written:
                since = self._live_since.get(ident)
                if since is not None:
                    self._live_since[ident] = max(since, claim)
            failed = {plugin.ident for plugin in self._retry}
            self._requeue([c._replace(idents=c.idents & failed) for c in checkpoints if c.idents & failed])
            self._metrics.flushes.labels("failed" if self._retry else "ok").inc()
            return not self._retry

    def _requeue(self, checkpoints: list[Checkpoint]) -> None:
        with self._checkpoints_lock:
            self._checkpoints[:0] = checkpoints

    def _write(
        self,
        drained: Entries,
        audiences: Audiences,
        retry: dict[BasePlugin, Entries],
        checkpoints: list[Checkpoint],
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
            times = {msg_id: entry[1] for entries in (drained, *retry.values()) for msg_id, entry in entries.items()}
            before = self._ledger.counted_by(session, times)
            # Entries nobody has counted yet: what most plugins get, one list per family.
            if before:
                unseen = [entry for msg_id, entry in drained.items() if msg_id not in before]
            else:
                unseen = list(drained.values())
            # Who had counted the drained messages already: a few distinct sets of plugins.
            claims = Counter(idents for msg_id, idents in before.items() if msg_id in drained)
            shared: dict[int, Batch] = {}
            counted: dict[str, Entries] = {}
            for plugin, family in self._plugins:
                excluded = {msg_id for msg_id, audience in audiences.items() if plugin.ident not in audience}
                if not excluded and plugin not in retry and all(plugin.ident in idents for idents in claims):
                    offered = drained
                    duplicates = claims.total()
                    if family not in shared:
                        shared[family] = Batch(unseen, family)
                    batch = shared[family]
                else:  # it has messages to retry, or missed some that others counted (installed later)
                    offered = {**drained, **retry.get(plugin, {})}
                    for msg_id in excluded:  # history fetched for other plugins only
                        offered.pop(msg_id, None)
                    fresh = [entry for msg_id, entry in offered.items() if plugin.ident not in before.get(msg_id, ())]
                    duplicates = len(offered) - len(fresh)
                    batch = Batch(fresh, family)
                try:
                    with session.begin_nested():
                        plugin.update(session, batch)
                except Exception:
                    log.exception("plugin %s failed to write a batch; kept for the next flush", plugin.ident)
                    self._metrics.plugin_errors.labels(plugin.ident, "update").inc()
                    failed[plugin] = offered
                    continue
                counted[plugin.ident] = offered
                counts.append((plugin, len(offered) - duplicates, duplicates))
            self._ledger.record(session, before, counted)
            written = set(counted)
            self._record_coverage(session, written, checkpoints, claim)
        for plugin, new, duplicates in counts:
            self._metrics.counted.labels(plugin.ident).inc(new)
            if duplicates:
                self._metrics.duplicates.labels(plugin.ident).inc(duplicates)
        return failed, written

    def _record_coverage(
        self, session: Session, written: set[str], checkpoints: list[Checkpoint], claim: float
    ) -> None:
        """Extend the live coverage of the plugins that wrote everything, and record the checkpoints' stretches."""
        by_since: dict[float, list[str]] = {}
        for ident in sorted(written):
            since = self._live_since.get(ident)
            if since is not None:
                by_since.setdefault(since, []).append(ident)
        for since, idents in by_since.items():
            coverage.extend(session, idents, since, max(since, claim))
        for checkpoint in checkpoints:
            idents = checkpoint.idents & written
            if idents:
                coverage.add(session, sorted(idents), checkpoint.start, checkpoint.end)
