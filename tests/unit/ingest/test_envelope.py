import json
import math

import pytest

from statscache.exceptions import MalformedMessage
from statscache.testing import from_envelope
from tests.fakes.support import recorded_envelopes


def nested(depth):
    """A list holding a list... ``depth`` deep: too deep for repr()."""
    value = []
    for _ in range(depth):
        value = [value]
    return value


GOOD = {
    "topic": "org.fedoraproject.prod.buildsys.build.state.change",
    "msg": {"name": "kernel"},
    "msg_id": "2015-d168b9b4-15e1-44cc-abcc-aa766b0b6e51",
    "timestamp": 1444368907.0,
    "i": 1,
    "username": "apache",
}


def test_parses_a_recorded_envelope():
    envelope = recorded_envelopes()[0]
    message = from_envelope(envelope)
    assert message.msg_id == envelope["msg_id"]
    assert message.topic == "org.fedoraproject.prod.autocloud.image.queued"
    assert message.category == "autocloud"
    assert message.timestamp == 1444368907.0
    assert message.datetime.isoformat() == "2015-10-09T05:35:07+00:00"


def test_parses_a_json_string_too():
    assert from_envelope(json.dumps(GOOD)).msg_id == GOOD["msg_id"]


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        (1444368907, 1444368907.0),
        ("1444368907.5", 1444368907.0),  # to the whole second, as datagrepper serves it
        (1444368907.999, 1444368907.0),
        ("2015-10-09T05:35:07+00:00", 1444368907.0),
        ("2015-10-09T05:35:07", 1444368907.0),  # naive means UTC
        ("2015-10-09T07:35:07+02:00", 1444368907.0),
    ],
)
def test_timestamp_forms(value, seconds):
    assert from_envelope({**GOOD, "timestamp": value}).timestamp == seconds


def test_short_topic_has_empty_category():
    assert from_envelope({**GOOD, "topic": "a.b.c"}).category == ""


@pytest.mark.parametrize(
    ("envelope", "reason"),
    [
        ("{not json", "not-json"),
        (b"\xff\xfe", "not-json"),
        ([1, 2], "not-an-object"),
        (None, "not-an-object"),
        ({k: v for k, v in GOOD.items() if k != "topic"}, "no-topic"),
        ({**GOOD, "topic": ""}, "no-topic"),
        ({**GOOD, "topic": 42}, "no-topic"),
        ({**GOOD, "msg": "a string"}, "msg-not-object"),
        ({**GOOD, "msg": None}, "msg-not-object"),
        ({k: v for k, v in GOOD.items() if k != "msg_id"}, "no-msg-id"),
        ({**GOOD, "msg_id": ""}, "no-msg-id"),
        ({**GOOD, "msg_id": "2015-bad\x00id"}, "bad-msg-id"),
        ({**GOOD, "msg_id": "x" * 256}, "bad-msg-id"),
        ({k: v for k, v in GOOD.items() if k != "timestamp"}, "bad-timestamp"),
        ({**GOOD, "timestamp": "yesterday"}, "bad-timestamp"),
        ({**GOOD, "timestamp": True}, "bad-timestamp"),
        ({**GOOD, "timestamp": math.nan}, "bad-timestamp"),
        ({**GOOD, "timestamp": math.inf}, "bad-timestamp"),
        ({**GOOD, "timestamp": -1}, "timestamp-out-of-range"),
        ({**GOOD, "timestamp": [1]}, "bad-timestamp"),
        ({**GOOD, "topic": "a." * 128}, "bad-topic"),  # 256 characters
        ({**GOOD, "topic": "org.fedoraproject.prod.x\x00"}, "bad-topic"),
        ({**GOOD, "topic": "org.fedoraproject.prod.\ud800"}, "bad-topic"),  # json.loads lets lone surrogates in
        ({**GOOD, "msg_id": "2015-\udfff"}, "bad-msg-id"),
        ({**GOOD, "topic": 10**5000}, "no-topic"),  # too long to print
        ({**GOOD, "msg_id": nested(100_000)}, "no-msg-id"),  # too deep to print
        ({**GOOD, "timestamp": nested(100_000)}, "bad-timestamp"),
    ],
)
def test_malformed_envelopes_name_their_reason(envelope, reason):
    with pytest.raises(MalformedMessage) as caught:
        from_envelope(envelope)
    assert caught.value.reason == reason
