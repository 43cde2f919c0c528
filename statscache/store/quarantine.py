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
from collections.abc import Iterable

from sqlalchemy import Float, String, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from statscache.models import Base

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


def add(session: Session, ident: str, messages: Iterable[tuple[str, float]], reason: str) -> None:
    """Quarantine ``(msg_id, event time)`` pairs for the plugin ``ident``."""
    now = time.time()
    for msg_id, timestamp in messages:
        session.merge(
            QuarantinedMessage(
                ident=ident, msg_id=msg_id, timestamp=timestamp, reason=reason[:MAX_REASON_LENGTH], noted_at=now
            )
        )


def counts(session: Session) -> dict[str, int]:
    """Messages quarantined per plugin ident."""
    query = select(QuarantinedMessage.ident, func.count()).group_by(QuarantinedMessage.ident)
    return {ident: count for ident, count in session.execute(query)}
