"""``statscache consume``: statscache on today's bus, a RabbitMQ queue read through pika.

Deliveries are handed to the pipeline as they come; every flush interval the
pipeline writes what it holds, and only once that flush has committed are the
deliveries acknowledged, all at once (``multiple``). A crash at any moment
therefore leaves every uncounted message unacknowledged: the broker delivers it
again, and the ledger drops what had been counted already. Several consumers may
share one queue and one database: each message goes to one of them, and the
ledger keeps any that reaches two (a redelivery) counted once.
"""

from __future__ import annotations

import contextlib
import logging
import ssl
import threading
import time
from collections.abc import Mapping
from typing import Any

import pika
import pika.exceptions
from pika.adapters.blocking_connection import BlockingChannel
from pika.spec import Basic, BasicProperties

from statscache.amqp.conffile import Deployment
from statscache.amqp.envelope import envelope_of
from statscache.exceptions import MalformedMessage
from statscache.history.catchup import Backfiller
from statscache.ingest.pipeline import Pipeline

log = logging.getLogger(__name__)

#: Longest wait for the broker's next delivery before looking at the clock (flushes, a stop).
POLL = 0.2
#: Pauses between attempts to reach the broker: it may be restarting, or not up yet.
RECONNECT_DELAYS = (0.5, 1.0, 2.0, 5.0)


class AmqpConsumer:
    """Reads the configured queues into the pipeline, flushing and acknowledging every flush interval."""

    def __init__(self, deployment: Deployment, pipeline: Pipeline) -> None:
        self.deployment = deployment
        self.pipeline = pipeline
        self._stopping = threading.Event()
        #: The newest delivery handed to the pipeline on the current channel, not yet acknowledged.
        self._unacked: int | None = None
        self._interval = deployment.settings.producer_frequency.total_seconds()
        self.history = Backfiller(pipeline)
        #: Reconnections after a lost connection (the first connection is not one), and deliveries taken in.
        self.reconnects = 0
        self.deliveries = 0

    def stop(self) -> None:
        """Stop consuming soon (a signal handler may call this): the final flush and its acks follow."""
        self._stopping.set()

    def run(self) -> None:
        """Consume until :meth:`stop`; survives the broker going away by connecting again."""
        self.history.go_live()
        attempt = 0
        try:
            while not self._stopping.is_set():
                try:
                    self._session()
                    attempt = 0
                except (pika.exceptions.AMQPError, OSError) as error:
                    self._unacked = None  # their delivery tags died with the channel: the broker sends them again
                    if self._stopping.is_set():
                        break
                    delay = RECONNECT_DELAYS[min(attempt, len(RECONNECT_DELAYS) - 1)]
                    attempt += 1
                    self.reconnects += 1
                    log.warning("statscache: the broker connection failed (%r); connecting again in %g s", error, delay)
                    self._stopping.wait(delay)
        finally:
            self._close()

    def _session(self) -> None:
        """One connection: declare, consume, flush and acknowledge, until a stop or a failure."""
        connection = pika.BlockingConnection(connection_parameters(self.deployment.broker))
        try:
            channel = connection.channel()
            channel.basic_qos(prefetch_count=self.deployment.prefetch)
            declare(channel, self.deployment.broker)
            for queue in self.deployment.queues:
                channel.basic_consume(queue, self._on_delivery, auto_ack=False)
            log.info(
                "statscache consuming %s on %s (prefetch %d)",
                ", ".join(self.deployment.queues),
                _shown_url(self.deployment.broker["amqp_url"]),
                self.deployment.prefetch,
            )
            last_flush = time.monotonic()
            while not self._stopping.is_set():
                connection.process_data_events(time_limit=POLL)
                if time.monotonic() - last_flush >= self._interval:
                    self._flush_and_ack(channel)
                    last_flush = time.monotonic()
            channel.stop_consuming()
            self._flush_and_ack(channel)
        finally:
            if connection.is_open:
                with contextlib.suppress(pika.exceptions.AMQPError, OSError):  # closing a connection that failed
                    connection.close()

    def _on_delivery(
        self, channel: BlockingChannel, method: Basic.Deliver, properties: BasicProperties, body: bytes
    ) -> None:
        metrics = self.pipeline.metrics
        metrics.received()
        self.deliveries += 1
        tag = method.delivery_tag
        try:
            envelope = envelope_of(method.routing_key or "", properties.message_id, properties.headers, body)
        except MalformedMessage as error:
            # Poison: acknowledged at once, so that it is never delivered again nor holds a prefetch slot.
            metrics.rejected_envelope(error.reason)
            log.warning("rejected a delivery: %s", error)
            channel.basic_ack(tag)
            return
        self.pipeline.handle(envelope)  # a bad id or time is counted and dropped there; acknowledged below
        self._unacked = tag

    def _flush_and_ack(self, channel: BlockingChannel) -> None:
        """Flush; once everything handed in is committed, acknowledge it all."""
        tag = self._unacked
        if not self.pipeline.flush():
            return  # nothing acknowledged: kept in memory, and on the broker, until the database takes it
        if tag is not None and channel.is_open:
            channel.basic_ack(tag, multiple=True)
            if self._unacked == tag:
                self._unacked = None

    def _close(self) -> None:
        self.history.close()
        self.pipeline.close()
        log.info(
            "statscache consume stopped: %d deliveries taken in, %d reconnections", self.deliveries, self.reconnects
        )


