"""No part of the hub may stop silently: a missing producer or a dead flush loop stops the hub, status 1."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any

import pytest

from statscache import consumer as consumer_module
from statscache.producer import StatscacheProducer


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
