"""Engines, sessions and read snapshots: one engine per process, set up by its dialect (:mod:`.dialects`)."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, Table, create_engine, make_url
from sqlalchemy.orm import Session, sessionmaker

from statscache.store import dialects
from statscache.store.base import Base


def shown_url(uri: str) -> str:
    """A database URL for a message or a log line: its password hidden."""
    return make_url(uri).render_as_string(hide_password=True)


def make_engine(uri: str, **kwargs: Any) -> Engine:
    """Create the engine for ``uri``, set up by its dialect to write (SQLite: WAL, a busy timeout, working SAVEPOINTs).

    Raises :class:`~statscache.exceptions.UnsupportedDatabase` for a database other than SQLite and PostgreSQL.
    """
    engine = create_engine(uri, **kwargs)  # first: a missing driver says so, whatever the database
    dialects.of(engine).tune(engine)
    return engine


def writing(engine: Engine) -> Engine:
    """The same engine (and pool), for transactions that write: on SQLite they take the write lock as they begin.

    A flush reads the ledger, then writes. A SQLite transaction that began by
    reading cannot wait for the write lock when another writer (``statscache
    backfill`` beside the hub) committed meanwhile: it fails at once. One that
    takes the lock first waits out the busy timeout instead.
    """
    return dialects.of(engine).writing(engine)


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
        path = dialects.of(engine).database_file(engine.url)
        return None if path is None else cls(path, _identity(path))

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
    """Create the given tables if they do not exist yet (new plugins get theirs at start), and any index
    a table made by an older statscache lacks (creating a table makes its indexes; an existing one keeps its own)."""
    chosen = list(tables)
    Base.metadata.create_all(engine, tables=chosen, checkfirst=True)
    with engine.begin() as connection:
        for table in chosen:
            for index in table.indexes:
                index.create(connection, checkfirst=True)


def make_reader_engine(uri: str, **kwargs: Any) -> Engine:
    """An engine that can only read (the web app's): it never creates the database, and every write fails.

    SQLite opens the file with ``mode=ro``; a missing file raises
    :class:`~statscache.exceptions.DatabaseMissing` at connect, tried again on the
    next connect, so the daemon may create it later. PostgreSQL runs every
    transaction READ ONLY. Raises :class:`~statscache.exceptions.UnsupportedDatabase`
    for other databases: nothing would keep it from writing to them.
    """
    url = make_url(uri)
    return dialects.of(url).reader(url, **kwargs)


@contextmanager
def snapshot(engine: Engine) -> Iterator[Connection]:
    """A connection in a read transaction: what it reads comes from one moment of the database."""
    with engine.connect() as connection:
        connection = dialects.of(connection).consistent(connection)
        with connection.begin():
            yield connection
