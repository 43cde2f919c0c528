"""The ledger: which plugins have counted which message, kept in the same transaction as the counts.

One row per message (``msg_id``) names the *set* of plugins that counted it;
the sets are few (they change only when plugins are added or removed), so a
row stays small however many plugins run. A message arriving again is a
duplicate for every plugin in its set and new for any other, so a plugin
installed later can still count old messages (through backfill) exactly once.

A ``msg_id`` names one message whatever its copies' event times say (a copy
re-sent hours later, an archive that rounds or shifts times): the ledger is
keyed by ``msg_id`` alone, so a copy is found wherever its time falls. The
copy that counts is the first one written; its event time is the one kept
here (see :meth:`statscache.ingest.cache.MessageCache.drain` for copies that reach
the same flush).

Databases made before this rule keyed the ledger by (event-time hour,
``msg_id``); :func:`prepare` gives them an index on ``msg_id`` so that every
lookup below works on either layout.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any, Protocol

from sqlalchemy import Float, Integer, String, delete, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from statscache.exceptions import LedgerConflict
from statscache.store import dialects
from statscache.store.base import Base, UTCDateTime
from statscache.store.dialects import LedgerRows
from statscache.store.upsert import note_rows


class Counted(Protocol):
    """What the ledger needs of a message a plugin counted (the cache keeps it as an ``Entry``)."""

    @property
    def time(self) -> float:
        """Its event time, UTC epoch seconds."""
        ...


class PluginSet(Base):
    """A set of plugin idents, newline-separated and sorted."""

    __tablename__ = "statscache_plugin_set"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    idents: Mapped[str] = mapped_column(String(), unique=True, nullable=False)


class LedgerEntry(Base):
    """One counted message (by ``msg_id``), the event time of the copy that counted, and who counted it."""

    __tablename__ = "statscache_ledger"
    # One B-tree keyed by msg_id instead of a rowid table plus a primary-key index:
    # this table takes a row per message, so each insert should touch one tree.
    __table_args__ = {"sqlite_with_rowid": False}

    msg_id: Mapped[str] = mapped_column(String(), primary_key=True)
    #: The hour of ``timestamp`` (hours since the epoch): older databases' clustering key, kept in every layout.
    hour: Mapped[int] = mapped_column(Integer, nullable=False)
    timestamp: Mapped[float] = mapped_column(Float, nullable=False)
    plugin_set_id: Mapped[int] = mapped_column(Integer, nullable=False)


class PluginState(Base):
    """Per plugin: the event time of the newest message it has counted."""

    __tablename__ = "statscache_plugin_state"

    ident: Mapped[str] = mapped_column(String(), primary_key=True)
    latest: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


LEDGER_TABLES = [PluginSet.__table__, LedgerEntry.__table__, PluginState.__table__]

Claims = Mapping[str, frozenset[str]]


class Ledger:
    """Reads and writes the ledger; caches the (immutable) plugin sets it has seen committed."""

    def __init__(self) -> None:
        self._id_of: dict[frozenset[str], int] = {}
        self._set_of: dict[int, frozenset[str]] = {}

    def forget_uncommitted(self) -> None:
        """Drop cached set ids, some of which may belong to a rolled-back transaction."""
        self._id_of.clear()
        self._set_of.clear()

    def counted_by(self, session: Session, msg_ids: Iterable[str]) -> Claims:
        """For each already-recorded message among ``msg_ids``, the plugins that counted it."""
        wanted = sorted(msg_ids)  # in key order: each lookup walks the tree once, left to right
        connection = session.connection()
        found: dict[str, frozenset[str]] = {}
        for msg_id, set_id in dialects.of(connection).ledger_records(connection, wanted):
            found[msg_id] = self._idents(session, set_id)
        return found

    def record(self, session: Session, before: Claims, counted: Mapping[str, Mapping[str, Counted]]) -> None:
        """Record that each plugin ident in ``counted`` has counted its messages (``msg_id -> cache entry``).

        ``before`` is what :meth:`counted_by` returned in this same transaction.
        """
        groups = [(messages, idents) for messages, idents in _group_by_messages(counted) if messages]
        for messages, idents in groups:
            newest = max(entry.time for entry in messages.values())
            for ident in idents:
                self._advance(session, ident, newest)
        # One list per column: no tuple per message for the GC to chase.
        inserts: LedgerRows = ([], [], [], [])
        hours, ids, times, sets = inserts
        updates: list[tuple[Any, ...]] = []
        if len(groups) == 1 and not before:
            # The usual flush: every plugin counted the same, all-new messages.
            messages, idents = groups[0]
            set_id = self._id(session, idents)
            for msg_id in sorted(messages):  # in key order: each insert lands near the last
                timestamp = messages[msg_id].time
                hours.append(_hour(timestamp))
                ids.append(msg_id)
                times.append(timestamp)
            sets.extend([set_id] * len(ids))
        else:
            claimed: dict[str, frozenset[str]] = {}
            entries: dict[str, Counted] = {}
            for messages, idents in groups:
                entries.update(messages)
                for msg_id in messages:
                    previous = claimed.get(msg_id)
                    claimed[msg_id] = idents if previous is None else previous | idents
            for msg_id, idents in claimed.items():
                already = before.get(msg_id)
                timestamp = entries[msg_id].time
                if already is None:
                    hours.append(_hour(timestamp))
                    ids.append(msg_id)
                    times.append(timestamp)
                    sets.append(self._id(session, idents))
                elif not idents <= already:
                    updates.append((self._id(session, already | idents), msg_id, self._id(session, already)))
        connection = session.connection()
        dialect = dialects.of(connection)
        mark = dialect.placeholder
        if ids:
            dialect.add_ledger_records(connection, inserts)
        note_rows(session, len(ids) + len(updates))
        if updates:  # rare: a message counted again by a plugin that had not counted it
            # Only where the record is still what this flush read: another consumer may have moved it since.
            changed = connection.exec_driver_sql(
                f"UPDATE statscache_ledger SET plugin_set_id = {mark} WHERE msg_id = {mark} AND plugin_set_id = {mark}",
                updates,
            ).rowcount
            if changed != len(updates):
                raise LedgerConflict(
                    f"{len(updates) - changed} ledger records changed under this flush (another consumer counted "
                    "them meanwhile): it is rolled back and tried again"
                )

    def forget(self, session: Session, ident: str) -> int:
        """Take ``ident`` out of every record (its statistics are being rebuilt); returns the sets changed.

        A whole set at a time: each record names a set, so this is one UPDATE per
        set that holds the ident, not one per message.
        """
        changed = 0
        for set_id, text in session.execute(select(PluginSet.id, PluginSet.idents)).all():
            idents = _parse_set(text)
            if ident not in idents:
                continue
            session.execute(
                update(LedgerEntry)
                .where(LedgerEntry.plugin_set_id == set_id)
                .values(plugin_set_id=self._id(session, idents - {ident}))
            )
            changed += 1
        session.execute(delete(PluginState).where(PluginState.ident == ident))
        return changed

    def _advance(self, session: Session, ident: str, timestamp: float) -> None:
        """Move the plugin's newest-message-counted mark forward (never back)."""
        newest = datetime.fromtimestamp(timestamp, tz=UTC)
        state = session.get(PluginState, ident)
        if state is None:
            session.add(PluginState(ident=ident, latest=newest))
        elif state.latest is None or state.latest < newest:
            state.latest = newest

    def _id(self, session: Session, idents: frozenset[str]) -> int:
        set_id = self._id_of.get(idents)
        if set_id is None:
            text = "\n".join(sorted(idents))
            set_id = session.scalar(select(PluginSet.id).where(PluginSet.idents == text))
            if set_id is None:
                row = PluginSet(idents=text)
                session.add(row)
                session.flush([row])
                set_id = row.id
            self._remember(set_id, idents)
        return set_id

    def _idents(self, session: Session, set_id: int) -> frozenset[str]:
        idents = self._set_of.get(set_id)
        if idents is None:
            idents = _parse_set(session.scalar(select(PluginSet.idents).where(PluginSet.id == set_id)))
            self._remember(set_id, idents)
        return idents

    def _remember(self, set_id: int, idents: frozenset[str]) -> None:
        self._id_of[idents] = set_id
        self._set_of[set_id] = idents


def _parse_set(text: str | None) -> frozenset[str]:
    """A plugin set's idents from its stored text (newline-separated)."""
    return frozenset(text.split("\n")) if text else frozenset()


def _hour(timestamp: float) -> int:
    """The hour of an event time, in hours since the epoch (older layouts' clustering key)."""
    return int(timestamp // 3600)


def _group_by_messages(
    counted: Mapping[str, Mapping[str, Counted]],
) -> list[tuple[Mapping[str, Counted], frozenset[str]]]:
    """Group idents that counted the very same messages (the usual case: all of them)."""
    groups: list[tuple[Mapping[str, Counted], set[str]]] = []
    for ident, messages in counted.items():
        for group_messages, idents in groups:
            if group_messages is messages or group_messages.keys() == messages.keys():
                idents.add(ident)
                break
        else:
            groups.append((messages, {ident}))
    return [(messages, frozenset(idents)) for messages, idents in groups]
