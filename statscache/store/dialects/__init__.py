"""The one seam between statscache and its databases: what differs between SQLite and PostgreSQL.

Everything database-specific is asked of a :class:`Dialect` (:func:`of` finds
an engine's, a connection's or a URL's); :mod:`.sqlite` and :mod:`.postgresql`
are the only modules that know their database's ways, its driver included.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import URL, Column, ColumnElement, Connection, Engine, Insert, Table
from sqlalchemy.sql.base import ReadOnlyColumnCollection
from sqlalchemy.sql.elements import KeyedColumnElement

from statscache.exceptions import UnsupportedDatabase
from statscache.store.dialects.postgresql import PostgreSQL
from statscache.store.dialects.shapes import CountsStatement, LedgerRows
from statscache.store.dialects.sqlite import SQLite

__all__ = ["CountsStatement", "Dialect", "LedgerRows", "Upsert", "of"]


class Upsert(Protocol):
    """An INSERT that can add to or replace the row it conflicts with (SQLite's and PostgreSQL's alike)."""

    @property
    def excluded(self) -> ReadOnlyColumnCollection[str, KeyedColumnElement[Any]]:
        """The row that was to be inserted."""
        ...

    def on_conflict_do_update(
        self,
        *,
        index_elements: Iterable[Column[Any] | str],
        set_: Mapping[Any, Any],
        where: ColumnElement[bool] | None = None,
    ) -> Insert: ...


class Dialect(Protocol):
    """What statscache needs to know of a database that SQL does not say the same way everywhere."""

    @property
    def name(self) -> str:
        """SQLAlchemy's name of the dialect (``engine.dialect.name``)."""
        ...

    @property
    def placeholder(self) -> str:
        """The driver's parameter mark, for statements sent straight to it (``exec_driver_sql``)."""
        ...

    def tune(self, engine: Engine) -> None:
        """Set up a newly created engine that may write (the daemon's, the maintenance commands')."""
        ...

    def writing(self, engine: Engine) -> Engine:
        """The engine (and pool) for transactions that read, then write: they must not fail on a concurrent writer."""
        ...

    def reader(self, url: URL, **kwargs: Any) -> Engine:
        """An engine that can only read: it never creates the database, and every write fails.

        Raises :class:`~statscache.exceptions.DatabaseMissing` at connect when the database does not exist yet.
        """
        ...

    def database_file(self, url: URL) -> Path | None:
        """The file the database lives in (None: a server's database, or one in memory)."""
        ...

    def consistent(self, connection: Connection) -> Connection:
        """The connection, set so that each transaction it begins reads one moment of the database."""
        ...

    def insert(self, table: Table) -> Upsert:
        """An INSERT into ``table`` that can say what to do on conflict."""
        ...

    def code_point_order(self, text: ColumnElement[str]) -> ColumnElement[str]:
        """``text`` compared by code point (as Python and SQLite do), whatever the database's collation."""
        ...

    def transaction_probe(self, connection: Connection) -> Callable[[], bool]:
        """A check of whether the connection's transaction is still open (cheap: no round trip).

        The database may end a transaction on its own after some errors (SQLite on a
        full disk); asked after each plugin's update in a flush.
        """
        ...

    def has_trigger(self, connection: Connection, name: str) -> bool:
        """Whether a trigger of this name exists."""
        ...

    def schema_lock(self, engine: Engine) -> AbstractContextManager[None]:
        """Held while one process makes the schema ready: several consumers may start at once on one database."""
        ...

    def bucket(self, row: str, span: int) -> str:
        """SQL of the start (epoch seconds) of the ``span``-second bucket of ``row``'s ``timestamp`` column."""
        ...

    def calendar_start(self, row: str, level: str) -> str:
        """SQL of the start (epoch seconds) of the UTC ``day``, ``week`` (from Monday) or ``month`` holding
        ``row``'s ``timestamp`` column."""
        ...

    def triggers(
        self, name: str, table: str, columns: str, adjust: Callable[[str, int], str], inserts: bool
    ) -> list[str]:
        """DDL of the triggers on ``table`` that run the statement ``adjust(row, delta)`` for each row written.

        ``adjust("OLD", -1)`` after a delete, ``adjust("OLD", -1)`` and
        ``adjust("NEW", 1)`` after an update of ``columns`` (comma-separated),
        and, if ``inserts``, ``adjust("NEW", 1)`` after an insert. The triggers
        are named ``{name}_delete``, ``{name}_update`` and ``{name}_insert``.
        """
        ...

    def trigger_names(self, connection: Connection, table: str) -> set[str]:
        """The names of the triggers on ``table``."""
        ...

    def drop_trigger(self, name: str, table: str) -> list[str]:
        """DDL dropping trigger ``name`` of ``table`` (and what it runs), if it exists."""
        ...

    def ledger_records(self, connection: Connection, msg_ids: list[str]) -> Iterable[tuple[str, int]]:
        """``(msg_id, plugin set id)`` of the ledger's records of these messages (those it has)."""
        ...

    def add_ledger_records(self, connection: Connection, rows: LedgerRows) -> None:
        """Insert new ledger records; a msg_id recorded meanwhile by another writer raises the driver's error."""
        ...

    def add_counts(self, connection: Connection, statement: CountsStatement, rows: list[tuple[Any, ...]]) -> None:
        """Add each row's count to its table's row, inserting the rows that are new, and count those in the tally.

        ``rows``: ``(timestamp, category, volume, bucket)`` with the timestamp as the
        driver takes it, one per key (the category is ignored where the table has none).
        """
        ...


_DIALECTS: dict[str, Dialect] = {dialect.name: dialect for dialect in (SQLite(), PostgreSQL())}


def of(bind: Engine | Connection | URL) -> Dialect:
    """The dialect of an engine, a connection or a database URL.

    Raises :class:`~statscache.exceptions.UnsupportedDatabase` for a database other than SQLite and PostgreSQL.
    """
    name = bind.get_backend_name() if isinstance(bind, URL) else bind.dialect.name
    try:
        return _DIALECTS[name]
    except KeyError:
        raise UnsupportedDatabase(f"statscache supports SQLite and PostgreSQL, not {name!r}") from None
