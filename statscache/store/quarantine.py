"""Quarantine: messages a plugin cannot write, kept out of its statistics and recorded with the reason.

A plugin's ``update`` that raises on one message (a "poison" message) must not
hold back every other message it is given. The flusher writes the batch in
halves until each failing message stands alone (see
:meth:`statscache.ingest.flusher.Flusher`); those are recorded here, in the flush's
transaction, and the ledger marks them as handled by that plugin so that they
are not tried again. A plugin's statistics are exact for every message not
quarantined for it.
"""

from __future__ import annotations

import time

from sqlalchemy import Float, String, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from statscache.store.base import Base

#: Characters of an error's text kept with a quarantined message.
MAX_REASON_LENGTH = 500


class QuarantinedMessage(Base):
    """One message (by ``msg_id``) that a plugin's ``update`` could not write, and why."""

    __tablename__ = "statscache_quarantine"

    ident: Mapped[str] = mapped_column(String(), primary_key=True)
    msg_id: Mapped[str] = mapped_column(String(), primary_key=True)
    #: The message's event time (epoch seconds).
    timestamp: Mapped[float] = mapped_column(Float, nullable=False)
    reason: Mapped[str] = mapped_column(String(), nullable=False)
    #: When it was quarantined (epoch seconds).
    noted_at: Mapped[float] = mapped_column(Float, nullable=False)


QUARANTINE_TABLES = [QuarantinedMessage.__table__]


def add(session: Session, ident: str, msg_id: str, timestamp: float, reason: str) -> None:
    """Quarantine a message (its ``msg_id`` and event time) for the plugin ``ident``."""
    held = QuarantinedMessage(
        ident=ident, msg_id=msg_id, timestamp=timestamp, reason=reason[:MAX_REASON_LENGTH], noted_at=time.time()
    )
    session.merge(held)


def count(session: Session, ident: str) -> int:
    """Messages quarantined for the plugin ``ident``."""
    query = select(func.count()).select_from(QuarantinedMessage).where(QuarantinedMessage.ident == ident)
    return session.scalar(query) or 0


def newest(session: Session, ident: str, limit: int) -> list[QuarantinedMessage]:
    """The ``limit`` messages quarantined last for the plugin ``ident``, newest first."""
    query = (
        select(QuarantinedMessage)
        .where(QuarantinedMessage.ident == ident)
        .order_by(QuarantinedMessage.noted_at.desc(), QuarantinedMessage.msg_id)
        .limit(limit)
    )
    return list(session.scalars(query))
