"""A real hub's health probes on its metrics port, and the web app's over the same database: ready while it
counts, not ready once its flushes stop committing."""

from __future__ import annotations

import signal
import time
from datetime import timedelta

import pytest

from statscache.config import Config
from statscache.store.engine import make_reader_engine
from statscache.web import create_app
from tests.fakes.support import recorded_envelopes, recorded_lines
from tests.integration.hub.test_hub import EPOCH, SHUTDOWN_BUDGET, total
from tests.services.hub import Hub

pytestmark = pytest.mark.integration

SETTINGS = {
    "statscache.consumer.epoch": EPOCH,
    "statscache.producer.frequency": timedelta(milliseconds=300),
    "statscache.health.max_flush_age": timedelta(seconds=3),
    "statscache.plugins.enabled": ["volume", "volume-by-category"],
}


@pytest.mark.parametrize("workers", [0, 2])
def test_a_counting_hub_is_ready_and_a_stopped_one_is_not(tmp_path, bus, workers):
    lines, envelopes = recorded_lines(), recorded_envelopes()
    hub = Hub(tmp_path, bus, **SETTINGS, **{"statscache.consumer.workers": workers}).start()
    try:
        hub.wait_ready()
        status, alive = hub.probe("/healthz/live")
        assert status == 200 and alive["title"] == "OK"
        hub.wait_until(lambda: hub.probe("/healthz/ready")[0] == 200, 30, "the hub to be ready")
        status, body = hub.probe("/healthz/ready")
        assert body["title"] == "OK" and body["checks"]["flush"]["ok"]
        bus.publish(lines)
        hub.wait_handled(1302)
        hub.wait_until(lambda: total(hub) == 1300, 30, "the flushes")
        config = Config(
            sqlalchemy_uri=f"sqlite:///{hub.database}",
            consumer_epoch=EPOCH,
            plugins_enabled=("volume", "volume-by-category"),
            health_max_flush_age=timedelta(seconds=3),
        )
        web = create_app(config, engine=make_reader_engine(config.sqlalchemy_uri)).test_client()
        answer = web.get("/healthz/ready")
        assert answer.status_code == 200, answer.json
        # The metrics that come with health, combined over the workers when there are some.
        scraped = hub.samples()
        assert scraped["statscache_newest_event_timestamp_seconds"] == max(int(e["timestamp"]) for e in envelopes)
        assert time.time() - scraped["statscache_last_flush_timestamp_seconds"] < 5
        assert scraped["statscache_flush_duration_seconds_count"] > 0
        assert scraped["statscache_rows_written_total"] >= 1300  # a ledger row a message, and the counts
        assert scraped["statscache_queued_messages"] == 0
        assert hub.stop(signal.SIGTERM) < SHUTDOWN_BUDGET
        hub.assert_exact(envelopes)
        # The hub is gone: its heartbeat ages, and the web app stops being ready once it is too old.
        time.sleep(3.5)
        stale = web.get("/healthz/ready")
        assert stale.status_code == 503
        assert stale.json["title"] == "not ready: flush"
        assert "volume-1m" in stale.json["checks"]["flush"]["detail"]
        assert web.get("/healthz/live").status_code == 200
    finally:
        hub.kill()
