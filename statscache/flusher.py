"""Writes what the cache holds to the database: exactly once, all or nothing, never dropping a message."""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Sequence

from sqlalchemy.orm import sessionmaker

from statscache.cache import Entry, MessageCache
from statscache.ledger import Ledger
from statscache.metrics import Metrics
from statscache.plugins import BasePlugin, Batch

log = logging.getLogger(__name__)

Entries = dict[str, Entry]


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

    def pending(self) -> int:
        """Messages waiting to be written (cached, or kept for a failing plugin)."""
        with self._lock:
            return len(self._cache) + sum(len(entries) for entries in self._retry.values())

    def flush(self) -> bool:
        """Write what is waiting; True when nothing is left waiting because of an error."""
        with self._lock:
            drained = self._cache.drain()
            retry, self._retry = self._retry, {}
            if not drained and not retry:
                return True
            try:
                self._retry = self._write(drained, retry)
            except Exception:
                log.exception("statscache flush failed; %d messages kept for the next flush", len(drained))
                self._metrics.flushes.labels("failed").inc()
                self._ledger.forget_uncommitted()
                self._cache.restore(drained)
                self._retry = retry
                return False
            self._metrics.flushes.labels("failed" if self._retry else "ok").inc()
            return not self._retry

    def _write(self, drained: Entries, retry: dict[BasePlugin, Entries]) -> dict[BasePlugin, Entries]:
        """One transaction; returns the entries of plugins whose update failed."""
        failed: dict[BasePlugin, Entries] = {}
        counts: list[tuple[BasePlugin, int, int]] = []
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
                if plugin not in retry and all(plugin.ident in idents for idents in claims):
                    offered = drained
                    duplicates = claims.total()
                    if family not in shared:
                        shared[family] = Batch(unseen, family)
                    batch = shared[family]
                else:  # it has messages to retry, or missed some that others counted (installed later)
                    offered = {**drained, **retry.get(plugin, {})}
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
        for plugin, written, duplicates in counts:
            self._metrics.counted.labels(plugin.ident).inc(written)
            if duplicates:
                self._metrics.duplicates.labels(plugin.ident).inc(duplicates)
        return failed
