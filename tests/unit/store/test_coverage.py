"""Coverage is written with the counts it vouches for: never ahead of them, never lost behind them."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from statscache.config import Config
from statscache.ingest.pipeline import Pipeline
from statscache.plugins import registry
from statscache.span import TICK, Span
from statscache.store import coverage
from tests.fakes.support import table_away

EPOCH = datetime(2015, 1, 1, tzinfo=UTC)


@pytest.fixture
def pipeline(tmp_path):
    config = Config(
        sqlalchemy_uri=f"sqlite:///{tmp_path / 'stats.sqlite'}",
        consumer_epoch=EPOCH,
        plugins_enabled=("volume", "volume-by-category"),
    )
    pipeline = Pipeline.open(config, registry.load(config))
    yield pipeline
    pipeline.engine.dispose()


def covered(pipeline, ident):
    with pipeline.session_factory() as session:
        return coverage.covered(session, ident)


def test_live_coverage_grows_with_each_flush_as_one_stretch(pipeline, envelopes):
    since = time.time()
    pipeline.go_live(since)
    for envelope in envelopes[:100]:
        pipeline.handle(envelope)
    assert pipeline.flush()
    (first,) = covered(pipeline, "volume-1h")
    assert first.start == since and since <= first.end <= time.time()
    assert pipeline.flush()  # nothing new on the bus: still complete up to now
    (second,) = covered(pipeline, "volume-1h")
    assert second.start == since and second.end > first.end


def test_without_going_live_nothing_is_claimed(pipeline, envelopes):
    for envelope in envelopes[:100]:
        pipeline.handle(envelope)
    assert pipeline.flush()
    assert covered(pipeline, "volume-1h") == []


def test_a_plugin_that_fails_to_write_is_not_covered_until_it_catches_up(pipeline, envelopes, tmp_path):
    since = time.time()
    pipeline.go_live(since)
    for envelope in envelopes[:100]:
        pipeline.handle(envelope)
    with table_away(tmp_path / "stats.sqlite", "volume_1h"):
        assert not pipeline.flush()
        assert covered(pipeline, "volume-1h") == []
        (others,) = covered(pipeline, "volume-1d")
        assert others.start == since
    assert pipeline.flush()
    (caught_up,) = covered(pipeline, "volume-1h")
    assert caught_up.start == since and caught_up.end >= others.end


def test_a_checkpoint_is_recorded_only_once_its_messages_are_written(pipeline, envelopes, tmp_path):
    start, end = envelopes[0]["timestamp"], envelopes[99]["timestamp"]
    for envelope in envelopes[:100]:
        pipeline.handle(envelope)
    pipeline.checkpoint(start, end, ["volume-1h", "volume-1d"])
    with table_away(tmp_path / "stats.sqlite", "statscache_ledger"):
        assert not pipeline.flush()  # the whole transaction failed: no counts, no coverage
    assert covered(pipeline, "volume-1h") == []
    with table_away(tmp_path / "stats.sqlite", "volume_1d"):
        assert not pipeline.flush()  # volume-1d failed alone: its checkpoint waits for it
    assert covered(pipeline, "volume-1h") == [Span(start, end)]
    assert covered(pipeline, "volume-1d") == []
    assert pipeline.flush()
    assert covered(pipeline, "volume-1d") == [Span(start, end)]
    assert covered(pipeline, "volume-1m") == []  # not named by the checkpoint


def test_stretches_merge_when_they_overlap_or_touch(pipeline):
    with pipeline.session_factory() as session, session.begin():
        coverage.add(session, ["a"], 10, 20)
        coverage.add(session, ["a"], 30, 40)
        coverage.add(session, ["a"], 20 + TICK, 25)  # a microsecond after: touching
        coverage.add(session, ["a"], 100, 110)
        coverage.add(session, ["a"], 24, 31)
    assert covered(pipeline, "a") == [Span(10, 40), Span(100, 110)]


def test_a_covered_failure_is_forgotten(pipeline):
    with pipeline.session_factory() as session, session.begin():
        coverage.note_failure(session, ["a"], 10, 20, "HTTP 500")
        coverage.note_failure(session, ["a"], 50, 60, "timeout")
        coverage.add(session, ["a"], 0, 30)
    with pipeline.session_factory() as session:
        assert [(f.start, f.end, f.reason) for f in coverage.failures(session, "a")] == [(50, 60, "timeout")]


def test_a_rebuilt_plugin_starts_its_live_coverage_afresh(pipeline, envelopes):
    since = time.time()
    pipeline.go_live(since)
    assert pipeline.flush()
    with pipeline.session_factory() as session, session.begin():
        coverage.forget(session, "volume-1h")
    dropped_at = time.time()
    assert pipeline.flush()
    (fresh,) = covered(pipeline, "volume-1h")
    assert since < fresh.start <= dropped_at  # not since the hub started: that history is gone
    (kept,) = covered(pipeline, "volume-1d")
    assert kept.start == since


def test_while_the_hub_is_behind_it_claims_no_more_than_a_lag_past_what_it_received(pipeline, envelopes):
    since = time.time() - 600
    pipeline.go_live(since)
    # A burst the hub is five minutes behind on: what is still in the bus's buffers is not claimed.
    behind = time.time() - 300
    for i, envelope in enumerate(envelopes[:100]):
        pipeline.handle(dict(envelope, timestamp=behind + i))
    assert pipeline.flush()
    (stretch,) = covered(pipeline, "volume-1h")
    assert stretch == Span(since, float(int(behind + 99)) + 60)  # the default lag: 60 s
    assert pipeline.flush()  # nothing came since: the hub has caught up
    (stretch,) = covered(pipeline, "volume-1h")
    assert stretch.end >= time.time() - 5


def test_history_is_not_held_to_the_bus_s_signatures(pipeline, envelopes):
    pipeline.authenticate = lambda envelope: False  # a signed bus; datagrepper keeps no signatures
    for envelope in envelopes[:50]:
        pipeline.handle(envelope)
        pipeline.handle_history(envelope)
    assert pipeline.flush()
    assert pipeline.metrics.value("statscache_rejected_messages", reason="bad-signature") == 50
    assert pipeline.metrics.value("statscache_counted_messages", plugin="volume-1h") == len(
        {e["msg_id"] for e in envelopes[:50]}
    )
