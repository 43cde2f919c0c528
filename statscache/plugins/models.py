"""The tables plugins write: the base statistics models.

Each base model knows its columns and how to serialize its rows (JSON-ready
dicts, CSV through :mod:`csv`). Plugins get a concrete table of their own from
:func:`concrete_model`.
"""

from __future__ import annotations

import csv
import threading
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any, ClassVar, TextIO

from sqlalchemy import BigInteger, String, inspect
from sqlalchemy.orm import Mapped, mapped_column

from statscache.store.base import Base, UTCDateTime, epoch_seconds


class StatsModel(Base):
    """A plugin's statistics table; knows how to describe and serialize itself."""

    __abstract__ = True
    #: Human-readable meaning of each column, served with the plugin's description.
    column_docs: ClassVar[dict[str, str]] = {}

    @classmethod
    def column_names(cls) -> list[str]:
        return [column.key for column in inspect(cls).columns]

    @classmethod
    def columns(cls) -> list[dict[str, str]]:
        """Name, type and meaning of each column, in table order."""
        described = []
        for column in inspect(cls).columns:
            kind = "timestamp" if isinstance(column.type, UTCDateTime) else column.type.python_type.__name__
            described.append({"name": column.key, "type": kind, "description": cls.column_docs.get(column.key, "")})
        return described

    @classmethod
    def json_values(cls) -> Callable[[Sequence[Any]], list[Any]]:
        """A function from a row's values (in column order) to JSON-ready values: timestamps
        become UTC epoch seconds. Built once per table, used for every row served."""
        times = [i for i, column in enumerate(inspect(cls).columns) if isinstance(column.type, UTCDateTime)]

        def convert(values: Sequence[Any]) -> list[Any]:
            converted = list(values)
            for i in times:
                if converted[i] is not None:
                    converted[i] = epoch_seconds(converted[i])
            return converted

        return convert

    def to_json(self) -> dict[str, Any]:
        """The row as a JSON-ready dict; timestamps become UTC epoch seconds."""
        names = self.column_names()
        return dict(zip(names, self.json_values()([getattr(self, name) for name in names]), strict=True))

    @classmethod
    def to_csv(cls, rows: Iterable[StatsModel], out: TextIO) -> None:
        """Write a header and one CSV record per row (RFC 4180 quoting by :mod:`csv`)."""
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(cls.column_names())
        writer.writerows(row.to_json().values() for row in rows)


class VolumeModel(StatsModel):
    """A count of messages per window."""

    __abstract__ = True
    column_docs = {
        "timestamp": "start of the window (UTC)",
        "volume": "number of distinct messages in the window",
    }

    timestamp: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    volume: Mapped[int] = mapped_column(BigInteger, nullable=False)


class CategorizedVolumeModel(StatsModel):
    """A count of messages per window and category."""

    __abstract__ = True
    column_docs = {
        "timestamp": "start of the window (UTC)",
        "category": "what the messages were grouped by",
        "volume": "number of distinct messages of this category in the window",
    }

    timestamp: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    category: Mapped[str] = mapped_column(String(), primary_key=True)
    volume: Mapped[int] = mapped_column(BigInteger, nullable=False)


class LatestEventModel(StatsModel):
    """The latest event of each category: a newer event replaces the row."""

    __abstract__ = True
    column_docs = {
        "category": "what the event is about",
        "timestamp": "when the latest event happened (UTC)",
        "msg_id": "the message that announced it",
        "status": "the state it reported",
        "link": "where to read more",
    }

    category: Mapped[str] = mapped_column(String(), primary_key=True)
    # Indexed: the pages ask for the newest events and those of a time range.
    timestamp: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, index=True)
    msg_id: Mapped[str] = mapped_column(String(), nullable=False)
    status: Mapped[str] = mapped_column(String(), nullable=False, default="")
    link: Mapped[str | None] = mapped_column(String(), nullable=True)


_concrete: dict[tuple[type[StatsModel], str], type[StatsModel]] = {}
_concrete_lock = threading.Lock()


def concrete_model(abstract: type[StatsModel], table_name: str) -> type[StatsModel]:
    """The table class of one plugin; made once per (kind, name) since a table is mapped only once."""
    with _concrete_lock:
        key = (abstract, table_name)
        if key not in _concrete:
            class_name = "".join(part.title() for part in table_name.split("_")) + abstract.__name__
            _concrete[key] = type(class_name, (abstract,), {"__tablename__": table_name})
        existing = _concrete[key]
    return existing
