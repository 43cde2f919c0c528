"""One engine per process, set up so that SQLite behaves like a real transactional database."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Engine, Table, create_engine, event
from sqlalchemy.orm import sessionmaker

from statscache.models import Base


def make_engine(uri: str, **kwargs: Any) -> Engine:
    """Create the engine for ``uri``; SQLite gets WAL, a busy timeout and working SAVEPOINTs."""
    engine = create_engine(uri, **kwargs)
    if engine.dialect.name == "sqlite":
        _tune_sqlite(engine)
    return engine


def _tune_sqlite(engine: Engine) -> None:
    # pysqlite opens transactions lazily on its own terms, which breaks SAVEPOINT;
    # take transaction control away from it and begin explicitly instead.
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        if engine.url.database not in (None, "", ":memory:"):
            # WAL lets the web process read while the daemon writes.
            cursor.execute("PRAGMA journal_mode=WAL")
            # In WAL mode NORMAL stays consistent and skips an fsync per commit; a
            # commit lost to a power cut loses its ledger rows too, so it is redone
            # (not double-counted) when those messages come again.
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN")


def make_session_factory(engine: Engine) -> sessionmaker:
    return sessionmaker(bind=engine, expire_on_commit=False)


def create_tables(engine: Engine, tables: Iterable[Table]) -> None:
    """Create the given tables if they do not exist yet (new plugins get theirs at start)."""
    Base.metadata.create_all(engine, tables=list(tables), checkfirst=True)
