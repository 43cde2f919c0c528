"""Poison times and hostile bodies on the bus of a real fedmsg-hub: every flush works, the counts are exact.

Once, one envelope dated 1e12 made every later flush fail (``ValueError: year
33658``): everything received afterwards waited in memory and was lost at
shutdown. Here poison is published among the recorded stream, the hub keeps
flushing, and after SIGTERM the tables equal the recount of what should count.
"""

from __future__ import annotations

import json
import signal
from datetime import UTC, datetime, timedelta

import orjson
import pytest

from statscache.ingest.envelope import MAX_TIMESTAMP
from tests.fakes.hostile import systematic
from tests.fakes.support import recorded_envelopes, recorded_lines, stored
from tests.services.hub import Hub

pytestmark = pytest.mark.integration

EPOCH = datetime(2012, 1, 1, tzinfo=UTC)
POISON_TIMES = [1e12, 1e20, 1e300, 253402300799, MAX_TIMESTAMP, 7258118400, -1, "9999-12-31T23:59:59-23:59"]


def poison(index: int, timestamp: object) -> dict[str, object]:
    return {"topic": "org.fedoraproject.prod.buildsys.build.state.change", "msg_id": f"poison-{index}"} | {
        "timestamp": timestamp,
        "msg": {"name": "kernel", "new": 1, "build_id": 1},
        "i": 1,
        "username": "apache",
    }


def is_json(line: str) -> bool:
    """Whether the hub can read this body at all (orjson refuses lone surrogates and nesting past 1024)."""
    try:
        orjson.loads(line)
    except orjson.JSONDecodeError:
        return False
    return True


def test_poison_among_the_stream_leaves_every_flush_working_and_the_counts_exact(tmp_path, bus):
    good_lines, good = recorded_lines(), recorded_envelopes()
    bodies_hostile, _ = systematic()
    hostile = [json.dumps(envelope) for envelope in bodies_hostile[::9]]  # every shape and value, fewer topics
    readable = [line for line in hostile if is_json(line)]
    counted = good + [orjson.loads(line) for line in readable]
    poisoned = [json.dumps(poison(i, timestamp)) for i, timestamp in enumerate(POISON_TIMES)]
    # Poison first, then the stream with hostile bodies woven in: everything after must still be written.
    stream = poisoned + [line for pair in zip(good_lines, hostile, strict=False) for line in pair]
    stream += good_lines[len(hostile) :] + hostile[len(good_lines) :]

    hub = Hub(
        tmp_path,
        bus,
        **{"statscache.consumer.epoch": EPOCH, "statscache.producer.frequency": timedelta(milliseconds=300)},
    ).start()
    try:
        hub.wait_ready()
        assert bus.publish(stream) == len(stream)
        rejected = len(poisoned) + len(hostile) - len(readable)
        hub.wait_until(
            lambda: hub.metric("statscache_messages", outcome="rejected") >= rejected and hub.handled() >= len(counted),
            120,
            "every envelope handled",
        )
        engine = hub.engine()
        try:
            hub.wait_until(
                lambda: sum(stored(engine, "volume-1d").values()) == 1300 + len(readable), 60, "a periodic flush"
            )
        finally:
            engine.dispose()
        assert hub.metric("statscache_rejected_messages", reason="timestamp-out-of-range") == len(poisoned)
        assert hub.metric("statscache_flushes", result="failed") == 0
        assert hub.stop(signal.SIGTERM) < 30
    finally:
        hub.kill()
    hub.assert_exact(counted)
    assert "Traceback" not in hub.log
