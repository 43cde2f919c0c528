"""statscache's tables in a database: made where missing, the schema's revision checked (or upgraded), write access
checked."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from sqlalchemy import Engine, inspect
from sqlalchemy.exc import SQLAlchemyError

from statscache.exceptions import DatabaseUnavailable
from statscache.store import dialects, ledger, levels, revisions, tally
from statscache.store.counted_with import COUNTED_WITH_TABLES
from statscache.store.coverage import COVERAGE_TABLES
from statscache.store.engine import create_tables
from statscache.store.heartbeat import HEARTBEAT_TABLES
from statscache.store.ledger import LEDGER_TABLES
from statscache.store.quarantine import QUARANTINE_TABLES

log = logging.getLogger(__name__)


def prepare(engine: Engine, plugins: Sequence[tally.Statistic], upgrade: bool = False) -> None:
    """Create what is missing of statscache's tables, the plugins' and their triggers; stamp a new database
    with the schema's revision; upgrade one of an earlier statscache if ``upgrade`` says so.

    Raises :class:`~statscache.exceptions.DatabaseBehind` for a database of an
    earlier statscache (without ``upgrade``),
    :class:`~statscache.exceptions.DatabaseAhead` for one of a newer, and
    :class:`~statscache.exceptions.DatabaseUnavailable` when the database cannot be written.
    """
    tables = [
        *LEDGER_TABLES,
        *COVERAGE_TABLES,
        *QUARANTINE_TABLES,
        *HEARTBEAT_TABLES,
        *COUNTED_WITH_TABLES,
        *levels.TABLES,
        *(p.model.__table__ for p in plugins),
    ]
    try:
        with dialects.of(engine).schema_lock(engine):
            with engine.connect() as connection:
                found = revisions.status(connection)
            if not upgrade or not found.known:
                found.check()
            if not found.up_to_date:
                before, after = revisions.upgrade(engine)
                log.warning("upgraded the database's schema from revision %s to %s", before, after)
            create_tables(engine, tables)
            if not found.made:
                with engine.begin() as connection:
                    revisions.stamp(connection)
            tally.install(engine, plugins)
            levels.install(engine, plugins)
        with engine.begin() as connection:
            # A statement that writes nothing, but needs write access: a database that can
            # only be read must fail here, not at every flush after "ready".
            connection.exec_driver_sql(f"DELETE FROM {ledger.PluginState.__tablename__} WHERE 1 = 0")
    except SQLAlchemyError as error:
        cause = getattr(error, "orig", None) or error
        raise DatabaseUnavailable(f"it cannot be written: {cause}") from error


def emptied(engine: Engine) -> bool:
    """Whether every one of statscache's own tables is gone (not one moved aside): a database dropped and made anew.

    Raises the database's error when it is out of reach.
    """
    found = inspect(engine).get_table_names()
    return not any(table.name in found for table in (*LEDGER_TABLES, *COVERAGE_TABLES))
