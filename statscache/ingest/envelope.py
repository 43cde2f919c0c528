"""The checks that turn an envelope from the bus or from history into a :class:`~statscache.plugins.Message`.

The event time is the envelope's ``timestamp``, cut to the whole second, and
accepted from 1970-01-01 (:data:`MIN_TIMESTAMP`) up to, not including,
2100-01-01 UTC (:data:`MAX_TIMESTAMP`); anything else is refused with the reason
``timestamp-out-of-range`` (a number or date outside the window) or
``bad-timestamp`` (not a time at all). The window is fixed rather than "now plus
some skew" so that a message is judged the same way live, through backfill
months later, and in every replay: counts must not depend on when they were made.
2100 lies past any real message and leaves thousands of years of headroom
under Python's year 9999 for window and bucket arithmetic.
"""

from __future__ import annotations

import math
import re
from collections import abc
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import orjson

from statscache.exceptions import MalformedMessage
from statscache.plugins.message import Message, NameReader
from statscache.store.text import is_storable

#: Longest msg_id accepted (Fedora's are 41 characters: a year and a UUID).
MAX_MSG_ID_LENGTH = 255
#: Longest topic accepted (Fedora's run to about 80 characters); a topic is a key of
#: volume-by-topic and of per-topic caches, so it must stay small.
MAX_TOPIC_LENGTH = 255
#: Earliest event time accepted: 1970-01-01T00:00:00Z, in UTC epoch seconds.
MIN_TIMESTAMP = 0
#: First event time refused: 2100-01-01T00:00:00Z, in UTC epoch seconds.
MAX_TIMESTAMP = 4_102_444_800
#: Longest timestamp string read (ISO 8601 with microseconds and an offset takes 32).
MAX_TIMESTAMP_TEXT = 64
#: A timestamp string that is a plain decimal number (ASCII digits only: no ``1_000``, no other scripts).
_DECIMAL = re.compile(r"[+-]?[0-9]+(?:\.[0-9]*)?(?:[eE][+-]?[0-9]{1,4})?")


def parse_envelope(envelope: Any, names: NameReader) -> Message:
    """Check an envelope (as fedmsg or datagrepper hands it over) and wrap it; ``names`` reads its users and packages.

    Raises :class:`MalformedMessage` naming what is wrong.
    """
    if isinstance(envelope, (bytes, str)):
        try:
            envelope = orjson.loads(envelope)
        except orjson.JSONDecodeError as e:
            raise MalformedMessage("not-json", str(e)) from e
    if type(envelope) is not dict and not isinstance(envelope, abc.Mapping):  # the dict test is the fast path
        raise MalformedMessage("not-an-object", f"envelope is a {type(envelope).__name__}")
    topic = _storable_text(envelope, "topic", MAX_TOPIC_LENGTH, "no-topic", "bad-topic")
    msg = envelope.get("msg")
    if not isinstance(msg, dict):
        raise MalformedMessage("msg-not-object", f"msg is a {type(msg).__name__}")
    # One msg_id the database cannot store would fail every flush that holds it.
    msg_id = _storable_text(envelope, "msg_id", MAX_MSG_ID_LENGTH, "no-msg-id", "bad-msg-id")
    timestamp = _parse_timestamp(envelope.get("timestamp"))
    return Message(msg_id, topic, timestamp, msg, envelope, _category(topic), names, {})


def _storable_text(envelope: Mapping[str, Any], field: str, longest: int, missing: str, bad: str) -> str:
    """The envelope's ``field``: a non-empty string (else reason ``missing``) a database can store (else ``bad``)."""
    value = envelope.get(field)
    if not isinstance(value, str) or not value:
        raise MalformedMessage(missing, f"{field} is {_shown(value)}")
    if len(value) > longest or not is_storable(value):
        raise MalformedMessage(
            bad, f"{field} {_shown(value)} is longer than {longest}, or holds a NUL or a lone surrogate"
        )
    return value


def _category(topic: str) -> str:
    parts = topic.split(".", 4)
    return parts[3] if len(parts) > 3 else ""


def _parse_timestamp(value: Any) -> float:
    """Whole epoch seconds from a number or an ISO 8601 string (naive means UTC), inside the accepted window.

    The whole second is taken first (rounding down), then checked: datagrepper
    serves whole seconds, and a live copy must be judged as its record is.
    """
    if type(value) is float and MIN_TIMESTAMP <= value < MAX_TIMESTAMP:  # the usual case; NaN fails the test
        return float(int(value))
    seconds = _seconds(value)
    whole = math.floor(seconds)  # an int, however large: compared exactly, never overflowing
    if not MIN_TIMESTAMP <= whole < MAX_TIMESTAMP:
        raise MalformedMessage("timestamp-out-of-range", f"timestamp {_shown(value)} is not from 1970 up to 2100 (UTC)")
    return float(whole)


def _seconds(value: Any) -> int | float:
    """Epoch seconds of a timestamp, finite, not yet checked against the window."""
    if isinstance(value, bool):  # a bool is an int to Python, and no time
        raise MalformedMessage("bad-timestamp", f"timestamp is {value}")
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise MalformedMessage("bad-timestamp", f"timestamp is {value!r}")
        return value
    if not isinstance(value, str):
        raise MalformedMessage("bad-timestamp", f"timestamp is {_shown(value)}")
    if not 0 < len(value) <= MAX_TIMESTAMP_TEXT or not value.isascii() or not value.isprintable():
        raise MalformedMessage("bad-timestamp", f"timestamp {_shown(value)} is not a short ASCII time")
    if _DECIMAL.fullmatch(value):
        seconds = float(value)
        if not math.isfinite(seconds):
            raise MalformedMessage("bad-timestamp", f"timestamp is {value!r}")
        return seconds
    try:
        parsed = datetime.fromisoformat(value)
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return parsed.timestamp()
    except (ValueError, OverflowError) as e:
        raise MalformedMessage("bad-timestamp", f"timestamp is {value!r}") from e


def _shown(value: Any) -> str:
    """A value for a log line, cut short without ever printing it whole.

    The bus may send megabytes, a list nested too deep to print (RecursionError)
    or an int too long to print (Python refuses past 4,300 digits).
    """
    if isinstance(value, str):
        return repr(value[:80]) + ("..." if len(value) > 80 else "")
    if value is None or isinstance(value, (bool, float)) or (isinstance(value, int) and -(10**30) < value < 10**30):
        return repr(value)
    return f"a {type(value).__name__}" if not isinstance(value, int) else "an integer of over 30 digits"
