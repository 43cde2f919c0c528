"""A board: a :class:`~statscache.plugins.MilestonePlugin`'s cells laid out by its ``layout``.

The layout names groups. Each group takes the cells under its ``prefix``
(``compose/``) whose remaining parts are as many as its ``parts`` name
(``["branch", "arch", "stage"]``), and lays them out as a grid:

* ``rows``: the parts that make a row's key (``rawhide/primary``);
* ``columns``: those that make a column's key (``mash``); none: one column, ``""``;
* ``items``: those that tell apart the cells sharing one tile (the regions an
  image is uploaded to); none: one cell per tile;
* ``order``: per part, values that come first, in that order (``mash`` before
  ``pungify``); the others follow in natural order (``22`` < ``23`` < ``rawhide``);
* ``stale_after``: seconds after which a tile's newest event is old news
  (default a day).

Each cell holds its newest start, success and failure (:class:`Mark`). What
is derived from them, here, as the board is served:

* its *state*: the phase of its newest mark (a start and an end at the same
  second: the end), so ``running`` while its newest start is newer than any end;
* its *duration*: how long its last run took, from its newest start to its
  newest end, when that start came first (and both belong to the same run where
  both name theirs);
* per tile: the newest start, success and failure over its cells, and which
  cells are *current*: those whose success is of the tile's newest successful
  run (the regions holding the newest image).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import Connection, select

from statscache.plugins import FAILED, STARTED, SUCCEEDED, BasePlugin, MilestonePlugin
from statscache.plugins.links import safe_link
from statscache.store.base import epoch_seconds
from statscache.web.rows import checked_detail

#: Seconds after which a tile's newest event is old news, unless its group says otherwise.
STALE_AFTER = 86400
#: How a phase ranks when two marks share a time: an end after a start.
_RANK = {STARTED: 0, FAILED: 1, SUCCEEDED: 2}
#: Runs of digits, which natural order compares as numbers.
_DIGITS = re.compile(r"(\d+)")


@functools.lru_cache(maxsize=8192)  # the same rows, columns and releases, request after request
def natural(key: str) -> tuple[tuple[tuple[int, int, str], ...], str]:
    """A sort key for release-like names: numbers as numbers, text case-blind after them.

    ``22`` < ``23`` < ``23_TC10`` < ``f23-updates`` < ``rawhide``; the name itself breaks ties.
    """
    parts = tuple((0, int(part), "") if part.isdigit() else (1, 0, part.lower()) for part in _DIGITS.split(key) if part)
    return parts, key


@dataclass(frozen=True)
class Mark:
    """A cell's newest milestone of one phase."""

    phase: str
    status: str
    timestamp: datetime
    msg_id: str
    run: str | None
    link: str | None
    detail: dict[str, Any] | None
    #: How marks compare: by time, then an end after a start, then by msg_id.
    order: tuple[datetime, int, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "order", (self.timestamp, _RANK[self.phase], self.msg_id))

    @property
    def link_host(self) -> str | None:
        return urlsplit(self.link).hostname if self.link else None

    @property
    def files(self) -> list[str]:
        """Links to what the run made (``detail["links"]``)."""
        links = (self.detail or {}).get("links")
        return [link for link in links if isinstance(link, str)] if isinstance(links, list) else []

    @functools.cached_property
    def json(self) -> dict[str, Any]:
        """The mark as served (made once: a tile's marks are also its items')."""
        return {
            "status": self.status,
            "time": epoch_seconds(self.timestamp),
            "msg_id": self.msg_id,
            "run": self.run,
            "link": self.link,
            "detail": self.detail,
        }


def newest(marks: Iterable[Mark | None]) -> Mark | None:
    found = None
    for mark in marks:
        if mark is not None and (found is None or mark.order > found.order):
            found = mark
    return found


def duration(started: Mark | None, ended: Mark | None) -> float | None:
    """Seconds from ``started`` to ``ended``, when that start came first (and, where both name a run, the same)."""
    if started is None or ended is None or started.timestamp > ended.timestamp:
        return None
    if started.run is not None and ended.run is not None and started.run != ended.run:
        return None
    return (ended.timestamp - started.timestamp).total_seconds()


