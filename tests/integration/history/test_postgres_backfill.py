"""Backfill and coverage on a real PostgreSQL server: the SQLite tests of both, run again here."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from statscache.ingest.pipeline import Pipeline
from tests.unit.history import test_backfill
from tests.unit.store import test_coverage

pytestmark = pytest.mark.integration

# The backfill tests' own fixture: pytest builds it on this module's database_url.
make_pipeline = test_backfill.make_pipeline


@pytest.fixture
def database_url(postgres_url: str) -> str:
    """The backfill tests' pipelines write here instead of a SQLite file."""
    return postgres_url


@pytest.fixture
def pipeline(make_pipeline: Callable[..., Pipeline]) -> Pipeline:
    pipeline = make_pipeline(plugins_enabled=("volume", "volume-by-category"))
    assert pipeline.engine.dialect.name == "postgresql"
    return pipeline


# pytest gives these this module's fixtures.
test_a_full_backfill_counts_every_message_once = test_backfill.test_a_full_backfill_counts_every_message_once
test_a_crash_then_a_backfill_gives_what_an_uninterrupted_run_would = (
    test_backfill.test_a_crash_then_a_backfill_gives_what_an_uninterrupted_run_would
)
test_runs_of_equal_times_across_page_boundaries_lose_nothing = (
    test_backfill.test_runs_of_equal_times_across_page_boundaries_lose_nothing
)
test_history_is_fetched_once_for_the_plugins_that_miss_it = (
    test_backfill.test_history_is_fetched_once_for_the_plugins_that_miss_it
)
test_live_coverage_grows_with_each_flush_as_one_stretch = (
    test_coverage.test_live_coverage_grows_with_each_flush_as_one_stretch
)
test_stretches_merge_when_they_overlap_or_touch = test_coverage.test_stretches_merge_when_they_overlap_or_touch
test_a_covered_failure_is_forgotten = test_coverage.test_a_covered_failure_is_forgotten
test_a_rebuilt_plugin_starts_its_live_coverage_afresh = (
    test_coverage.test_a_rebuilt_plugin_starts_its_live_coverage_afresh
)
