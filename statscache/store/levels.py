"""Sums of count tables per UTC day, week and month, kept exact beside them: rollups and top lists over a year
read a few thousand rows instead of a million.

A year of ``volume-by-category-1h`` is some 400,000 rows; summing them per week,
or ranking a year of ``volume-by-user-1d`` (a million rows), takes the database
hundreds of milliseconds. So each family of counting plugins (``volume-by-user``
at every window length) keeps *levels* for one of its tables, its **source**:
the one with the longest window that divides a day (``-1d`` by default).

* ``week`` and ``month`` hold the sum of each category per UTC week (from
  Monday) and calendar month, and the total of all categories under the
  category ``""`` (a real category is never empty);
* ``day`` holds the total alone.

They are written by the flush that writes the source's counts, in its
transaction (:func:`add`): a reader sees them exact whenever it sees the counts.
A table is listed in ``statscache_levels_kept`` while its levels are kept;
:func:`install` (at start) computes them for a new source from its rows, and
drops those of a table that stopped being one. Rows written by hand are not
counted (as for the tally): ``statscache rebuild`` writes through the flush.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import BigInteger, Column, Connection, Engine, Index, String, Table, text
from sqlalchemy.orm import Session

from statscache.store import dialects
from statscache.store.base import Base

DAY = 86400
WEEK = 7 * DAY
#: Weeks start on Monday, as ISO 8601's: 1970-01-05 00:00 UTC is the first Monday after the epoch.
MONDAY = 4 * DAY
#: The levels, from the finest.
LEVELS = ("day", "week", "month")
#: The category under which a level keeps the total of all categories.
TOTAL = ""

LEVEL_ROWS = Table(
    "statscache_levels",
    Base.metadata,
    Column("table_name", String(), primary_key=True),
    Column("level", String(), primary_key=True),
    Column("period", BigInteger, primary_key=True, autoincrement=False),
    Column("category", String(), primary_key=True),
    Column("volume", BigInteger, nullable=False),
    # The biggest categories of a period first: top lists read a period's list in that order.
    Index("ix_statscache_levels_ranked", "table_name", "level", "period", "volume"),
)
KEPT = Table("statscache_levels_kept", Base.metadata, Column("table_name", String(), primary_key=True))
TABLES = (LEVEL_ROWS, KEPT)


def floor_to(moment: int, span: int, offset: int = 0) -> int:
    """The start of the ``span``-second window holding ``moment``, windows starting at ``offset`` (mod span)."""
    return (moment - offset) // span * span + offset


def ceil_to(moment: int, span: int) -> int:
    """The first multiple of ``span`` at or after ``moment``."""
    return -(-moment // span) * span


@functools.lru_cache(maxsize=4096)
def month_start(moment: int) -> int:
    """The start of the UTC calendar month holding ``moment`` (epoch seconds)."""
    day = datetime.fromtimestamp(moment, tz=UTC)
    return int(day.replace(day=1, hour=0, minute=0, second=0, microsecond=0).timestamp())


def next_month(start: int) -> int:
    """The start of the month after the one starting at ``start``."""
    return month_start(start + 32 * DAY)


def period_of(level: str, moment: int) -> int:
    """The start of the ``level`` period (day, week, month) holding ``moment``."""
    if level == "month":
        return month_start(moment)
    if level == "week":
        return floor_to(moment, WEEK, MONDAY)
    return floor_to(moment, DAY)


def is_source_interval(seconds: int) -> bool:
    """Whether a table of this window length can be a source: its windows never straddle a day."""
    return 0 < seconds <= DAY and DAY % seconds == 0


def choose(plugins: Iterable[Any]) -> None:
    """Mark, in each family of counting plugins (one class), the one whose table keeps levels
    (``keeps_levels``): the longest window that divides a day. A plugin writes its levels if marked."""
    best: dict[type, Any] = {}
    candidates = [plugin for plugin in plugins if getattr(plugin, "can_keep_levels", False)]
    for plugin in candidates:
        plugin.keeps_levels = False
        if is_source_interval(plugin.window_seconds):
            current = best.get(type(plugin))
            if current is None or plugin.window_seconds > current.window_seconds:
                best[type(plugin)] = plugin
    for plugin in best.values():
        plugin.keeps_levels = True


def add(session: Session, table_name: str, counts: Mapping[Any, int]) -> None:
    """Add a flush's counts (window start -> count, or (window start, category) -> count) to the table's levels."""
    sums: Counter[tuple[str, int, str]] = Counter()
    for key, volume in counts.items():
        window, category = key if type(key) is tuple else (key, TOTAL)
        for level in LEVELS:
            period = period_of(level, window)
            sums[(level, period, TOTAL)] += volume
            if category != TOTAL and level != "day":
                sums[(level, period, category)] += volume
    if not sums:
        return
    rows = [
        {"table": table_name, "level": level, "period": period, "category": category, "volume": volume}
        for (level, period, category), volume in sums.items()
    ]
    session.execute(
        text(
            "INSERT INTO statscache_levels (table_name, level, period, category, volume) "
            "VALUES (:table, :level, :period, :category, :volume) "
            "ON CONFLICT (table_name, level, period, category) "
            "DO UPDATE SET volume = statscache_levels.volume + excluded.volume"
        ),
        rows,
    )


def forget(session: Session | Connection, table_name: str) -> None:
    """Drop the table's level sums (its rows were dropped, as by ``statscache rebuild``, or are summed anew)."""
    session.execute(text("DELETE FROM statscache_levels WHERE table_name = :table"), {"table": table_name})


