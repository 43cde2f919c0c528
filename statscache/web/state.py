"""What the web app holds for its whole life: the configuration, one engine, and the plugins by ident."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from datetime import datetime

from sqlalchemy import Connection, Engine, inspect, select

from statscache.config import Config
from statscache.exceptions import DatabaseMissing
from statscache.plugins import BasePlugin
from statscache.store import tally
from statscache.store.engine import snapshot
from statscache.store.ledger import PluginState


class State:
    """Read-only access to the daemon's database: the web app never writes to it."""

    def __init__(self, config: Config, engine: Engine, plugins: Sequence[BasePlugin]) -> None:
        self.config = config
        self.engine = engine
        self.plugins = {plugin.ident: plugin for plugin in plugins}
        self._tables: set[str] = set()
        self._tallies: set[str] = set()
        self._lock = threading.Lock()
        #: Exports (stream=1) running in this process: each may hold a thread as long as its client reads slowly.
        self.streams = threading.BoundedSemaphore(config.app_stream_limit)

    def has_table(self, name: str) -> bool:
        """Whether the daemon has created this table yet (remembered once true); not before its database."""
        return self._once_true(self._tables, name, lambda: self._database_has(name))

    def _database_has(self, table: str) -> bool:
        try:
            return inspect(self.engine).has_table(table)
        except DatabaseMissing:  # no data yet: answered as a database without that table
            return False

    def has_tally(self, plugin: BasePlugin, connection: Connection) -> bool:
        """Whether the plugin's table has its row tally (remembered once true)."""
        name = plugin.model.__tablename__
        return self._once_true(self._tallies, name, lambda: tally.has_tally(connection, tally.tallied(plugin)))

    def _once_true(self, known: set[str], name: str, check: Callable[[], bool]) -> bool:
        """``check()``, asked until it says yes: the daemon only ever adds tables and tallies."""
        if name in known:
            return True
        if check():
            with self._lock:
                known.add(name)
            return True
        return False

    def snapshot(self) -> AbstractContextManager[Connection]:
        """A connection in a read transaction: what it reads comes from one moment of the database."""
        return snapshot(self.engine)

    def latest_by_ident(self) -> dict[str, datetime]:
        """The event time of the newest message each plugin has counted (plugins that have counted none are absent).

        Not up to when its statistics are complete: older messages may still be missing
        (that is coverage, :mod:`statscache.store.coverage`).
        """
        if not self.has_table(PluginState.__tablename__):
            return {}
        with self.engine.connect() as connection:
            rows = connection.execute(select(PluginState.ident, PluginState.latest))
            return {ident: latest for ident, latest in rows if latest is not None}
