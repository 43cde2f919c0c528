"""The tables plugins write: the base statistics models.

Each base model knows its columns and how to serialize its rows (JSON-ready
dicts, CSV through :mod:`csv`). Plugins get a concrete table of their own from
:func:`concrete_model`.
"""

from __future__ import annotations

import csv
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, TextIO
from urllib.parse import urlencode

import orjson
from sqlalchemy import BigInteger, String, inspect
from sqlalchemy.orm import Mapped, mapped_column

from statscache.store.base import Base, UTCDateTime, epoch_seconds


@dataclass(frozen=True)
class Serving:
    """What the columns computed as a row is served may depend on: the moment of the request, and
    where messages can be read (a datagrepper's base URL, or None)."""

    now: float
    datagrepper: str | None = None

    def message_link(self, msg_id: str) -> str | None:
        """Where a person reads the message: datagrepper's ``/id`` page of it (None: no datagrepper is known)."""
        if self.datagrepper is None:
            return None
        return f"{self.datagrepper.rstrip('/')}/id?{urlencode({'id': msg_id})}"


class StatsModel(Base):
    """A plugin's statistics table; knows how to describe and serialize itself."""

    __abstract__ = True
    #: Human-readable meaning of each column, served with the plugin's description.
    column_docs: ClassVar[dict[str, str]] = {}
    #: Key columns the API filters on by name (``?category=a&category=b``).
    filters: ClassVar[tuple[str, ...]] = ()
    #: The column rows are ordered by when a request names none (None: ``timestamp``, newest first).
    default_sort: ClassVar[str | None] = None
    #: Columns computed as each row is served, after the stored ones: name -> (type, meaning); see :meth:`served`.
    computed: ClassVar[dict[str, tuple[str, str]]] = {}
    #: Stored columns served as another type than they are stored as (``list``: text stored as a JSON array).
    served_types: ClassVar[dict[str, str]] = {}

    @classmethod
    def column_names(cls) -> list[str]:
        """The stored columns, in table order."""
        return [column.key for column in inspect(cls).columns]

    @classmethod
    def served_names(cls) -> list[str]:
        """The columns a served row has: the stored ones, then the computed ones."""
        return [*cls.column_names(), *cls.computed]

    @classmethod
    def columns(cls) -> list[dict[str, Any]]:
        """Name, type and meaning of each served column, in order; ``sortable``: stored (the API orders by it)."""
        described: list[dict[str, Any]] = []
        for column in inspect(cls).columns:
            kind = "timestamp" if isinstance(column.type, UTCDateTime) else column.type.python_type.__name__
            kind = cls.served_types.get(column.key, kind)
            meaning = cls.column_docs.get(column.key, "")
            described.append({"name": column.key, "type": kind, "description": meaning, "sortable": True})
        for name, (kind, meaning) in cls.computed.items():
            described.append({"name": name, "type": kind, "description": meaning, "sortable": False})
        return described

    @classmethod
    def served(cls, serving: Serving) -> Callable[[list[Any]], list[Any]]:
        """A function from a row's JSON-ready stored values to the values served (the computed ones appended)."""
        return lambda values: values

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
    filters = ("category",)
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
    filters = ("category",)
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


class MilestoneModel(StatsModel):
    """The newest start, success and failure of each cell of a board (see :mod:`statscache.plugins.milestones`)."""

    __abstract__ = True
    filters = ("category", "phase")
    column_docs = {
        "category": "the cell: what process, of what (parts separated by /)",
        "phase": "started, succeeded or failed",
        "timestamp": "when the cell last reached that phase (UTC)",
        "msg_id": "the message that said so",
        "status": "the state as that message words it",
        "run": "which run of the process it was (a compose id, a task id, an image name), if known",
        "link": "where to read more",
        "detail": "a little more, as an object (links to what was made, an image id...)",
    }
    served_types = {"detail": "object"}

    category: Mapped[str] = mapped_column(String(), primary_key=True)
    phase: Mapped[str] = mapped_column(String(), primary_key=True)
    # Indexed: the pages ask for the newest rows and those of a time range.
    timestamp: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, index=True)
    msg_id: Mapped[str] = mapped_column(String(), nullable=False)
    status: Mapped[str] = mapped_column(String(), nullable=False, default="")
    run: Mapped[str | None] = mapped_column(String(), nullable=True)
    link: Mapped[str | None] = mapped_column(String(), nullable=True)
    #: JSON text of an object (served as the object, its links checked again: statscache.web.rows;
    #: as its JSON text in CSV).
    detail: Mapped[str | None] = mapped_column(String(), nullable=True)


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


