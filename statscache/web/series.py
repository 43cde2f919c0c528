"""A plugin's statistics as time series for charts: points a fixed step apart, a line per top category.

What a point measures follows the plugin's table:

* a table with a ``volume`` column (every counting plugin): the sum of ``volume``,
  one line per ``category`` where the table has categories;
* any other table (the latest event per category, the newest message per topic,
  each user's activity by when last seen): how many of its rows fall in the
  step, one line per ``status`` where the table has statuses, else per ``category``.

Steps are whole multiples of the plugin's window, so a point never splits a
window; a step without rows is a 0 (nothing was counted then).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, case, func, literal_column, select
from sqlalchemy.sql.elements import ColumnElement

from statscache.plugins import BasePlugin
from statscache.store import dialects

#: The most lines a chart has besides "other": more are unreadable.
MAX_TOP = 20
#: The most points a chart has: a browser draws this many at once, whatever the range.
MAX_POINTS = 2000
#: The step of a plugin without windows (the latest event per category).
_EVENT_STEP = 3600


@dataclass(frozen=True)
class Line:
    name: str
    values: list[int]
    #: True for the sum of every category outside the top ones.
    other: bool = False


@dataclass(frozen=True)
class Series:
    """Points from ``start`` (inclusive) to ``stop`` (exclusive), ``step`` seconds apart: UTC epoch seconds,
    the range asked for widened to whole steps, so that every point sums whole windows."""

    measure: str
    #: The plugin's window: a step sums ``step // window`` of them.
    window: int
    step: int
    start: int
    stop: int
    times: list[int]
    lines: list[Line]

    def as_json(self) -> dict[str, Any]:
        return {
            "start": self.start,
            "stop": self.stop,
            "measure": self.measure,
            "window": self.window,
            "step": self.step,
            "times": self.times,
            "lines": [{"name": line.name, "values": line.values, "other": line.other} for line in self.lines],
        }


def window_of(plugin: BasePlugin) -> int:
    """The plugin's window in seconds (an hour for a plugin without windows)."""
    return _EVENT_STEP if plugin.interval is None else max(1, int(plugin.interval.total_seconds()))


def end_of_window(plugin: BasePlugin, seconds: float) -> datetime:
    """The end of the plugin's window that holds this moment (UTC epoch seconds): where a chart up to it stops."""
    window = window_of(plugin)
    return datetime.fromtimestamp((int(seconds) // window + 1) * window, tz=UTC)


def step_for(plugin: BasePlugin, start: datetime, stop: datetime, points: int) -> int:
    """The smallest multiple of the plugin's window whose aligned steps cover start..stop in at most ``points``."""
    window = window_of(plugin)
    low, high = start.timestamp(), stop.timestamp()
    multiple = max(1, math.ceil((high - low) / window / points))
    # Steps start at multiples of the step: one more may be needed where start falls inside one.
    while math.ceil(high / (window * multiple)) - math.floor(low / (window * multiple)) > points:
        multiple += 1
    return window * multiple


def measure_of(plugin: BasePlugin) -> tuple[str, str | None]:
    """What a point of this plugin measures (``volume`` or ``rows``) and the column its lines split by, if any."""
    names = plugin.model.column_names()
    if "volume" in names and plugin.interval is not None:
        return "volume", "category" if "category" in names else None
    # Rows by their time (an event's, a last message's, a user last seen): how many, split as they are.
    return "rows", next((name for name in ("status", "category") if name in names), None)


def newest(connection: Connection, plugin: BasePlugin) -> datetime | None:
    """The time of the plugin's newest row (None: it has none)."""
    latest: datetime | None = connection.scalar(select(func.max(plugin.model.__table__.c.timestamp)))
    return latest


def series(
    connection: Connection | None,
    plugin: BasePlugin,
    start: datetime,
    stop: datetime,
    *,
    top: int = 8,
    points: int = 500,
) -> Series:
    """The plugin's chart from ``start`` to ``stop``: at most ``points`` points, at most ``top`` lines and "other".

    ``top=0``: one line, the total. No connection: the plugin's table does not exist yet (every point 0).
    """
    measure, split = measure_of(plugin)
    if top == 0:
        split = None
    step = step_for(plugin, start, stop, points)
    first = math.floor(start.timestamp() / step) * step
    end = max(first, math.ceil(stop.timestamp() / step) * step)
    times = list(range(first, end, step))

    def made(lines: list[Line]) -> Series:
        return Series(measure, window_of(plugin), step, first, end, times, lines)

    if connection is None:
        return made([] if split else [Line(measure, [0] * len(times))])
    low, high = datetime.fromtimestamp(first, tz=UTC), datetime.fromtimestamp(end, tz=UTC)
    table = plugin.model.__table__
    value: ColumnElement[Any] = func.sum(table.c.volume) if measure == "volume" else func.count()
    quoted = connection.dialect.identifier_preparer.quote(table.name)
    bucket: ColumnElement[Any] = literal_column(dialects.of(connection).bucket(quoted, step))
    in_range = (table.c.timestamp >= low) & (table.c.timestamp < high)
    position = {time: index for index, time in enumerate(times)}
    if split is None:
        values = [0] * len(times)
        for moment, total in connection.execute(select(bucket, value).where(in_range).group_by(bucket)):
            if int(moment) in position:
                values[position[int(moment)]] = int(total)
        return made([Line(measure, values)])
    group = table.c[split]
    ranked = select(group).where(in_range).group_by(group).order_by(value.desc(), group).limit(top)
    chosen = [name for (name,) in connection.execute(ranked)]
    named = case((group.in_(chosen), group), else_=None) if chosen else literal_column("NULL")
    lines: dict[str | None, list[int]] = {}
    statement = select(bucket, named.label("line"), value).where(in_range).group_by(bucket, named)
    for moment, name, total in connection.execute(statement):
        if int(moment) in position:
            lines.setdefault(name, [0] * len(times))[position[int(moment)]] = int(total)
    result = [Line(name, lines[name]) for name in chosen if name in lines]
    if None in lines:
        result.append(Line("other", lines[None], other=True))
    return made(result)
