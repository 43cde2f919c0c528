"""Health: heartbeats written by live flushes, readiness read from the database, the daemon's probe port."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from datetime import timedelta
from wsgiref.util import setup_testing_defaults

import pytest
from prometheus_client import CollectorRegistry, Counter
from sqlalchemy import select

from statscache import health, metrics_port
from statscache.config import Config
from statscache.config import load as load_config
from statscache.exceptions import ConfigError
from statscache.ingest.pipeline import Pipeline
from statscache.plugins import registry
from statscache.store import coverage, heartbeat
from statscache.store.engine import make_reader_engine
from statscache.store.heartbeat import Daemon, HeartbeatRow
from statscache.web import create_app
from tests.fakes.support import BUILTIN_IDENTS, EPOCH, assert_exact, feed
from tests.services.hub import free_port


def live(pipeline: Pipeline, since: float | None = None) -> Daemon:
    daemon = Daemon.here("hub", [plugin.ident for plugin in pipeline.plugins])
    pipeline.daemon = daemon
    pipeline.go_live(time.time() if since is None else since)
    return daemon


def rows(pipeline: Pipeline) -> list[HeartbeatRow]:
    with pipeline.session_factory() as session:
        return list(session.scalars(select(HeartbeatRow)))


def verdict_of(pipeline: Pipeline, **kwargs) -> dict:
    return health.ready(pipeline.engine, pipeline.plugins, pipeline.config, **kwargs).body()


# -- heartbeats -------------------------------------------------------------------------------------------


def test_a_live_flush_writes_the_heartbeat_with_its_counts(volume_pipelines, envelopes):
    pipeline = volume_pipelines()
    daemon = live(pipeline)
    before = time.time()
    feed(pipeline, envelopes)
    assert pipeline.flush()
    [row] = rows(pipeline)
    assert row.daemon == daemon.name and row.daemon.startswith("hub@")
    assert json.loads(row.plugins) == sorted(BUILTIN_IDENTS)
    assert before <= row.flushed <= time.time()
    assert row.live_until == pipeline.last_claim
    assert_exact(pipeline, envelopes)


def test_a_quiet_flush_beats_too_and_one_row_per_daemon(volume_pipelines, envelopes):
    pipeline = volume_pipelines()
    live(pipeline)
    assert pipeline.flush()
    first = rows(pipeline)[0].flushed
    time.sleep(0.01)
    assert pipeline.flush()  # nothing came: still a flush committed
    [row] = rows(pipeline)
    assert row.flushed > first
    feed(pipeline, envelopes[:50])
    assert pipeline.flush()
    assert_exact(pipeline, envelopes[:50])


def test_no_heartbeat_from_a_pipeline_that_is_not_a_live_daemon(volume_pipelines, envelopes):
    backfilling = volume_pipelines()  # as `statscache backfill` runs it: never live
    for envelope in envelopes[:100]:
        backfilling.handle_history(envelope)
    assert backfilling.flush()
    assert rows(backfilling) == []
    assert_exact(backfilling, envelopes[:100])


def test_a_failed_flush_writes_no_heartbeat(volume_pipelines, envelopes, monkeypatch):
    pipeline = volume_pipelines()
    live(pipeline)
    assert pipeline.flush()
    beaten = rows(pipeline)[0].flushed
    feed(pipeline, envelopes[:20])

    def refuse(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(heartbeat, "beat", refuse)  # fails inside the flush's transaction: all of it rolls back
    assert not pipeline.flush()
    assert rows(pipeline)[0].flushed == beaten
    monkeypatch.undo()
    assert pipeline.flush()
    assert rows(pipeline)[0].flushed > beaten
    assert_exact(pipeline, envelopes[:20])


def test_daemons_silent_for_a_week_are_forgotten(volume_pipelines):
    pipeline = volume_pipelines()
    old, recent = Daemon("hub@gone:1", ("volume-1d",)), Daemon("hub@here:2", ("volume-1d",))
    now = time.time()
    with pipeline.session_factory() as session, session.begin():
        heartbeat.beat(session, old, 0.0, now=now - heartbeat.FORGOTTEN_AFTER - 1)
        heartbeat.beat(session, recent, 0.0, now=now - 3600)
    with pipeline.session_factory() as session, session.begin():
        heartbeat.beat(session, Daemon("hub@new:3", ("volume-1d",)), 0.0, now=now)
    assert sorted(row.daemon for row in rows(pipeline)) == ["hub@here:2", "hub@new:3"]


def test_a_row_with_unreadable_plugins_names_none(volume_pipelines):
    pipeline = volume_pipelines()
    with pipeline.session_factory() as session, session.begin():
        session.add(HeartbeatRow(daemon="odd", plugins="{not json", started=0.0, flushed=time.time(), live_until=0.0))
    with pipeline.engine.connect() as connection:
        [beat] = heartbeat.read(connection)
    assert beat.plugins == frozenset()


# -- readiness --------------------------------------------------------------------------------------------


def test_not_ready_before_the_database_exists(tmp_path):
    config = Config(sqlalchemy_uri=f"sqlite:///{tmp_path / 'none.sqlite'}", consumer_epoch=EPOCH)
    engine = make_reader_engine(config.sqlalchemy_uri)
    body = health.ready(engine, registry.load(config), config).body()
    assert body["status"] == 503
    assert body["title"] == "not ready: database"
    assert "not created" in body["checks"]["database"]["detail"]
    assert not (tmp_path / "none.sqlite").exists()


def test_not_ready_until_a_daemon_flushes_every_plugin(volume_pipelines, envelopes):
    pipeline = volume_pipelines()
    body = verdict_of(pipeline)
    assert body["status"] == 503 and body["title"] == "not ready: flush"
    assert body["checks"]["database"]["ok"]
    assert "volume-1m" in body["checks"]["flush"]["detail"]
    live(pipeline)
    feed(pipeline, envelopes[:30])
    assert pipeline.flush()
    body = verdict_of(pipeline)
    assert body == {
        "status": 200,
        "title": "OK",
        "checks": {
            "database": {"ok": True, "detail": "readable"},
            "flush": {"ok": True, "detail": body["checks"]["flush"]["detail"]},
            "gaps": {"ok": True, "detail": "no plugin misses messages since its statistics began"},
        },
    }
    assert_exact(pipeline, envelopes[:30])


def test_a_stale_heartbeat_is_not_ready(volume_pipelines):
    pipeline = volume_pipelines(health_max_flush_age=timedelta(seconds=30))
    live(pipeline)
    assert pipeline.flush()
    assert verdict_of(pipeline, now=time.time() + 20)["status"] == 200
    late = verdict_of(pipeline, now=time.time() + 31)
    assert late["status"] == 503 and not late["checks"]["flush"]["ok"]
    assert "within 30 s" in late["checks"]["flush"]["detail"]


def test_each_plugin_needs_a_daemon_of_its_own(volume_pipelines):
    pipeline = volume_pipelines()
    with pipeline.session_factory() as session, session.begin():  # a daemon counting only one plugin
        heartbeat.beat(session, Daemon("hub@one:1", ("volume-1m",)), 0.0)
    flush = verdict_of(pipeline)["checks"]["flush"]
    assert flush == {
        "ok": False,
        "detail": "no daemon has committed a flush within 60 s counting "
        "volume-1h, volume-1d, volume-by-category-1m, volume-by-category-1h, volume-by-category-1d",
    }


def test_a_long_list_of_plugins_is_cut_short(tmp_path):
    config = Config(sqlalchemy_uri=f"sqlite:///{tmp_path / 'all.sqlite'}", consumer_epoch=EPOCH)
    plugins = registry.load(config)
    pipeline = Pipeline.open(config, plugins)
    detail = health.ready(pipeline.engine, plugins, config).body()["checks"]["flush"]["detail"]
    assert detail.endswith(f"and {len(plugins) - health.NAMED} more")
    pipeline.engine.dispose()


def test_a_daemon_asks_about_its_own_heartbeat(volume_pipelines):
    pipeline = volume_pipelines()
    with pipeline.session_factory() as session, session.begin():
        heartbeat.beat(session, Daemon("hub@other:1", tuple(BUILTIN_IDENTS)), 0.0)
    daemon = Daemon.here("hub", BUILTIN_IDENTS)
    body = verdict_of(pipeline, daemon=daemon.name)
    assert body["checks"]["flush"] == {"ok": False, "detail": "this daemon has not committed a flush yet"}
    pipeline.daemon = daemon
    pipeline.go_live(time.time())
    assert pipeline.flush()
    assert health.of_pipeline(pipeline)().ok


def test_a_hole_in_coverage_without_datagrepper_is_not_ready(volume_pipelines):
    pipeline = volume_pipelines()
    day = 86400.0
    start = EPOCH.timestamp() + 300 * day
    with pipeline.session_factory() as session, session.begin():
        # Counted for a day, then down for a day, then counted again: the hole stays without a datagrepper.
        coverage.add(session, ["volume-1h"], start, start + day)
        coverage.add(session, ["volume-1h"], start + 2 * day, start + 3 * day)
        # Coverage that starts late (nothing before it was ever counted) is no hole.
        coverage.add(session, ["volume-1d"], start + day, start + 3 * day)
    gaps = verdict_of(pipeline)["checks"]["gaps"]
    assert not gaps["ok"]
    assert gaps["detail"].startswith("volume-1h miss messages") and "volume-1d" not in gaps["detail"]
    with_source = Config(
        sqlalchemy_uri=pipeline.config.sqlalchemy_uri,
        consumer_epoch=EPOCH,
        datagrepper_endpoint="https://apps.fedoraproject.org/datagrepper/",
    )
    assert health.ready(pipeline.engine, pipeline.plugins, with_source).body()["checks"]["gaps"]["ok"]


def test_an_unreadable_database_is_not_ready(tmp_path):
    (tmp_path / "junk.sqlite").write_bytes(b"this is not a database" * 100)
    config = Config(sqlalchemy_uri=f"sqlite:///{tmp_path / 'junk.sqlite'}", consumer_epoch=EPOCH)
    body = health.ready(make_reader_engine(config.sqlalchemy_uri), registry.load(config), config).body()
    assert body["status"] == 503
    assert body["checks"]["database"]["detail"].startswith("cannot be read")


def test_max_flush_age_is_checked():
    with pytest.raises(ConfigError, match="max_flush_age"):
        load_config({"statscache.health.max_flush_age": 1, "statscache.producer.frequency": 1})
    assert load_config({"statscache.health.max_flush_age": 90}).max_flush_age == timedelta(seconds=90)
    # By default a minute, or three flush intervals when flushes are further apart.
    assert load_config({}).max_flush_age == timedelta(seconds=60)
    assert load_config({"statscache.producer.frequency": 600}).max_flush_age == timedelta(minutes=30)


# -- the web app's probes ---------------------------------------------------------------------------------


def test_the_web_app_answers_both_probes(volume_pipelines, envelopes):
    pipeline = volume_pipelines()
    client = create_app(pipeline.config, plugins=pipeline.plugins, engine=pipeline.engine).test_client()
    alive = client.get("/healthz/live")
    assert alive.status_code == 200 and alive.json == {"status": 200, "title": "OK", "checks": alive.json["checks"]}
    assert alive.mimetype == "application/problem+json"
    not_yet = client.get("/healthz/ready")
    assert not_yet.status_code == 503 and not_yet.json["title"] == "not ready: flush"
    assert not_yet.headers["Cache-Control"] == "no-store"
    live(pipeline)
    feed(pipeline, envelopes[:40])
    assert pipeline.flush()
    ready = client.get("/healthz/ready")
    assert ready.status_code == 200 and ready.json["title"] == "OK"
    assert_exact(pipeline, envelopes[:40])


# -- the daemon's port ------------------------------------------------------------------------------------


def call(app, path: str) -> tuple[str, dict[str, str], bytes]:
    environ: dict = {"PATH_INFO": path}
    setup_testing_defaults(environ)
    answered: dict = {}

    def start_response(status, headers):
        answered["status"], answered["headers"] = status, dict(headers)

    body = b"".join(app(environ, start_response))
    return answered["status"], answered["headers"], body


def test_the_daemon_port_serves_metrics_and_probes():
    registry_ = CollectorRegistry()
    Counter("statscache_example", "an example", registry=registry_).inc(3)
    verdicts = iter([health.Verdict((health.Check("flush", False, "late"),)), RuntimeError("broken check")])

    def ready():
        verdict = next(verdicts)
        if isinstance(verdict, Exception):
            raise verdict
        return verdict

    app = metrics_port.app(registry_, ready)
    status, _, body = call(app, "/metrics")
    assert status.startswith("200") and b"statscache_example_total 3.0" in body
    status, headers, body = call(app, "/healthz/live")
    assert status == "200 OK" and headers["Content-Type"] == "application/problem+json"
    status, _, body = call(app, "/healthz/ready")
    assert status == "503 Service Unavailable"
    assert json.loads(body)["checks"] == {"flush": {"ok": False, "detail": "late"}}
    status, _, body = call(app, "/healthz/ready")  # a check that raises is a 503, not a broken port
    assert status.startswith("503") and json.loads(body)["title"] == "not ready: RuntimeError"
    status, _, body = call(app, "/nothing")
    assert status.startswith("404") and "/healthz/ready" in json.loads(body)["title"]


def test_the_daemon_port_over_http(volume_pipelines):
    pipeline = volume_pipelines()
    live(pipeline)
    assert pipeline.flush()
    port = free_port()
    metrics_port.serve(port, pipeline.metrics.registry, health.of_pipeline(pipeline))
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz/ready", timeout=5) as response:
        assert response.status == 200 and json.load(response)["title"] == "OK"
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        assert b"statscache_flushes_total" in response.read()
    with pytest.raises(urllib.error.HTTPError) as missing:
        urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5)
    assert missing.value.code == 404
    with pytest.raises(OSError):  # the port is taken: said at once
        metrics_port.serve(port, pipeline.metrics.registry, health.of_pipeline(pipeline))


def test_the_daemon_port_listens_where_it_is_told(volume_pipelines):
    pipeline = volume_pipelines()
    for host, url_host in (("0.0.0.0", "127.0.0.1"), ("::1", "[::1]")):
        port = free_port()
        metrics_port.serve(port, pipeline.metrics.registry, health.of_pipeline(pipeline), host)
        with urllib.request.urlopen(f"http://{url_host}:{port}/healthz/live", timeout=5) as response:
            assert response.status == 200
    with pytest.raises(ConfigError, match="an IP address"):
        load_config({"statscache.metrics.host": "localhost"})
    assert load_config({"statscache.metrics.host": "::"}).metrics_host == "::"
