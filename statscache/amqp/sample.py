"""Publish recorded envelopes to a broker as fedora-messaging publishes them (``statscache-run --demo --amqp``).

Each becomes a fedora-messaging message (its headers, severity and encoding are
the library's own) with the envelope's ``msg_id`` as its id and its time as
``sent-at``, sent to ``amq.topic`` under its topic, confirmed by the broker.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import pika

#: The exchange fedora-messaging publishes to by default.
EXCHANGE = "amq.topic"


def publish(url: str, envelopes: Iterable[dict[str, Any]], confirm: bool = True) -> int:
    """Publish every envelope, in order; how many. ``confirm``: wait for the broker to take each one."""
    from fedora_messaging.message import Message

    connection = pika.BlockingConnection(pika.URLParameters(url))
    try:
        channel = connection.channel()
        if confirm:
            channel.confirm_delivery()
        published = 0
        for envelope in envelopes:
            message = Message(topic=envelope["topic"], body=envelope["msg"])
            message.id = envelope["msg_id"]
            # fedora-messaging stamps sent-at with the time of publishing; a replay keeps the recorded one
            # (its headers are private to it: the way datanommer's own tests set them).
            message._headers = {
                **message._headers,
                "sent-at": datetime.fromtimestamp(envelope["timestamp"], tz=UTC).isoformat(),
            }
            channel.basic_publish(EXCHANGE, message._encoded_routing_key, message._encoded_body, message._properties)
            published += 1
        return published
    finally:
        connection.close()