@dataclass(frozen=True)
class Summary:
    """The newest start, success and failure of one cell or of a tile's cells, and what follows from them."""

    started: Mark | None
    succeeded: Mark | None
    failed: Mark | None

    #: The newest of the three, and the newest end (None: it never ended).
    latest: Mark = field(init=False, repr=False, compare=False)
    ended: Mark | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        ended = newest((self.succeeded, self.failed))
        latest = newest((ended, self.started))
        assert latest is not None, "a summary has a mark at least"
        object.__setattr__(self, "ended", ended)
        object.__setattr__(self, "latest", latest)

    @property
    def state(self) -> str:
        """``started``, ``succeeded`` or ``failed``: the phase of the newest mark."""
        return self.latest.phase

    @property
    def duration(self) -> float | None:
        return duration(self.started, self.ended)

    def as_json(self) -> dict[str, Any]:
        return {
            "state": self.state,
            "duration": self.duration,
            **{phase: None if mark is None else mark.json for phase, mark in self.marks()},
        }

    def marks(self) -> list[tuple[str, Mark | None]]:
        return [(STARTED, self.started), (SUCCEEDED, self.succeeded), (FAILED, self.failed)]


@dataclass(frozen=True)
class Item(Summary):
    """One cell of a tile."""

    category: str = ""
    #: The cell's item parts (``us-east-1``); ``""`` in a group without items.
    name: str = ""
    #: Whether its success is of its tile's newest successful run.
    current: bool = False


@dataclass(frozen=True)
class Tile(Summary):
    """The cells at one row and column of a group, summed up."""

    row: str = ""
    column: str = ""
    items: list[Item] = field(default_factory=list)
    stale: bool = False

    def as_json(self) -> dict[str, Any]:
        items = [
            {"name": item.name, "category": item.category, "current": item.current, **item.as_json()}
            for item in self.items
        ]
        return {"row": self.row, "column": self.column, "stale": self.stale, **super().as_json(), "items": items}


#: A row of a group's grid: its key, and per column the tile there or None.
Row = tuple[str, list[Tile | None]]


@dataclass(frozen=True)
class Group:
    id: str
    title: str
    #: The grid's column keys, and its rows' keys with their tiles (None: no cell there).
    columns: list[str]
    rows: list[Row]

    @property
    def tiles(self) -> list[Tile]:
        return [tile for _, cells in self.rows for tile in cells if tile is not None]

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "columns": self.columns,
            "rows": [key for key, _ in self.rows],
            "tiles": [tile.as_json() for tile in self.tiles],
        }


@dataclass(frozen=True)
class _Spec:
    """A group of the layout, checked."""

    id: str
    title: str
    prefix: str
    parts: list[str]
    rows: list[str]
    columns: list[str]
    items: list[str]
    order: dict[str, list[str]]
    stale_after: float

    @classmethod
    def of(cls, group: dict[str, Any]) -> _Spec:
        parts = [str(name) for name in group.get("parts", [])]
        prefix = str(group.get("prefix", ""))
        return cls(
            id=str(group.get("id", prefix.strip("/"))),
            title=str(group.get("title", prefix)),
            prefix=prefix,
            parts=parts,
            rows=[str(name) for name in group.get("rows", parts[:1])],
            columns=[str(name) for name in group.get("columns", [])],
            items=[str(name) for name in group.get("items", [])],
            order={str(name): [str(value) for value in values] for name, values in group.get("order", {}).items()},
            stale_after=float(group.get("stale_after", STALE_AFTER)),
        )

    def key(self, values: dict[str, str], names: Sequence[str]) -> str:
        return "/".join(values[name] for name in names)

    def sort_key(self, key: str, names: Sequence[str]) -> tuple[Any, ...]:
        """Each part's place: first the values ``order`` lists, in order, then the others in natural order."""
        if not names:
            return ()
        placed = []
        for name, value in zip(names, key.split("/"), strict=True):
            preferred = self.order.get(name, [])
            if value in preferred:
                placed.append((preferred.index(value), natural("")))
            else:
                placed.append((len(preferred), natural(value)))
        return tuple(placed)


