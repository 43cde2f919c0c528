"""The ledger: which plugins have counted which message, kept in the same transaction as the counts.

One row per message (``msg_id``) names the *set* of plugins that counted it;
the sets are few (they change only when plugins are added or removed), so a
row stays small however many plugins run. A message arriving again is a
duplicate for every plugin in its set and new for any other, so a plugin
installed later can still count old messages (through backfill) exactly once.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Iterable, Mapping

from sqlalchemy import Float, Integer, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from statscache.models import Base, UTCDateTime

#: Bound parameters per ``IN`` query; well under SQLite's and PostgreSQL's limits.
_CHUNK = 500


class PluginSet(Base):
    """A set of plugin idents, newline-separated and sorted."""

    __tablename__ = "statscache_plugin_set"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    idents: Mapped[str] = mapped_column(String(), unique=True, nullable=False)


class LedgerEntry(Base):
    """One counted message and the set of plugins that counted it."""

    __tablename__ = "statscache_ledger"

    msg_id: Mapped[str] = mapped_column(String(), primary_key=True)
    timestamp: Mapped[float] = mapped_column(Float, nullable=False, index=True)
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
        wanted = list(msg_ids)
        found: dict[str, frozenset[str]] = {}
        for start in range(0, len(wanted), _CHUNK):
            chunk = wanted[start : start + _CHUNK]
            query = select(LedgerEntry.msg_id, LedgerEntry.plugin_set_id).where(LedgerEntry.msg_id.in_(chunk))
            for msg_id, set_id in session.execute(query):
                found[msg_id] = self._idents(session, set_id)
        return found

    def record(self, session: Session, before: Claims, counted: Mapping[str, Mapping[str, tuple[float, Any]]]) -> None:
        """Record that each plugin ident in ``counted`` has counted its batch (``msg_id -> (timestamp, ...)``).

        ``before`` is what :meth:`counted_by` returned in this same transaction.
        """
        claimed: dict[str, frozenset[str]] = {}
        entries: dict[str, tuple[float, Any]] = {}
        for batch, idents in _group_by_messages(counted):
            entries.update(batch)
            for msg_id in batch:
                previous = claimed.get(msg_id)
                claimed[msg_id] = idents if previous is None else previous | idents
        inserts, updates = [], []
        for msg_id, idents in claimed.items():
            already = before.get(msg_id)
            if already is None:
                inserts.append(
                    {"msg_id": msg_id, "timestamp": entries[msg_id][0], "plugin_set_id": self._id(session, idents)}
                )
            elif not idents <= already:
                updates.append({"msg_id": msg_id, "plugin_set_id": self._id(session, already | idents)})
        table = LedgerEntry.__table__
        if inserts:
            session.execute(table.insert(), inserts)
        for row in updates:  # rare: a message counted again by a plugin that had not seen it
            session.execute(table.update().where(table.c.msg_id == row["msg_id"]).values(plugin_set_id=row["plugin_set_id"]))
        for ident, batch in counted.items():
            if batch:
                self._advance(session, ident, max(timestamp for timestamp, _ in batch.values()))

    def _advance(self, session: Session, ident: str, timestamp: float) -> None:
        newest = datetime.fromtimestamp(timestamp, tz=timezone.utc)
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
            text = session.scalar(select(PluginSet.idents).where(PluginSet.id == set_id))
            idents = frozenset(text.split("\n")) if text else frozenset()
            self._remember(set_id, idents)
        return idents

    def _remember(self, set_id: int, idents: frozenset[str]) -> None:
        self._id_of[idents] = set_id
        self._set_of[set_id] = idents


def _group_by_messages(counted: Mapping[str, Mapping[str, Any]]) -> list[tuple[Mapping[str, Any], frozenset[str]]]:
    """Group idents that counted the very same messages (the usual case: all of them)."""
    groups: list[tuple[Mapping[str, Any], set[str]]] = []
    for ident, messages in counted.items():
        for group_messages, idents in groups:
            if group_messages.keys() == messages.keys():
                idents.add(ident)
                break
        else:
            groups.append((messages, {ident}))
    return [(messages, frozenset(idents)) for messages, idents in groups]
