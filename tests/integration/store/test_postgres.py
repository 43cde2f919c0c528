"""statscache's exactness on a real PostgreSQL server, through the real pipeline.

The same checks as tests/unit/ingest/test_pipeline.py (which runs them on SQLite),
each on a fresh database of a private cluster the tests start (tests/services/postgres.py).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from sqlalchemy import select
from sqlalchemy.orm import Session

from statscache.config import Config
from statscache.ingest.pipeline import Pipeline
from statscache.plugins import BasePlugin, registry
from statscache.plugins.builtin.volume import VolumeByCategory
from statscache.store import ledger, schema, tally
from statscache.store.engine import create_tables, make_engine
from statscache.store.upsert import add_counts
from tests.fakes import pagination
from tests.fakes.sample_plugins import Statuses
from tests.fakes.support import EPOCH, assert_exact, feed
from tests.services import postgres
from tests.services.postgres import PostgresNotFound, PostgresServer
from tests.unit.ingest import test_pipeline
from tests.unit.store import test_ledger, test_tally

pytestmark = pytest.mark.integration

MakePipeline = Callable[..., Pipeline]


@pytest.fixture
def make_pipeline(postgres_url: str) -> Iterator[MakePipeline]:
    """Pipelines on this test's database; several of them are restarts on the same data."""
    made: list[Pipeline] = []

    def make(plugins: list[BasePlugin] | None = None, **settings: Any) -> Pipeline:
        config = Config(sqlalchemy_uri=postgres_url, consumer_epoch=EPOCH, **settings)
        pipeline = Pipeline.open(config, registry.load(config) if plugins is None else plugins)
        assert pipeline.engine.dialect.name == "postgresql"
        made.append(pipeline)
        return pipeline

    yield make
    for pipeline in made:
        pipeline.engine.dispose()


# The pipeline's own tests, run here on PostgreSQL: pytest gives them this module's make_pipeline.
test_recorded_stream_is_counted_exactly = test_pipeline.test_recorded_stream_is_counted_exactly
test_stream_twice_shuffled_and_across_a_restart_changes_nothing = (
    test_pipeline.test_stream_twice_shuffled_and_across_a_restart_changes_nothing
)
test_a_plugin_installed_later_counts_old_messages_once = (
    test_pipeline.test_a_plugin_installed_later_counts_old_messages_once
)
test_messages_before_the_epoch_are_skipped_and_counted = (
    test_pipeline.test_messages_before_the_epoch_are_skipped_and_counted
)
test_malformed_envelopes_are_counted_by_reason_and_harm_nothing = (
    test_pipeline.test_malformed_envelopes_are_counted_by_reason_and_harm_nothing
)
test_a_failing_plugin_is_counted_and_the_others_still_count = (
    test_pipeline.test_a_failing_plugin_is_counted_and_the_others_still_count
)
test_handling_and_flushing_concurrently_is_exact = test_pipeline.test_handling_and_flushing_concurrently_is_exact
test_latest_event_keeps_the_newest_per_category_whatever_the_order = (
    test_pipeline.test_latest_event_keeps_the_newest_per_category_whatever_the_order
)
test_a_copy_with_a_rounded_timestamp_is_still_a_duplicate = (
    test_pipeline.test_a_copy_with_a_rounded_timestamp_is_still_a_duplicate
)
test_a_plugin_installed_later_sees_rounded_copies_as_counted_by_the_others = (
    test_pipeline.test_a_plugin_installed_later_sees_rounded_copies_as_counted_by_the_others
)
test_envelopes_whose_signature_fails_are_rejected_and_the_rest_counted = (
    test_pipeline.test_envelopes_whose_signature_fails_are_rejected_and_the_rest_counted
)


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
    monkeypatch.setattr(postgres, "DEBIAN_BINDIRS", "/nonexistent/postgresql/*/bin")
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


@pytest.mark.parametrize(
    "check", [test_tally.check_the_upgrade_to_counting_by_add_counts, test_tally.check_a_plugin_writing_its_own_way]
)
def test_the_tally_is_kept_by_add_counts_or_by_trigger(postgres_url: str, check: Callable[[Any], None]) -> None:
    engine = make_engine(postgres_url)
    try:
        check(engine)
    finally:
        engine.dispose()


def test_concurrent_flushes_tally_a_new_row_once(postgres_url: str) -> None:
    """Two flushes add to the same new row at once: one inserts it, the other waits and adds to it."""
    engine = make_engine(postgres_url)
    plugin = VolumeByCategory(timedelta(hours=1))
    try:
        schema.prepare(engine, [plugin])
        statement = tally.counts_statement(plugin)
        counts = {(int(EPOCH.timestamp()), "a"): 1}
        first, second = Session(engine), Session(engine)
        with first.begin():
            add_counts(first, plugin.model, statement, counts)
            waiting = threading.Thread(target=lambda: _add_and_commit(second, plugin, statement, counts))
            waiting.start()
            waiting.join(0.5)
            assert waiting.is_alive()  # blocked on the first one's row
        waiting.join(10)
        assert test_tally.tallied(engine, plugin) == test_tally.recounted(engine, plugin)
        assert sum(test_tally.tallied(engine, plugin).values()) == 1
        with engine.connect() as connection:
            assert connection.execute(select(plugin.model.volume)).scalars().all() == [2]
    finally:
        first.close()
        second.close()
        engine.dispose()


def _add_and_commit(session: Session, plugin: Any, statement: Any, counts: Any) -> None:
    with session.begin():
        add_counts(session, plugin.model, statement, counts)


@pytest.mark.parametrize("size", [1, 10_001])
def test_a_flush_of_any_size_is_recorded_whole_and_found_again(postgres_url: str, size: int) -> None:
    engine = make_engine(postgres_url)
    try:
        create_tables(engine, ledger.LEDGER_TABLES)
        test_ledger.check_a_flush_of(engine, size)
    finally:
        engine.dispose()


def test_the_tally_follows_every_write(postgres_url: str) -> None:
    engine = make_engine(postgres_url)
    try:
        for plugin in test_tally.exercise(engine):
            assert test_tally.tallied(engine, plugin) == test_tally.recounted(engine, plugin), plugin.ident
    finally:
        engine.dispose()
