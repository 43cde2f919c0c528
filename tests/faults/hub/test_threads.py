"""No part of the hub may stop silently: a missing producer or a dead flush loop stops the hub, status 1."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any

import pytest

from statscache.hub import consumer as consumer_module
from statscache.hub import shutdown
from statscache.hub.producer import StatscacheProducer


class StandInHub:
    def __init__(self, config: dict[str, Any]) -> None:
        self.config = config

    def subscribe(self, topic: str, callback: Any) -> None:
        pass


class RecordingStop:
    """Stands for shutdown.Stop: records why statscache gave up."""

    def __init__(self) -> None:
        self.reasons: list[str] = []

    def fail(self, reason: str) -> None:
        self.reasons.append(reason)


@pytest.fixture
def consumer(tmp_path, monkeypatch):
    stop = RecordingStop()
    monkeypatch.setattr(consumer_module.shutdown, "install", lambda hub, final_flush, stop_receiving: stop)
    monkeypatch.setattr(consumer_module, "_when_running", lambda call: None)
    hub = StandInHub(
        {
            "moksha.blocking_mode": True,
            "validate_signatures": False,
            "statscache.sqlalchemy.uri": f"sqlite:///{tmp_path / 'stats.sqlite'}",
            "statscache.consumer.epoch": datetime(2015, 1, 1, tzinfo=UTC),
        }
    )
    made = consumer_module.StatscacheConsumer(hub)
    yield made, stop
    made.pipeline.engine.dispose()


def test_a_hub_whose_producer_never_attached_stops(consumer):
    made, stop = consumer
    made._go_live()
    assert stop.reasons == ["the statscache producer is not running (see the errors above)"]


class BrokenEvent(threading.Event):
    def wait(self, timeout: float | None = None) -> bool:
        raise OverflowError("timeout value is too large")


def test_a_flush_loop_that_dies_stops_the_hub(consumer):
    made, stop = consumer
    producer = object.__new__(StatscacheProducer)  # its thread's loop alone, without moksha's reactor
    producer.consumer, producer.pipeline, producer.frequency = made, made.pipeline, 1.0
    producer._stopping = BrokenEvent()
    producer._work()
    assert len(stop.reasons) == 1
    assert stop.reasons[0].startswith("the periodic flush stopped: OverflowError")


def test_a_hub_that_cannot_go_live_stops(consumer, monkeypatch):
    made, stop = consumer
    made.producer = object()

    def refuse(since: float) -> None:
        raise RuntimeError("no")

    monkeypatch.setattr(made.pipeline, "go_live", refuse)
    made._go_live()
    assert stop.reasons == ["going live failed: RuntimeError('no')"]


class StandInReactor:
    def __init__(self) -> None:
        self.calls: list[Any] = []

    def callFromThread(self, call: Any) -> None:  # noqa: N802 - Twisted's name
        self.calls.append(call)

    def stop(self) -> None:
        pass


@pytest.fixture
def stop_parts(monkeypatch):
    armed: list[float] = []
    exits: list[int] = []
    monkeypatch.setattr(shutdown, "_start_watchdog", armed.append)
    monkeypatch.setattr(shutdown, "_exit", exits.append)
    return armed, exits


def make_stop(final_flush: Any = lambda: True) -> tuple[shutdown.Stop, StandInReactor, list[str]]:
    events: list[str] = []
    hub = type("Hub", (), {"stop": lambda self: events.append("hub.stop")})()
    reactor = StandInReactor()
    stop = shutdown.Stop(hub, reactor, final_flush, lambda: events.append("stop receiving"), deadline=7.0)
    return stop, reactor, events


def test_a_stop_arms_its_deadline_at_the_request_and_stops_the_hub_once(stop_parts):
    armed, _exits = stop_parts
    stop, reactor, events = make_stop()
    stop.request()
    stop.request()  # a second signal
    assert armed == [7.0]  # from the first request, before the reactor gets to it
    for call in reactor.calls:
        call()
    assert events == ["stop receiving", "hub.stop"]


@pytest.mark.parametrize(
    ("written", "failed", "status"),
    [(True, False, None), (False, False, 1), (True, True, 1)],
)
def test_the_exit_status_says_whether_everything_was_written(stop_parts, written, failed, status):
    _armed, exits = stop_parts
    stop, _reactor, _events = make_stop(lambda: written)
    if failed:
        stop.fail("something broke")
    stop.after_shutdown()
    assert exits == ([] if status is None else [status])
