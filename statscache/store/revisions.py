"""Which revision of statscache's schema a database is at, and upgrading it (Alembic; see
:mod:`statscache.store.migrations`).

A database statscache creates is stamped with the newest revision (the head)
as its tables are made. One made by an earlier statscache is *behind*: it is
upgraded by ``statscache db upgrade`` (:func:`upgrade`), or at start when
``statscache.sqlalchemy.auto_upgrade`` says so; the daemon refuses to start on
it otherwise. One stamped with a revision this statscache does not know was
written by a newer statscache, and is refused.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, inspect

from statscache.exceptions import DatabaseAhead, DatabaseBehind

MIGRATIONS = Path(__file__).with_name("migrations")
# Alembic says which backend it drives at every call: noise at each start. Upgrades are logged by statscache.
logging.getLogger("alembic.runtime.migration").setLevel(logging.WARNING)
#: A table every statscache database has had: where it is, statscache has made this database.
MARK_TABLE = "statscache_ledger"
#: What :func:`status` says of a database statscache made before it recorded revisions.
UNRECORDED = "none (statscache before 0.1.0)"


def _alembic(connection: Connection | None = None) -> AlembicConfig:
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


@functools.cache
def _scripts() -> ScriptDirectory:
    return ScriptDirectory.from_config(_alembic())


@functools.cache
def _known_revisions() -> frozenset[str]:
    return frozenset(script.revision for script in _scripts().walk_revisions())


def head() -> str:
    """The newest revision: the schema of this statscache."""
    found = _scripts().get_current_head()
    assert found is not None, "statscache ships its revisions"
    return found


@dataclass(frozen=True)
class Status:
    """Where a database stands: ``current`` is its revision (None: not recorded)."""

    current: str | None
    #: Whether statscache has made tables there at all (a new database has none).
    made: bool

    @property
    def up_to_date(self) -> bool:
        return not self.made or self.current == head()

    @property
    def known(self) -> bool:
        return self.current is None or self.current in _known_revisions()

    def describe(self) -> str:
        if not self.made:
            return f"no statscache tables yet: statscache makes them at revision {head()}"
        if self.current == head():
            return f"revision {self.current} (head): up to date"
        if not self.known:
            return f"revision {self.current}, unknown to this statscache: a newer statscache wrote it"
        shown = self.current if self.current is not None else UNRECORDED
        return f"revision {shown}, behind {head()}: run statscache db upgrade"

    def check(self) -> None:
        """Raise :class:`DatabaseBehind` or :class:`DatabaseAhead` unless the database is up to date (or new)."""
        if self.up_to_date:
            return
        if not self.known:
            raise DatabaseAhead(
                f"its schema is at revision {self.current}, which this statscache does not know: a newer "
                "statscache wrote it. Run that one, or restore a backup made before it ran"
            )
        shown = self.current if self.current is not None else UNRECORDED
        raise DatabaseBehind(
            f"its schema is at revision {shown}, and this statscache needs {head()}: back it up, then run "
            "`statscache db upgrade` (or set statscache.sqlalchemy.auto_upgrade to True)"
        )


def status(connection: Connection) -> Status:
    current = MigrationContext.configure(connection).get_current_revision()
    return Status(current, current is not None or MARK_TABLE in inspect(connection).get_table_names())


def stamp(connection: Connection) -> None:
    """Record that the database is at the head (its tables were just made as this statscache makes them)."""
    MigrationContext.configure(connection).stamp(_scripts(), "head")


def upgrade(engine: Engine) -> tuple[str | None, str]:
    """Bring the database to the head, in one transaction; returns the revisions before and after.

    Raises :class:`DatabaseAhead` for a database a newer statscache wrote.
    """
    with engine.begin() as connection:
        before = status(connection)
        if not before.known:
            before.check()
        command.upgrade(_alembic(connection), "head")
    return before.current, head()
