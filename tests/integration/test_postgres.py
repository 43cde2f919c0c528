"""statscache's exactness on a real PostgreSQL server, through the real pipeline.

The same checks as tests/unit/test_pipeline.py (which runs them on SQLite),
each on a fresh database of a private cluster the tests start (tests/services.py).
"""

from __future__ import annotations

import functools
import random
import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from sqlalchemy import select

from statscache import registry, tally
from statscache.config import Config
from statscache.database import create_tables, make_engine
from statscache.pipeline import Pipeline
from statscache.plugins import BasePlugin
from statscache.plugins.volume import VolumeByCategory
from tests import pagination, services
from tests.services import PostgresNotFound, PostgresServer
from tests.support import BUILTIN_IDENTS, recorded_envelopes, recount, run_in_threads
from tests.unit import test_tally
from tests.unit.sample_plugins import Statuses
from tests.unit.test_pipeline import EPOCH, assert_exact, copy_at, feed

pytestmark = pytest.mark.integration

MakePipeline = Callable[..., Pipeline]


@pytest.fixture(scope="module")
def envelopes() -> list[dict[str, Any]]:
    return recorded_envelopes()


@pytest.fixture
def make_pipeline(postgres_url: str) -> Iterator[MakePipeline]:
    """Pipelines on this test's database; several of them are restarts on the same data."""
    made: list[Pipeline] = []

    def make(plugins: list[BasePlugin] | None = None, **settings: Any) -> Pipeline:
        config = Config(sqlalchemy_uri=postgres_url, consumer_epoch=EPOCH, **settings)
        pipeline = Pipeline(config, registry.load(config) if plugins is None else plugins)
        assert pipeline.engine.dialect.name == "postgresql"
        made.append(pipeline)
        return pipeline

    yield make
    for pipeline in made:
        pipeline.engine.dispose()


def test_recorded_stream_is_counted_exactly(make_pipeline: MakePipeline, envelopes: list[dict[str, Any]]) -> None:
    pipeline = make_pipeline()
    feed(pipeline, envelopes)
    assert pipeline.flush()
    assert_exact(pipeline, envelopes)
    assert len(envelopes) == 1302
    assert sum(recount(envelopes, "volume-1d").values()) == 1300
    assert pipeline.metrics.value("statscache_messages", outcome="duplicate") == 2
    assert pipeline.metrics.value("statscache_counted_messages", plugin="volume-1m") == 1300
    assert pipeline.metrics.value("statscache_duplicates", plugin="volume-1m") == 0


def test_stream_replayed_shuffled_and_across_a_restart_changes_nothing(
    make_pipeline: MakePipeline, envelopes: list[dict[str, Any]]
) -> None:
    first = make_pipeline()
    feed(first, envelopes[:700])
    assert first.flush()
    feed(first, envelopes[:400])  # replayed while running
    first.close()
    again = make_pipeline()  # a restart on the same database
    shuffled = envelopes[:]
    random.Random(7).shuffle(shuffled)
    feed(again, shuffled[:650])
    assert again.flush()
    feed(again, shuffled[650:])
    assert again.flush()
    feed(again, envelopes)
    assert again.flush()
    assert_exact(again, envelopes)
    for ident in BUILTIN_IDENTS:
        counted = [p.metrics.value("statscache_counted_messages", plugin=ident) for p in (first, again)]
        assert counted == [len({e["msg_id"] for e in envelopes[:700]}), 1300 - counted[0]]


def test_a_plugin_installed_later_counts_old_messages_once(
    make_pipeline: MakePipeline, envelopes: list[dict[str, Any]]
) -> None:
    old = make_pipeline(plugins=[VolumeByCategory(timedelta(hours=1))])
    feed(old, envelopes)
    old.close()
    both = make_pipeline()  # all built-ins: volume-* is new, volume-by-category-1h is not
    feed(both, envelopes)
    assert both.flush()
    feed(both, envelopes)
    assert both.flush()
    assert_exact(both, envelopes)
    assert both.metrics.value("statscache_duplicates", plugin="volume-by-category-1h") == 2 * 1300
    assert both.metrics.value("statscache_counted_messages", plugin="volume-1h") == 1300


@pytest.mark.parametrize("flush_between", [False, True])
def test_a_copy_with_a_rounded_timestamp_across_an_hour_is_still_a_duplicate(
    make_pipeline: MakePipeline, envelopes: list[dict[str, Any]], flush_between: bool
) -> None:
    # The live copy carries a fraction of a second, datagrepper's copy whole
    # seconds: here on either side of an hour, the ledger's clustering unit.
    hour_end = 1444352400.0  # 2015-10-09 01:00 UTC
    live = [copy_at(e, hour_end - 0.4) for e in envelopes[:50]]
    archived = [copy_at(e, hour_end) for e in envelopes[:50]]
    pipeline = make_pipeline(plugins=[VolumeByCategory(timedelta(hours=1))])
    feed(pipeline, live)
    if flush_between:
        assert pipeline.flush()
    feed(pipeline, archived)
    assert pipeline.flush()
    assert_exact(pipeline, live, idents=["volume-by-category-1h"])
    if flush_between:
        assert pipeline.metrics.value("statscache_duplicates", plugin="volume-by-category-1h") == 50
    else:
        assert pipeline.metrics.value("statscache_messages", outcome="duplicate") == 50


