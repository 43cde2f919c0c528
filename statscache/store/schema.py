"""statscache's tables in a database: made where missing, older layouts upgraded, write access checked."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Engine, inspect
from sqlalchemy.exc import SQLAlchemyError

from statscache.exceptions import DatabaseUnavailable
from statscache.store import dialects, ledger, tally
from statscache.store.coverage import COVERAGE_TABLES
from statscache.store.engine import create_tables
from statscache.store.heartbeat import HEARTBEAT_TABLES
from statscache.store.ledger import LEDGER_TABLES
from statscache.store.quarantine import QUARANTINE_TABLES


def prepare(engine: Engine, plugins: Sequence[tally.Statistic]) -> None:
    """Create what is missing of statscache's tables, the plugins' and their triggers; upgrade older layouts.

    Raises :class:`~statscache.exceptions.DatabaseUnavailable` when the database cannot be written.
    """
    tables = [
        *LEDGER_TABLES,
        *COVERAGE_TABLES,
        *QUARANTINE_TABLES,
        *HEARTBEAT_TABLES,
        *(p.model.__table__ for p in plugins),
    ]
    try:
        with dialects.of(engine).schema_lock(engine):
            create_tables(engine, tables)
            ledger.prepare(engine)
            tally.install(engine, plugins)
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
