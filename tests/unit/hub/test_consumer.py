"""The consumer inside a stand-in hub: what fedmsg-hub hands it reaches the pipeline, checked."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest

from statscache.hub import consumer as consumer_module
from tests.fakes.support import recorded_lines, recount, stored


class StandInHub:
    """What a consumer needs of moksha's hub: its config and a subscribe()."""

    def __init__(self, config):
        self.config = config
        self.topics = []

    def subscribe(self, topic, callback):
        self.topics.append(topic)


@pytest.fixture
def make_consumer(tmp_path, monkeypatch):
    # No signal handlers or reactor triggers in the test process.
    monkeypatch.setattr(consumer_module.shutdown, "install", lambda hub, final_flush, stop_receiving: None)
    made = []

    def make(**config):
        hub = StandInHub(
            {
                "moksha.blocking_mode": True,
                "validate_signatures": False,
                "statscache.sqlalchemy.uri": f"sqlite:///{tmp_path / 'stats.sqlite'}",
                "statscache.consumer.epoch": datetime(2015, 1, 1, tzinfo=UTC),
                **config,
            }
        )
        consumer = consumer_module.StatscacheConsumer(hub)
        made.append(consumer)
        return consumer

    yield make
    for consumer in made:
        consumer.pipeline.engine.dispose()


def deliver(consumer, lines):
    for line in lines:
        consumer._consume(SimpleNamespace(topic=b"ignored", body=line.encode()))


def test_every_message_reaches_the_plugins(make_consumer):
    consumer = make_consumer()
    assert consumer.hub.topics == ["*"]
    lines = recorded_lines()
    deliver(consumer, lines)
    assert consumer.pipeline.flush()
    envelopes = [json.loads(line) for line in lines]
    assert stored(consumer.pipeline.engine, "volume-1h") == recount(envelopes, "volume-1h")


def test_with_signatures_on_only_verified_envelopes_count(make_consumer, monkeypatch):
    lines = recorded_lines()[:40]
    ids = [json.loads(line)["msg_id"] for line in lines]
    trusted = set(ids[::2])
    checked = []

    def validate(envelope, **config):
        checked.append(envelope["msg_id"])
        assert config["validate_signatures"] is True  # fedmsg's crypto gets the hub's config
        return envelope["msg_id"] in trusted

    monkeypatch.setattr(consumer_module.fedmsg.crypto, "validate", validate)
    consumer = make_consumer(validate_signatures=True)
    deliver(consumer, lines)
    assert consumer.pipeline.flush()
    assert len(checked) == len(lines)  # once each, on the parsed envelope
    metrics = consumer.pipeline.metrics
    assert metrics.value("statscache_rejected_messages", reason="bad-signature") == sum(i not in trusted for i in ids)
    assert sum(stored(consumer.pipeline.engine, "volume-1d").values()) == len(trusted)


def test_a_disabled_consumer_builds_no_pipeline(make_consumer, monkeypatch):
    hub = StandInHub({"statscache.consumer.enabled": False, "validate_signatures": False})
    consumer = consumer_module.StatscacheConsumer(hub)
    assert not hasattr(consumer, "pipeline")
    assert hub.topics == []
