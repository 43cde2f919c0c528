"""The bus gate on real zeromq sockets (inproc), no hub: bounded turns, malformed frames, no reading after close."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
import zmq

from statscache.hub.bus import BusGate


class Reactor:
    """Records what the gate schedules instead of running it."""

    def __init__(self) -> None:
        self.later: list[Any] = []

    def callLater(self, delay: float, call: Any) -> Any:  # noqa: N802 - Twisted's name
        self.later.append(call)
        return _Call()


class _Call:
    called = False

    def cancel(self) -> None:
        pass


class Subscription:
    """What the gate needs of a txZMQ subscription: its socket, gotMessage and read_scheduled."""

    def __init__(self, socket: zmq.Socket) -> None:
        self.socket = socket
        self.read_scheduled = None
        self.delivered: list[tuple[str, str]] = []

    def gotMessage(self, body: str, topic: str) -> None:  # noqa: N802 - txZMQ's name
        self.delivered.append((topic, body))


class Extension:
    def __init__(self, subscription: Subscription) -> None:
        self.subscriber_factories = {"endpoint": subscription}


@pytest.fixture
def pair() -> Iterator[tuple[zmq.Socket, Subscription]]:
    context = zmq.Context()
    pub = context.socket(zmq.PUB)
    pub.setsockopt(zmq.SNDHWM, 0)
    # inproc: a message is in the subscriber's queue as soon as send() returns, so counts are exact.
    pub.bind("inproc://bus")
    sub = context.socket(zmq.SUB)
    sub.setsockopt(zmq.RCVHWM, 0)
    sub.setsockopt(zmq.SUBSCRIBE, b"")
    sub.connect("inproc://bus")
    deadline = time.monotonic() + 30
    while True:  # until the subscription has reached the publisher
        pub.send_multipart([b"probe", b"probe"])
        if sub.poll(50):
            break
        assert time.monotonic() < deadline, "the subscription never joined"
    while sub.poll(200):
        sub.recv_multipart()
    yield pub, Subscription(sub)
    pub.close(linger=0)
    sub.close(linger=0)
    context.term()


def install(subscription: Subscription, batch: int = 1000) -> tuple[BusGate, Reactor, list[Any]]:
    """The gate on the subscription; what it rejects, and what raised, are recorded in one list."""
    reactor, rejected = Reactor(), []
    gate = BusGate(reactor, rejected.append, rejected.append, batch=batch)
    hub = type("Hub", (), {"extensions": [Extension(subscription)]})()
    assert gate.install(hub) == 1
    return gate, reactor, rejected


def test_a_turn_reads_at_most_one_batch_and_comes_back_for_the_rest(pair):
    pub, subscription = pair
    gate, reactor, rejected = install(subscription, batch=100)
    for i in range(250):
        pub.send_multipart([b"t", f"m{i}".encode()])
    subscription.doRead()
    assert len(subscription.delivered) == 100
    assert len(reactor.later) == 1  # the reactor's other work (a stop request) runs before the next turn
    while reactor.later:
        reactor.later.pop()()
    assert [body for _topic, body in subscription.delivered] == [f"m{i}" for i in range(250)]
    assert not rejected


@pytest.mark.parametrize(
    ("frames", "reason"),
    [
        ([b"t", b"\xff"], "not-utf8"),
        ([b"\xc3", b"{}"], "not-utf8"),
        ([b"t", b"{}", b"x"], "frame-count"),
        ([b"t"], "frame-count"),
    ],
)
def test_malformed_frames_are_rejected_and_the_next_message_still_arrives(pair, frames, reason):
    pub, subscription = pair
    _gate, _reactor, rejected = install(subscription)
    pub.send_multipart(frames)
    pub.send_multipart([b"t", b"good"])
    subscription.doRead()
    assert [error.reason for error in rejected] == [reason]
    assert subscription.delivered == [("t", "good")]


def test_a_failing_consumer_is_reported_not_raised_into_the_reactor(pair):
    pub, subscription = pair

    def explode(body: str, topic: str) -> None:
        raise RuntimeError("boom")

    subscription.gotMessage = explode  # what the gate hands over to
    _gate, _reactor, rejected = install(subscription)
    pub.send_multipart([b"t", b"x"])
    subscription.doRead()  # raising here would make Twisted drop the subscription
    assert [repr(error) for error in rejected] == ["RuntimeError('boom')"]


def test_after_close_nothing_more_is_read_and_the_next_message_is_kept(pair):
    pub, subscription = pair
    gate, reactor, rejected = install(subscription, batch=10)
    for i in range(50):
        pub.send_multipart([b"t", f"m{i}".encode()])
    subscription.doRead()
    assert len(subscription.delivered) == 10
    assert gate.close() == ("t", "m10")
    while reactor.later:
        reactor.later.pop()()
    subscription.doRead()
    assert len(subscription.delivered) == 10
    assert not rejected
