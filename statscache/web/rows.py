"""The rows of one plugin's table that a request selects, in a total order, counted, paged or streamed."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import Connection, Select, and_, func, select
from sqlalchemy.sql.elements import ColumnElement

from statscache.plugins import BasePlugin, LatestEventPlugin, MilestonePlugin
from statscache.plugins.links import safe_link
from statscache.plugins.models import LatestEventModel, MilestoneModel, Serving
from statscache.store import tally
from statscache.web.params import Query

#: Rows fetched from the database at a time when streaming a whole result.
STREAM_BATCH = 2000
_FAR = 2**62  # beyond any bucket, both ways
#: Epoch seconds a datetime can hold (years 1 to 9999): a bucket's end past these is no bound at all.
_FIRST = int(datetime.min.replace(tzinfo=UTC).timestamp())
_LAST = int(datetime.max.replace(tzinfo=UTC).timestamp())


@dataclass(frozen=True)
class Page:
    total: int
    values: list[list[Any]]


@dataclass(frozen=True)
class _BucketRows:
    """How many rows lie from ``start`` to before ``stop`` (None: no bound that way): a run of tally buckets."""

    start: datetime | None
    stop: datetime | None
    rows: int


class Rows:
    """A filtered, totally ordered selection of a plugin's table.

    The order is the row's ``timestamp``, then the rest of its primary key, all
    ascending or all descending: no two rows tie, so pages never overlap and
    never skip a row. With the table's tally (see :mod:`statscache.store.tally`), a
    page anywhere costs about what the first one does: the per-bucket counts
    find the bucket where the page starts, and only that bucket is skipped into.
    """

    def __init__(self, plugin: BasePlugin, query: Query, serving: Serving) -> None:
        self.plugin = plugin
        self.query = query
        self.model = plugin.model
        #: The columns of a served row: the stored ones, then those computed for the request.
        self.names = self.model.served_names()
        stored, computed = self._serving(plugin), self.model.served(serving)
        times = [i for i, column in enumerate(self.model.columns()) if column["type"] == "timestamp"]
        written = time_writer(query.time_format)
        if written is None:
            self._convert: Callable[[Sequence[Any]], list[Any]] = lambda row: computed(stored(row))
        else:
            self._convert = lambda row: _with_times(computed(stored(row)), times, written)
        table = self.model.__table__
        self._table = table
        keys = [column for column in table.primary_key.columns if column.key != "timestamp"]
        first = [] if query.sort is None else [table.c[query.sort]]
        # The primary key last: whatever the first column, no two rows tie.
        self.order_columns = [*first, table.c.timestamp, *(key for key in keys if key.key != query.sort)]

    def _serving(self, plugin: BasePlugin) -> Callable[[Sequence[Any]], list[Any]]:
        """What turns a row into JSON-ready values; links that are not safe to serve become None (or are left
        out of a milestone's detail).

        Links are checked when events are made too, but rows stored by an older
        statscache (or by hand) were not: they are checked again on the way out.
        """
        convert = self.model.json_values()
        if not issubclass(self.model, (LatestEventModel, MilestoneModel)):
            return convert
        hosts = plugin.link_hosts if isinstance(plugin, (LatestEventPlugin, MilestonePlugin)) else frozenset()
        position = self.names.index("link")
        detail = self.names.index("detail") if issubclass(self.model, MilestoneModel) else None

        def checked(values: Sequence[Any]) -> list[Any]:
            converted = convert(values)
            converted[position] = safe_link(converted[position], hosts)
            if detail is not None and converted[detail] is not None:
                converted[detail] = checked_detail(converted[detail], hosts)
            return converted

        return checked

    def _where(self, start: datetime | None = None, stop: datetime | None = None) -> ColumnElement[bool]:
        """The request's filters, its time range narrowed to [start, stop) if given.

        One bound each way: SQLite ranges its index scan on one lower and one
        upper bound of a column, and would filter row by row on a second one.
        """
        query, column = self.query, self._table.c.timestamp
        low = max(filter(None, (query.start, start)), default=None)
        high = min(filter(None, (query.stop, stop)), default=None)
        conditions: list[ColumnElement[bool]] = []
        if low is not None:
            conditions.append(column >= low)
        if high is not None:
            conditions.append(column < high)
        for name, values in query.filters:
            conditions.append(self._table.c[name].in_(values))
        return and_(True, *conditions)

    def _ordered(self, statement: Select[Any], descending: bool) -> Select[Any]:
        if descending:
            return statement.order_by(*(column.desc() for column in self.order_columns))
        return statement.order_by(*self.order_columns)

    def _count(self, connection: Connection, start: datetime | None = None, stop: datetime | None = None) -> int:
        statement = select(func.count()).select_from(self._table).where(self._where(start, stop))
        return connection.scalar(statement) or 0

    def page(self, connection: Connection, tallied: bool) -> Page:
        """The requested page and the size of the whole result."""
        query = self.query
        offset = (query.page - 1) * query.rows_per_page
        counts = self._bucket_counts(connection) if tallied else None
        total = self._count(connection) if counts is None else sum(run.rows for run in counts)
        if offset >= total:
            return Page(total, [])
        start = stop = None
        if counts is not None:
            # Walk the buckets from the end the order starts at, to the one holding the page's first row.
            for run in reversed(counts) if query.descending else counts:
                if offset < run.rows:
                    if query.descending:
                        stop = run.stop
                    else:
                        start = run.start
                    break
                offset -= run.rows
        statement = select(self._table).where(self._where(start, stop))
        statement = self._ordered(statement, query.descending).offset(offset).limit(query.rows_per_page)
        return Page(total, [self._convert(row) for row in connection.execute(statement)])

    def _bucket_counts(self, connection: Connection) -> list[_BucketRows]:
        """Rows per bucket under the filters, in time order: the tally's counts, counted
        exactly where a filter cuts a bucket.

        Every bucket up to 0 is taken as one run, of all the rows before the
        first bucket after 1970: SQLite's tally rounds times before 1970 towards
        zero (bucket 0 holds a span either side of 1970), PostgreSQL's down. Only
        a database written by hand or by an older statscache holds such rows.
        """
        table = tally.tallied(self.plugin)
        span = table.span
        start = None if self.query.start is None else self.query.start.timestamp()
        stop = None if self.query.stop is None else self.query.stop.timestamp()
        low = -_FAR if start is None or start < span else int(start // span) * span
        high = _FAR if stop is None else max(int(stop // span) * span, 0)
        counts = tally.buckets(connection, table, low, high, self.query.categories)
        early = sum(rows for bucket, rows in counts if bucket <= 0)
        bounds: list[tuple[int | None, int, int]] = [(None, span, early)] if early else []
        bounds += [(bucket, bucket + span, rows) for bucket, rows in counts if bucket > 0]
        exact = []
        for first, end, rows in bounds:
            run = _BucketRows(_utc(first), _utc(end), rows)
            cut_low = start is not None and (first is None or start > first)
            cut_high = stop is not None and stop < end
            if cut_low or cut_high:
                run = _BucketRows(run.start, run.stop, self._count(connection, run.start, run.stop))
            exact.append(run)
        return [run for run in exact if run.rows]

    def stream(self, connection: Connection) -> Iterator[list[Any]]:
        """JSON-ready values of every selected row, fetched a batch at a time (server-side on PostgreSQL)."""
        statement = self._ordered(select(self._table).where(self._where()), self.query.descending)
        result = connection.execution_options(yield_per=STREAM_BATCH).execute(statement)
        for batch in result.partitions():
            yield from map(self._convert, batch)


def time_writer(time_format: str) -> Callable[[float], Any] | None:
    """What writes a time (UTC epoch seconds) as ``time_format`` asks: None for seconds, as they are."""
    if time_format == "ms":
        return lambda seconds: round(seconds * 1000)
    if time_format == "iso":
        return lambda seconds: datetime.fromtimestamp(seconds, tz=UTC).isoformat().replace("+00:00", "Z")
    return None


def _with_times(values: list[Any], positions: list[int], written: Callable[[float], Any]) -> list[Any]:
    for i in positions:
        if values[i] is not None:
            values[i] = written(values[i])
    return values


def _utc(epoch_seconds: int | None) -> datetime | None:
    """The moment, or None (no bound) where it lies beyond the years a datetime holds."""
    if epoch_seconds is None or not _FIRST <= epoch_seconds <= _LAST:
        return None
    return datetime.fromtimestamp(epoch_seconds, tz=UTC)


def checked_detail(text: str, hosts: frozenset[str]) -> Any:
    """A milestone's stored detail as served: the object, its ``links`` kept only where safe."""
    detail = orjson.loads(text)
    if isinstance(detail, dict) and isinstance(detail.get("links"), list):
        detail["links"] = [link for link in detail["links"] if safe_link(link, hosts)]
    return detail
