"""The plugin API.

A plugin says *what* to count; statscache owns the threads, the clock, the
database session and the flush. The life of a message:

1. the consumer thread calls :meth:`BasePlugin.process`, which asks the plugin
   for the message's :meth:`~BasePlugin.contribution` and caches it under the
   message's ``msg_id`` (a second copy of a cached message is ignored);
2. every ``statscache.producer.frequency`` the flusher swaps the cache out
   (:meth:`~BasePlugin.drain`), removes messages the plugin has already counted
   in an earlier flush (the ledger), and hands the rest to
   :meth:`~BasePlugin.update` inside the transaction that also records them in
   the ledger; so a message is counted once per plugin, across restarts too;
3. if the transaction fails, the batch goes back into the cache
   (:meth:`~BasePlugin.restore`) and is written on the next flush.

Most plugins subclass :class:`CountingPlugin` (count per window and key) or
:class:`VolumePlugin` (count per window) and write one method.
"""

from __future__ import annotations

import re
import threading
from abc import ABC, abstractmethod
from collections import Counter
from datetime import datetime, timedelta, timezone
from typing import Any, ClassVar, Generic, Iterable, Mapping, NamedTuple, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from statscache.ledger import PluginState
from statscache.message import Message
from statscache.models import CategorizedVolumeModel, LatestEventModel, StatsModel, VolumeModel, concrete_model
from statscache.upsert import add_counts, replace_if_newer
from statscache.windows import interval_seconds, interval_suffix, window_start

__all__ = [
    "Batch",
    "BasePlugin",
    "CountingPlugin",
    "VolumePlugin",
    "LatestEventPlugin",
    "Event",
    "Message",
    "InvalidKey",
]

T = TypeVar("T")

#: What a drained cache holds: ``msg_id -> (event timestamp, contribution)``.
Batch = dict[str, tuple[float, T]]

#: Longest key a counting plugin may emit; longer ones are refused as bad input.
MAX_KEY_LENGTH = 255


class InvalidKey(ValueError):
    """A counting plugin produced a key that cannot be stored."""


