"""One flush's transaction: what the ledger says of the messages, each plugin's share written, the ledger
and coverage recorded; all of it committed, or none (see :class:`statscache.ingest.flusher.Flusher`).

A :class:`Writer` holds no state of the flush beyond the ledger's cache of plugin
sets: the flusher hands it a :class:`Request` and gets an :class:`Outcome`, and
applies that (its metrics, what waits for a failing plugin).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import NamedTuple

from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from statscache.exceptions import DatabaseOutage
from statscache.ingest.cache import Audiences, Entry
from statscache.ingest.shares import Entries, Share, divide
from statscache.plugins import BasePlugin, Batch
from statscache.span import Span, Stretch, merged
from statscache.store import coverage, dialects, heartbeat, quarantine
from statscache.store.heartbeat import Daemon
from statscache.store.ledger import Ledger
from statscache.store.upsert import ROWS_WRITTEN

log = logging.getLogger(__name__)


#: Messages failing alone, with none written, after which a plugin is taken to fail whatever it is given.
_FAILING_ALONE = 4


class _PluginFails(Exception):
    """The plugin's ``update`` fails on any message: keep its batch for the next flush, quarantine nothing."""


class Request(NamedTuple):
    """What one flush writes."""

    drained: Entries
    audiences: Audiences
    #: Per plugin ident: the messages a failed update left for it.
    retry: dict[str, Entries]
    #: Stretches of history whose messages are all in this flush or an earlier one.
    checkpoints: list[Stretch]
    #: How far live coverage extends, for the plugins that write all theirs.
    claim: float
    #: Per plugin ident: since when its live coverage runs (absent: not live).
    live_since: dict[str, float]
    #: The daemon whose heartbeat a live flush writes (None: it writes none).
    daemon: Daemon | None = None


class Outcome(NamedTuple):
    """What one committed flush did."""

    #: Per plugin ident: the messages its update failed to write (on the whole batch), kept for the next flush.
    failed: dict[str, Entries]
    #: The idents that wrote all their messages.
    written: set[str]
    #: Per ident: messages newly counted, and duplicates (counted before).
    counted: dict[str, tuple[int, int]]
    #: Per ident: messages quarantined (its update failed on them alone).
    quarantined: dict[str, int]
    #: Rows written through statscache's statements (see :func:`statscache.store.upsert.note_rows`).
    rows: int = 0


class Writer:
    """Writes flushes through ``session_factory``; ``families[i]`` is where plugin ``plugins[i]``'s
    contribution sits in each cache entry."""

    def __init__(
        self, session_factory: sessionmaker[Session], plugins: Sequence[BasePlugin], families: Sequence[int]
    ) -> None:
        self._session_factory = session_factory
        self._plugins = list(zip(plugins, families, strict=True))
        self._by_ident = {plugin.ident: plugin for plugin in plugins}
        self._ledger = Ledger()

    def forget(self) -> None:
        """A flush failed, or the database was made anew: what was cached of it may not be there."""
        self._ledger.forget_uncommitted()

    def write(self, request: Request) -> Outcome:
        """One transaction; raises when it is not committed (nothing of it is then in the database)."""
        drained, audiences = request.drained, request.audiences
        retry = {self._by_ident[ident]: entries for ident, entries in request.retry.items()}
        failed: dict[str, Entries] = {}
        counts: dict[str, tuple[int, int]] = {}
        quarantined: dict[str, int] = {}
        if not drained and not retry:  # a quiet second: only coverage moves on
            written = {plugin.ident for plugin, _ in self._plugins}
            with self._session_factory() as session, session.begin():
                _record_coverage(session, request, written)
            return Outcome(failed, written, counts, quarantined)
        with self._session_factory() as session, session.begin():
            alive = _transaction_probe(session)
            before = self._ledger.counted_by(session, [*drained, *(m for e in retry.values() for m in e)])
            counted: dict[str, Entries] = {}
            for share in divide(self._plugins, drained, audiences, retry, before):
                plugin = share.plugin
                try:
                    poisoned = self._write_share(session, alive, share)
                except _PluginFails:
                    log.exception("plugin %s failed to write a batch; kept for the next flush", plugin.ident)
                    failed[plugin.ident] = share.offered
                    continue
                counted[plugin.ident] = share.offered  # quarantined messages too: they are not tried again
                counts[plugin.ident] = (len(share.entries) - len(poisoned), share.duplicates)
                if poisoned:
                    quarantined[plugin.ident] = len(poisoned)
            # Statements after a lost transaction would each commit on their own (SQLite): never a ledger row alone.
            _check_transaction(alive, None)
            self._ledger.record(session, before, counted)
            written = set(counted)
            _record_coverage(session, request, written)
            rows = session.info.pop(ROWS_WRITTEN, 0)
        return Outcome(failed, written, counts, quarantined, rows)

    def _write_share(self, session: Session, alive: Callable[[], bool], share: Share) -> list[Entry]:
        """Write one plugin's batch; returns the messages quarantined for it (see :meth:`_isolate`)."""
        error = _attempt(session, alive, share.plugin, share.batch)
        if error is None:
            return []
        return self._isolate(session, alive, share.plugin, share.family, share.entries, error)

    def _isolate(
        self,
        session: Session,
        alive: Callable[[], bool],
        plugin: BasePlugin,
        family: int,
        entries: list[Entry],
        error: Exception,
    ) -> list[Entry]:
        """Write ``entries`` (whose batch just failed with ``error``) in halves, down to the messages that fail alone.

        Returns those, quarantined. Raises :class:`_PluginFails` when the
        plugin fails on every message it is tried with: then none is quarantined.
        """
        contributing = [entry for entry in entries if entry.contributions[family] is not None]
        poisoned: list[tuple[Entry, Exception]] = []
        written = 0

        def split(part: list[Entry], failure: Exception) -> None:
            nonlocal written
            if len(part) == 1:
                poisoned.append((part[0], failure))
                if not written and len(poisoned) >= _FAILING_ALONE:
                    raise _PluginFails from failure
                return
            middle = len(part) // 2
            for half in (part[:middle], part[middle:]):
                found = _attempt(session, alive, plugin, Batch(half, family))
                if found is None:
                    written += len(half)
                else:
                    split(half, found)

        split(contributing, error)
        if not written:  # a batch of one that fails: it may be the plugin, not the message; tried again later
            raise _PluginFails from error
        for (msg_id, timestamp, _), failure in poisoned:
            log.error(
                "plugin %s cannot write message %s (%r); quarantined: it is not counted there",
                plugin.ident,
                msg_id,
                failure,
            )
            quarantine.add(session, plugin.ident, msg_id, timestamp, repr(failure))
        return [entry for entry, _ in poisoned]


