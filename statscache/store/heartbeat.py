"""Heartbeats: when each running daemon last committed a flush, and which plugins it counts.

A daemon (a hub, or an AMQP consumer) writes its row in the transaction that
extends its live coverage, so a heartbeat is never newer than the counts it
vouches for. The web app, which cannot ask the daemon, reads these rows to
tell whether every plugin it serves is being counted (``/healthz/ready``).
Several daemons may share a database, each counting some plugins: one row
each, named by host and process.
"""

from __future__ import annotations

import json
import os
import socket
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import Connection, Float, String, Text, delete, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from statscache.store.base import Base

#: Rows of daemons silent for longer than this are removed when a daemon starts (a week: long after any alert).
FORGOTTEN_AFTER = 7 * 86400.0


class HeartbeatRow(Base):
    """One daemon's latest committed flush."""

    __tablename__ = "statscache_heartbeat"

    daemon: Mapped[str] = mapped_column(String(), primary_key=True)
    #: The idents of the plugins it counts, as a JSON list.
    plugins: Mapped[str] = mapped_column(Text, nullable=False)
    started: Mapped[float] = mapped_column(Float, nullable=False)
    #: Wall time (epoch seconds) of its last committed flush.
    flushed: Mapped[float] = mapped_column(Float, nullable=False)
    #: Event time up to which it had then written every live message it was handed.
    live_until: Mapped[float] = mapped_column(Float, nullable=False)


HEARTBEAT_TABLES = [HeartbeatRow.__table__]


@dataclass(frozen=True)
class Daemon:
    """Who beats: a name unique among running daemons, the plugins it counts, when it started."""

    name: str
    plugins: tuple[str, ...]
    started: float = field(default_factory=time.time)

    @classmethod
    def here(cls, kind: str, plugins: Sequence[str]) -> Daemon:
        """This process as a daemon of ``kind`` (``hub``, ``amqp``)."""
        return cls(f"{kind}@{socket.gethostname()}:{os.getpid()}", tuple(sorted(plugins)))


@dataclass(frozen=True)
class Heartbeat:
    """A daemon's row as read back."""

    daemon: str
    plugins: frozenset[str]
    started: float
    flushed: float
    live_until: float


def beat(session: Session, daemon: Daemon, live_until: float, now: float | None = None) -> None:
    """Record, in the session's transaction, that ``daemon`` commits a flush now.

    Rows of daemons silent for :data:`FORGOTTEN_AFTER` (gone for good, or
    renamed) go at the same time: a few rows, one statement.
    """
    moment = time.time() if now is None else now
    session.execute(delete(HeartbeatRow).where(HeartbeatRow.flushed < moment - FORGOTTEN_AFTER))
    session.merge(
        HeartbeatRow(
            daemon=daemon.name,
            plugins=json.dumps(daemon.plugins),
            started=daemon.started,
            flushed=moment,
            live_until=live_until,
        )
    )


def read(connection: Connection) -> list[Heartbeat]:
    """Every daemon's heartbeat, the most recent first."""
    rows = connection.execute(select(HeartbeatRow.__table__).order_by(HeartbeatRow.flushed.desc()))
    return [
        Heartbeat(row.daemon, frozenset(_idents(row.plugins)), row.started, row.flushed, row.live_until) for row in rows
    ]


def _idents(text: str) -> list[str]:
    """The plugins a row names; a row that is not a JSON list of strings names none."""
    try:
        value = json.loads(text)
    except ValueError:
        return []
    return [ident for ident in value if isinstance(ident, str)] if isinstance(value, list) else []
