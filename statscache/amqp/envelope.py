"""An AMQP delivery, as fedora-messaging publishes it, turned into the envelope every message path shares.

The envelope is the shape datagrepper serves (``msg_id``, ``topic``,
``timestamp``, ``msg``, ``headers``), so that a message heard on the broker and its
copy fetched from datagrepper are checked by the same code
(:func:`statscache.ingest.envelope.parse_envelope`) and count once, alike:

- ``msg_id`` is the AMQP ``message_id``;
- ``topic`` is the routing key;
- ``timestamp`` is the ``sent-at`` header (ISO 8601 with a UTC offset);
- ``msg`` is the JSON body;
- ``headers`` are the AMQP headers (the schema, users and packages: :mod:`statscache.ingest.schemas`).

A body that is not JSON is refused here (reason ``not-json``); a missing or bad
id or time is refused by the envelope check, as for any other path.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson

from statscache.exceptions import MalformedMessage

#: The header fedora-messaging sets to the time a message was sent.
SENT_AT = "sent-at"


def envelope_of(routing_key: str, message_id: object, headers: Mapping[str, Any] | None, body: bytes) -> dict[str, Any]:
    """The envelope of one delivery: its routing key, the ``message_id`` and ``headers`` properties, and its body."""
    try:
        msg = orjson.loads(body)
    except orjson.JSONDecodeError as error:
        raise MalformedMessage("not-json", f"the body of {str(message_id)[:80]!r} is not JSON: {error}") from error
    headers = dict(headers or {})
    return {
        "msg_id": message_id,
        "topic": routing_key,
        "timestamp": headers.get(SENT_AT),
        "msg": msg,
        "headers": headers,
    }
