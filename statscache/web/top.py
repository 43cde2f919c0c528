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
from typing import Any

from sqlalchemy import Connection

from statscache.plugins import BasePlugin
from statscache.plugins.kinds import utc
from statscache.store import dialects, levels
from statscache.store.base import UTCDateTime
from statscache.web.family import Family, window

#: The longest top list a request may ask for.
MAX_TOP = 1000
#: Categories read from each month in the first round, per category asked for (times 4 each round after),
#: and at most.
FIRST_DEPTH = 2
MAX_DEPTH = 32_768
#: Categories whose exact totals are asked for in one statement.
BATCH = 500
#: Months whose lists one statement reads.
MONTHS_A_STATEMENT = 120


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


def pieces(family: Family, start: int, stop: int) -> Cut:
    """``[start, stop)`` (window starts, multiples of the plugin's window) cut along the family's chain."""
    chain = family.chain()
    found: list[Piece] = []
    low, high = start, stop
    for finer, coarser in zip(chain, chain[1:], strict=False):
        span = window(coarser)
        inner_low, inner_high = levels.ceil_to(low, span), high // span * span
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
    """Sums of categories over a cut, read from the database.

    The statements are written out as SQL (each a UNION ALL of its parts, one
    round trip): built as SQLAlchemy expressions they cost several times what
    the database takes to answer them.
    """

    def __init__(self, connection: Connection, family: Family, cut: Cut) -> None:
        self.connection = connection
        self.family = family
        self.cut = cut
        self._mark = dialects.of(connection).placeholder
        self._source = "" if family.source is None else family.source.model.__tablename__
        bind = UTCDateTime().dialect_impl(connection.dialect).bind_processor(connection.dialect)
        self._time = (lambda seconds: bind(utc(seconds))) if bind is not None else utc

    def _marks(self, count: int) -> str:
        return ", ".join([self._mark] * count)

    def _run(self, statement: str, parameters: list[Any]) -> Any:
        return self.connection.exec_driver_sql(statement, tuple(parameters))

    def totals(self, categories: Sequence[str] | None) -> dict[str, int]:
        """Each category's total over the cut (``categories``: only those; None: every one)."""
        found: dict[str, int] = {}
        chunks: Iterable[Sequence[str] | None] = (
            [None] if categories is None else (categories[i : i + BATCH] for i in range(0, len(categories), BATCH))
        )
        for chunk in chunks:
            parts, parameters = self._sums(chunk)
            if not parts:
                continue
            statement = f"SELECT category, SUM(volume) FROM ({' UNION ALL '.join(parts)}) AS parts GROUP BY category"
            for category, volume in self._run(statement, parameters):
                found[category] = int(volume)
        return found

    def _sums(self, chunk: Sequence[str] | None) -> tuple[list[str], list[Any]]:
        """Per piece, each category's sum there: the parts of one statement, and their parameters."""
        parts, parameters = [], []
        only = "" if chunk is None else f" AND category IN ({self._marks(len(chunk))})"
        for piece in self.cut.pieces:
            parts.append(
                f'SELECT category, SUM(volume) AS volume FROM "{piece.plugin.model.__tablename__}" '
                f"WHERE timestamp >= {self._mark} AND timestamp < {self._mark}{only} GROUP BY category"
            )
            parameters += [self._time(piece.start), self._time(piece.stop), *(chunk or ())]
        if self.cut.months:
            parts.append(
                f"SELECT category, SUM(volume) AS volume FROM statscache_levels WHERE {self._months(self.cut.months)} "
                f"AND category <> ''{only} GROUP BY category"
            )
            parameters += [self._source, *self.cut.months, *(chunk or ())]
        return parts, parameters

    def _months(self, months: Sequence[int]) -> str:
        """The condition selecting the source's month sums of these months (its parameters: the table, the months)."""
        return f"table_name = {self._mark} AND level = 'month' AND period IN ({self._marks(len(months))})"

    def grand_total(self) -> int:
        """The total of every category over the cut: the month and day totals kept, and the rest summed."""
        parts, parameters = [], []
        if self.cut.months:
            parts.append(f"SELECT SUM(volume) AS volume FROM statscache_levels WHERE {self._months(self.cut.months)} "
                         "AND category = ''")  # fmt: skip
            parameters += [self._source, *self.cut.months]
        for piece in self.cut.pieces:
            low, high = piece.start, piece.stop
            low_day, high_day = levels.ceil_to(low, levels.DAY), high // levels.DAY * levels.DAY
            ranges = [(low, high)]
            if piece.plugin is self.family.source and low_day < high_day:
                # Whole days from the day totals, the hours around them from the rows.
                parts.append(
                    f"SELECT SUM(volume) AS volume FROM statscache_levels WHERE table_name = {self._mark} "
                    f"AND level = 'day' AND category = '' AND period >= {self._mark} AND period < {self._mark}"
                )
                parameters += [self._source, low_day, high_day]
                ranges = [(low, low_day), (high_day, high)]
            for first, end in ranges:
                if first < end:
                    parts.append(
                        f'SELECT SUM(volume) AS volume FROM "{piece.plugin.model.__tablename__}" '
                        f"WHERE timestamp >= {self._mark} AND timestamp < {self._mark}"
                    )
                    parameters += [self._time(first), self._time(end)]
        if not parts:
            return 0
        statement = f"SELECT SUM(volume) FROM ({' UNION ALL '.join(parts)}) AS parts"
        return int(self._run(statement, parameters).scalar() or 0)

    def month_lists(self, depth: int) -> list[list[tuple[str, int]]]:
        """The ``depth`` biggest categories of each month the range overlaps, biggest first (a statement for
        each :data:`MONTHS_A_STATEMENT` months: SQLite takes at most 500 terms in a UNION)."""
        months = self.cut.overlapped
        lists: list[list[tuple[str, int]]] = [[] for _ in months]
        for first in range(0, len(months), MONTHS_A_STATEMENT):
            each, parameters = [], []
            for index in range(first, min(first + MONTHS_A_STATEMENT, len(months))):
                each.append(
                    f"SELECT * FROM (SELECT {index} AS list, category, volume FROM statscache_levels "
                    f"WHERE {self._months([months[index]])} AND category <> '' "
                    f"ORDER BY volume DESC LIMIT {self._mark}) AS month{index}"
                )
                parameters += [self._source, months[index], depth]
            for index, category, volume in self._run(" UNION ALL ".join(each), parameters):
                lists[index].append((category, int(volume)))
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
