"""The statscache engine room: config, database, plugins, and the path of every message."""

from __future__ import annotations

import logging
import time
from typing import Any, Sequence

from statscache.config import Config
from statscache.database import create_tables, make_engine, make_session_factory
from statscache.exceptions import MalformedMessage
from statscache.flusher import Flusher
from statscache.ledger import LEDGER_TABLES
from statscache.message import parse_envelope
from statscache.metrics import Metrics
from statscache.plugins import BasePlugin

log = logging.getLogger(__name__)


class Pipeline:
    """Hands each envelope to every plugin and flushes their caches; safe to share between threads."""

    def __init__(self, config: Config, plugins: Sequence[BasePlugin[Any]], metrics: Metrics | None = None) -> None:
        self.config = config
        self.plugins = list(plugins)
        self.metrics = metrics or Metrics()
        self.engine = make_engine(config.sqlalchemy_uri)
        create_tables(self.engine, [*LEDGER_TABLES, *(plugin.model.__table__ for plugin in self.plugins)])
        self.session_factory = make_session_factory(self.engine)
        self._flusher = Flusher(self.session_factory, self.plugins, self.metrics)
        self._epoch = config.consumer_epoch.timestamp()
        self._duplicates = [(plugin, self.metrics.duplicates.labels(plugin.ident)) for plugin in self.plugins]

    def handle(self, envelope: Any) -> None:
        """Count one envelope; bad input is logged and counted, never raised."""
        try:
            message = parse_envelope(envelope)
        except MalformedMessage as e:
            self.metrics.messages.labels("rejected").inc()
            self.metrics.rejected.labels(e.reason).inc()
            log.warning("rejected a malformed envelope: %s", e)
            return
        if message.timestamp < self._epoch:
            self.metrics.before_epoch.inc()
            return
        for plugin, duplicates in self._duplicates:
            try:
                if not plugin.process(message):
                    duplicates.inc()
            except Exception:
                self.metrics.plugin_errors.labels(plugin.ident, "process").inc()
                log.exception("plugin %s failed on message %s", plugin.ident, message.msg_id)
        self.metrics.processed.inc()

    def flush(self) -> bool:
        """Write the caches now; True when nothing is left waiting because of an error."""
        return self._flusher.flush()

    def close(self, attempts: int = 3, pause: float = 0.5) -> None:
        """Final flush (retried a few times: a locked database is usually free again soon), then release the database."""
        for attempt in range(attempts):
            if self.flush():
                break
            time.sleep(pause)
        else:
            waiting = sum(plugin.pending() for plugin in self.plugins)
            log.error("statscache could not write its final flush; %d cached messages are not stored", waiting)
        log.info("statscache stopped: %s", self.metrics.summary())
        self.engine.dispose()
