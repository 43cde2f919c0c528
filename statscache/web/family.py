"""A counting plugin's family: the same statistic at each window length (``volume-by-user-1m``, ``-1h``,
``-1d``), and the member whose table keeps the day, week and month sums (:mod:`statscache.store.levels`).

Rollups and top lists read whichever member answers with the fewest rows: a
week of ``volume-by-user-1h`` is the sum of seven rows per user of ``-1d``, a
year the sum of the months the source keeps, and only the ends of a range that
cut a day (or an hour) are read from the finer tables.
"""

from __future__ import annotations

from dataclasses import dataclass

from statscache.plugins import BasePlugin
from statscache.plugins.kinds import CountingPlugin, VolumePlugin
from statscache.store import levels
from statscache.windows import interval_seconds


def window(plugin: BasePlugin) -> int:
    assert plugin.interval is not None
    return interval_seconds(plugin.interval)


def rolls_up(plugin: BasePlugin) -> bool:
    """Whether the plugin counts messages per window: its rows can be summed into longer ones (``?interval=``)."""
    return plugin.interval is not None and isinstance(plugin, (CountingPlugin, VolumePlugin))


def ranks(plugin: BasePlugin) -> bool:
    """Whether the plugin counts per window and category: its categories can be ranked (``/top``)."""
    return rolls_up(plugin) and "category" in plugin.model.__table__.columns


@dataclass(frozen=True)
class Family:
    plugin: BasePlugin
    #: Every member, the plugin included, shortest window first.
    members: tuple[BasePlugin, ...]
    #: The member whose levels the database keeps (None: none does).
    source: BasePlugin | None

    def finest_dividing(self, seconds: int) -> BasePlugin:
        """The member with the longest window that divides ``seconds`` and is a multiple of the plugin's."""
        own = window(self.plugin)
        fitting = [m for m in self.members if seconds % window(m) == 0 and window(m) % own == 0]
        return max(fitting, key=window)

    def chain(self) -> list[BasePlugin]:
        """The plugin, then each longer member whose window is a multiple of the one before, up to the source
        (each a level of the ranges :mod:`statscache.web.top` cuts); the plugin alone without a source."""
        if self.source is None or window(self.source) < window(self.plugin):
            return [self.plugin]
        chained = [self.plugin]
        top = window(self.source)
        for member in self.members:
            step = window(member)
            if window(chained[-1]) < step <= top and step % window(chained[-1]) == 0 and top % step == 0:
                chained.append(member)
        return chained if chained[-1] is self.source else [self.plugin]


def family_of(plugin: BasePlugin, plugins: list[BasePlugin], kept: set[str]) -> Family:
    """The plugin's family among ``plugins``; ``kept``: the tables whose levels the database keeps."""
    members = sorted((p for p in plugins if type(p) is type(plugin) and p.interval is not None), key=window)
    sources = [m for m in members if m.model.__tablename__ in kept and levels.is_source_interval(window(m))]
    return Family(plugin, tuple(members), max(sources, key=window) if sources else None)
