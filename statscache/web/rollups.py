"""``/api/<ident>?interval=6h``: a counting plugin's rows summed into longer windows, in the database.

Any whole multiple of the plugin's window (``2h``, ``1d``, ``1w``), or ``month``
(calendar months). Windows are aligned to UTC: a whole number of weeks starts on
a Monday (as ISO 8601's weeks), ``month`` on the 1st, any other length at a
multiple of itself since the epoch (a day at midnight, 6 hours at 00, 06, 12 and
18). The range asked for is widened to whole windows, so that every sum is of
whole windows, exact.

The sums come from whichever table of the plugin's family holds them with the
fewest rows: the week and month sums the family keeps (:mod:`statscache.store.levels`),
a member whose window is the one asked for (its rows, as they are), or the
member with the longest window that divides it, summed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Select, and_, func, literal_column, select
from sqlalchemy.sql.elements import ColumnElement

from statscache.plugins import BasePlugin
from statscache.plugins.kinds import utc
from statscache.store import dialects, levels
from statscache.store.levels import DAY, MONDAY, WEEK
from statscache.web.errors import BadParameter
from statscache.web.family import Family, window
from statscache.web.rows import STREAM_BATCH, Page, time_writer

#: The longest rollup window (a year: longer sums are the total of a range, see /top).
MAX_ROLLUP = 366 * DAY
_LENGTH = re.compile(r"([1-9][0-9]{0,7})([smhdw])", re.ASCII)
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": DAY, "w": WEEK}


@dataclass(frozen=True)
class Rollup:
    """A rollup window: ``seconds`` long (None: a calendar month), starting at ``offset`` (mod its length)."""

    seconds: int | None
    offset: int = 0

    def start_of(self, moment: float) -> int:
        """The start of the window holding ``moment``."""
        if self.seconds is None:
            return levels.month_start(int(moment // 1))
        return levels.floor_to(int(moment // 1), self.seconds, self.offset)

    def end_of(self, moment: float) -> int:
        """The end of the last window starting before ``moment``: ``moment`` itself when a window starts there."""
        start = self.start_of(moment)
        if start == moment:
            return start
        return levels.next_month(start) if self.seconds is None else start + self.seconds


def parse_rollup(raw: str, plugin: BasePlugin) -> Rollup:
    """``?interval=`` of this plugin: a whole multiple of its window, or ``month``; raises :class:`BadParameter`."""
    own = window(plugin)
    nests_in_days = DAY % own == 0
    if raw == "month":
        if not nests_in_days:
            raise BadParameter("interval", f"a whole multiple of the statistic's window ({own} s): no month is", raw)
        return Rollup(None)
    match = _LENGTH.fullmatch(raw)
    accepts = f"a whole multiple of the statistic's window ({own} s) up to 366 days, such as 6h, 1d, 1w, or month"
    if match is None:
        raise BadParameter("interval", accepts, raw)
    seconds = int(match.group(1)) * _UNITS[match.group(2)]
    if seconds % own or seconds > MAX_ROLLUP:
        raise BadParameter("interval", accepts, raw)
    # Whole weeks start on Mondays where the plugin's windows fall within days (they cannot straddle one).
    return Rollup(seconds, MONDAY if seconds % WEEK == 0 and nests_in_days else 0)


class RolledRows:
    """The rows of a rollup under a request's filters, ordered and paged like :class:`~statscache.web.rows.Rows`."""

    def __init__(self, family: Family, rollup: Rollup, query: Any) -> None:
        self.family = family
        self.plugin = family.plugin
        self.model = self.plugin.model
        self.rollup = rollup
        self.query = query
        self.has_category = "category" in self.model.__table__.columns
        self.names = ["timestamp", "category", "volume"] if self.has_category else ["timestamp", "volume"]
        written = time_writer(query.time_format)
        self._time = written if written is not None else (lambda seconds: seconds)
        self._low = None if query.start is None else rollup.start_of(query.start.timestamp())
        self._high = None if query.stop is None else rollup.end_of(query.stop.timestamp())

    def _rolled(self, connection: Connection) -> Select[Any]:
        """The rollup as a SELECT of (timestamp, [category,] volume), timestamp in epoch seconds."""
        rollup, source = self.rollup, self.family.source
        calendar = rollup.seconds is None or rollup.offset == MONDAY
        if calendar and source is not None:
            return self._from_levels(source)
        member = self.family.finest_dividing(DAY if rollup.seconds is None else rollup.seconds)
        return self._from_rows(connection, member)

    def _from_levels(self, source: BasePlugin) -> Select[Any]:
        table = levels.LEVEL_ROWS
        conditions = [
            table.c.table_name == source.model.__tablename__,
            table.c.level == ("month" if self.rollup.seconds is None else "week"),
            table.c.category != levels.TOTAL if self.has_category else table.c.category == levels.TOTAL,
        ]
        conditions += self._ranged(table.c.period, self._low, self._high)
        if self.query.categories:
            conditions.append(table.c.category.in_(self.query.categories))
        category = [table.c.category.label("category")] if self.has_category else []
        if self.rollup.seconds in (None, WEEK):  # the level's own periods: no summing
            return select(table.c.period.label("timestamp"), *category, table.c.volume.label("volume")).where(
                and_(*conditions)
            )
        start = _floor(table.c.period, self.rollup.seconds or WEEK, MONDAY)
        grouped = select(start.label("timestamp"), *category, func.sum(table.c.volume).label("volume"))
        return grouped.where(and_(*conditions)).group_by(start, *category)

    def _from_rows(self, connection: Connection, member: BasePlugin) -> Select[Any]:
        table = member.model.__table__
        dialect = dialects.of(connection)
        quoted = connection.dialect.identifier_preparer.quote(table.name)
        rollup = self.rollup
        if rollup.seconds is None:
            start: ColumnElement[Any] = literal_column(dialect.calendar_start(quoted, "month"))
        elif rollup.offset:
            start = _floor(literal_column(dialect.calendar_start(quoted, "week")), rollup.seconds, rollup.offset)
        else:
            start = literal_column(dialect.bucket(quoted, rollup.seconds))
        conditions = self._ranged(table.c.timestamp, _utc(self._low), _utc(self._high))
        if self.query.categories:
            conditions.append(table.c.category.in_(self.query.categories))
        category = [table.c.category.label("category")] if self.has_category else []
        grouped = select(start.label("timestamp"), *category, func.sum(table.c.volume).label("volume"))
        return grouped.where(and_(True, *conditions)).group_by(start, *category)

    @staticmethod
    def _ranged(column: Any, low: Any, high: Any) -> list[ColumnElement[bool]]:
        bounds = []
        if low is not None:
            bounds.append(column >= low)
        if high is not None:
            bounds.append(column < high)
        return bounds

    def _ordered(self, rolled: Any) -> list[Any]:
        first = [] if self.query.sort in (None, "timestamp") else [rolled.c[self.query.sort]]
        keys = [rolled.c.timestamp] + ([rolled.c.category] if self.has_category else [])
        columns = first + [key for key in keys if key.key != self.query.sort]
        return [column.desc() for column in columns] if self.query.descending else columns

    def _served(self, row: Any) -> list[Any]:
        values = [self._time(int(row[0])), *row[1:-1], int(row[-1])]
        return values

    def page(self, connection: Connection, tallied: bool = False) -> Page:
        rolled = self._rolled(connection).subquery("rolled")
        total = connection.scalar(select(func.count()).select_from(rolled)) or 0
        offset = (self.query.page - 1) * self.query.rows_per_page
        if offset >= total:
            return Page(total, [])
        statement = select(rolled).order_by(*self._ordered(rolled)).offset(offset).limit(self.query.rows_per_page)
        return Page(total, [self._served(row) for row in connection.execute(statement)])

    def stream(self, connection: Connection) -> Iterator[list[Any]]:
        rolled = self._rolled(connection).subquery("rolled")
        statement = select(rolled).order_by(*self._ordered(rolled))
        result = connection.execution_options(yield_per=STREAM_BATCH).execute(statement)
        for batch in result.partitions():
            yield from map(self._served, batch)


def _floor(moment: ColumnElement[Any], span: int, offset: int) -> ColumnElement[Any]:
    """The start of the ``span``-second window holding ``moment`` (epoch seconds), windows from ``offset``:
    rounded down, before 1970 too (the databases' % keeps the sign of the dividend)."""
    shifted = moment - offset
    return shifted - ((shifted % span) + span) % span + offset


def _utc(seconds: int | None) -> datetime | None:
    return None if seconds is None else utc(seconds)
