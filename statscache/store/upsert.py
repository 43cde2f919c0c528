"""Insert-or-add-to and insert-or-replace-if-newer statements (each dialect's INSERT ... ON CONFLICT).

Counts go to their dialect's ``add_counts``, which writes a table's batch in a
few set-wise statements and counts the new rows in the tally
(:mod:`statscache.store.tally`).

A flush writes thousands of rows a second into each table; SQLAlchemy's own
executemany does per-row bookkeeping (each row's dict checked, its values
processed one by one through generic machinery) that costs as much as the
database's work. Here each statement is compiled once per table and shape,
and its rows go to the driver's executemany as plain parameters, each value
converted by its column type's bind processor: what SQLAlchemy would send.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Insert, Table, and_, case, or_
from sqlalchemy.orm import Session

from statscache.store import dialects
from statscache.store.base import Base
from statscache.store.dialects import CountsStatement

#: (dialect, table, key columns, row names) -> the compiled statement.
_compiled: dict[tuple[str, Table, tuple[str, ...], tuple[str, ...]], _Compiled] = {}
_compiled_lock = threading.Lock()

#: Where a session keeps how many rows statscache's statements wrote in its transaction (the flush's metrics).
ROWS_WRITTEN = "statscache_rows_written"


def note_rows(session: Session, rows: int) -> None:
    """Count ``rows`` written in the session's transaction (see :data:`ROWS_WRITTEN`)."""
    session.info[ROWS_WRITTEN] = session.info.get(ROWS_WRITTEN, 0) + rows


class _Compiled:
    """A statement's SQL, the order of its parameters (None: named), and each parameter's conversion."""

    def __init__(self, statement: Insert, table: Table, names: tuple[str, ...], dialect: Any) -> None:
        compiled = statement.compile(dialect=dialect, column_keys=list(names))
        self.sql = str(compiled)
        self.order: tuple[str, ...] | None = tuple(compiled.positiontup or ()) if compiled.positional else None
        self.convert: dict[str, Callable[[Any], Any]] = {}
        for name in names:
            processor = table.c[name].type.dialect_impl(dialect).bind_processor(dialect)
            if processor is not None:
                self.convert[name] = processor

    def parameters(self, rows: list[dict[str, Any]]) -> list[Any]:
        """The rows as the driver takes them: tuples in the statement's order, or dicts of named values."""
        names = self.order if self.order is not None else tuple(rows[0])
        # Few distinct values per column in a flush (its windows): each is converted once.
        seen: dict[str, dict[Any, Any]] = {name: {} for name in self.convert}

        def value(row: dict[str, Any], name: str) -> Any:
            raw = row[name]
            processor = self.convert.get(name)
            if processor is None:
                return raw
            known = seen[name]
            try:
                return known[raw]
            except KeyError:
                known[raw] = converted = processor(raw)
                return converted
            except TypeError:  # an unhashable value (a plugin's own column type): converted each time
                return processor(raw)

        if self.order is None:
            return [{name: value(row, name) for name in names} for row in rows]
        return [tuple(value(row, name) for name in names) for row in rows]


def _execute_many(
    session: Session,
    table: Table,
    keys: Sequence[str],
    build: Callable[[], Insert],
    rows: list[dict[str, Any]],
) -> None:
    """Run the statement ``build`` makes (built and compiled once per table and shape) over every row."""
    connection = session.connection()
    dialect = connection.dialect
    names = tuple(rows[0])
    cache_key = (dialect.name, table, tuple(keys), names)
    compiled = _compiled.get(cache_key)
    if compiled is None:
        compiled = _Compiled(build(), table, names, dialect)
        with _compiled_lock:
            _compiled[cache_key] = compiled
    connection.exec_driver_sql(compiled.sql, compiled.parameters(rows))


def add_counts(session: Session, model: type[Base], statement: CountsStatement, counts: Mapping[Any, int]) -> None:
    """Add each count to its row, inserting the rows that are new (and counting them in the tally).

    ``counts`` maps a window's start (UTC epoch seconds) to its count, or
    ``(window start, category)`` where the table has categories.
    """
    if not counts:
        return
    connection = session.connection()
    timestamp = _timestamps(model.__table__, connection.dialect)
    span = statement.span
    if statement.has_category:
        rows = [(timestamp(window), key, volume, window // span * span) for (window, key), volume in counts.items()]
    else:
        rows = [(timestamp(window), "", volume, window // span * span) for window, volume in counts.items()]
    dialects.of(connection).add_counts(connection, statement, rows)
    note_rows(session, len(rows))


def _timestamps(table: Table, dialect: Any) -> Callable[[int], Any]:
    """Window start (epoch seconds) -> its ``timestamp`` as the driver takes it; each window converted once."""
    processor = table.c.timestamp.type.dialect_impl(dialect).bind_processor(dialect)
    converted: dict[int, Any] = {}

    def timestamp(window: int) -> Any:
        value = converted.get(window)
        if value is None:
            value = datetime.fromtimestamp(window, tz=UTC)
            value = converted[window] = value if processor is None else processor(value)
        return value

    return timestamp


def replace_if_newer(
    session: Session, model: type[Base], key_columns: Sequence[str], rows: list[dict[str, Any]]
) -> None:
    """Insert rows, replacing an existing row only with a newer one.

    Newer means a later ``timestamp``, or the same one and a larger ``msg_id``:
    a total order, so the row that stays never depends on arrival order.
    """
    if not rows:
        return
    table = model.__table__
    keys = set(key_columns)

    def build() -> Insert:
        dialect = dialects.of(session.get_bind())
        statement = dialect.insert(table)
        # Code-point order, as in Python: the winner of a tie must not depend on what was flushed together.
        new_id = dialect.code_point_order(statement.excluded.msg_id)
        old_id = dialect.code_point_order(table.c.msg_id)
        return statement.on_conflict_do_update(
            index_elements=list(key_columns),
            set_={name: statement.excluded[name] for name in rows[0] if name not in keys},
            where=or_(
                statement.excluded.timestamp > table.c.timestamp,
                and_(statement.excluded.timestamp == table.c.timestamp, new_id >= old_id),
            ),
        )

    _execute_many(session, table, key_columns, build, rows)
    note_rows(session, len(rows))


def add_activity(session: Session, model: type[Base], key_columns: Sequence[str], rows: list[dict[str, Any]]) -> None:
    """Insert rows of counts with a first and a last time; a row that exists gets the count added,
    the earlier first time and the later last time (``volume``, ``first_seen``, ``timestamp``)."""
    if not rows:
        return
    table = model.__table__

    def build() -> Insert:
        statement = dialects.of(session.get_bind()).insert(table)
        new = statement.excluded
        return statement.on_conflict_do_update(
            index_elements=list(key_columns),
            set_={
                "volume": table.c.volume + new.volume,
                "first_seen": case((new.first_seen < table.c.first_seen, new.first_seen), else_=table.c.first_seen),
                "timestamp": case((new.timestamp > table.c.timestamp, new.timestamp), else_=table.c.timestamp),
            },
        )

    _execute_many(session, table, key_columns, build, rows)
    note_rows(session, len(rows))
