"""The daemon's metrics beyond message counts (flush timing, rows, database errors, gauges of the moment),
the pool's combination of its workers', and the web app's ``/metrics``."""

from __future__ import annotations

import threading
import time
from types import SimpleNamespace

import pytest
from prometheus_client.parser import text_string_to_metric_families

from statscache.history.backfill import Progress
from statscache.history.catchup import Backfiller
from statscache.metrics import Metrics
from statscache.pool.pool import _Summed
from statscache.pool.worker import snapshot
from statscache.store.heartbeat import Daemon
from statscache.web import create_app
from tests.fakes.support import BUILTIN_IDENTS, assert_exact, feed, recount, table_away


def sample(metrics: Metrics, name: str, **labels: str) -> float | None:
    return metrics.registry.get_sample_value(name, labels)


def test_a_flush_is_timed_and_its_rows_counted(volume_pipelines, envelopes):
    pipeline = volume_pipelines()
    feed(pipeline, envelopes)
    assert pipeline.flush()
    metrics = pipeline.metrics
    assert sample(metrics, "statscache_flush_duration_seconds_count") == 1
    assert sample(metrics, "statscache_flush_duration_seconds_sum") > 0
    distinct = {envelope["msg_id"] for envelope in envelopes}
    rows = len(distinct) + sum(len(recount(envelopes, ident)) for ident in BUILTIN_IDENTS)
    assert sample(metrics, "statscache_rows_written_total") == rows  # one ledger row a message, one per window
    feed(pipeline, envelopes)  # copies: the ledger refuses them, nothing is written
    assert pipeline.flush()
    assert sample(metrics, "statscache_rows_written_total") == rows
    assert sample(metrics, "statscache_flush_duration_seconds_count") == 2
    assert_exact(pipeline, envelopes)


def test_a_refused_flush_is_a_database_error_and_its_messages_stay_queued(volume_pipelines, envelopes, tmp_path):
    pipeline = volume_pipelines()
    feed(pipeline, envelopes[:100])
    with table_away(tmp_path / "stats.sqlite", "statscache_ledger"):
        assert not pipeline.flush()
        assert sample(pipeline.metrics, "statscache_database_errors_total") == 1
        assert sample(pipeline.metrics, "statscache_queued_messages") == 100
        assert sample(pipeline.metrics, "statscache_rows_written_total") == 0
        assert sample(pipeline.metrics, "statscache_last_flush_timestamp_seconds") is None
    assert pipeline.flush()
    assert sample(pipeline.metrics, "statscache_queued_messages") == 0
    assert sample(pipeline.metrics, "statscache_database_errors_total") == 1
    assert_exact(pipeline, envelopes[:100])


def test_the_last_flush_and_the_newest_event_counted_live(volume_pipelines, envelopes):
    pipeline = volume_pipelines()
    pipeline.daemon = Daemon.here("hub", BUILTIN_IDENTS)
    pipeline.go_live(time.time())
    before = time.time()
    feed(pipeline, envelopes)
    assert pipeline.flush()
    newest = max(int(envelope["timestamp"]) for envelope in envelopes)
    assert sample(pipeline.metrics, "statscache_newest_event_timestamp_seconds") == newest
    assert before <= sample(pipeline.metrics, "statscache_last_flush_timestamp_seconds") <= time.time()
    feed(pipeline, envelopes[:10])  # older messages, copies too: the newest stays
    assert pipeline.flush()
    assert sample(pipeline.metrics, "statscache_newest_event_timestamp_seconds") == newest
    assert_exact(pipeline, envelopes)


def test_backfill_pages_done_and_left_while_it_runs(volume_pipelines):
    pipeline = volume_pipelines()
    backfiller = Backfiller(pipeline)
    backfiller._start = lambda live_since: None  # no datagrepper here: the catch-up is planted below
    progress = Progress(pages_done=30, pages_known=40)
    running = SimpleNamespace(complete=threading.Event(), backfill=SimpleNamespace(progress=progress))
    backfiller.current = running
    pipeline.metrics.moments.backfill_pages = backfiller._pages
    assert sample(pipeline.metrics, "statscache_backfill_pages", state="done") == 30
    assert sample(pipeline.metrics, "statscache_backfill_pages", state="left") == 10
    running.complete.set()
    assert sample(pipeline.metrics, "statscache_backfill_pages", state="done") is None