def connection_parameters(broker: Mapping[str, Any]) -> pika.URLParameters:
    """pika's parameters from fedora-messaging's ``amqp_url``, ``[tls]`` and ``[client_properties]``."""
    parameters = pika.URLParameters(broker["amqp_url"])
    tls = broker.get("tls") or {}
    if parameters.ssl_options is not None or any(tls.get(key) for key in ("ca_cert", "certfile", "keyfile")):
        context = ssl.create_default_context(cafile=tls.get("ca_cert"))
        if tls.get("certfile"):
            context.load_cert_chain(tls["certfile"], tls.get("keyfile"))
        parameters.ssl_options = pika.SSLOptions(context, parameters.host)
    parameters.client_properties = {**broker.get("client_properties", {}), "app": "statscache"}
    return parameters


def declare_now(broker: Mapping[str, Any]) -> None:
    """Connect, declare what the file says (:func:`declare`), and disconnect: messages published next wait there."""
    connection = pika.BlockingConnection(connection_parameters(broker))
    try:
        declare(connection.channel(), broker)
    finally:
        connection.close()


def declare(channel: BlockingChannel, broker: Mapping[str, Any]) -> None:
    """The exchanges, queues and bindings of the file, passively when ``passive_declares`` says so."""
    passive = bool(broker.get("passive_declares"))
    for name, exchange in broker["exchanges"].items():
        if name.startswith("amq."):  # the broker's own: declaring them is refused
            continue
        channel.exchange_declare(
            name,
            exchange_type=exchange.get("type", "topic"),
            durable=exchange.get("durable", True),
            auto_delete=exchange.get("auto_delete", False),
            arguments=exchange.get("arguments"),
            passive=passive or exchange.get("passive", False),
        )
    for name, queue in broker["queues"].items():
        channel.queue_declare(
            name,
            durable=queue.get("durable", True),
            auto_delete=queue.get("auto_delete", False),
            exclusive=queue.get("exclusive", False),
            arguments=queue.get("arguments"),
            passive=passive or queue.get("passive", False),
        )
    if passive:
        return
    bindings = broker["bindings"]
    for binding in bindings if isinstance(bindings, list) else [bindings]:
        for key in binding.get("routing_keys", ["#"]):
            channel.queue_bind(binding["queue"], binding["exchange"], routing_key=key)


def _shown_url(url: str) -> str:
    """The broker's URL for a log line, without its password."""
    parameters = pika.URLParameters(url)
    return f"{parameters.host}:{parameters.port}{parameters.virtual_host}"
