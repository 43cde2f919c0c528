"""The dialects seam on a real PostgreSQL server: the tests of tests/unit/store/test_dialects.py, run again here."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, text

from statscache.store import dialects
from statscache.store.engine import snapshot, writing
from tests.unit.store import test_dialects

pytestmark = pytest.mark.integration

# The seam tests' own fixture: pytest builds it on this module's database_url.
engine = test_dialects.engine


@pytest.fixture
def database_url(postgres_url: str) -> str:
    """The seam tests' engines connect here instead of to a SQLite file."""
    return postgres_url


def test_the_engine_is_postgresql(engine: Engine) -> None:
    assert dialects.of(engine).name == "postgresql"


def test_a_snapshot_is_a_repeatable_read(engine: Engine) -> None:
    with snapshot(engine) as connection:
        assert connection.execute(text("SHOW transaction_isolation")).scalar() == "repeatable read"
    with engine.connect() as connection:  # the engine's other connections keep the default
        assert connection.execute(text("SHOW transaction_isolation")).scalar() == "read committed"


def test_a_writing_engine_is_the_engine_itself(engine: Engine) -> None:
    assert writing(engine) is engine


# pytest gives these this module's fixtures.
test_an_engine_its_connections_and_its_url_have_the_same_dialect = (
    test_dialects.test_an_engine_its_connections_and_its_url_have_the_same_dialect
)
test_the_placeholder_binds_parameters_sent_straight_to_the_driver = (
    test_dialects.test_the_placeholder_binds_parameters_sent_straight_to_the_driver
)
test_an_upsert_adds_to_the_rows_already_there = test_dialects.test_an_upsert_adds_to_the_rows_already_there
test_an_upsert_replaces_only_where_its_condition_holds = (
    test_dialects.test_an_upsert_replaces_only_where_its_condition_holds
)
test_code_point_order_is_pythons_whatever_the_collation = (
    test_dialects.test_code_point_order_is_pythons_whatever_the_collation
)
test_the_probe_sees_the_database_end_the_transaction = (
    test_dialects.test_the_probe_sees_the_database_end_the_transaction
)
test_a_reader_reads_and_refuses_every_write = test_dialects.test_a_reader_reads_and_refuses_every_write
test_a_snapshot_reads_one_moment_while_another_connection_commits = (
    test_dialects.test_a_snapshot_reads_one_moment_while_another_connection_commits
)
test_triggers_run_the_adjusting_statement_for_each_row_written = (
    test_dialects.test_triggers_run_the_adjusting_statement_for_each_row_written
)
test_a_bucket_starts_at_the_multiple_of_its_span_at_or_before_the_row = (
    test_dialects.test_a_bucket_starts_at_the_multiple_of_its_span_at_or_before_the_row
)