def test_the_pool_adds_up_counters_and_histograms_and_combines_gauges():
    workers = []
    for last_flush, newest, flush_seconds in ((100.0, 50.0, 0.02), (90.0, 70.0, 3.0)):
        metrics = Metrics()
        metrics.flush_seconds.observe(flush_seconds)
        metrics.rows_written.inc(5)
        metrics.moments.last_flush, metrics.moments.newest_event = last_flush, newest
        metrics.moments.cache = [None] * 7  # seven messages queued
        workers.append(snapshot(metrics))
    hub = Metrics()
    pool = SimpleNamespace(snapshots=lambda: [snapshot(hub), *workers], metrics=hub)
    summed = {s.name: s.value for f in _Summed(pool).collect() for s in f.samples if not s.labels.get("le")}
    assert summed["statscache_rows_written_total"] == 10
    assert summed["statscache_flush_duration_seconds_count"] == 2
    assert summed["statscache_flush_duration_seconds_sum"] == pytest.approx(3.02)
    assert summed["statscache_last_flush_timestamp_seconds"] == 90.0  # every worker has flushed since
    assert summed["statscache_newest_event_timestamp_seconds"] == 70.0
    assert summed["statscache_queued_messages"] == 14
    buckets = {s.labels["le"]: s.value for f in _Summed(pool).collect() for s in f.samples if "le" in s.labels}
    assert buckets["0.025"] == 1 and buckets["5.0"] == 2


def test_the_web_app_counts_and_times_requests_by_route(volume_pipelines):
    pipeline = volume_pipelines()
    client = create_app(pipeline.config, plugins=pipeline.plugins, engine=pipeline.engine).test_client()
    assert client.get("/api/volume-1d").status_code == 200
    assert client.get("/api/volume-1h").status_code == 200
    assert client.get("/api/no-such-plugin").status_code == 404
    assert client.get("/no/such/page").status_code == 404
    answer = client.get("/metrics")
    assert answer.status_code == 200 and answer.content_type.startswith("text/plain")
    found = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for f in text_string_to_metric_families(answer.get_data(as_text=True))
        for s in f.samples
    }
    route = (("method", "GET"), ("route", "/api/<ident>"))
    assert found[("statscache_web_requests_total", (*route, ("status", "200")))] == 2  # one route, two plugins
    assert found[("statscache_web_requests_total", (*route, ("status", "404")))] == 1
    assert found[("statscache_web_requests_total", (("method", "GET"), ("route", "unmatched"), ("status", "404")))] == 1
    assert found[("statscache_web_request_duration_seconds_count", (("route", "/api/<ident>"),))] == 3
    assert not any("no-such" in str(key) or "/no/such" in str(key) for key in found)  # paths never become labels


def test_every_metric_is_in_the_readme_with_prometheus_names(volume_pipelines):
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.rst").read_text(encoding="utf-8")
    pipeline = volume_pipelines()
    pipeline.metrics.moments.last_flush = pipeline.metrics.moments.newest_event = 1.0
    pipeline.metrics.moments.backfill_pages = lambda: (1, 2)
    client = create_app(pipeline.config, plugins=pipeline.plugins, engine=pipeline.engine).test_client()
    client.get("/api/")
    web = text_string_to_metric_families(client.get("/metrics").get_data(as_text=True))
    families = [f for f in (*pipeline.metrics.registry.collect(), *web) if not f.name.endswith("_created")]
    assert len(families) >= 20
    for family in families:
        name = family.name + ("_total" if family.type == "counter" else "")
        assert f"``{name}" in readme, name
        assert name.startswith("statscache_")
        assert family.type != "counter" or not name.endswith("_total_total")
