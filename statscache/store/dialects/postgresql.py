"""PostgreSQL's ways, and psycopg's: read-only sessions, snapshots, code-point order, PL/pgSQL triggers."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import URL, ColumnElement, Connection, Engine, Table, create_engine, event, text
from sqlalchemy.dialects import postgresql

from statscache.store.dialects.shapes import CountsStatement, LedgerRows

#: The advisory lock statscache holds while it makes its schema ready (any fixed 64-bit number: "stat" in ASCII).
SCHEMA_LOCK = 0x73746174


class PostgreSQL:
    """PostgreSQL through psycopg (see :class:`statscache.store.dialects.Dialect`)."""

    name = "postgresql"
    placeholder = "%s"  # psycopg's format paramstyle

    def tune(self, engine: Engine) -> None:
        pass  # a server: transactions, locks and concurrent readers work as they are

    def writing(self, engine: Engine) -> Engine:
        return engine  # a transaction waits for the row locks it needs as it writes

    def reader(self, url: URL, **kwargs: Any) -> Engine:
        engine = create_engine(url, **kwargs)

        @event.listens_for(engine, "connect")
        def _read_only(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
            cursor.close()
            dbapi_connection.commit()  # the SET is transactional: keep it past this first transaction

        return engine

    def database_file(self, url: URL) -> Path | None:
        return None

    def consistent(self, connection: Connection) -> Connection:
        # READ COMMITTED, the default, takes a new snapshot for every statement.
        return connection.execution_options(isolation_level="REPEATABLE READ")

    def insert(self, table: Table) -> postgresql.Insert:
        return postgresql.insert(table)

    def code_point_order(self, text: ColumnElement[str]) -> ColumnElement[str]:
        # A locale's collation would let the winner of a tie depend on whether two events were flushed together.
        return text.collate("C")

    def transaction_probe(self, connection: Connection) -> Callable[[], bool]:
        from psycopg.pq import TransactionStatus  # here: statscache on SQLite alone needs no psycopg

        raw = connection.connection.dbapi_connection
        assert raw is not None  # None only once the connection is invalidated, not while it is in use
        return lambda: raw.info.transaction_status == TransactionStatus.INTRANS

    @contextmanager
    def schema_lock(self, engine: Engine) -> Iterator[None]:
        # A session-level advisory lock, on a connection of its own: the schema is made over several transactions.
        with engine.connect() as connection:
            connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": SCHEMA_LOCK})
            connection.commit()
            try:
                yield
            finally:
                connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": SCHEMA_LOCK})
                connection.commit()

    def has_trigger(self, connection: Connection, name: str) -> bool:
        query = text("SELECT 1 FROM pg_trigger WHERE tgname = :name AND NOT tgisinternal")
        return connection.execute(query, {"name": name}).first() is not None

    def bucket(self, row: str, span: int) -> str:
        return f"(floor(extract(epoch FROM {row}.timestamp) / {span}) * {span})::bigint"

    def calendar_start(self, row: str, level: str) -> str:
        # date_trunc's weeks are ISO 8601's, from Monday; timestamps are stored as UTC without a zone.
        return f"extract(epoch FROM date_trunc('{level}', {row}.timestamp))::bigint"

    def triggers(
        self, name: str, table: str, columns: str, adjust: Callable[[str, int], str], inserts: bool
    ) -> list[str]:
        function = f'"{name}"'
        made = [
            f"CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            f"IF TG_OP IN ('DELETE', 'UPDATE') THEN {adjust('OLD', -1)} END IF; "
            f"IF TG_OP IN ('INSERT', 'UPDATE') THEN {adjust('NEW', 1)} END IF; "
            "RETURN NULL; END $$",
            f'CREATE TRIGGER "{name}_delete" AFTER DELETE ON "{table}" FOR EACH ROW EXECUTE FUNCTION {function}()',
            f'CREATE TRIGGER "{name}_update" AFTER UPDATE OF {columns} ON "{table}" '
            f"FOR EACH ROW EXECUTE FUNCTION {function}()",
        ]
        if inserts:
            made.append(
                f'CREATE TRIGGER "{name}_insert" AFTER INSERT ON "{table}" FOR EACH ROW EXECUTE FUNCTION {function}()'
            )
        return made

    def trigger_names(self, connection: Connection, table: str) -> set[str]:
        query = text(
            "SELECT tgname FROM pg_trigger WHERE tgrelid = to_regclass(quote_ident(:table)) AND NOT tgisinternal"
        )
        return set(connection.execute(query, {"table": table}).scalars())

    def drop_trigger(self, name: str, table: str) -> list[str]:
        return [f'DROP TRIGGER IF EXISTS "{name}" ON "{table}"']

    def ledger_records(self, connection: Connection, msg_ids: list[str]) -> Iterator[tuple[str, int]]:
        # One array parameter: no statement of thousands of placeholders to parse and plan.
        query = "SELECT msg_id, plugin_set_id FROM statscache_ledger WHERE msg_id = ANY(%s::text[])"
        yield from connection.exec_driver_sql(query, (msg_ids,)).tuples()

    def add_ledger_records(self, connection: Connection, rows: LedgerRows) -> None:
        hours, ids, times, sets = rows
        connection.exec_driver_sql(
            "INSERT INTO statscache_ledger (hour, msg_id, timestamp, plugin_set_id) "
            "SELECT * FROM unnest(%s::integer[], %s::text[], %s::double precision[], %s::integer[])",
            (hours, ids, times, sets),
        )

    def add_counts(self, connection: Connection, statement: CountsStatement, rows: list[tuple[Any, ...]]) -> None:
        # One statement for the whole batch: the rows go in as arrays, and the rows the upsert
        # inserted (xmax = 0: no earlier version was updated) are counted in the tally.
        # Whether a row is new is decided by the insert itself, so concurrent writers agree.
        table, keys = statement.table, statement.keys
        category = "written.category" if statement.has_category else "''"
        timestamps, categories, volumes, _ = zip(*rows, strict=True)
        upsert = (
            f'INSERT INTO "{table}" ({keys}, volume) SELECT {keys}, volume FROM staged '
            f'ON CONFLICT ({keys}) DO UPDATE SET volume = "{table}".volume + excluded.volume'
        )
        tallying = (
            f", written AS ({upsert} RETURNING {keys}, xmax = 0 AS inserted) "
            "INSERT INTO statscache_tally (table_name, bucket, category, row_count) "
            f"SELECT %s, {self.bucket('written', statement.span)}, {category}, COUNT(*) FROM written "
            "WHERE inserted GROUP BY 2, 3 "
            "ON CONFLICT (table_name, bucket, category) "
            "DO UPDATE SET row_count = statscache_tally.row_count + excluded.row_count"
        )
        parameters: list[Any] = [list(timestamps), list(categories), list(volumes)]
        connection.exec_driver_sql(
            "WITH staged (timestamp, category, volume) AS ("
            "SELECT * FROM unnest(%s::timestamp[], %s::text[], %s::bigint[])) "
            + (tallying if statement.tallies else upsert),
            tuple([*parameters, table] if statement.tallies else parameters),
        )
