"""One engine per process, set up so that SQLite behaves like a real transactional database."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sqlalchemy import URL, Engine, Table, create_engine, event, make_url
from sqlalchemy.orm import Session, sessionmaker

from statscache.exceptions import DatabaseMissing
from statscache.store.base import Base

#: Execution option of an engine whose SQLite transactions take the write lock as they begin (see :func:`writing`).
_WRITE_LOCK = "statscache_write_lock"


def make_engine(uri: str, **kwargs: Any) -> Engine:
    """Create the engine for ``uri``; SQLite gets WAL, a busy timeout and working SAVEPOINTs."""
    engine = create_engine(uri, **kwargs)
    if engine.dialect.name == "sqlite":
        _tune_sqlite(engine)
    return engine


def writing(engine: Engine) -> Engine:
    """The same engine (and pool), for transactions that write: on SQLite they take the write lock as they begin.

    A flush reads the ledger, then writes. A SQLite transaction that began by
    reading cannot wait for the write lock when another writer (``statscache
    backfill`` beside the hub) committed meanwhile: it fails at once. One that
    takes the lock first waits out the busy timeout instead.
    """
    return engine.execution_options(**{_WRITE_LOCK: True})


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
        immediate = connection.get_execution_options().get(_WRITE_LOCK, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


@dataclass(frozen=True)
class DatabaseFile:
    """A SQLite database file as it was opened: noticing when it is deleted or replaced under the daemon.

    SQLite keeps writing to a file deleted under it (its inode lives on while
    open), so flushes would succeed into a file nobody will read again.
    """

    path: Path
    identity: tuple[int, int] | None

    @classmethod
    def of(cls, engine: Engine) -> DatabaseFile | None:
        """The file behind a SQLite engine (None for other databases, and in-memory ones)."""
        if engine.dialect.name != "sqlite" or engine.url.database in (None, "", ":memory:"):
            return None
        path = Path(engine.url.database).resolve()
        return cls(path, _identity(path))

    def replaced(self) -> bool:
        """Whether the path now holds no file, or another one, than when this was made."""
        return _identity(self.path) != self.identity


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        status = os.stat(path)
    except FileNotFoundError:
        return None
    return status.st_dev, status.st_ino


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


def create_tables(engine: Engine, tables: Iterable[Table]) -> None:
    """Create the given tables if they do not exist yet (new plugins get theirs at start)."""
    Base.metadata.create_all(engine, tables=list(tables), checkfirst=True)


def make_reader_engine(uri: str, **kwargs: Any) -> Engine:
    """An engine that can only read (the web app's): it never creates the database, and every write fails.

    SQLite opens the file with ``mode=ro``; a missing file raises
    :class:`~statscache.exceptions.DatabaseMissing` at connect, tried again on the
    next connect, so the daemon may create it later. PostgreSQL runs every
    transaction READ ONLY.
    """
    url = make_url(uri)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        return _sqlite_reader(url, **kwargs)
    engine = create_engine(url, **kwargs)
    if engine.dialect.name == "postgresql":

        @event.listens_for(engine, "connect")
        def _read_only(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
            cursor.close()
            dbapi_connection.commit()  # the SET is transactional: keep it past this first transaction

    return engine


def _sqlite_reader(url: URL, **kwargs: Any) -> Engine:
    path = os.path.abspath(url.database or "")
    # An SQLite URI filename: mode=ro opens an existing file read-only, and never creates one.
    reader = url.set(database="file:" + quote(path), query={**url.query, "mode": "ro", "uri": "true"})
    engine = create_engine(reader, **kwargs)

    @event.listens_for(engine, "do_connect")
    def _exists(*_: Any) -> None:
        # sqlite3 says "unable to open database file" for a missing file and for a forbidden one alike.
        if not os.path.exists(path):
            raise DatabaseMissing(f"no database at {path} yet: the statscache daemon creates it")

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # as in make_engine: BEGIN explicitly
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA query_only=1")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN")

    return engine
