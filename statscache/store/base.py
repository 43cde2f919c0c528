"""The declarative base of every statscache table, and the UTC timestamps they store."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import ClassVar

from sqlalchemy import DateTime, Table, TypeDecorator
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase


class UTCDateTime(TypeDecorator[datetime]):
    """Stores aware datetimes as naive UTC and hands them back aware, on every backend."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.utcoffset() is None:
            raise ValueError(f"refusing to store naive datetime {value!r}: statscache stores UTC only")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    """Declarative base of every statscache table."""

    # SQLAlchemy types __table__ as any FromClause (a class may be mapped to a SELECT); every
    # statscache model, plugins' included, is declared with columns, which makes it a Table.
    __table__: ClassVar[Table]


def epoch_seconds(value: datetime) -> int | float:
    """UTC epoch seconds, as an int when whole (window starts always are)."""
    seconds = value.timestamp()
    return int(seconds) if seconds.is_integer() else seconds
