"""Malformed zeromq messages on the bus: each one rejected with a reason and a log line, the rest counted exactly."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from tests.fakes.support import recorded_lines
from tests.services.hub import Hub

pytestmark = pytest.mark.integration

TOPIC = b"org.fedoraproject.prod.autocloud.image.queued"
#: Each malformed message, as its frames, and the reason it must be rejected for.
MALFORMED = [
    ([TOPIC, b'{"msg_id": "x", "topic": "t", "msg": {}, "caf\xe9": 1}'], "not-utf8"),  # Latin-1 body
    ([b"org.fedoraproject.\xff\xfe", b"{}"], "not-utf8"),  # topic frame
    ([TOPIC, b"\x80"], "not-utf8"),
    ([TOPIC, b"{}", b"a third frame"], "frame-count"),
    ([TOPIC, b"{}", b"", b""], "frame-count"),
    ([TOPIC], "frame-count"),  # one frame, no separator
    ([TOPIC + b"\0{}"], "frame-count"),  # txZMQ's old one-frame framing: not what fedmsg sends
]


def test_malformed_frames_are_rejected_and_every_good_message_counts(tmp_path, bus):
    hub = Hub(tmp_path, bus, **{"statscache.consumer.epoch": datetime(2015, 1, 1, tzinfo=UTC)}).start()
    try:
        hub.wait_ready()
        lines = recorded_lines()
        # Each malformed message between good ones, several times over.
        bad_sent = 0
        for index, line in enumerate(lines):
            bus.socket.send_multipart([json.loads(line)["topic"].encode(), line.encode()])
            if index % 50 == 0:
                frames, _reason = MALFORMED[(index // 50) % len(MALFORMED)]
                bus.socket.send_multipart(frames)
                bad_sent += 1
        hub.wait_handled(len(lines))
        expected = {reason: 0 for _frames, reason in MALFORMED}
        for index in range(bad_sent):
            expected[MALFORMED[index % len(MALFORMED)][1]] += 1
        hub.wait_until(
            lambda: hub.metric("statscache_rejected_messages", reason="frame-count") == expected["frame-count"],
            30,
            "the malformed messages to be counted",
        )
        rejected = {reason: hub.metric("statscache_rejected_messages", reason=reason) for reason in expected}
        hub.stop()
    finally:
        hub.kill()
    assert hub.process.returncode == 0
    assert rejected == expected
    log = hub.log
    assert "Unhandled Error" not in log
    assert "Traceback" not in log
    assert log.count("rejected a message off the bus") == bad_sent
    assert f"rejected={bad_sent} " in log  # the stop's summary: received, and rejected
    envelopes = [json.loads(line) for line in lines]
    hub.assert_exact(envelopes)
