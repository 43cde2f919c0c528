"""``/api/<ident>/top``: the categories (users, packages, topics...) with the highest totals over a range, exact.

Summing a year of ``volume-by-user-1d`` per user reads a million rows. Instead:

* the range is cut into pieces each read from the table that holds it whole
  with the fewest rows (:func:`pieces`): the months inside it from the month
  sums the family keeps (:mod:`statscache.store.levels`), the days at its ends
  from the source table (``-1d``), the hours or minutes that cut a day from the
  finer tables;
* the candidates come from the months the range overlaps, each month's
  categories read biggest first. A category's sum over those months bounds its
  total over the range from above, and the next sum unread in each month bounds
  those of every category not read yet (Fagin's threshold algorithm). The
  candidates' exact totals are summed from the pieces; once the n-th best is
  above the bound of the unread, no unread category can pass it. Each round
  reads four times deeper until that holds (a skewed distribution, as a bus's
  users are, stops after a round or two);
* where that would read too deep, or the family keeps no sums, every category
  is summed over the pieces instead (exact, slower).

Ties rank by category name. Each category's ``share`` is its total over the
total of all categories in the range.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Table, and_, func, select
from sqlalchemy.sql.elements import ColumnElement

from statscache.plugins import BasePlugin
from statscache.store import levels
from statscache.web.family import Family, window

#: The longest top list a request may ask for.
MAX_TOP = 1000
#: Categories read from each month in the first round, per category asked for (times 4 each round after),
#: and at most.
FIRST_DEPTH = 4
MAX_DEPTH = 32_768
#: Categories whose exact totals are asked for in one statement.
BATCH = 500


@dataclass(frozen=True)
class Piece:
    """Windows of one table starting from ``start`` to before ``stop`` (epoch seconds)."""

    plugin: BasePlugin
    start: int
    stop: int


@dataclass(frozen=True)
class Cut:
    """A range cut into pieces of tables and whole months of the source's sums."""

    pieces: tuple[Piece, ...]
    months: tuple[int, ...]
    #: Every month the range overlaps (whose sums bound each category's total from above).
    overlapped: tuple[int, ...]


@dataclass(frozen=True)
class TopList:
    start: int
    stop: int
    total: int
    ranked: list[tuple[str, int]]


