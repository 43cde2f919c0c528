"""Writes the plugins' caches to the database: exactly once, all or nothing, never dropping a message."""

from __future__ import annotations

import logging
import threading
from typing import Any, Sequence

from sqlalchemy.orm import sessionmaker

from statscache.ledger import Claims, Ledger
from statscache.metrics import Metrics
from statscache.plugins import Batch, BasePlugin

log = logging.getLogger(__name__)


class Flusher:
    """Drains every plugin, drops what the ledger says was counted, writes the rest, commits.

    A plugin whose ``update`` fails is rolled back to its savepoint and keeps its
    batch for the next flush, without holding back the others; if the commit
    itself fails, every batch goes back into its cache.
    """

    def __init__(self, session_factory: sessionmaker, plugins: Sequence[BasePlugin[Any]], metrics: Metrics) -> None:
        self._session_factory = session_factory
        self._plugins = list(plugins)
        self._metrics = metrics
        self._ledger = Ledger()
        # The periodic poll and the final flush at shutdown must not interleave.
        self._lock = threading.Lock()

    def flush(self) -> bool:
        """Write what is cached; True when everything drained was committed."""
        with self._lock:
            batches = [(plugin, plugin.drain()) for plugin in self._plugins]
            batches = [(plugin, batch) for plugin, batch in batches if batch]
            if not batches:
                return True
            try:
                written, retried = self._write(batches)
            except Exception:
                log.exception("statscache flush failed; %d plugin batches kept for the next flush", len(batches))
                self._metrics.flushes.labels("failed").inc()
                self._ledger.forget_uncommitted()
                for plugin, batch in batches:
                    plugin.restore(batch)
                return False
        for plugin, counted, duplicates in written:
            self._metrics.counted.labels(plugin.ident).inc(counted)
            if duplicates:
                self._metrics.duplicates.labels(plugin.ident).inc(duplicates)
        self._metrics.flushes.labels("ok" if not retried else "failed").inc()
        return not retried

    def _write(
        self, batches: list[tuple[BasePlugin[Any], Batch[Any]]]
    ) -> tuple[list[tuple[BasePlugin[Any], int, int]], bool]:
        written: list[tuple[BasePlugin[Any], int, int]] = []
        failed: list[tuple[BasePlugin[Any], Batch[Any]]] = []
        with self._session_factory() as session, session.begin():
            everything = set().union(*(batch.keys() for _, batch in batches))
            before = self._ledger.counted_by(session, everything)
            counted: dict[str, Batch[Any]] = {}
            for plugin, batch in batches:
                fresh = _without_counted(batch, plugin.ident, before)
                try:
                    with session.begin_nested():
                        plugin.update(session, fresh)
                except Exception:
                    log.exception("plugin %s failed to write %d messages; kept for the next flush", plugin.ident, len(batch))
                    self._metrics.plugin_errors.labels(plugin.ident, "update").inc()
                    failed.append((plugin, batch))
                    continue
                counted[plugin.ident] = batch
                written.append((plugin, len(fresh), len(batch) - len(fresh)))
            self._ledger.record(session, before, counted)
        # Only after the commit: a failed commit restores every batch instead.
        for plugin, batch in failed:
            plugin.restore(batch)
        return written, bool(failed)


def _without_counted(batch: Batch[Any], ident: str, before: Claims) -> Batch[Any]:
    """The part of ``batch`` that plugin ``ident`` has not counted yet (the batch itself when that is all of it)."""
    counted = [msg_id for msg_id, idents in before.items() if ident in idents and msg_id in batch]
    if not counted:
        return batch
    fresh = dict(batch)
    for msg_id in counted:
        del fresh[msg_id]
    return fresh
