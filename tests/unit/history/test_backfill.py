"""Backfill from a datagrepper-compatible endpoint: exact counts and honest coverage, whatever the server does."""

from __future__ import annotations

import itertools
import threading
import time
from datetime import UTC, datetime, timedelta

import orjson
import pytest

from statscache.config import Config
from statscache.history import fill, gaps
from statscache.history.backfill import Backfill
from statscache.history.client import History
from statscache.ingest.pipeline import Pipeline
from statscache.plugins import registry
from statscache.span import Span, Stretch, uncovered
from statscache.store import coverage
from tests.fakes.fakegrepper import FakeDatagrepper, RawArchive
from tests.fakes.support import BUILTIN_IDENTS, recount, stored

EPOCH = datetime(2015, 10, 1, tzinfo=UTC)
UNTIL = datetime(2015, 11, 1, tzinfo=UTC).timestamp()


@pytest.fixture
def database_url(tmp_path):
    """Where the pipelines write: a SQLite file (tests/integration/history/test_postgres_backfill.py: PostgreSQL)."""
    return f"sqlite:///{tmp_path / 'stats.sqlite'}"


@pytest.fixture
def make_pipeline(database_url):
    made = []

    def make(endpoint="http://127.0.0.1:9/", **settings):
        config = Config(
            sqlalchemy_uri=database_url,
            consumer_epoch=EPOCH,
            datagrepper_endpoint=endpoint,
            datagrepper_lag=timedelta(seconds=5),
            **settings,
        )
        pipeline = Pipeline.open(config, registry.load(config))
        made.append(pipeline)
        return pipeline

    yield make
    for pipeline in made:
        pipeline.engine.dispose()


def backfill(pipeline, url, until=UNTIL, since=None, idents=None, retries=2):
    """Plan and run a backfill up to ``until``, then write it; returns the Backfill."""
    history = History(url, timeout=timedelta(seconds=2), retries=retries, backoff=0.01, metrics=pipeline.metrics)
    runner = Backfill(history, pipeline, frozenset(p.ident for p in pipeline.plugins), concurrency=4, lag=0)
    runner.run(fill.plan(pipeline, until, since=since, idents=idents))
    assert pipeline.flush()
    return runner


def assert_exact(pipeline, envelopes, idents=BUILTIN_IDENTS):
    idents = [ident for ident in idents if any(p.ident == ident for p in pipeline.plugins)]
    assert idents
    for ident in idents:
        assert stored(pipeline.engine, ident) == recount(envelopes, ident), ident


def covered(pipeline, ident):
    with pipeline.session_factory() as session:
        return coverage.covered(session, ident)


def test_a_full_backfill_counts_every_message_once(make_pipeline, envelopes):
    with FakeDatagrepper(RawArchive(envelopes)) as server:
        pipeline = make_pipeline(server.url)
        runner = backfill(pipeline, server.url)
    assert_exact(pipeline, envelopes)
    assert not runner.progress.failed
    # 14 pages hold it all; the window where the recorded twins (one msg_id, one time, twice) fall is fetched again.
    assert runner.progress.pages_done <= 25
    for ident in BUILTIN_IDENTS:
        assert covered(pipeline, ident) == [Span(EPOCH.timestamp(), UNTIL)]
    # Plugins whose backlog_delta ends after 2015 want none of it, and got none.
    assert covered(pipeline, "releng-dashboard") == []


def test_a_crash_then_a_backfill_gives_what_an_uninterrupted_run_would(make_pipeline, envelopes):
    first, lost = envelopes[:500], envelopes[500:700]
    pipeline = make_pipeline()
    for envelope in first:
        pipeline.handle(envelope)
    # As a backfill of the first 500 would have: complete from the epoch up to the 500th.
    pipeline.checkpoint(EPOCH.timestamp(), first[-1]["timestamp"], [p.ident for p in pipeline.plugins])
    assert pipeline.flush()
    for envelope in lost:  # handled but never flushed: the process was killed
        pipeline.handle(envelope)
    pipeline.engine.dispose()
    with FakeDatagrepper(RawArchive(envelopes)) as server:
        restarted = make_pipeline(server.url)
        # It resumes where the statistics were complete (less the 5 s lag), not at the epoch.
        (stretch,) = fill.plan(restarted, UNTIL)
        assert stretch.span.start == first[-1]["timestamp"] - 5
        backfill(restarted, server.url)
    assert_exact(restarted, envelopes)


