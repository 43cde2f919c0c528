"""What the web app holds for its whole life: the configuration, one engine, and the plugins by ident."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Engine, inspect, select

from statscache.config import Config
from statscache.ledger import PluginState
from statscache.plugins import BasePlugin


class State:
    """Read-only access to the daemon's database: the web app never writes to it."""

    def __init__(self, config: Config, engine: Engine, plugins: Sequence[BasePlugin]) -> None:
        self.config = config
        self.engine = engine
        self.plugins = {plugin.ident: plugin for plugin in plugins}
        self._tables: set[str] = set()
        self._lock = threading.Lock()

    def has_table(self, name: str) -> bool:
        """Whether the daemon has created this table yet (remembered once true)."""
        if name in self._tables:
            return True
        if inspect(self.engine).has_table(name):
            with self._lock:
                self._tables.add(name)
            return True
        return False

    def latest_by_ident(self) -> dict[str, datetime]:
        """Up to when each plugin's statistics are complete (plugins that have counted nothing are absent)."""
        if not self.has_table(PluginState.__tablename__):
            return {}
        with self.engine.connect() as connection:
            rows = connection.execute(select(PluginState.ident, PluginState.latest))
            return {ident: latest for ident, latest in rows if latest is not None}
