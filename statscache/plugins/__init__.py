"""The plugin API.

A plugin says *what* to count; statscache owns the threads, the clock, the
database session and the flush. The life of a message:

1. on the consumer thread, statscache checks the envelope and has each plugin
   class :meth:`~BasePlugin.process` it into a small contribution (once per
   class: ``volume-1m``, ``-1h`` and ``-1d`` share it), then caches those
   under the message's ``msg_id``; a copy of a cached message is dropped;
2. every ``statscache.producer.frequency`` the flusher swaps the cache out
   under its lock, asks the ledger which of those messages each plugin has
   already counted, and hands each plugin the others'
   ``(timestamp, contribution)`` pairs: :meth:`~BasePlugin.update` writes them,
   inside the transaction that also records them in the ledger. So a message
   counts once per plugin, across restarts too;
3. if a plugin's update fails, its savepoint is rolled back and its messages
   wait for the next flush; if the transaction fails, every message goes back
   into the cache. Nothing is dropped.

Messages fetched from datagrepper to fill a gap (backfill, :mod:`statscache.history.backfill`)
take the same path, from a thread of their own: a plugin cannot tell them apart.

Most plugins subclass :class:`CountingPlugin` (count per window and key),
:class:`VolumePlugin` (count per window) or :class:`LatestEventPlugin` (latest
event per category) and write one method of the message alone.
"""

from __future__ import annotations

import operator
import re
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from itertools import islice, repeat
from typing import Any, ClassVar, NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from statscache.ingest.message import Message, is_storable
from statscache.models import CategorizedVolumeModel, LatestEventModel, StatsModel, VolumeModel, concrete_model
from statscache.plugins.links import safe_link
from statscache.store.ledger import PluginState
from statscache.store.upsert import add_counts, replace_if_newer
from statscache.windows import interval_seconds, interval_suffix

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


#: Longest key a counting plugin may emit (or category an event may have); longer ones are refused as bad input.
MAX_KEY_LENGTH = 255
#: Most keys one message may count under: a message naming more is refused as bad input
#: (real ones name a few users or packages; a bodhi update of a big stack, some hundreds).
MAX_KEYS = 4096
#: Longest status an event may have.
MAX_STATUS_LENGTH = 1024


class InvalidKey(ValueError):
    """A counting plugin produced a key that cannot be stored."""


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


class _WindowedCount(BasePlugin):
    """Shared set-up of the counting bases: a window length, and a table made from ``base_model``."""

    windowed = True
    base_model: ClassVar[type[StatsModel]]

    def __init__(self, interval: timedelta | None = None) -> None:
        super().__init__(interval)
        assert self.interval is not None
        self._seconds = interval_seconds(self.interval)
        self.model = concrete_model(self.base_model, self.table_name)