def test_a_survey_counts_what_there_is_to_fetch(make_pipeline, envelopes):
    with FakeDatagrepper(RawArchive(envelopes)) as server:
        pipeline = make_pipeline(server.url)
        runner = fill.make_backfill(pipeline)
        stretches = fill.plan(pipeline, UNTIL)
        assert runner.survey(stretches) == len(envelopes)  # rows, twins included: an estimate
    nowhere = Backfill(History("http://127.0.0.1:9/", retries=0), pipeline, frozenset())
    assert nowhere.survey(stretches) is None  # no server: no estimate, and no failure


def test_a_second_backfill_fetches_nothing(make_pipeline, envelopes):
    with FakeDatagrepper(RawArchive(envelopes)) as server:
        pipeline = make_pipeline(server.url)
        backfill(pipeline, server.url)
        again = backfill(pipeline, server.url)
    assert again.progress.pages_done == 0
    assert_exact(pipeline, envelopes)


def synthetic(count, start, per_second, topic="org.fedoraproject.prod.bodhi.update.comment"):
    """``count`` messages, ``per_second`` of them sharing each whole second from ``start``."""
    return [
        {"msg_id": f"2015-{i:08d}", "topic": topic, "timestamp": float(start + i // per_second), "msg": {}}
        for i in range(count)
    ]


def test_runs_of_equal_times_across_page_boundaries_lose_nothing(make_pipeline):
    # 40 messages per second, served in a different order on every request: pages
    # cut runs of equal times, so paging alone would hand some twice and some never.
    messages = synthetic(4000, EPOCH.timestamp() + 86400, per_second=40)
    archive = RawArchive(messages, shuffle_ties=True)
    with FakeDatagrepper(archive) as server:
        pipeline = make_pipeline(server.url, plugins_enabled=("volume",))
        runner = backfill(pipeline, server.url)
    assert_exact(pipeline, messages)
    assert not runner.progress.failed
    assert covered(pipeline, "volume-1m") == [Span(EPOCH.timestamp(), UNTIL)]


def test_messages_archived_while_paging_are_not_missed(make_pipeline):
    messages = synthetic(3000, EPOCH.timestamp() + 86400, per_second=3)
    late = synthetic(1, EPOCH.timestamp() + 86400 + 10, per_second=1)
    late[0]["msg_id"] = "2015-late"
    archive = RawArchive(messages)
    requests = itertools.count(1)

    def archive_late_once(params):
        if next(requests) == 4:
            archive.add(late[0])  # as if datanommer had written it just now

    with FakeDatagrepper(archive, fault=archive_late_once) as server:
        pipeline = make_pipeline(server.url, plugins_enabled=("volume",))
        runner = backfill(pipeline, server.url)
    assert_exact(pipeline, messages + late)
    assert not runner.progress.failed


def test_server_errors_and_malformed_pages_are_retried_never_skipped(make_pipeline, envelopes):
    faults = iter([(500, b"{}"), (503, b"busy"), (200, b'{"raw_messages": [{"msg'), (200, b"<html>"), (502, b"")])
    requests = itertools.count(1)
    lock = threading.Lock()

    def every_third_fails(params):
        with lock:
            if next(requests) % 3 == 0:
                return next(faults, None)
        return None

    with FakeDatagrepper(RawArchive(envelopes), fault=every_third_fails) as server:
        pipeline = make_pipeline(server.url)
        runner = backfill(pipeline, server.url)
    assert runner.history.retried == 5
    assert pipeline.metrics.value("statscache_history_requests", result="retried") == 5
    assert pipeline.metrics.value("statscache_history_requests", result="failed") == 0
    assert_exact(pipeline, envelopes)
    assert not runner.progress.failed


def test_history_out_of_reach_is_reported_as_a_gap_and_fetched_later(make_pipeline, envelopes):
    with FakeDatagrepper(RawArchive(envelopes), fault=lambda params: (500, b"down")) as server:
        pipeline = make_pipeline(server.url)
        runner = backfill(pipeline, server.url, retries=1)
    assert runner.progress.failed
    assert pipeline.metrics.value("statscache_history_requests", result="failed") >= 1
    assert pipeline.metrics.value("statscache_history_stretches", result="failed") == 1
    assert stored(pipeline.engine, "volume-1h") == {}
    assert covered(pipeline, "volume-1h") == []
    with pipeline.session_factory() as session:
        (failure,) = coverage.failures(session, "volume-1h")
    assert (failure.start, failure.end) == (EPOCH.timestamp(), UNTIL) and "HTTP 500" in failure.reason
    with FakeDatagrepper(RawArchive(envelopes)) as server:  # back up: the next attempt fills the gap
        backfill(pipeline, server.url)
    assert_exact(pipeline, envelopes)
    with pipeline.session_factory() as session:
        assert coverage.failures(session, "volume-1h") == []


def test_history_is_fetched_once_for_the_plugins_that_miss_it(make_pipeline, envelopes):
    middle = envelopes[650]["timestamp"]
    with FakeDatagrepper(RawArchive(envelopes)) as server:
        pipeline = make_pipeline(server.url)
        with pipeline.session_factory() as session, session.begin():
            # volume-1m claims the first half, which it has not counted: backfill must not give it those.
            coverage.add(session, ["volume-1m"], EPOCH.timestamp(), middle)
        runner = backfill(pipeline, server.url)
    assert runner.progress.pages_done <= 25  # each stretch fetched once, for all who missed it
    assert_exact(pipeline, envelopes, [ident for ident in BUILTIN_IDENTS if ident != "volume-1m"])
    later = [e for e in envelopes if e["timestamp"] >= middle - 5]  # the lag: 5 s
    assert stored(pipeline.engine, "volume-1m") == recount(later, "volume-1m")


def test_one_plugin_can_be_backfilled_alone(make_pipeline, envelopes):
    with FakeDatagrepper(RawArchive(envelopes)) as server:
        pipeline = make_pipeline(server.url)
        backfill(pipeline, server.url, idents={"volume-1h"})
    assert_exact(pipeline, envelopes, ["volume-1h"])
    assert stored(pipeline.engine, "volume-1d") == {}
    assert covered(pipeline, "volume-1d") == []


def test_a_dense_window_is_cut_in_parts(make_pipeline):
    # 30,000 messages in ten minutes: far more than the first window expects.
    messages = synthetic(30_000, EPOCH.timestamp() + 3600, per_second=50)
    with FakeDatagrepper(RawArchive(messages)) as server:
        pipeline = make_pipeline(server.url, plugins_enabled=("volume",))
        runner = backfill(pipeline, server.url)
    assert_exact(pipeline, messages)
    assert runner.progress.pages_done < 400  # the split costs a page, not a refetch of everything


def test_bad_envelopes_in_history_are_rejected_and_counted(make_pipeline, envelopes):
    broken = [{"msg_id": "2015-broken", "topic": 42, "timestamp": EPOCH.timestamp() + 10, "msg": {}}]
    with FakeDatagrepper(RawArchive(envelopes[:100] + broken)) as server:
        pipeline = make_pipeline(server.url)
        backfill(pipeline, server.url)
    assert_exact(pipeline, envelopes[:100])
    assert pipeline.metrics.value("statscache_messages", outcome="rejected") == 1


def test_the_fake_server_pages_like_datagrepper(envelopes):
    archive = RawArchive(envelopes)
    first = archive.raw({"start": "0", "end": str(envelopes[99]["timestamp"]), "order": "asc", "rows_per_page": "100"})
    assert first["total"] >= 100 and first["pages"] == -(-first["total"] // 100)
    assert orjson.loads(orjson.dumps(first))["raw_messages"][0]["msg_id"] == envelopes[0]["msg_id"]


class TestGrouping:
    def test_stretches_are_cut_where_the_plugins_that_miss_them_change(self):
        stretches = gaps.group({"a": [Span(0, 100)], "b": [Span(50, 100)], "c": [Span(200, 300)]})
        assert stretches == [
            Stretch(Span(0, 50), frozenset("a")),
            Stretch(Span(50, 100), frozenset("ab")),
            Stretch(Span(200, 300), frozenset("c")),
        ]

    def test_nothing_missing_is_nothing_to_fetch(self):
        assert gaps.group({"a": [], "b": []}) == []

    def test_missing_is_the_complement_of_coverage(self):
        stretches = [Span(10, 20), Span(30, 40)]
        assert uncovered(stretches, 0, 50) == [Span(0, 10), Span(20, 30), Span(40, 50)]
        assert uncovered(stretches, 15, 35) == [Span(20, 30)]
        assert uncovered([Span(0, 60)], 10, 50) == []


def test_a_stopped_backfill_returns_at_once_and_claims_nothing(make_pipeline, envelopes):
    with FakeDatagrepper(RawArchive(envelopes), latency=5) as server:
        pipeline = make_pipeline(server.url)
        history = History(server.url, timeout=timedelta(seconds=10), retries=0)
        runner = Backfill(history, pipeline, frozenset(p.ident for p in pipeline.plugins), concurrency=2, lag=0)
        threading.Timer(0.3, runner.stop).start()
        began = time.monotonic()
        assert runner.run(fill.plan(pipeline, UNTIL)) is False
        assert time.monotonic() - began < 3  # not the 5 s the pending pages take
    assert pipeline.flush()
    assert covered(pipeline, "volume-1h") == [] and stored(pipeline.engine, "volume-1h") == {}