def _ceil(moment: int, span: int) -> int:
    return -(-moment // span) * span


def pieces(family: Family, start: int, stop: int) -> Cut:
    """``[start, stop)`` (window starts, multiples of the plugin's window) cut along the family's chain."""
    chain = family.chain()
    found: list[Piece] = []
    low, high = start, stop
    for finer, coarser in zip(chain, chain[1:], strict=False):
        span = window(coarser)
        inner_low, inner_high = _ceil(low, span), high // span * span
        if inner_low >= inner_high:
            found.append(Piece(finer, low, high))
            return Cut(tuple(found), (), ())
        found += [Piece(finer, low, inner_low), Piece(finer, inner_high, high)]
        low, high = inner_low, inner_high
    last = chain[-1]
    months: list[int] = []
    if family.source is last:
        first = levels.month_start(low)
        first = first if first == low else levels.next_month(first)
        month = first
        while levels.next_month(month) <= high:
            months.append(month)
            month = levels.next_month(month)
        if months:
            found += [Piece(last, low, months[0]), Piece(last, levels.next_month(months[-1]), high)]
        else:
            found.append(Piece(last, low, high))
    else:
        found.append(Piece(last, low, high))
    overlapped: list[int] = []
    if family.source is not None and high > low:
        month = levels.month_start(start)
        while month < stop:
            overlapped.append(month)
            month = levels.next_month(month)
    return Cut(tuple(piece for piece in found if piece.start < piece.stop), tuple(months), tuple(overlapped))


class Summer:
    """Sums of categories over a cut, read from the database."""

    def __init__(self, connection: Connection, family: Family, cut: Cut) -> None:
        self.connection = connection
        self.family = family
        self.cut = cut

    def _source_name(self) -> str:
        assert self.family.source is not None
        name: str = self.family.source.model.__tablename__
        return name

    def totals(self, categories: Sequence[str] | None) -> dict[str, int]:
        """Each category's total over the cut (``categories``: only those; None: every one)."""
        found: dict[str, int] = {}
        chunks: Iterable[Sequence[str] | None] = (
            [None] if categories is None else (categories[i : i + BATCH] for i in range(0, len(categories), BATCH))
        )
        for chunk in chunks:
            for statement in self._statements(chunk):
                for category, volume in self.connection.execute(statement):
                    found[category] = found.get(category, 0) + int(volume)
        return found

    def _statements(self, chunk: Sequence[str] | None) -> list[Any]:
        made = []
        for piece in self.cut.pieces:
            table = piece.plugin.model.__table__
            conditions = [table.c.timestamp >= _utc(piece.start), table.c.timestamp < _utc(piece.stop)]
            if chunk is not None:
                conditions.append(table.c.category.in_(chunk))
            summed = select(table.c.category, func.sum(table.c.volume)).where(*conditions)
            made.append(summed.group_by(table.c.category))
        if self.cut.months:
            rows = levels.LEVEL_ROWS
            conditions = [*self._months(rows, self.cut.months), rows.c.category != levels.TOTAL]
            if chunk is not None:
                conditions.append(rows.c.category.in_(chunk))
            made.append(select(rows.c.category, func.sum(rows.c.volume)).where(*conditions).group_by(rows.c.category))
        return made

    def _months(self, rows: Table, months: Sequence[int]) -> list[ColumnElement[bool]]:
        return [rows.c.table_name == self._source_name(), rows.c.level == "month", rows.c.period.in_(months)]

    def grand_total(self) -> int:
        """The total of every category over the cut: the month and day totals kept, and the rest summed."""
        total = 0
        rows = levels.LEVEL_ROWS
        if self.cut.months:
            statement = select(func.sum(rows.c.volume)).where(*self._months(rows, self.cut.months))
            total += int(self.connection.scalar(statement.where(rows.c.category == levels.TOTAL)) or 0)
        for piece in self.cut.pieces:
            table = piece.plugin.model.__table__
            days = (piece.plugin is self.family.source) and _ceil(piece.start, levels.DAY) < piece.stop
            low, high = piece.start, piece.stop
            if days:  # whole days from the day totals, the hours around them from the rows
                low_day, high_day = _ceil(piece.start, levels.DAY), piece.stop // levels.DAY * levels.DAY
                if low_day < high_day:
                    daily = select(func.sum(rows.c.volume)).where(
                        rows.c.table_name == self._source_name(),
                        rows.c.level == "day",
                        rows.c.category == levels.TOTAL,
                        rows.c.period >= low_day,
                        rows.c.period < high_day,
                    )
                    total += int(self.connection.scalar(daily) or 0)
                    total += self._rows_total(table, low, low_day) + self._rows_total(table, high_day, high)
                    continue
            total += self._rows_total(table, low, high)
        return total

    def _rows_total(self, table: Table, low: int, high: int) -> int:
        if low >= high:
            return 0
        where = and_(table.c.timestamp >= _utc(low), table.c.timestamp < _utc(high))
        return int(self.connection.scalar(select(func.sum(table.c.volume)).where(where)) or 0)

    def month_lists(self, depth: int) -> list[list[tuple[str, int]]]:
        """The ``depth`` biggest categories of each month the range overlaps, biggest first."""
        rows = levels.LEVEL_ROWS
        lists = []
        for month in self.cut.overlapped:
            statement = (
                select(rows.c.category, rows.c.volume)
                .where(*self._months(rows, [month]), rows.c.category != levels.TOTAL)
                .order_by(rows.c.volume.desc())
                .limit(depth)
            )
            lists.append([(category, int(volume)) for category, volume in self.connection.execute(statement)])
        return lists


def top(connection: Connection, family: Family, start: int, stop: int, n: int) -> TopList:
    """The ``n`` categories with the highest totals over the windows starting in ``[start, stop)``."""
    cut = pieces(family, start, stop)
    summer = Summer(connection, family, cut)
    ranked = _threshold(summer, n) if cut.overlapped else None
    if ranked is None:
        totals = summer.totals(None)
        ranked = _best(totals, n)
    return TopList(start, stop, summer.grand_total(), ranked)


def _best(totals: dict[str, int], n: int) -> list[tuple[str, int]]:
    """The n biggest non-zero totals, ties by category name."""
    best = heapq.nsmallest(n, ((-volume, category) for category, volume in totals.items() if volume > 0))
    return [(category, -negative) for negative, category in best]


def _threshold(summer: Summer, n: int) -> list[tuple[str, int]] | None:
    """The top n by the threshold algorithm over the overlapped months' lists; None: too deep to be worth it."""
    exact: dict[str, int] = {}
    depth = FIRST_DEPTH * n
    while depth <= MAX_DEPTH:
        lists = summer.month_lists(depth)
        unseen = sorted({category for listed in lists for category, _ in listed} - exact.keys())
        exact.update(dict.fromkeys(unseen, 0))
        exact.update(summer.totals(unseen))
        # What an unread category can sum to at most: the next sum of each month not read through.
        bound = sum(listed[-1][1] for listed in lists if len(listed) == depth)
        ranked = _best(exact, n)
        if bound == 0 or (len(ranked) == n and ranked[-1][1] > bound):
            return ranked
        depth *= 4
    return None


def _utc(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, tz=UTC)
