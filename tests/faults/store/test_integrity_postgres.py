"""The database faults of test_integrity.py on a real PostgreSQL server, plus its own: errors that abort a
transaction, and a connection cut in the middle of a flush."""

from __future__ import annotations

from datetime import timedelta

import psycopg
import pytest

from statscache.config import Config
from statscache.plugins import VolumePlugin, registry
from statscache.plugins.builtin.volume import VolumeByCategory
from tests.fakes.support import (
    BUILTIN_IDENTS,
    assert_exact,
    feed,
    ledger_size,
    poisoned_copy,
    recount,
    stored,
    stored_by_category,
)
from tests.faults.store import test_integrity
from tests.integration.store import test_postgres

pytestmark = pytest.mark.integration


#: Pipelines on a PostgreSQL database of the test's own.
make_pipeline = test_postgres.make_pipeline

test_a_msg_id_counts_once_wherever_its_copies_times_fall = (
    test_integrity.test_a_msg_id_counts_once_wherever_its_copies_times_fall
)
test_of_copies_reaching_one_flush_the_earliest_counts_whatever_their_order = (
    test_integrity.test_of_copies_reaching_one_flush_the_earliest_counts_whatever_their_order
)
test_a_poison_message_is_quarantined_and_the_plugin_counts_on = (
    test_integrity.test_a_poison_message_is_quarantined_and_the_plugin_counts_on
)
test_a_plugin_that_fails_on_everything_keeps_its_messages_and_quarantines_none = (
    test_integrity.test_a_plugin_that_fails_on_everything_keeps_its_messages_and_quarantines_none
)


class DividesByZero(VolumeByCategory):
    """Its update sends PostgreSQL a statement that fails (and aborts the transaction) for poisoned categories."""

    name = "Divides by zero"

    def update(self, session, batch):
        if any(key == "poison" for _, keys in batch for key in keys):
            session.connection().exec_driver_sql("SELECT 1 / 0")
        super().update(session, batch)


def test_a_statement_postgresql_refuses_quarantines_its_message_alone(make_pipeline, envelopes):
    pipeline = make_pipeline(plugins=[DividesByZero(timedelta(days=1)), VolumeByCategory(timedelta(days=1))])
    poison = [poisoned_copy(envelopes[i], i) for i in (3, 700)]
    feed(pipeline, envelopes[:600] + poison + envelopes[600:])
    assert pipeline.flush()
    assert stored_by_category(pipeline.engine, "divides-by-zero-1d") == recount(envelopes, "volume-by-category-1d")
    assert stored(pipeline.engine, "volume-by-category-1d") == recount(envelopes + poison, "volume-by-category-1d")
    assert pipeline.metrics.value("statscache_quarantined_messages", plugin="divides-by-zero-1d") == 2


class CutsItsConnection(VolumePlugin):
    """Has the server end this session's connection in the middle of the first flush."""

    name = "Cuts its connection"
    summary = description = "a connection lost mid-flush"

    def __init__(self, interval, url):
        super().__init__(interval)
        self.url = url
        self.cuts = 1

    def update(self, session, batch):
        if self.cuts:
            self.cuts -= 1
            pid = session.connection().exec_driver_sql("SELECT pg_backend_pid()").scalar()
            with psycopg.connect(self.url, autocommit=True) as outside:
                outside.execute("SELECT pg_terminate_backend(%s)", (pid,))
        super().update(session, batch)


def test_a_connection_cut_in_the_middle_of_a_flush_commits_nothing_and_is_retried(
    make_pipeline, envelopes, postgres_url
):
    url = postgres_url.replace("postgresql+psycopg://", "postgresql://")
    builtins = [p for p in registry.load(Config()) if p.ident in BUILTIN_IDENTS]
    pipeline = make_pipeline(plugins=[*builtins[:3], CutsItsConnection(timedelta(days=1), url), *builtins[3:]])
    feed(pipeline, envelopes[:800])
    assert pipeline.flush() is False
    assert ledger_size(pipeline) == 0
    feed(pipeline, envelopes[400:])
    assert pipeline.flush()
    assert_exact(pipeline, envelopes)
    assert ledger_size(pipeline) == 1300