def slugify(name: str) -> str:
    """``"Volume by category"`` -> ``"volume-by-category"``."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


class BasePlugin(ABC, Generic[T]):
    """Keeps one statistic. Subclasses set the class attributes and write
    :meth:`contribution` and :meth:`update`.

    ``process`` runs on the consumer thread, ``drain``/``update``/``restore``
    on the flusher's: the cache is only ever swapped whole under the lock.
    """

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
    #: The table this plugin writes; windowed plugins make theirs per ident.
    model: type[StatsModel]

    def __init__(self, interval: timedelta | None = None) -> None:
        if self.windowed and interval is None:
            raise TypeError(f"{type(self).__name__} is windowed and needs an interval")
        if not self.windowed and interval is not None:
            raise TypeError(f"{type(self).__name__} is not windowed and takes no interval")
        self.interval = interval
        slug = slugify(self.name)
        #: Stable identifier: the name's slug, plus ``-1m``/``-1h``/... when windowed.
        self.ident = f"{slug}-{interval_suffix(interval)}" if interval else slug
        self._lock = threading.Lock()
        self._pending: Batch[T] = {}

    @property
    def table_name(self) -> str:
        return self.ident.replace("-", "_")

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.ident}>"

    @abstractmethod
    def contribution(self, message: Message) -> T | None:
        """What ``message`` adds to this statistic (None: nothing). Must not touch shared state."""

    @abstractmethod
    def update(self, session: Session, batch: Batch[T]) -> None:
        """Write a drained batch of not-yet-counted messages; the caller commits."""

    def process(self, message: Message) -> bool:
        """Cache what ``message`` contributes; False when a copy was already cached (and this one ignored)."""
        contribution = self.contribution(message)
        with self._lock:
            if message.msg_id in self._pending:
                return False
            self._pending[message.msg_id] = (message.timestamp, contribution)
        return True

    def drain(self) -> Batch[T]:
        """Take the whole cache, leaving an empty one (an atomic swap)."""
        with self._lock:
            batch, self._pending = self._pending, {}
        return batch

    def restore(self, batch: Batch[T]) -> None:
        """Put back a batch whose write failed; it wins over newer copies of the same messages."""
        with self._lock:
            self._pending = {**self._pending, **batch}

    def pending(self) -> int:
        """How many messages wait in the cache."""
        with self._lock:
            return len(self._pending)

    def latest(self, session: Session) -> datetime | None:
        """Event time of the newest message counted: statistics are complete up to here."""
        return session.scalar(select(PluginState.latest).where(PluginState.ident == self.ident))


class CountingPlugin(BasePlugin[tuple[int, tuple[str, ...]]]):
    """Counts distinct messages per UTC window and key.

    Write :meth:`keys`; a message counts once for each distinct key it yields.
    """

    windowed = True

    def __init__(self, interval: timedelta | None = None) -> None:
        super().__init__(interval)
        assert self.interval is not None
        self._seconds = interval_seconds(self.interval)
        self.model = concrete_model(CategorizedVolumeModel, self.table_name)

    @abstractmethod
    def keys(self, message: Message) -> Iterable[str]:
        """The keys ``message`` counts under (none: it is not counted)."""

    def contribution(self, message: Message) -> tuple[int, tuple[str, ...]] | None:
        keys = self.keys(message)
        if type(keys) is not tuple:
            keys = tuple(keys)
        if not keys:
            return None
        if len(keys) > 1:
            keys = tuple(dict.fromkeys(keys))
        for key in keys:
            if type(key) is not str or not 0 < len(key) <= MAX_KEY_LENGTH or "\x00" in key:
                raise InvalidKey(
                    f"{self.ident}: key {key!r} is not a non-empty string of at most "
                    f"{MAX_KEY_LENGTH} characters without NUL"
                )
        return window_start(message.timestamp, self._seconds), keys

    def tally(self, batch: Batch[tuple[int, tuple[str, ...]]]) -> Counter[tuple[int, str]]:
        """Messages per (window start, key) in a batch."""
        counts: Counter[tuple[int, str]] = Counter()
        for _, contribution in batch.values():
            if contribution is not None:
                window, keys = contribution
                counts.update((window, key) for key in keys)
        return counts

    def update(self, session: Session, batch: Batch[tuple[int, tuple[str, ...]]]) -> None:
        rows = [
            {"timestamp": _utc(window), "category": key, "volume": volume}
            for (window, key), volume in self.tally(batch).items()
        ]
        add_counts(session, self.model, ("timestamp", "category"), rows)


class VolumePlugin(BasePlugin[int]):
    """Counts distinct messages per UTC window; override :meth:`matches` to count only some."""

    windowed = True

    def __init__(self, interval: timedelta | None = None) -> None:
        super().__init__(interval)
        assert self.interval is not None
        self._seconds = interval_seconds(self.interval)
        self.model = concrete_model(VolumeModel, self.table_name)

    def matches(self, message: Message) -> bool:
        """Whether ``message`` is counted; every message by default."""
        return True

    def contribution(self, message: Message) -> int | None:
        return window_start(message.timestamp, self._seconds) if self.matches(message) else None

    def update(self, session: Session, batch: Batch[int]) -> None:
        counts = Counter(window for _, window in batch.values() if window is not None)
        rows = [{"timestamp": _utc(window), "volume": volume} for window, volume in counts.items()]
        add_counts(session, self.model, ("timestamp",), rows)


class Event(NamedTuple):
    """One event a :class:`LatestEventPlugin` keeps: the newest per category wins."""

    category: str
    status: str
    link: str | None = None


class LatestEventPlugin(BasePlugin[Event]):
    """Keeps the latest event of each category; write :meth:`event`.

    A category that recurs replaces its row (only with a newer event), so
    replays and out-of-order deliveries leave the newest one in place.
    """

    def __init__(self, interval: timedelta | None = None) -> None:
        super().__init__(interval)
        self.model = concrete_model(LatestEventModel, self.table_name)

    @abstractmethod
    def event(self, message: Message) -> Event | None:
        """The event ``message`` announces (None: it announces none)."""

    def contribution(self, message: Message) -> Event | None:
        return self.event(message)

    def update(self, session: Session, batch: Batch[Event]) -> None:
        newest: dict[str, tuple[float, str, Event]] = {}
        for msg_id, (timestamp, event) in batch.items():
            if event is None:
                continue
            current = newest.get(event.category)
            # Ties on time go to the larger msg_id, so the outcome never depends on arrival order.
            if current is None or (timestamp, msg_id) > current[:2]:
                newest[event.category] = (timestamp, msg_id, event)
        rows = [
            {"category": category, "timestamp": _utc(timestamp), "msg_id": msg_id, "status": event.status, "link": event.link}
            for category, (timestamp, msg_id, event) in newest.items()
        ]
        replace_if_newer(session, self.model, ("category",), rows)


def _utc(epoch_seconds: float) -> datetime:
    return datetime.fromtimestamp(epoch_seconds, tz=timezone.utc)


def describe(plugin: BasePlugin[Any]) -> Mapping[str, Any]:
    """What a plugin is, for logs and listings."""
    return {
        "ident": plugin.ident,
        "name": plugin.name,
        "summary": plugin.summary,
        "description": plugin.description,
        "interval": plugin.interval.total_seconds() if plugin.interval else None,
        "backlog_delta": plugin.backlog_delta.total_seconds() if plugin.backlog_delta else None,
        "columns": plugin.model.columns(),
    }
