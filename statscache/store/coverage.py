"""Coverage: the stretches of time for which a plugin's statistics are complete, and the known gaps.

A stretch is complete once every message sent in it has been counted: live,
from the hub's start up to its last flush; or fetched page by page from
datagrepper and checked whole. Both are recorded in the transaction that
writes the counts themselves, so a crash can lose a flush's worth of counts
and of coverage together, never one without the other.

Times are epoch seconds (floats), both ends inclusive, to the microsecond
(datagrepper's resolution): stretches less than a microsecond apart touch. A
plugin's stretches are kept merged: never two that overlap or touch.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence

from sqlalchemy import Float, Integer, String, delete, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from statscache.span import TOUCHING, Span
from statscache.store.base import Base


class CoveredStretch(Base):
    """One merged stretch of time for which a plugin's statistics are complete."""

    __tablename__ = "statscache_coverage"

    ident: Mapped[str] = mapped_column(String(), primary_key=True)
    start: Mapped[float] = mapped_column(Float, primary_key=True)
    end: Mapped[float] = mapped_column(Float, nullable=False)


class FailedStretch(Base):
    """A stretch of history that could not be fetched, and why (until it is covered)."""

    __tablename__ = "statscache_failed_stretch"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ident: Mapped[str] = mapped_column(String(), nullable=False, index=True)
    start: Mapped[float] = mapped_column(Float, nullable=False)
    end: Mapped[float] = mapped_column(Float, nullable=False)
    reason: Mapped[str] = mapped_column(String(), nullable=False)
    noted_at: Mapped[float] = mapped_column(Float, nullable=False)


COVERAGE_TABLES = [CoveredStretch.__table__, FailedStretch.__table__]


def covered(session: Session, ident: str) -> list[Span]:
    """The plugin's complete stretches, oldest first."""
    rows = session.execute(
        select(CoveredStretch.start, CoveredStretch.end)
        .where(CoveredStretch.ident == ident)
        .order_by(CoveredStretch.start)
    )
    return [Span(start, end) for start, end in rows]


def add(session: Session, idents: Iterable[str], start: float, end: float) -> None:
    """Record that the statistics of each plugin in ``idents`` are complete from ``start`` to ``end``."""
    for ident in idents:
        touching = session.execute(
            select(CoveredStretch.start, CoveredStretch.end).where(
                CoveredStretch.ident == ident,
                CoveredStretch.start <= end + TOUCHING,
                CoveredStretch.end >= start - TOUCHING,
            )
        ).all()
        merged = Span(min([start, *(row.start for row in touching)]), max([end, *(row.end for row in touching)]))
        if touching:
            session.execute(
                delete(CoveredStretch).where(
                    CoveredStretch.ident == ident, CoveredStretch.start.in_([row.start for row in touching])
                )
            )
        session.add(CoveredStretch(ident=ident, start=merged.start, end=merged.end))
        session.execute(
            delete(FailedStretch).where(
                FailedStretch.ident == ident, FailedStretch.start >= merged.start, FailedStretch.end <= merged.end
            )
        )
    session.flush()


def extend(session: Session, idents: Sequence[str], since: float, until: float) -> None:
    """Live coverage: stretch each plugin's coverage that ends at ``since`` up to ``until``.

    One statement in the usual case (each flush extends the stretch the last one
    ended); a plugin without such a stretch (its history was just dropped, say)
    gets ``since .. until`` merged in.
    """
    extended = session.execute(
        update(CoveredStretch)
        .where(CoveredStretch.ident.in_(idents), CoveredStretch.end == since)
        .values(end=until)
        .returning(CoveredStretch.ident)
    ).scalars()
    rest = set(idents).difference(extended)
    if rest:
        add(session, sorted(rest), since, until)


def note_failure(session: Session, idents: Iterable[str], start: float, end: float, reason: str) -> None:
    """Record that history from ``start`` to ``end`` could not be had for these plugins."""
    now = time.time()
    for ident in idents:
        session.add(FailedStretch(ident=ident, start=start, end=end, reason=reason[:1000], noted_at=now))


def failures(session: Session, ident: str) -> list[FailedStretch]:
    return list(
        session.scalars(select(FailedStretch).where(FailedStretch.ident == ident).order_by(FailedStretch.start))
    )


def forget(session: Session, ident: str) -> None:
    """Drop everything known of the plugin's coverage (its history is being rebuilt)."""
    session.execute(delete(CoveredStretch).where(CoveredStretch.ident == ident))
    session.execute(delete(FailedStretch).where(FailedStretch.ident == ident))
