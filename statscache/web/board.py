"""The release-engineering board: a plugin's latest events laid out by its ``layout``, each with a tone for its status.

A layout names groups by the prefix of their categories (``"prefix": "compose/"``) or
by their categories themselves (``"categories": [...]``).
Each group becomes a two-dimensional grid: a tile's name (its category less the
group's prefix) splits at its last ``/`` into a row and a column, so that
``compose/rawhide/x86_64`` sits in row ``rawhide``, column ``x86_64`` of the
composes, and ``image-test/Fedora-Cloud-Base/23`` in row ``Fedora-Cloud-Base``,
column ``23`` of the image tests (a name without ``/`` is a row of one column, ``""``).
Rows and columns are in natural order (``22`` < ``23`` < ``23_TC10`` < ``rawhide``);
a cell that no category names is None. A tile shows the latest event of
its category: its status, when, and its link (with the link's host) when the plugin serves one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import Connection, select

from statscache.plugins import BasePlugin, LatestEventPlugin
from statscache.plugins.links import safe_link

#: Words in a status that say how it went, checked in this order (the first that matches wins).
_TONES = (
    ("failed", re.compile(r"fail|error|doom|abort|cancel|broken", re.IGNORECASE)),
    ("running", re.compile(r"start|running|progress|queued|pending|wait", re.IGNORECASE)),
    ("done", re.compile(r"finish|succe|complete|done|sync|push|commit|pass|upload|release", re.IGNORECASE)),
)
#: Runs of digits, which natural order compares as numbers.
_DIGITS = re.compile(r"(\d+)")


def tone(status: str) -> str:
    """``failed``, ``running``, ``done``, or ``other`` for a status that says none of these."""
    for name, pattern in _TONES:
        if pattern.search(status):
            return name
    return "other"


def natural(key: str) -> tuple[tuple[tuple[int, int, str], ...], str]:
    """A sort key for release-like names: numbers as numbers, text case-blind after them.

    ``22`` < ``23`` < ``23_TC10`` < ``f23-updates`` < ``rawhide``; the name itself breaks ties.
    """
    parts = tuple((0, int(part), "") if part.isdigit() else (1, 0, part.lower()) for part in _DIGITS.split(key) if part)
    return parts, key


def split_name(name: str) -> tuple[str, str]:
    """A tile's row and column: its name split at the last ``/`` (``"rawhide/x86_64"`` -> ``rawhide``, ``x86_64``)."""
    row, _, column = name.rpartition("/")
    return (row, column) if row else (name, "")


@dataclass(frozen=True)
class Tile:
    category: str
    #: The category less its group's prefix.
    name: str
    status: str
    tone: str
    timestamp: datetime
    link: str | None
    #: The link's host name, which the tile shows as the link's text.
    link_host: str | None = None


#: A row of a group's grid: its key, and per column the tile there or None.
Row = tuple[str, list[Tile | None]]


@dataclass(frozen=True)
class Group:
    title: str
    #: Every tile, in category order.
    tiles: list[Tile]
    #: The grid's column keys, in natural order (``[""]`` when no name has a ``/``).
    columns: list[str]
    #: The grid's rows, in natural order of their keys.
    rows: list[Row]


def grid(tiles: list[Tile]) -> tuple[list[str], list[Row]]:
    """The columns and rows that ``tiles`` fill, each tile at the row and column of its name."""
    cells = {split_name(tile.name): tile for tile in tiles}
    columns = sorted({column for _, column in cells}, key=natural)
    keys = sorted({row for row, _ in cells}, key=natural)
    return columns, [(row, [cells.get((row, column)) for column in columns]) for row in keys]


def _host(link: str | None) -> str | None:
    return urlsplit(link).hostname if link else None


def groups(connection: Connection | None, plugin: BasePlugin) -> list[Group]:
    """The layout's groups, each with the grid of its categories (empty before the table exists)."""
    layout: dict[str, Any] = plugin.layout or {}
    table = plugin.model.__table__
    hosts = plugin.link_hosts if isinstance(plugin, LatestEventPlugin) else frozenset()
    rows = [] if connection is None else list(connection.execute(select(table).order_by(table.c.category)))
    laid_out = []
    for group in layout.get("groups", []):
        prefix = str(group.get("prefix", ""))
        named = set(group.get("categories", ()))
        tiles = []
        for row in rows:
            if row.category in named if named else prefix and row.category.startswith(prefix):
                name = row.category.removeprefix(prefix) or row.category
                link = safe_link(row.link, hosts)
                tiles.append(Tile(row.category, name, row.status, tone(row.status), row.timestamp, link, _host(link)))
        laid_out.append(Group(str(group.get("title", prefix or "Events")), tiles, *grid(tiles)))
    return laid_out
