"""The edge of the zeromq bus: every message's frames checked, read in bounded turns, reading stopped at shutdown.

moksha subscribes through txZMQ, whose reader drains a socket in one go and
whose unframing raises on a message of other than two frames or on frames
that are not UTF-8: Twisted logs an "Unhandled Error" and the message is
gone, counted nowhere. Draining in one go also keeps the reactor from
anything else while a flood lasts (a signal's stop request waits until the
socket is empty). :class:`BusGate` takes over the reading of each
subscription: it hands moksha only well-formed messages, already decoded,
reports the others with a reason, and returns to the reactor every
``batch`` messages.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import zmq

from statscache.exceptions import MalformedMessage

#: Messages read from one subscription before the reactor gets a turn (a few milliseconds of work).
BATCH = 1000

#: Called with each message off the bus that cannot be handed to the consumer.
Reject = Callable[[MalformedMessage], None]
#: Called when handing a message to the consumer raised (a bug: the consumer counts and logs its own errors).
Fault = Callable[[Exception], None]


def decode(frames: list[bytes]) -> tuple[str, str]:
    """A message's ``(topic, body)``: two frames, both UTF-8; raises :class:`MalformedMessage` naming what is wrong."""
    if len(frames) != 2:
        raise MalformedMessage("frame-count", f"{len(frames)} frames, not 2 (a topic and a body)")
    return _text(frames[0], "topic"), _text(frames[1], "body")


def _text(frame: bytes, name: str) -> str:
    try:
        return frame.decode("utf-8")
    except UnicodeDecodeError as e:
        raise MalformedMessage("not-utf8", f"its {name} frame is not UTF-8 ({e.reason} at byte {e.start})") from e


def unsubscribed(hub: Any) -> list[str]:
    """The zeromq endpoints moksha could not subscribe to (it only logs a warning, and runs on without them)."""
    missing = []
    for extension in getattr(hub, "extensions", ()):
        subscribed = getattr(extension, "subscriber_factories", None)
        if subscribed is not None:
            missing += [endpoint.address for endpoint in extension.sub_endpoints if endpoint not in subscribed]
    return missing


class BusGate:
    """Reads moksha's zeromq subscriptions on the reactor thread, in turns of at most ``batch`` messages."""

    def __init__(self, reactor: Any, reject: Reject, fault: Fault, batch: int = BATCH) -> None:
        self._reactor = reactor
        self._reject = reject
        self._fault = fault
        self._batch = batch
        self._subscriptions: list[tuple[Any, Callable[[str, str], Any]]] = []
        self.closed = False

    def install(self, hub: Any) -> int:
        """Take over every zeromq subscription the hub has made so far; returns how many."""
        for extension in getattr(hub, "extensions", ()):
            for connection in getattr(extension, "subscriber_factories", {}).values():
                self._guard(connection)
        return len(self._subscriptions)

    def _guard(self, connection: Any) -> None:
        # moksha's gotMessage(body, topic) decodes only bytes: given str, it hands them on as they are.
        deliver = connection.gotMessage
        self._subscriptions.append((connection, deliver))
        # The reactor calls doRead through the attribute: this instance's reading is now ours.
        connection.doRead = lambda: self._read(connection, deliver)

    def _read(self, connection: Any, deliver: Callable[[str, str], Any]) -> None:
        """One turn: at most ``batch`` messages, then back to the reactor, coming back if more wait."""
        if connection.read_scheduled is not None:  # txZMQ's own slot for a deferred read
            if not connection.read_scheduled.called:
                connection.read_scheduled.cancel()
            connection.read_scheduled = None
        for _ in range(self._batch):
            frames = self._next(connection)
            if frames is None:
                return
            self._hand_over(frames, deliver)
        # zeromq's descriptor signals edges, not levels: what is left would wait for the next message.
        connection.read_scheduled = self._reactor.callLater(0, connection.doRead)

    def _next(self, connection: Any) -> list[bytes] | None:
        """The next message waiting on the subscription, or None (none waiting, or the gate is closed)."""
        if self.closed or connection.socket is None:
            return None
        if not connection.socket.get(zmq.EVENTS) & zmq.POLLIN:
            return None
        try:
            frames: list[bytes] = connection.socket.recv_multipart(zmq.NOBLOCK)
        except zmq.Again:
            return None
        return frames

    def _hand_over(self, frames: list[bytes], deliver: Callable[[str, str], Any]) -> None:
        try:
            topic, body = decode(frames)
        except MalformedMessage as e:
            self._reject(e)
            return
        try:
            deliver(body, topic)
        except Exception as e:
            # Raised out of doRead, it would make Twisted drop the subscription for good.
            self._fault(e)

    def close(self) -> tuple[str, str] | None:
        """Stop reading; returns the earliest message left waiting (now off the bus) as ``(topic, body)``, or None.

        What is left in zeromq's buffers is never taken off the bus, hence never
        counted: the shutdown does not wait for a flood to end.
        """
        self.closed = True
        for connection, _deliver in self._subscriptions:
            if connection.socket is None:
                continue
            while connection.socket.get(zmq.EVENTS) & zmq.POLLIN:
                try:
                    frames = connection.socket.recv_multipart(zmq.NOBLOCK)
                except zmq.Again:
                    break
                try:
                    return decode(frames)
                except MalformedMessage as e:
                    self._reject(e)
        return None
