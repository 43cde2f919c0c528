"""One bus message as plugins see it, and the checks that turn an envelope into one."""

from __future__ import annotations

import math
from collections import abc
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, NamedTuple

import orjson

from statscache import meta
from statscache.exceptions import MalformedMessage

#: Longest msg_id accepted (Fedora's are 41 characters: a year and a UUID).
MAX_MSG_ID_LENGTH = 255


class Message(NamedTuple):
    """A validated fedmsg envelope.

    ``timestamp`` is the event time in UTC epoch seconds (the envelope's own
    ``timestamp``, not the time statscache received it), cut to the whole
    second: datagrepper serves no more than that, and a message must count
    the same whether it came live or through backfill.
    """

    msg_id: str
    topic: str
    timestamp: float
    msg: dict[str, Any]
    envelope: Mapping[str, Any]
    #: The topic's fourth dot-part (``org.fedoraproject.prod.CATEGORY...``), or "".
    category: str

    @property
    def datetime(self) -> datetime:
        return datetime.fromtimestamp(self.timestamp, tz=UTC)

    @property
    def users(self) -> tuple[str, ...]:
        """The users the message names (see :mod:`statscache.meta`)."""
        return meta.users(self)

    @property
    def packages(self) -> tuple[str, ...]:
        """The packages the message names (see :mod:`statscache.meta`)."""
        return meta.packages(self)


def parse_envelope(envelope: Any) -> Message:
    """Check an envelope (as fedmsg or datagrepper hands it over) and wrap it.

    Raises :class:`MalformedMessage` naming what is wrong.
    """
    if isinstance(envelope, (bytes, str)):
        try:
            envelope = orjson.loads(envelope)
        except orjson.JSONDecodeError as e:
            raise MalformedMessage("not-json", str(e)) from e
    if type(envelope) is not dict and not isinstance(envelope, abc.Mapping):  # the dict test is the fast path
        raise MalformedMessage("not-an-object", f"envelope is a {type(envelope).__name__}")
    topic = envelope.get("topic")
    if not isinstance(topic, str) or not topic:
        raise MalformedMessage("no-topic", f"topic is {topic!r}")
    msg = envelope.get("msg")
    if not isinstance(msg, dict):
        raise MalformedMessage("msg-not-object", f"msg is a {type(msg).__name__}")
    msg_id = envelope.get("msg_id")
    if not isinstance(msg_id, str) or not msg_id:
        raise MalformedMessage("no-msg-id", f"msg_id is {msg_id!r}")
    if len(msg_id) > MAX_MSG_ID_LENGTH or "\x00" in msg_id:
        # PostgreSQL refuses NUL in text: one such id would fail every flush that holds it.
        raise MalformedMessage("bad-msg-id", f"msg_id {msg_id[:80]!r} is longer than 255 or holds a NUL")
    return Message(msg_id, topic, _parse_timestamp(envelope.get("timestamp")), msg, envelope, _category(topic))


def _category(topic: str) -> str:
    parts = topic.split(".", 4)
    return parts[3] if len(parts) > 3 else ""


def _parse_timestamp(value: Any) -> float:
    """Whole epoch seconds from a number or an ISO 8601 string (naive means UTC)."""
    if type(value) is float and 0 <= value < math.inf:  # the usual case; NaN fails both tests
        return float(int(value))
    if isinstance(value, bool):
        raise MalformedMessage("bad-timestamp", f"timestamp is {value!r}")
    if isinstance(value, (int, float)):
        seconds = float(value)
    elif isinstance(value, str):
        try:
            seconds = float(value)
        except ValueError:
            try:
                parsed = datetime.fromisoformat(value)
            except ValueError as e:
                raise MalformedMessage("bad-timestamp", f"timestamp is {value!r}") from e
            if parsed.tzinfo is None:
                parsed = parsed.replace(tzinfo=UTC)
            seconds = parsed.timestamp()
    else:
        raise MalformedMessage("bad-timestamp", f"timestamp is {value!r}")
    if not math.isfinite(seconds) or seconds < 0:
        raise MalformedMessage("bad-timestamp", f"timestamp is {value!r}")
    return float(int(seconds))