def has_board(plugin: BasePlugin) -> bool:
    """Whether the plugin keeps milestones and lays them out as a board."""
    return isinstance(plugin, MilestonePlugin) and bool(plugin.layout) and "groups" in (plugin.layout or {})


def read_marks(connection: Connection, plugin: MilestonePlugin) -> dict[str, dict[str, Mark]]:
    """Every cell's marks: category -> phase -> mark, links checked again (the table may predate a host's removal)."""
    table = plugin.model.__table__
    hosts = plugin.link_hosts
    cells: dict[str, dict[str, Mark]] = {}
    columns = [
        table.c[name] for name in ("category", "phase", "status", "timestamp", "msg_id", "run", "link", "detail")
    ]
    for category, phase, status, timestamp, msg_id, run, link, detail in connection.execute(select(*columns)):
        checked = checked_detail(detail, hosts) if detail else None
        mark = Mark(phase, status, timestamp, msg_id, run, safe_link(link, hosts) if link else None, checked)
        found = cells.get(category)
        if found is None:
            cells[category] = {phase: mark}
        else:
            found[phase] = mark
    return cells


def _tile(spec: _Spec, row: str, column: str, cells: list[tuple[str, str, dict[str, Mark]]], now: float) -> Tile:
    if len(cells) > 1:
        cells = sorted(cells, key=lambda cell: spec.sort_key(cell[1], spec.items))
    summaries = [(marks.get(STARTED), marks.get(SUCCEEDED), marks.get(FAILED)) for _, _, marks in cells]
    started = newest(summary[0] for summary in summaries)
    succeeded = newest(summary[1] for summary in summaries)
    failed = newest(summary[2] for summary in summaries)
    run = succeeded.run if succeeded is not None else None
    items = []
    for (category, name, _), mine in zip(cells, summaries, strict=True):
        success = mine[1]
        # Its success is of the tile's newest successful run (the same mark where runs are not named).
        current = success is not None and (success.run == run if run else success is succeeded)
        items.append(Item(*mine, category=category, name=name, current=current))
    latest = newest((started, succeeded, failed))
    assert latest is not None, "a tile has a cell, and a cell a mark"
    stale = now - latest.timestamp.timestamp() > spec.stale_after
    return Tile(started, succeeded, failed, row=row, column=column, items=items, stale=stale)


def groups(connection: Connection | None, plugin: BasePlugin, now: float) -> list[Group]:
    """The layout's groups, each with the grid of its cells (empty before the table exists)."""
    layout: dict[str, Any] = plugin.layout or {}
    cells = read_marks(connection, plugin) if connection is not None and isinstance(plugin, MilestonePlugin) else {}
    laid_out = []
    for group in layout.get("groups", []):
        spec = _Spec.of(group)
        placed: dict[tuple[str, str], list[tuple[str, str, dict[str, Mark]]]] = {}
        for category, marks in cells.items():
            if not category.startswith(spec.prefix):
                continue
            values = category[len(spec.prefix) :].split("/")
            if len(values) != len(spec.parts):
                continue
            named = dict(zip(spec.parts, values, strict=True))
            where = (spec.key(named, spec.rows), spec.key(named, spec.columns))
            placed.setdefault(where, []).append((category, spec.key(named, spec.items), marks))
        tiles = {where: _tile(spec, *where, found, now) for where, found in placed.items()}
        columns = sorted({column for _, column in tiles}, key=lambda key: spec.sort_key(key, spec.columns))
        keys = sorted({row for row, _ in tiles}, key=lambda key: spec.sort_key(key, spec.rows))
        rows = [(key, [tiles.get((key, column)) for column in columns]) for key in keys]
        laid_out.append(Group(spec.id, spec.title, columns, rows))
    return laid_out
