"""The rows of one plugin's table that a request selects, in a total order, counted, paged or streamed."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import Connection, Select, and_, func, select
from sqlalchemy.sql.elements import ColumnElement

from statscache.models import StatsModel
from statscache.web.params import Query

#: Rows fetched from the database at a time when streaming a whole result.
STREAM_BATCH = 2000


class Rows:
    """A filtered, totally ordered selection of a statistics table.

    The order is the row's ``timestamp``, then the rest of its primary key, all
    ascending or all descending: no two rows tie, so pages never overlap and
    never skip a row.
    """

    def __init__(self, model: type[StatsModel], query: Query) -> None:
        self.model = model
        self.query = query
        table = model.__table__
        self.names = model.column_names()
        self._convert = model.json_values()
        keys = [column for column in table.primary_key.columns if column.key != "timestamp"]
        self.order_columns = [table.c.timestamp, *keys]
        conditions: list[ColumnElement[bool]] = []
        if query.start is not None:
            conditions.append(table.c.timestamp >= query.start)
        if query.stop is not None:
            conditions.append(table.c.timestamp < query.stop)
        if query.categories:
            conditions.append(table.c.category.in_(query.categories))
        self._where = and_(True, *conditions)
        self._table = table

    def _ordered(self, statement: Select[Any]) -> Select[Any]:
        if self.query.descending:
            return statement.order_by(*(column.desc() for column in self.order_columns))
        return statement.order_by(*self.order_columns)

    def count(self, connection: Connection) -> int:
        return connection.scalar(select(func.count()).select_from(self._table).where(self._where)) or 0

    def page(self, connection: Connection, offset: int, limit: int) -> list[list[Any]]:
        """JSON-ready values of the rows at positions ``offset`` to ``offset + limit``."""
        statement = self._ordered(select(self._table).where(self._where)).offset(offset).limit(limit)
        return [self._convert(row) for row in connection.execute(statement)]

    def stream(self, connection: Connection) -> Iterator[list[Any]]:
        """JSON-ready values of every selected row, fetched a batch at a time (server-side on PostgreSQL)."""
        statement = self._ordered(select(self._table).where(self._where))
        result = connection.execution_options(yield_per=STREAM_BATCH).execute(statement)
        for batch in result.partitions():
            yield from map(self._convert, batch)
