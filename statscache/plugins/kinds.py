"""The kinds of plugin most statistics are: a count per window and key, a count per window,
and the latest event per category. Each asks one method of the message alone."""

from __future__ import annotations

import operator
from abc import abstractmethod
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from itertools import islice, repeat
from typing import Any, ClassVar, NamedTuple

from sqlalchemy.orm import Session

from statscache.exceptions import InvalidKey
from statscache.plugins.base import BasePlugin, Batch
from statscache.plugins.links import safe_link
from statscache.plugins.message import Message
from statscache.plugins.models import CategorizedVolumeModel, LatestEventModel, StatsModel, VolumeModel, concrete_model
from statscache.store import levels, tally
from statscache.store.text import is_storable
from statscache.store.upsert import add_counts, replace_if_newer
from statscache.windows import interval_seconds

#: Longest key a counting plugin may emit (or category an event may have); longer ones are refused as bad input.
MAX_KEY_LENGTH = 255
#: Most keys one message may count under: a message naming more is refused as bad input
#: (real ones name a few users or packages; a bodhi update of a big stack, some hundreds).
MAX_KEYS = 4096
#: Longest status an event may have.
MAX_STATUS_LENGTH = 1024


class _WindowedCount(BasePlugin):
    """Shared set-up of the counting bases: a window length, and a table made from ``base_model``."""

    windowed = True
    base_model: ClassVar[type[StatsModel]]

    def __init__(self, interval: timedelta | None = None) -> None:
        super().__init__(interval)
        assert self.interval is not None
        self._seconds = interval_seconds(self.interval)
        self.model = concrete_model(self.base_model, self.table_name)
        self._statement = tally.counts_statement(self)
        #: Whether this table keeps its family's day, week and month sums (see :mod:`statscache.store.levels`).
        self.keeps_levels = False
        self._storable = StorableKeys()

    @property
    def window_seconds(self) -> int:
        return self._seconds

    @property
    def can_keep_levels(self) -> bool:
        """Whether its counts are written by :meth:`update` here, which writes the levels too."""
        return self.tallied_by_writer

    def _write(self, session: Session, counts: Counter[Any]) -> None:
        add_counts(session, self.model, self._statement, counts)
        if self.keeps_levels:
            levels.add(session, self.model.__tablename__, counts)

    @property
    def tallied_by_writer(self) -> bool:
        # A subclass writing its rows its own way keeps the database's insert trigger.
        return type(self).update in (CountingPlugin.update, VolumePlugin.update)


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
        storable = self._storable
        for key in keys:
            if not storable(key):
                raise InvalidKey(
                    f"key {described(key)} is not a non-empty string of at most {MAX_KEY_LENGTH} characters "
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
        self._write(session, self.tally(batch))


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
        self._write(session, self.tally(batch))


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
        if not (storable_key(category) and storable_status):
            raise InvalidKey(
                f"event needs a category of 1 to {MAX_KEY_LENGTH} characters and a status of at most "
                f"{MAX_STATUS_LENGTH}, without NUL or lone surrogates; got {described(category)}, {described(status)}"
            )
        if link is not None:
            safe = safe_link(link, self.link_hosts)
            if safe is None:
                event = Event(category, status, None)
        return message.msg_id, event

    def update(self, session: Session, batch: Batch) -> None:
        newest = newest_per(batch, lambda contribution: contribution[1].category)
        rows = [
            {
                "category": category,
                "timestamp": utc(timestamp),
                "msg_id": msg_id,
                "status": event.status,
                "link": event.link,
            }
            for category, (timestamp, (msg_id, event)) in newest.items()
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


def newest_per(batch: Batch, key_of: Callable[[Any], str]) -> dict[str, tuple[float, Any]]:
    """Key -> ``(timestamp, contribution)`` of the batch's newest contribution of that key, where each
    contribution is ``(msg_id, ...)``. Ties on time go to the larger msg_id, so the outcome never
    depends on the order of arrival."""
    newest: dict[str, tuple[float, Any]] = {}
    for timestamp, contribution in batch:
        key = key_of(contribution)
        current = newest.get(key)
        if current is None or (timestamp, contribution[0]) > (current[0], current[1][0]):
            newest[key] = (timestamp, contribution)
    return newest


class StorableKeys:
    """Remembers keys found storable (:func:`storable_key`): keys repeat message after message (the same
    categories, topics and users), and checking one costs more than remembering it. At most
    :attr:`LIMIT` are remembered (keys come from the bus), then it starts afresh."""

    LIMIT = 65_536

    __slots__ = ("_known",)

    def __init__(self) -> None:
        self._known: set[str] = set()

    def __call__(self, key: object) -> bool:
        if type(key) is not str:
            return False
        known = self._known
        if key in known:
            return True
        if not storable_key(key):
            return False
        if len(known) >= self.LIMIT:
            known.clear()
        known.add(key)
        return True


def storable_key(key: object) -> bool:
    """A string of 1 to MAX_KEY_LENGTH characters that every database can store."""
    return type(key) is str and 0 < len(key) <= MAX_KEY_LENGTH and is_storable(key)


def described(value: object) -> str:
    """A value for an error message, never printed whole (it comes from the bus)."""
    if type(value) is str:
        return repr(value[:80]) + ("..." if len(value) > 80 else "")
    return f"a {type(value).__name__}"


def utc(epoch_seconds: float) -> datetime:
    return datetime.fromtimestamp(epoch_seconds, tz=UTC)