def _record_coverage(session: Session, request: Request, written: set[str]) -> None:
    """Extend the live coverage of the plugins that wrote everything, record the checkpoints' stretches,
    and the daemon's heartbeat when live."""
    claim = request.claim
    by_since: dict[float, list[str]] = {}
    for ident in sorted(written):
        since = request.live_since.get(ident)
        if since is not None:
            by_since.setdefault(since, []).append(ident)
    for since, live in by_since.items():
        coverage.extend(session, live, since, max(since, claim))
    # A backfill checkpoints every few thousand messages, or every hour of sparse history: stretches that touch
    # are recorded as one (each record costs a few statements per plugin).
    by_idents: dict[frozenset[str], list[Span]] = {}
    for checkpoint in request.checkpoints:
        idents = checkpoint.idents & written
        if idents:
            by_idents.setdefault(idents, []).append(checkpoint.span)
    for idents, spans in by_idents.items():
        for span in merged(spans):
            coverage.add(session, sorted(idents), *span)
    if request.daemon is not None and request.live_since:
        heartbeat.beat(session, request.daemon, claim)


def _attempt(session: Session, alive: Callable[[], bool], plugin: BasePlugin, batch: Batch) -> Exception | None:
    """Write one batch in a savepoint: None when it is written, else the plugin's error (rolled back).

    Raises :class:`DatabaseOutage` when the transaction itself is gone, and
    :class:`_PluginFails` for the database's own errors (a table gone, a lock,
    a read-only file): those refuse any message, so none is to blame.
    """
    rows = session.info.get(ROWS_WRITTEN, 0)
    try:
        with session.begin_nested():
            plugin.update(session, batch)
    except Exception as error:
        session.info[ROWS_WRITTEN] = rows  # rolled back: those rows were never written
        _check_transaction(alive, error)
        if isinstance(error, OperationalError):
            raise _PluginFails from error
        return error
    return None


def _transaction_probe(session: Session) -> Callable[[], bool]:
    """A check of whether the session's database transaction is still open (cheap: no round trip)."""
    connection = session.connection()
    return dialects.of(connection).transaction_probe(connection)


def _check_transaction(alive: Callable[[], bool], error: Exception | None) -> None:
    """Raise :class:`DatabaseOutage` when the transaction is gone, or ``error`` means the connection is."""
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        raise DatabaseOutage(f"the database connection was lost: {error}") from error
    if not alive():
        raise DatabaseOutage(f"the database ended the flush's transaction: {error!r}") from error
