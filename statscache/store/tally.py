"""Row counts of each statistics table per time bucket (and category), kept exact by the database itself.

Counting rows, or skipping to row 500,000 with OFFSET, walks every row before
it: on a table of a million rows that is tens of milliseconds. The web API
instead reads these per-bucket counts (a few hundred rows), then counts or
skips only inside the one or two buckets it needs.

Triggers on each table keep the counts: every delete or change of
``timestamp``/``category`` adjusts them in the same transaction, however the
row was changed (a rebuild, or by hand), and so does every insert, except into
the count tables of plugins whose rows are all written by
:func:`statscache.store.upsert.add_counts` (``tallied_by_writer``): it counts
the rows it inserts itself, in one statement per flush, where a trigger would
run once per new row and cost four times the insert (rows inserted into those
tables by hand are not counted). A bucket spans
:data:`WINDOWS_PER_BUCKET` windows of the plugin's interval (a week for plugins
without one), so it holds at most that many rows per category.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

from sqlalchemy import BigInteger, Column, Connection, Engine, String, Table, text

from statscache.store import dialects
from statscache.store.base import Base
from statscache.windows import interval_seconds

WINDOWS_PER_BUCKET = 1024
#: Bucket span of plugins that are not windowed.
UNWINDOWED_SPAN = 7 * 86400

TALLY = Table(
    "statscache_tally",
    Base.metadata,
    Column("table_name", String(), primary_key=True),
    Column("bucket", BigInteger, primary_key=True, autoincrement=False),
    Column("category", String(), primary_key=True),
    Column("row_count", BigInteger, nullable=False),
)


@dataclass(frozen=True)
class Tallied:
    """A table whose rows are tallied: its name, bucket span in seconds, and whether it has a category."""

    table_name: str
    span: int
    has_category: bool


class Statistic(Protocol):
    """What the tally needs of a plugin: its table, and its window length (None: not windowed)."""

    @property
    def model(self) -> type[Base]: ...

    @property
    def interval(self) -> timedelta | None: ...

    @property
    def tallied_by_writer(self) -> bool:
        """Whether its rows are inserted by add_counts alone, which counts them (no insert trigger)."""
        ...

    @property
    def tallied(self) -> bool:
        """Whether its rows are tallied at all."""
        ...


def tallied(plugin: Statistic) -> Tallied:
    span = UNWINDOWED_SPAN if plugin.interval is None else interval_seconds(plugin.interval) * WINDOWS_PER_BUCKET
    table = plugin.model.__table__
    return Tallied(table.name, span, "category" in table.columns)


def counts_statement(plugin: Statistic) -> dialects.CountsStatement:
    """How :func:`statscache.store.upsert.add_counts` writes the plugin's count table and tallies it."""
    table = tallied(plugin)
    return dialects.CountsStatement(table.table_name, table.has_category, table.span, plugin.tallied_by_writer)


def install(engine: Engine, plugins: Iterable[Statistic]) -> None:
    """Create the tally and the triggers of each plugin's table; count existing rows where triggers change.

    A table whose triggers are not the ones wanted (new, or made by an older
    statscache that counted every insert by trigger) gets them made anew and its
    rows recounted, in one transaction: the tally is exact whichever way it was kept.
    """
    TALLY.create(engine, checkfirst=True)
    dialect = dialects.of(engine)
    with engine.begin() as connection:
        for plugin in plugins:
            if not plugin.tallied:
                continue
            table = tallied(plugin)
            name = _trigger_name(table)
            events = ["delete", "update"] if plugin.tallied_by_writer else ["delete", "update", "insert"]
            wanted = {f"{name}_{event}" for event in events}
            present = {found for found in dialect.trigger_names(connection, table.table_name) if found.startswith(name)}
            if present == wanted:
                continue
            for found in present:
                for statement in dialect.drop_trigger(found, table.table_name):
                    connection.exec_driver_sql(statement)
            for statement in _trigger_ddl(dialect, table, inserts=not plugin.tallied_by_writer):
                connection.exec_driver_sql(statement)
            _recount(connection, dialect, table)


def has_tally(connection: Connection, table: Tallied) -> bool:
    """Whether the table's rows are tallied (the daemon installs it; an older database may lack it)."""
    return dialects.of(connection).has_trigger(connection, _trigger_name(table) + "_delete")


def buckets(
    connection: Connection, table: Tallied, low: int, high: int, categories: Sequence[str]
) -> list[tuple[int, int]]:
    """``(bucket start, rows)`` of the non-empty buckets from ``low`` to ``high`` (bucket starts), in order."""
    statement = (
        "SELECT bucket, SUM(row_count) FROM statscache_tally "
        "WHERE table_name = :table AND bucket >= :low AND bucket <= :high"
    )
    parameters: dict[str, object] = {"table": table.table_name, "low": low, "high": high}
    if categories:
        names = [f":category{i}" for i in range(len(categories))]
        statement += f" AND category IN ({', '.join(names)})"
        parameters.update({name[1:]: category for name, category in zip(names, categories, strict=True)})
    statement += " GROUP BY bucket HAVING SUM(row_count) > 0 ORDER BY bucket"
    return [(int(bucket), int(rows)) for bucket, rows in connection.execute(text(statement), parameters)]


def _trigger_name(table: Tallied) -> str:
    return f"{table.table_name}_tally"


def _category_sql(table: Tallied, row: str) -> str:
    return f"COALESCE({row}.category, '')" if table.has_category else "''"


def _adjust(dialect: dialects.Dialect, table: Tallied, row: str, delta: int) -> str:
    """The statement adding ``delta`` to the count of ``row``'s bucket and category."""
    return (
        "INSERT INTO statscache_tally (table_name, bucket, category, row_count) "
        f"VALUES ('{table.table_name}', {dialect.bucket(row, table.span)}, {_category_sql(table, row)}, {delta}) "
        "ON CONFLICT (table_name, bucket, category) "
        "DO UPDATE SET row_count = statscache_tally.row_count + excluded.row_count;"
    )


def _trigger_ddl(dialect: dialects.Dialect, table: Tallied, inserts: bool) -> list[str]:
    moved = "timestamp, category" if table.has_category else "timestamp"
    return dialect.triggers(
        _trigger_name(table), table.table_name, moved, lambda row, delta: _adjust(dialect, table, row, delta), inserts
    )


def _recount(connection: Connection, dialect: dialects.Dialect, table: Tallied) -> None:
    """Count the rows already there (the triggers count those written from now on)."""
    connection.execute(text("DELETE FROM statscache_tally WHERE table_name = :table"), {"table": table.table_name})
    bucket = dialect.bucket("rows", table.span)
    category = _category_sql(table, "rows")
    connection.exec_driver_sql(
        "INSERT INTO statscache_tally (table_name, bucket, category, row_count) "
        f"SELECT '{table.table_name}', {bucket}, {category}, COUNT(*) "
        f'FROM "{table.table_name}" AS rows GROUP BY 2, 3'
    )