class CountingPlugin(_WindowedCount):
    """Counts distinct messages per UTC window and key.

    Write :meth:`keys`; a message counts once for each distinct key it yields.
    """

    base_model = CategorizedVolumeModel

    @abstractmethod
    def keys(self, message: Message) -> Iterable[str]:
        """The keys ``message`` counts under (none: it is not counted); of the message alone."""

    def process(self, message: Message) -> tuple[str, ...] | None:
        """The message's distinct keys, checked to be storable."""
        keys = self.keys(message)
        if type(keys) is not tuple:
            # islice: a generator of endless keys must not run the consumer out of memory.
            keys = tuple(islice(keys, MAX_KEYS + 1))
        if len(keys) > MAX_KEYS:
            raise InvalidKey(f"a message may count under at most {MAX_KEYS} keys")
        if len(keys) > 1:
            keys = tuple(dict.fromkeys(keys))
        elif not keys:
            return None
        for key in keys:
            if not _storable_key(key):
                raise InvalidKey(
                    f"key {_shown(key)} is not a non-empty string of at most {MAX_KEY_LENGTH} characters "
                    "without NUL or lone surrogates"
                )
        return keys

    def tally(self, batch: Batch) -> Counter[tuple[int, str]]:
        """Messages per (window start, key)."""
        return _tally(
            self,
            batch,
            lambda seconds: Counter(
                (int(timestamp // seconds) * seconds, key) for timestamp, keys in batch for key in keys
            ),
        )

    def update(self, session: Session, batch: Batch) -> None:
        rows = [
            {"timestamp": _utc(window), "category": key, "volume": volume}
            for (window, key), volume in self.tally(batch).items()
        ]
        add_counts(session, self.model, ("timestamp", "category"), rows)


class VolumePlugin(_WindowedCount):
    """Counts distinct messages per UTC window; override :meth:`matches` to count only some."""

    base_model = VolumeModel

    def matches(self, message: Message) -> bool:
        """Whether ``message`` is counted (every message by default); of the message alone."""
        return True

    def process(self, message: Message) -> bool | None:
        return True if self.matches(message) else None

    def tally(self, batch: Batch) -> Counter[int]:
        """Messages per window start."""

        def count(seconds: int) -> Counter[int]:
            # Window indexes counted in C (floordiv over the list), then scaled: few distinct windows.
            indexes = Counter(map(operator.floordiv, batch.timestamps(), repeat(seconds)))
            return Counter({int(index) * seconds: volume for index, volume in indexes.items()})

        return _tally(self, batch, count)

    def update(self, session: Session, batch: Batch) -> None:
        rows = [{"timestamp": _utc(window), "volume": volume} for window, volume in self.tally(batch).items()]
        add_counts(session, self.model, ("timestamp",), rows)


class Event(NamedTuple):
    """One event a :class:`LatestEventPlugin` keeps: the newest per category wins."""

    category: str
    status: str
    link: str | None = None


class LatestEventPlugin(BasePlugin):
    """Keeps the latest event of each category; write :meth:`event`.

    A category that recurs replaces its row (only with a newer event), so
    replays and out-of-order deliveries leave the newest one in place.

    An event's link is kept only if it is an http(s) URL to one of
    :attr:`link_hosts` (see :mod:`statscache.plugins.links`); any other link
    becomes None, and the event is kept. The web API checks stored links again.
    """

    #: Hosts the plugin's links may point to: names, or ``*.example.org`` for any one label before
    #: ``.example.org``. None listed: the plugin serves no links.
    link_hosts: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, interval: timedelta | None = None) -> None:
        super().__init__(interval)
        self.model = concrete_model(LatestEventModel, self.table_name)

    @abstractmethod
    def event(self, message: Message) -> Event | None:
        """The event ``message`` announces (None: it announces none); of the message alone."""

    def process(self, message: Message) -> tuple[str, Event] | None:
        """The event, checked to be storable, its link kept only if safe."""
        event = self.event(message)
        if event is None:
            return None
        if type(event) is not Event:
            raise InvalidKey(f"event() returned {type(event).__name__}, not an Event")
        category, status, link = event
        storable_status = type(status) is str and len(status) <= MAX_STATUS_LENGTH and is_storable(status)
        if not (_storable_key(category) and storable_status):
            raise InvalidKey(
                f"event needs a category of 1 to {MAX_KEY_LENGTH} characters and a status of at most "
                f"{MAX_STATUS_LENGTH}, without NUL or lone surrogates; got {_shown(category)}, {_shown(status)}"
            )
        if link is not None:
            safe = safe_link(link, self.link_hosts)
            if safe is None:
                event = Event(category, status, None)
        return message.msg_id, event

    def update(self, session: Session, batch: Batch) -> None:
        newest: dict[str, tuple[float, str, Event]] = {}
        for timestamp, (msg_id, event) in batch:
            current = newest.get(event.category)
            # Ties on time go to the larger msg_id, so the outcome never depends on arrival order.
            if current is None or (timestamp, msg_id) > current[:2]:
                newest[event.category] = (timestamp, msg_id, event)
        rows = [
            {
                "category": category,
                "timestamp": _utc(timestamp),
                "msg_id": msg_id,
                "status": event.status,
                "link": event.link,
            }
            for category, (timestamp, msg_id, event) in newest.items()
        ]
        replace_if_newer(session, self.model, ("category",), rows)


def _tally(plugin: _WindowedCount, batch: Batch, count: Callable[[int], Counter[Any]]) -> Counter[Any]:
    """``count(seconds)`` for the plugin's window length, unless a finer tally of the
    same batch by the same class divides it: then summing that one's windows is
    exact and costs one step per window instead of one per message."""
    seconds = plugin._seconds
    finer = [s for (cls, s) in batch.memo if cls is type(plugin) and seconds % s == 0]
    if finer:
        source = batch.memo[(type(plugin), max(finer))]
        tally: Counter[Any] = Counter()
        for window, volume in source.items():
            if type(window) is tuple:
                tally[(window[0] // seconds * seconds, window[1])] += volume
            else:
                tally[window // seconds * seconds] += volume
    else:
        tally = count(seconds)
    batch.memo[(type(plugin), seconds)] = tally
    return tally


def _storable_key(key: object) -> bool:
    """A string of 1 to MAX_KEY_LENGTH characters that every database can store."""
    return type(key) is str and 0 < len(key) <= MAX_KEY_LENGTH and is_storable(key)


def _shown(value: object) -> str:
    """A value for an error message, never printed whole (it comes from the bus)."""
    if type(value) is str:
        return repr(value[:80]) + ("..." if len(value) > 80 else "")
    return f"a {type(value).__name__}"


def _utc(epoch_seconds: float) -> datetime:
    return datetime.fromtimestamp(epoch_seconds, tz=UTC)