def test_handling_and_flushing_concurrently_is_exact(
    make_pipeline: MakePipeline, envelopes: list[dict[str, Any]]
) -> None:
    pipeline = make_pipeline()
    stop = threading.Event()
    flushes = 0

    def flush_continuously() -> None:
        nonlocal flushes
        while not stop.is_set():
            pipeline.flush()
            flushes += 1

    flusher = threading.Thread(target=flush_continuously)
    flusher.start()
    halves = [envelopes[::2] + envelopes, envelopes[1::2] + envelopes[::-1]]
    run_in_threads([functools.partial(feed, pipeline, half) for half in halves])
    stop.set()
    flusher.join()
    assert pipeline.flush()
    assert_exact(pipeline, envelopes)
    assert pipeline.metrics.value("statscache_flushes", result="failed") == 0
    assert flushes > 1


def test_latest_event_keeps_the_newest_per_category_whatever_the_order(
    make_pipeline: MakePipeline, envelopes: list[dict[str, Any]]
) -> None:
    # PostgreSQL's side of replace_if_newer (ON CONFLICT ... WHERE), on a cluster with C.UTF-8 collation.
    plugin = Statuses()
    pipeline = make_pipeline(plugins=[plugin])
    reordered = envelopes[::-1]
    feed(pipeline, reordered[:500])
    assert pipeline.flush()
    feed(pipeline, reordered)
    assert pipeline.flush()
    newest = max(envelopes, key=lambda e: (e["timestamp"], e["msg_id"]))
    with pipeline.session_factory() as session:
        rows = session.scalars(select(plugin.model)).all()
        assert [row.to_json() for row in rows] == [
            {
                "category": "autocloud",
                "timestamp": int(newest["timestamp"]),
                "msg_id": newest["msg_id"],
                "status": newest["msg"]["status"],
                "link": None,
            }
        ]


def test_text_postgresql_refuses_holds_nothing_back(
    make_pipeline: MakePipeline, envelopes: list[dict[str, Any]]
) -> None:
    # PostgreSQL refuses NUL in text: such a msg_id is rejected as malformed, such an
    # event is a plugin error; either way every other message is stored.
    template = envelopes[0]
    poisoned_id = {**template, "msg_id": "2015-bad\x00id"}
    poisoned_event = {**template, "msg_id": "2015-nul-status", "msg": {**template["msg"], "status": "fail\x00ed"}}
    plugins = [*registry.load(Config(consumer_epoch=EPOCH)), Statuses()]
    pipeline = make_pipeline(plugins=plugins)
    feed(pipeline, [poisoned_id, poisoned_event, *envelopes])
    assert pipeline.flush()
    assert_exact(pipeline, [poisoned_event, *envelopes])
    assert pipeline.metrics.value("statscache_rejected_messages", reason="bad-msg-id") == 1
    assert pipeline.metrics.value("statscache_plugin_errors", plugin="statuses", stage="process") == 1


def test_latest_event_ties_go_by_code_point_whatever_the_collation(make_pipeline: MakePipeline) -> None:
    plugin = Statuses()
    pipeline = make_pipeline(plugins=[plugin])
    with pipeline.engine.begin() as connection:  # a locale collation, where "a" sorts after "B"
        connection.exec_driver_sql(
            f'ALTER TABLE {plugin.table_name} ALTER COLUMN msg_id TYPE varchar COLLATE "en-x-icu"'
        )

    def event(msg_id: str) -> dict[str, Any]:
        msg = {"status": msg_id[-1]}
        return {
            "topic": "org.fedoraproject.prod.autocloud.image",
            "msg": msg,
            "msg_id": msg_id,
            "timestamp": 1444348800.0,
        }

    for msg_id in ("2015-x-B", "2015-x-a"):  # flushed apart: the database decides
        feed(pipeline, [event(msg_id)])
        assert pipeline.flush()
    with pipeline.session_factory() as session:
        assert session.scalars(select(plugin.model.msg_id)).all() == ["2015-x-a"]  # as Python's max() would choose


def test_missing_binaries_fail_with_a_message_saying_what_to_do(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(services, "DEBIAN_BINDIRS", "/nonexistent/postgresql/*/bin")
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(PostgresNotFound, match=r"Run \./test, which installs them"):
        PostgresServer()


@pytest.fixture(scope="module")
def pages_engine(postgres_server: PostgresServer) -> Iterator[Any]:
    """A table with its tally in buckets of 4 windows, on a database of its own."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(tally, "WINDOWS_PER_BUCKET", 4)
        engine = make_engine(postgres_server.create_database("pages"))
        plugin = pagination.plugin()
        create_tables(engine, [plugin.model.__table__])
        tally.install(engine, [plugin])
        yield engine
        engine.dispose()
        postgres_server.drop_database("pages")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=pagination.rows_strategy, request=pagination.request_strategy)
def test_pages_concatenate_to_the_whole_result(pages_engine: Any, rows: Any, request: Any) -> None:
    pagination.check(pages_engine, rows, request)


def test_the_tally_follows_every_write(postgres_url: str) -> None:
    engine = make_engine(postgres_url)
    try:
        for plugin in test_tally.exercise(engine):
            assert test_tally.tallied(engine, plugin) == test_tally.recounted(engine, plugin), plugin.ident
    finally:
        engine.dispose()
