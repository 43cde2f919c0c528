"""Backfill and coverage on a real PostgreSQL server: the SQLite tests of both, run again here."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest

from statscache import registry
from statscache.config import Config
from statscache.pipeline import Pipeline
from tests.unit import test_backfill, test_coverage
from tests.unit.test_backfill import EPOCH

pytestmark = pytest.mark.integration


@pytest.fixture
def make_pipeline(postgres_url: str) -> Iterator[Callable[..., Pipeline]]:
    made: list[Pipeline] = []

    def make(endpoint: str = "http://127.0.0.1:9/", **settings: Any) -> Pipeline:
        config = Config(
            sqlalchemy_uri=postgres_url,
            consumer_epoch=EPOCH,
            datagrepper_endpoint=endpoint,
            datagrepper_lag=timedelta(seconds=5),
            **settings,
        )
        pipeline = Pipeline(config, registry.load(config))
        assert pipeline.engine.dialect.name == "postgresql"
        made.append(pipeline)
        return pipeline

    yield make
    for pipeline in made:
        pipeline.engine.dispose()


@pytest.fixture
def pipeline(make_pipeline: Callable[..., Pipeline]) -> Pipeline:
    return make_pipeline(plugins_enabled=("volume", "volume-by-category"))


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
