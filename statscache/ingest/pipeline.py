"""The statscache engine room: config, database, plugins, and the path of every message."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Collection, Sequence
from typing import Any

from sqlalchemy import Engine

from statscache.config import Config
from statscache.exceptions import MalformedMessage
from statscache.ingest.cache import Entry, MessageCache
from statscache.ingest.envelope import parse_envelope
from statscache.ingest.exclusions import Exclusions, excluding
from statscache.ingest.flusher import Flusher
from statscache.ingest.meta import MetaReader
from statscache.ingest.writing import Writer
from statscache.metrics import Metrics
from statscache.plugins import BasePlugin, Message
from statscache.plugins.message import NameReader
from statscache.span import iso
from statscache.store import counted_with, coverage, levels, schema
from statscache.store.engine import DatabaseFile, make_engine, make_session_factory, writing
from statscache.store.heartbeat import Daemon

log = logging.getLogger(__name__)

#: Cached messages beyond which the consumer's thread flushes them itself (about a second at full speed).
MAX_CACHED = 50_000
#: Messages kept in memory while the database fails, beyond which they are let go (backfill brings them back):
#: a few hundred bytes each, so at most about a gigabyte, and a day of Fedora's bus at its busiest.
MAX_HELD = 2_000_000
#: Topics whose routes are remembered at most (Fedora's bus has a few thousand; topics are at most 255 characters).
MAX_ROUTES = 20_000


class Pipeline:
    """Checks each envelope, caches what it contributes, and flushes the cache through the plugins; thread-safe."""

    @classmethod
    def open(
        cls,
        config: Config,
        plugins: Sequence[BasePlugin],
        metrics: Metrics | None = None,
        names: NameReader | None = None,
    ) -> Pipeline:
        """A pipeline writing to the configured database, made ready first: its tables created where
        missing, older layouts upgraded, write access checked.

        Raises :class:`~statscache.exceptions.DatabaseUnavailable` when it cannot be written.
        """
        engine = make_engine(config.sqlalchemy_uri)
        try:
            schema.prepare(engine, plugins, upgrade=config.sqlalchemy_auto_upgrade)
            counted_with.note(engine, config)
        except BaseException:
            engine.dispose()
            raise
        return cls(config, plugins, engine, metrics, names)

    def __init__(
        self,
        config: Config,
        plugins: Sequence[BasePlugin],
        engine: Engine,
        metrics: Metrics | None = None,
        names: NameReader | None = None,
    ) -> None:
        """A pipeline writing through ``engine`` to a database already prepared (see :meth:`open`)."""
        self.config = config
        #: Reads the users and packages a message names (the hub's fedmsg settings; Fedora's bus by default).
        # With the configured bots and noisy topics left out (statscache.ingest.exclusions).
        exclusions = Exclusions(config.exclude_users, config.exclude_topics)
        self.names = excluding(names if names is not None else MetaReader(), exclusions)

        self.plugins = list(plugins)
        levels.choose(self.plugins)  # which tables write their family's day, week and month sums
        # One family per plugin class: volume-1m, -1h and -1d compute a message's contribution once.
        classes = list(dict.fromkeys(type(plugin) for plugin in self.plugins))
        self._families = [
            (next(p for p in self.plugins if type(p) is cls), [p for p in self.plugins if type(p) is cls])
            for cls in classes
        ]
        self.cache = MessageCache()
        self.metrics = metrics or Metrics()
        self.metrics.watch(self.cache)
        self.engine = engine
        self._database_file = DatabaseFile.of(self.engine)
        self._database_lock = threading.Lock()
        #: Messages held while the database fails beyond which they are let go (see :meth:`let_go`).
        self.max_held = MAX_HELD
        #: Called when messages were lost to the database (let go, or a database made anew), so that
        #: backfill starts again: checkpoints of history handed in before then are refused.
        self.on_history_lost: Callable[[], None] | None = None
        self.session_factory = make_session_factory(self.engine)
        family_of = [classes.index(type(plugin)) for plugin in self.plugins]
        writer = Writer(make_session_factory(writing(self.engine)), self.plugins, family_of)
        self._flusher = Flusher(writer, self.cache, self.plugins, self.metrics)
        self._epoch = config.consumer_epoch.timestamp()
        self._routes: dict[str, list[int]] = {}
        #: Cached messages at which the consumer's thread flushes without waiting for the producer.
        self.max_cached = MAX_CACHED
        self._flush_at = MAX_CACHED
        #: Checks an envelope's signature (set when the bus is signed); False rejects it.
        self.authenticate: Callable[[dict[str, Any]], bool] | None = None
        #: The daemon this pipeline counts for, whose heartbeat each live flush writes (None: none).
        self.daemon: Daemon | None = None
        self._paced_at = time.monotonic()

    def limit_cache(self, entries: int) -> None:
        """Flush on the consumer's thread once ``entries`` messages are cached (see :data:`MAX_CACHED`)."""
        self.max_cached = self._flush_at = entries

    def handle(self, envelope: Any) -> None:
        """Take one envelope in from the bus; bad input is logged and counted, never raised."""
        entry = self._entry(envelope, self.authenticate)
        if entry is not None:
            self.cache.add(entry)
            if len(self.cache) >= self._flush_at:
                self._flush_now()

    def handle_history(self, envelope: Any, audience: frozenset[str] | None = None) -> None:
        """Take in an envelope fetched from datagrepper (backfill); bad input is logged and counted.

        Its signature is not checked: datagrepper keeps none (the configured
        endpoint is trusted as the bus is). ``audience``: the idents of the only
        plugins that may count it (history fetched for some plugins alone);
        None for all.
        """
        entry = self._entry(envelope, None)
        if entry is None:
            return
        if audience is None:
            self.cache.add_history(entry)
        else:
            self.cache.add_for(entry, audience)
        if len(self.cache) >= self._flush_at:
            self._flush_now()

    def _entry(self, envelope: Any, authenticate: Callable[[dict[str, Any]], bool] | None) -> Entry | None:
        """The cache entry of an envelope: what each plugin family makes of it; None if it counts for nothing."""
        try:
            message = parse_envelope(envelope, self.names)
        except MalformedMessage as e:
            self.metrics.rejected_envelope(e.reason)
            log.warning("rejected a malformed envelope: %s", e)
            return None
        if authenticate is not None and not self._authentic(authenticate, message.envelope):
            return None
        if message.timestamp < self._epoch:
            self.metrics.before_epoch()
            return None
        contributions = [None] * len(self._families)
        for index in self._route(message.topic):
            representative, members = self._families[index]
            try:
                contributions[index] = representative.process(message)
            except Exception as error:
                self._plugins_failed(members, message, error)
        return Entry(message.msg_id, message.timestamp, tuple(contributions))

    def _flush_now(self) -> None:
        """Flush on this thread: messages arrive faster than the periodic flush writes them.

        Two threads sharing the interpreter lock would each slow the other (every
        statement the flusher sends waits for the lock to come back); one thread
        doing both keeps memory bounded by ``max_cached`` and wastes nothing.
        """
        if self.flush():
            self._flush_at = self.max_cached
        else:  # the database is failing: try again only once as many more have come
            self._flush_at = len(self.cache) + self.max_cached

    def _route(self, topic: str) -> list[int]:
        """The families that may count messages of this topic (asked once per topic, then remembered)."""
        route = self._routes.get(topic)
        if route is None:
            if len(self._routes) >= MAX_ROUTES:  # a bus of ever-new topics must not grow this without end
                self._routes.clear()
            route = []
            for index, (representative, members) in enumerate(self._families):
                try:
                    accepted = representative.accepts(topic)
                except Exception as error:
                    self._plugins_failed(members, None, error)
                    continue
                if accepted:
                    route.append(index)
            self._routes[topic] = route
        return route

    def _authentic(self, authenticate: Callable[[dict[str, Any]], bool], envelope: Any) -> bool:
        try:
            if authenticate(envelope):
                return True
            detail = "its signature does not verify"
        except Exception as error:
            detail = f"checking its signature failed: {error!r}"
        self.metrics.rejected_envelope("bad-signature")
        log.warning("rejected envelope %s: %s", envelope.get("msg_id"), detail)
        return False

    def _plugins_failed(self, plugins: list[BasePlugin], message: Message | None, error: Exception) -> None:
        for plugin in plugins:
            self.metrics.plugin_errors.labels(plugin.ident, "process").inc()
        idents = ", ".join(plugin.ident for plugin in plugins)
        what = "a topic" if message is None else f"message {message.msg_id}"
        log.error("plugins %s failed on %s, which they will not count: %r", idents, what, error)

    def go_live(self, since: float) -> None:
        """From ``since`` on, every message reaches :meth:`handle` live: coverage grows with each flush."""
        self._flusher.go_live(since, self.config.datagrepper_lag.total_seconds(), self.daemon)

    @property
    def last_claim(self) -> float | None:
        """The event time up to which the last successful flush wrote every live message handed in
        (None before the first): what it would have claimed as live coverage."""
        return self._flusher.last_claim

    @property
    def generation(self) -> int:
        """Moves on whenever messages handed in may have been lost to the database (see :meth:`history_sink`)."""
        return self._flusher.generation

    def checkpoint(self, start: float, end: float, idents: Collection[str], generation: int | None = None) -> None:
        """Every message sent from ``start`` to ``end`` has been handed in for ``idents``.

        The stretch is recorded as complete for them in the transaction that
        writes the last of those messages; not at all when ``generation`` (the
        one they were handed in at) has moved on.
        """
        if self._flusher.checkpoint(start, end, idents, generation):
            self.metrics.history_stretches.labels("complete").inc()

    def history_sink(self) -> HistorySink:
        """Where one backfill hands in history: it stops taking any once messages were lost to the database."""
        return HistorySink(self, self.generation)

    def note_failure(self, start: float, end: float, idents: Collection[str], reason: str) -> None:
        """Record that history from ``start`` to ``end`` could not be fetched for ``idents``, and why."""
        self.metrics.history_stretches.labels("failed").inc()
        try:
            with self.session_factory() as session, session.begin():
                coverage.note_failure(session, idents, start, end, reason)
        except Exception:
            log.exception("could not record a failed stretch of history")

    def flush_if_due(self) -> None:
        """Flush once ``statscache.producer.frequency`` has passed since this last flushed: for the commands that
        hand history in as fast as they read it (the hub's producer keeps its own beat). Keeps memory bounded,
        and records coverage as stretches complete."""
        now = time.monotonic()
        if now - self._paced_at >= self.config.producer_frequency.total_seconds():
            self.flush()
            self._paced_at = now

    def flush(self) -> bool:
        """Write what is cached now; True when nothing is left waiting because of an error."""
        with self._database_lock:
            if self._database_file is not None and self._database_file.replaced():
                log.error(
                    "the database file %s was deleted or replaced under the running hub: "
                    "statscache makes it anew and counts on there; what the old file held is gone",
                    self._database_file.path,
                )
                self._start_database_anew()
        if self._flusher.flush():
            return True
        self._after_failed_flush()
        if self._flusher.pending() > self.max_held:
            self.let_go()
        return False

    def let_go(self) -> int:
        """Drop every message held for a failing database, so that memory stays bounded; returns how many.

        Nothing is claimed of them: live coverage starts again from now, so
        the time they were sent in is a gap of every plugin's coverage, which
        backfill fetches once the database is back (or shows, without a
        datagrepper). Fetched history is dropped with them, and so are the
        checkpoints of any backfill that was handing it in.
        """
        dropped, since, until = self._flusher.let_go()
        if not dropped:
            return 0
        self.metrics.let_go.inc(dropped)
        log.error(
            "the database has failed for too long: %d messages held in memory were let go; "
            "the statistics are not claimed complete from %s on, and backfill fetches them again",
            dropped,
            iso(since),
        )
        try:  # so that the gap says why it is there (the database may well refuse: it is failing)
            with self.session_factory() as session, session.begin():
                reason = f"{dropped} messages let go while the database failed"
                coverage.note_failure(session, [p.ident for p in self.plugins], since, until, reason)
        except Exception as error:
            log.warning("could not record why the statistics are incomplete from %s on: %s", iso(since), error)
        if self.on_history_lost is not None:
            self.on_history_lost()
        return dropped

    def _after_failed_flush(self) -> None:
        """Reconnect on the next flush (a connection opened read-only stays so), and notice a database emptied."""
        self.engine.dispose()
        try:
            gone = schema.emptied(self.engine)
        except Exception:  # the database is out of reach: the next flush tries again
            return
        if gone:
            log.error("statscache's tables are gone from the database: it makes them anew and counts on there")
            with self._database_lock:
                self._start_database_anew()

    def _start_database_anew(self) -> None:
        self.metrics.database_resets.inc()
        self.engine.dispose()
        try:
            schema.prepare(self.engine, self.plugins, upgrade=self.config.sqlalchemy_auto_upgrade)
        except Exception:
            log.exception("statscache could not make its tables anew; trying again at the next flush")
            return
        self._database_file = DatabaseFile.of(self.engine)
        self._flusher.restart()
        if self.on_history_lost is not None:
            self.on_history_lost()

    def pending(self) -> int:
        return self._flusher.pending()

    def close(self, attempts: int = 3, pause: float = 0.5, budget: float = 12.0) -> None:
        """Final flush, then release the database.

        The flush is retried a few times: a locked database is usually free
        again soon. Not past ``budget`` seconds, though (each attempt may wait
        out SQLite's 10 s busy timeout): the hub's stop has a deadline.
        """
        began = time.monotonic()
        for attempt in range(1, attempts + 1):
            tried = time.monotonic()
            if self.flush():
                break
            now = time.monotonic()
            # Another attempt would take as long as this one.
            if attempt == attempts or now - began + pause + (now - tried) > budget:
                log.error("statscache could not write its final flush; %d messages are not stored", self.pending())
                break
            time.sleep(pause)
        log.info("statscache stopped: %s", self.metrics.summary())
        self.engine.dispose()


class HistorySink:
    """One backfill's way into a pipeline, for as long as nothing handed in is lost to the database.

    Once the pipeline lets messages go (or makes its database anew), the
    history this backfill handed in may be gone: its later rows are dropped
    and its checkpoints refused, so that no stretch is claimed complete
    without its messages. The hub starts a new backfill for what is missing.
    """

    def __init__(self, pipeline: Pipeline, generation: int) -> None:
        self._pipeline = pipeline
        self._generation = generation

    def handle_history(self, envelope: Any, audience: frozenset[str] | None = None) -> None:
        if self._pipeline.generation == self._generation:
            self._pipeline.handle_history(envelope, audience)

    def checkpoint(self, start: float, end: float, idents: Collection[str]) -> None:
        self._pipeline.checkpoint(start, end, idents, self._generation)

    def note_failure(self, start: float, end: float, idents: Collection[str], reason: str) -> None:
        self._pipeline.note_failure(start, end, idents, reason)
