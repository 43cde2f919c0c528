"""SQLite's ways, and sqlite3's: made to behave like a transactional database, read-only readers, triggers."""

from __future__ import annotations

import functools
import itertools
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

import orjson
from sqlalchemy import URL, ColumnElement, Connection, Engine, Table, create_engine, event, text
from sqlalchemy.dialects import sqlite

from statscache.exceptions import DatabaseMissing
from statscache.store.dialects.shapes import CountsStatement, LedgerRows

#: Ledger records per INSERT at most (four parameters each, under SQLite's limit of 32,766).
_LEDGER_CHUNK = 4096
#: Execution option of an engine whose transactions take the write lock as they begin (see :meth:`SQLite.writing`).
_WRITE_LOCK = "statscache_write_lock"


class SQLite:
    """SQLite through sqlite3 (see :class:`statscache.store.dialects.Dialect`)."""

    name = "sqlite"
    placeholder = "?"  # sqlite3's qmark paramstyle

    def tune(self, engine: Engine) -> None:
        # pysqlite opens transactions lazily on its own terms, which breaks SAVEPOINT;
        # take transaction control away from it and begin explicitly instead.
        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            if not _in_memory(engine.url):
                # WAL lets the web process read while the daemon writes.
                cursor.execute("PRAGMA journal_mode=WAL")
                # In WAL mode NORMAL stays consistent and skips an fsync per commit; a
                # commit lost to a power cut loses its ledger rows too, so it is redone
                # (not double-counted) when those messages come again.
                cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA busy_timeout=10000")
            # Counts are staged in a temporary table each flush (see add_counts): in memory, not a file.
            cursor.execute("PRAGMA temp_store=MEMORY")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _on_begin(connection: Any) -> None:
            immediate = connection.get_execution_options().get(_WRITE_LOCK, False)
            connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    def writing(self, engine: Engine) -> Engine:
        # BEGIN IMMEDIATE (see tune): a transaction that began by reading fails at once on the
        # write lock when another writer committed meanwhile; one that takes it first waits.
        return engine.execution_options(**{_WRITE_LOCK: True})

    def reader(self, url: URL, **kwargs: Any) -> Engine:
        if _in_memory(url):
            return create_engine(url, **kwargs)
        path = os.path.abspath(url.database or "")
        # An SQLite URI filename: mode=ro opens an existing file read-only, and never creates one.
        read_only = url.set(database="file:" + quote(path), query={**url.query, "mode": "ro", "uri": "true"})
        engine = create_engine(read_only, **kwargs)

        @event.listens_for(engine, "do_connect")
        def _exists(*_: Any) -> None:
            # sqlite3 says "unable to open database file" for a missing file and for a forbidden one alike.
            if not os.path.exists(path):
                raise DatabaseMissing(f"no database at {path} yet: the statscache daemon creates it")

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None  # as in tune: BEGIN explicitly
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA busy_timeout=10000")
            cursor.execute("PRAGMA query_only=1")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _on_begin(connection: Any) -> None:
            connection.exec_driver_sql("BEGIN")

        return engine

    def database_file(self, url: URL) -> Path | None:
        return None if _in_memory(url) else Path(url.database or "").resolve()

    def consistent(self, connection: Connection) -> Connection:
        # A transaction in WAL mode reads the snapshot of its first read until it ends.
        return connection

    def insert(self, table: Table) -> sqlite.Insert:
        return sqlite.insert(table)

    def code_point_order(self, text: ColumnElement[str]) -> ColumnElement[str]:
        return text  # the default BINARY collation compares UTF-8 bytes: code-point order

    def transaction_probe(self, connection: Connection) -> Callable[[], bool]:
        raw = connection.connection.dbapi_connection
        assert raw is not None  # None only once the connection is invalidated, not while it is in use
        # SQLite ends the whole transaction on its own after some errors (a full disk, an I/O error).
        return lambda: bool(raw.in_transaction)

    @contextmanager
    def schema_lock(self, engine: Engine) -> Iterator[None]:
        # SQLite takes its own file lock around each schema change; one writer process is the norm here.
        yield

    def has_trigger(self, connection: Connection, name: str) -> bool:
        query = text("SELECT 1 FROM sqlite_master WHERE type = 'trigger' AND name = :name")
        return connection.execute(query, {"name": name}).first() is not None

    def bucket(self, row: str, span: int) -> str:
        return f"(CAST(strftime('%s', {row}.timestamp) AS INTEGER) / {span}) * {span}"

    def calendar_start(self, row: str, level: str) -> str:
        if level == "month":
            return f"CAST(strftime('%s', strftime('%Y-%m-01', {row}.timestamp)) AS INTEGER)"
        # The day's start, then back to Monday: SQLite's %w counts days from Sunday (0).
        day = f"CAST(strftime('%s', date({row}.timestamp)) AS INTEGER)"
        if level == "week":
            return f"({day} - ((CAST(strftime('%w', {row}.timestamp) AS INTEGER) + 6) % 7) * 86400)"
        return day

    def triggers(
        self, name: str, table: str, columns: str, adjust: Callable[[str, int], str], inserts: bool
    ) -> list[str]:
        made = [
            f'CREATE TRIGGER "{name}_delete" AFTER DELETE ON "{table}" BEGIN {adjust("OLD", -1)} END',
            f'CREATE TRIGGER "{name}_update" AFTER UPDATE OF {columns} ON "{table}" BEGIN '
            f"{adjust('OLD', -1)} {adjust('NEW', 1)} END",
        ]
        if inserts:
            made.append(f'CREATE TRIGGER "{name}_insert" AFTER INSERT ON "{table}" BEGIN {adjust("NEW", 1)} END')
        return made

    def trigger_names(self, connection: Connection, table: str) -> set[str]:
        query = text("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = :table")
        return set(connection.execute(query, {"table": table}).scalars())

    def drop_trigger(self, name: str, table: str) -> list[str]:
        return [f'DROP TRIGGER IF EXISTS "{name}"']

    def ledger_records(self, connection: Connection, msg_ids: list[str]) -> Iterator[tuple[str, int]]:
        # The whole batch as one JSON array: one statement, the same text at every flush.
        query = "SELECT msg_id, plugin_set_id FROM statscache_ledger WHERE msg_id IN (SELECT value FROM json_each(?))"
        yield from connection.exec_driver_sql(query, (orjson.dumps(msg_ids).decode(),)).tuples()

    def add_ledger_records(self, connection: Connection, rows: LedgerRows) -> None:
        # Many rows per statement: the driver lets the GIL go once per statement rather than once
        # per row, and a busy consumer thread then costs one wait, not thousands. Statements come
        # in a few sizes (a full chunk, then powers of two): sqlite3 keeps the last 128 it compiled,
        # and one of each row count written would be tens of megabytes of them.
        total = len(rows[1])
        start = 0
        while start < total:
            left = total - start
            size = _LEDGER_CHUNK if left >= _LEDGER_CHUNK else 1 << (left.bit_length() - 1)
            columns = (column[start : start + size] for column in rows)
            parameters = tuple(itertools.chain.from_iterable(zip(*columns, strict=True)))
            connection.exec_driver_sql(_ledger_insert(size), parameters)
            start += size

    def add_counts(self, connection: Connection, statement: CountsStatement, rows: list[tuple[Any, ...]]) -> None:
        # Staged in a temporary table, then two statements over it: which rows are new is asked
        # of the table before they are written (writers take turns on SQLite: nothing comes between).
        # A trigger per inserted row would cost four times the insert itself.
        table, keys = statement.table, statement.keys
        matching = " AND ".join(f"written.{key} = staged.{key}" for key in keys.split(", "))
        category = "staged.category" if statement.has_category else "''"
        connection.exec_driver_sql(
            "CREATE TEMP TABLE IF NOT EXISTS statscache_counts (timestamp, category, volume, bucket)"
        )
        # Emptied first, not after: whatever the last batch left there (a rolled-back one leaves nothing).
        connection.exec_driver_sql("DELETE FROM temp.statscache_counts")
        connection.exec_driver_sql("INSERT INTO temp.statscache_counts VALUES (?, ?, ?, ?)", rows)
        if statement.tallies:
            connection.exec_driver_sql(
                "INSERT INTO statscache_tally (table_name, bucket, category, row_count) "
                f"SELECT ?, staged.bucket, {category}, COUNT(*) FROM temp.statscache_counts AS staged "
                f'WHERE NOT EXISTS (SELECT 1 FROM "{table}" AS written WHERE {matching}) '
                "GROUP BY 2, 3 "
                "ON CONFLICT (table_name, bucket, category) "
                "DO UPDATE SET row_count = statscache_tally.row_count + excluded.row_count",
                (table,),
            )
        connection.exec_driver_sql(
            f'INSERT INTO "{table}" ({keys}, volume) SELECT {keys}, volume FROM temp.statscache_counts WHERE true '
            f'ON CONFLICT ({keys}) DO UPDATE SET volume = "{table}".volume + excluded.volume'
        )


@functools.cache
def _ledger_insert(rows: int) -> str:
    return (
        "INSERT INTO statscache_ledger (hour, msg_id, timestamp, plugin_set_id) "
        f"VALUES {', '.join(['(?, ?, ?, ?)'] * rows)}"
    )


def _in_memory(url: URL) -> bool:
    return url.database in (None, "", ":memory:")