class _Activity(StatsModel):
    """How many messages, all time, and when first and last: the columns after an activity row's keys."""

    __abstract__ = True
    default_sort = "volume"
    column_docs = {
        "user": "the user (FAS username)",
        "volume": "number of distinct messages, all time",
        "first_seen": "event time of the first of them (UTC)",
        "timestamp": "event time of the last of them: when last seen (UTC)",
    }

    volume: Mapped[int] = mapped_column(BigInteger, nullable=False)
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    timestamp: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, index=True)


class UserTopicActivityModel(_Activity):
    """How many messages each user was named in on each topic, all time, and when first and last."""

    __abstract__ = True
    filters = ("user", "topic", "category")
    column_docs = {
        **_Activity.column_docs,
        "topic": "the topic of the messages",
        "category": "the topic's category",
    }

    user: Mapped[str] = mapped_column(String(), primary_key=True)
    # Indexed: the people on a topic, or in a category, are asked for by it.
    topic: Mapped[str] = mapped_column(String(), primary_key=True, index=True)
    category: Mapped[str] = mapped_column(String(), nullable=False, index=True)


class UserCategoryActivityModel(_Activity):
    """How many messages each user was named in in each category, all time, and when first and last."""

    __abstract__ = True
    filters = ("user", "category")
    column_docs = {**_Activity.column_docs, "category": "the category of the messages (buildsys, bodhi...)"}

    user: Mapped[str] = mapped_column(String(), primary_key=True)
    category: Mapped[str] = mapped_column(String(), primary_key=True, index=True)


class _LatestMessage(StatsModel):
    """The newest message of each key: its time, msg_id and users, and, as served, a link to it and its age."""

    __abstract__ = True
    column_docs = {
        "timestamp": "event time of its newest message (UTC)",
        "msg_id": "that message's id",
        "users": "the users it names",
    }
    served_types = {"users": "list"}
    computed = {
        "link": ("str", "the message in datagrepper (null: no datagrepper is configured)"),
        "age_seconds": ("float", "seconds from the message's time to the request"),
    }

    # Indexed: the newest rows come first.
    timestamp: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, index=True)
    msg_id: Mapped[str] = mapped_column(String(), nullable=False)
    #: The users as a JSON array (served as one; space-separated in CSV).
    users: Mapped[str] = mapped_column(String(), nullable=False, default="[]")

    @classmethod
    def served(cls, serving: Serving) -> Callable[[list[Any]], list[Any]]:
        names = cls.column_names()
        at_time, at_id, at_users = names.index("timestamp"), names.index("msg_id"), names.index("users")

        def computed(values: list[Any]) -> list[Any]:
            values[at_users] = orjson.loads(values[at_users])
            age = max(0.0, round(serving.now - values[at_time], 3))
            values += [serving.message_link(values[at_id]), age]
            return values

        return computed


class LatestByTopicModel(_LatestMessage):
    __abstract__ = True
    filters = ("topic", "category")
    column_docs = {"topic": "the topic", "category": "the topic's category", **_LatestMessage.column_docs}

    topic: Mapped[str] = mapped_column(String(), primary_key=True)
    category: Mapped[str] = mapped_column(String(), nullable=False, index=True)


class LatestByCategoryModel(_LatestMessage):
    __abstract__ = True
    filters = ("category",)
    column_docs = {"category": "the category (buildsys, bodhi...)", **_LatestMessage.column_docs}

    category: Mapped[str] = mapped_column(String(), primary_key=True)
