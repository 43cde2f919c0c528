"""The release-engineering board: a plugin's latest events laid out by its ``layout``, each with a tone for its status.

A layout names groups by the prefix of their categories (``"prefix": "compose/"``) or
by their categories themselves (``"categories": [...]``).
Each group becomes a grid of tiles, one per category, that show the latest event
of that category: its status, when, and its link when the plugin serves one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from statscache.plugins import BasePlugin, LatestEventPlugin
from statscache.plugins.links import safe_link

#: Words in a status that say how it went, checked in this order (the first that matches wins).
_TONES = (
    ("failed", re.compile(r"fail|error|doom|abort|cancel|broken", re.IGNORECASE)),
    ("running", re.compile(r"start|running|progress|queued|pending|wait", re.IGNORECASE)),
    ("done", re.compile(r"finish|succe|complete|done|sync|push|commit|pass|upload|release", re.IGNORECASE)),
)


def tone(status: str) -> str:
    """``failed``, ``running``, ``done``, or ``other`` for a status that says none of these."""
    for name, pattern in _TONES:
        if pattern.search(status):
            return name
    return "other"


@dataclass(frozen=True)
class Tile:
    category: str
    #: The category less its group's prefix.
    name: str
    status: str
    tone: str
    timestamp: datetime
    link: str | None


@dataclass(frozen=True)
class Group:
    title: str
    tiles: list[Tile]


def groups(connection: Connection | None, plugin: BasePlugin) -> list[Group]:
    """The layout's groups, each with the tiles of its categories in name order (empty before the table exists)."""
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
                tiles.append(
                    Tile(row.category, name, row.status, tone(row.status), row.timestamp, safe_link(row.link, hosts))
                )
        laid_out.append(Group(str(group.get("title", prefix or "Events")), tiles))
    return laid_out
