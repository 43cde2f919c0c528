"""Poison timestamps: refused at the envelope with a reason, never reaching a flush.

An event time far in the future once passed the envelope checks, then made every
later flush fail (``ValueError: year 33658``): nothing received afterwards was
stored. Each case here is mixed into good messages, and the tables must equal
the recount of the good ones.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime

import pytest

from statscache.config import Config
from statscache.exceptions import MalformedMessage
from statscache.ingest.envelope import MAX_TIMESTAMP, MIN_TIMESTAMP
from statscache.ingest.pipeline import Pipeline
from statscache.plugins import registry
from statscache.testing import from_envelope
from tests.fakes.support import BUILTIN_IDENTS, recorded_envelopes, recount, stored

EPOCH = datetime(2015, 1, 1, tzinfo=UTC)

#: Event times outside the accepted window, in every form an envelope may carry them.
POISON = [
    1e12,  # year 33658
    1e20,
    1e300,
    10**400,  # larger than any float
    2**63,
    253402300799,  # 9999-12-31T23:59:59Z
    253402300799.0,
    7258118400.0,  # 2200-01-01
    "1e12",
    "9999-12-31T23:59:59",
    "9999-12-31T23:59:59-23:59",  # past year 9999 once in UTC
    "2200-01-01T00:00:00+00:00",
    "0001-01-01T00:00:00+23:59",  # before 1970, and before year 1 in UTC
    "1969-12-31T23:59:59Z",
    -1,
    -0.5,
    -1e300,
]

#: Not a time at all.
GARBAGE = [
    math.nan,
    -math.nan,
    math.inf,
    -math.inf,
    True,
    False,
    None,
    [1444368907],
    {"seconds": 1444368907},
    "",
    "nan",
    "inf",
    "1_444_368_907",  # float() reads it; no time source writes it
    "\u0661\u0664\u0664\u0664\u0663\u0666\u0668\u0669\u0660\u0667",  # Arabic-Indic digits
    "1" * 100_000,
    "2015-10-09T05:35:07" + " " * 100_000,
    "2015-10-09T05:35:07\x00",
]


def envelope(timestamp, msg_id="2015-d168b9b4-15e1-44cc-abcc-aa766b0b6e51"):
    return {
        "topic": "org.fedoraproject.prod.buildsys.build.state.change",
        "msg": {},
        "msg_id": msg_id,
        "timestamp": timestamp,
    }


@pytest.mark.parametrize("timestamp", POISON, ids=lambda value: repr(value)[:30])
def test_times_outside_the_window_are_refused_with_a_reason(timestamp):
    with pytest.raises(MalformedMessage) as caught:
        from_envelope(envelope(timestamp))
    assert caught.value.reason == "timestamp-out-of-range"


@pytest.mark.parametrize("timestamp", GARBAGE, ids=lambda value: repr(value)[:30])
def test_what_is_not_a_time_is_refused_with_a_reason(timestamp):
    with pytest.raises(MalformedMessage) as caught:
        from_envelope(envelope(timestamp))
    assert caught.value.reason == "bad-timestamp"


@pytest.mark.parametrize(
    ("timestamp", "seconds"),
    [
        (MIN_TIMESTAMP, MIN_TIMESTAMP),
        (0.7, 0),
        (MAX_TIMESTAMP - 1, MAX_TIMESTAMP - 1),
        (MAX_TIMESTAMP - 0.25, MAX_TIMESTAMP - 1),  # whole seconds first, as datagrepper serves it
        (str(MAX_TIMESTAMP - 1), MAX_TIMESTAMP - 1),
        ("2099-12-31T23:59:59Z", MAX_TIMESTAMP - 1),
        ("2100-01-01T01:00:00+02:00", MAX_TIMESTAMP - 3600),
    ],
)
def test_the_edges_of_the_window(timestamp, seconds):
    assert from_envelope(envelope(timestamp)).timestamp == seconds


def test_a_live_copy_and_its_datagrepper_record_are_judged_alike():
    # Live: fractions of a second; datagrepper: the whole second, as a float.
    for live in (MAX_TIMESTAMP - 0.001, MAX_TIMESTAMP + 0.0, 0.4):
        archived = float(math.floor(live))
        outcomes = []
        for value in (live, archived):
            try:
                outcomes.append(from_envelope(envelope(value)).timestamp)
            except MalformedMessage as e:
                outcomes.append(e.reason)
        assert outcomes[0] == outcomes[1], live


@pytest.fixture
def pipeline(tmp_path):
    config = Config(sqlalchemy_uri=f"sqlite:///{tmp_path / 'stats.sqlite'}", consumer_epoch=EPOCH)
    made = Pipeline.open(config, registry.load(config))
    yield made
    made.engine.dispose()


def test_poison_times_among_good_messages_leave_every_flush_working_and_exact(pipeline):
    good = recorded_envelopes()[:300]
    poison = [envelope(value, f"poison-{i}") for i, value in enumerate(POISON + GARBAGE)]
    mixed = good[:100] + poison + good[100:]
    for item in mixed[:150]:
        pipeline.handle(item)
    assert pipeline.flush()
    for item in mixed[150:]:
        pipeline.handle(item)
    assert pipeline.flush()
    for item in poison:  # again, through the backfill path
        pipeline.handle_history(item)
    assert pipeline.flush()
    for ident in BUILTIN_IDENTS:
        assert stored(pipeline.engine, ident) == recount(good, ident), ident
    metrics = pipeline.metrics
    assert metrics.value("statscache_rejected_messages", reason="timestamp-out-of-range") == 2 * len(POISON)
    assert metrics.value("statscache_rejected_messages", reason="bad-timestamp") == 2 * len(GARBAGE)
    assert metrics.value("statscache_messages", outcome="rejected") == 2 * len(poison)
    assert metrics.value("statscache_flushes", result="failed") == 0
