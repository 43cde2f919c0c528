"""What every plugin is: :class:`BasePlugin`, the :class:`Batch` its ``update`` receives, and the limits
on what a plugin may produce (keys and statuses a database can store)."""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime, timedelta
from typing import Any, ClassVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from statscache.plugins.message import Message
from statscache.plugins.models import StatsModel
from statscache.store.ledger import PluginState
from statscache.windows import interval_suffix


class Batch:
    """What ``update`` receives: iterating gives ``(event timestamp, contribution)``
    of each message the plugin has not counted yet (None contributions left out).

    It reads the cache's entries in place (``contributions[family]`` of each)
    rather than copying them: a copy would be thousands of objects kept alive
    at once, each flush, for the garbage collector to walk. Plugins of one
    class at several window lengths receive the same batch, and can share work
    through :attr:`memo`.
    """

    __slots__ = ("_entries", "_family", "memo")

    def __init__(self, entries: Sequence[tuple[Any, float, Sequence[Any]]], family: int = 0) -> None:
        self._entries = entries
        self._family = family
        self.memo: dict[Any, Any] = {}

    @classmethod
    def of(cls, pairs: Iterable[tuple[float, Any]]) -> Batch:
        """A batch of ``(timestamp, contribution)`` pairs (for tests and tools)."""
        return cls([(None, timestamp, (contribution,)) for timestamp, contribution in pairs])

    def __iter__(self) -> Iterator[tuple[float, Any]]:
        family = self._family
        for _, timestamp, contributions in self._entries:
            contribution = contributions[family]
            if contribution is not None:
                yield timestamp, contribution

    def timestamps(self) -> list[float]:
        """Event times of the messages that contribute something."""
        family = self._family
        return [timestamp for _, timestamp, contributions in self._entries if contributions[family] is not None]

    def __len__(self) -> int:
        family = self._family
        return sum(1 for _, _, contributions in self._entries if contributions[family] is not None)

    def __repr__(self) -> str:
        return f"<Batch of {len(self)} messages>"


def slugify(name: str) -> str:
    """``"Volume by category"`` -> ``"volume-by-category"``."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


class BasePlugin(ABC):
    """Keeps one statistic. Subclasses set the class attributes and ``model``,
    and write :meth:`process` and :meth:`update`."""

    #: Human-readable name; its slug (plus the window suffix) is the ident.
    name: ClassVar[str]
    #: One line saying what the statistic is.
    summary: ClassVar[str]
    #: A paragraph saying how it is computed.
    description: ClassVar[str]
    #: True when one instance runs per configured window length.
    windowed: ClassVar[bool] = False
    #: How much history is useful to this plugin (None: all of it).
    backlog_delta: ClassVar[timedelta | None] = None
    #: The table this plugin writes; the bases below make theirs per ident. It has
    #: a ``timestamp`` column: the web API orders and filters rows by it.
    model: type[StatsModel]
    #: How pages for people should present this statistic (JSON-ready), or None;
    #: served at ``/api/<ident>/layout``.
    layout: ClassVar[dict[str, Any] | None] = None
    #: Whether the database tallies the table's rows per time bucket (:mod:`statscache.store.tally`), which
    #: makes a deep page as fast as the first. Its triggers run on each change of a row's ``timestamp``.
    tallied: ClassVar[bool] = True

    def __init__(self, interval: timedelta | None = None) -> None:
        if self.windowed and interval is None:
            raise TypeError(f"{type(self).__name__} is windowed and needs an interval")
        if not self.windowed and interval is not None:
            raise TypeError(f"{type(self).__name__} is not windowed and takes no interval")
        self.interval = interval
        slug = slugify(self.name)
        #: Stable identifier: the name's slug, plus ``-1m``/``-1h``/... when windowed.
        self.ident = f"{slug}-{interval_suffix(interval)}" if interval else slug

    @property
    def table_name(self) -> str:
        return self.ident.replace("-", "_")

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.ident}>"

    @property
    def tallied_by_writer(self) -> bool:
        """Whether :meth:`update` inserts rows through :func:`statscache.store.upsert.add_counts` alone,
        which counts them in the tally itself (see :mod:`statscache.store.tally`): the database then
        runs no trigger for each row inserted. If not, a trigger counts them, however they are written."""
        return False

    def accepts(self, topic: str) -> bool:
        """Whether messages of this topic may contribute at all (all do by default).

        A cheap filter on the topic alone: statscache asks once per topic and
        remembers, so that a plugin is not even called with the messages it
        would ignore.
        """
        return True

    @abstractmethod
    def process(self, message: Message) -> Any:
        """Return what ``message`` contributes to this statistic (None: nothing).

        statscache keeps the result in memory, under the message's ``msg_id``,
        until the next flush hands it to :meth:`update`. Runs on the consumer
        thread, once per message for all plugins of this class, so it may
        depend on the message alone. Keep it small: the envelope itself is not
        kept.
        """

    @abstractmethod
    def update(self, session: Session, batch: Batch) -> None:
        """Write what ``batch`` adds. Runs on the flusher thread, inside the flush's transaction."""

    def latest(self, session: Session) -> datetime | None:
        """Event time of the newest message counted (what is complete: :mod:`statscache.store.coverage`)."""
        return session.scalar(select(PluginState.latest).where(PluginState.ident == self.ident))