def kept(connection: Connection) -> set[str]:
    """The tables whose levels are kept exact."""
    return {name for (name,) in connection.execute(text("SELECT table_name FROM statscache_levels_kept"))}


def install(engine: Engine, plugins: Sequence[Any]) -> None:
    """Mark the sources among ``plugins``; compute the levels of each new source from its rows, and drop those
    of each table that is no longer one (it would be written without them). In one transaction."""
    choose(plugins)
    for table in TABLES:
        table.create(engine, checkfirst=True)
    dialect = dialects.of(engine)
    with engine.begin() as connection:
        already = kept(connection)
        for plugin in plugins:
            if not getattr(plugin, "can_keep_levels", False):
                continue
            name = plugin.model.__tablename__
            has_category = "category" in plugin.model.__table__.columns
            if plugin.keeps_levels and has_category:
                # A top list sums its candidates' rows at the ends of a range: by category, then time.
                connection.exec_driver_sql(
                    f'CREATE INDEX IF NOT EXISTS "ix_{name}_by_category" ON "{name}" (category, timestamp)'
                )
            if plugin.keeps_levels and name not in already:
                _recompute(connection, dialect, name, has_category)
            elif not plugin.keeps_levels and name in already:
                forget(connection, name)
                connection.execute(text("DELETE FROM statscache_levels_kept WHERE table_name = :t"), {"t": name})


def _recompute(connection: Connection, dialect: dialects.Dialect, table_name: str, has_category: bool) -> None:
    forget(connection, table_name)
    for level in LEVELS:
        period = dialect.calendar_start("rows", level)
        by = [TOTAL] if level == "day" or not has_category else [TOTAL, "category"]
        for grouping in by:
            category = "''" if grouping == TOTAL else "rows.category"
            connection.exec_driver_sql(
                "INSERT INTO statscache_levels (table_name, level, period, category, volume) "
                f"SELECT '{table_name}', '{level}', {period}, {category}, SUM(rows.volume) "
                f'FROM "{table_name}" AS rows GROUP BY 3, 4'
            )
    connection.execute(text("INSERT INTO statscache_levels_kept (table_name) VALUES (:t)"), {"t": table_name})
