"""Extreme configuration values are refused by name, never run (table-driven, no daemon)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from statscache import config
from statscache.exceptions import ConfigError

FUTURE = datetime.now(UTC) + timedelta(days=1)

REFUSED = [
    # The values the issue reproduced: a hub that never flushes, or burns a CPU.
    ("statscache.producer.frequency", float("inf"), "from 100 ms to 1 day"),
    ("statscache.producer.frequency", 10**30, "from 100 ms to 1 day"),
    ("statscache.producer.frequency", 10**400, "from 100 ms to 1 day"),
    ("statscache.producer.frequency", float("nan"), "from 100 ms to 1 day"),
    ("statscache.producer.frequency", 1e-6, "from 100 ms to 1 day"),
    ("statscache.producer.frequency", timedelta(microseconds=1), "from 100 ms to 1 day"),
    ("statscache.producer.frequency", -1, "from 100 ms to 1 day"),
    ("statscache.producer.frequency", timedelta(days=2), "from 100 ms to 1 day"),
    # Siblings: every other duration and number.
    ("statscache.datagrepper.timeout", float("inf"), "from 500 ms to 1 hour"),
    ("statscache.datagrepper.timeout", 0.001, "from 500 ms to 1 hour"),
    ("statscache.datagrepper.lag", 10**30, "from 1 s to 1 day"),
    ("statscache.datagrepper.lag", 0, "from 1 s to 1 day"),
    ("statscache.datagrepper.retry_interval", 1e-6, "from 1 s to 1 day"),
    ("statscache.datagrepper.retry_interval", timedelta(days=999_999_999), "from 1 s to 1 day"),
    ("statscache.datagrepper.concurrency", 0, "whole number from 1 to 32"),
    ("statscache.datagrepper.concurrency", 10**6, "whole number from 1 to 32"),
    ("statscache.datagrepper.retries", -1, "whole number from 0 to 100"),
    ("statscache.datagrepper.retries", 10**9, "whole number from 0 to 100"),
    ("statscache.datagrepper.retries", 3.0, "whole number from 0 to 100"),
    ("statscache.app.maximum_rows_per_page", 10**9, "whole number from 1 to 10000"),
    ("statscache.app.default_rows_per_page", -5, "whole number from 1 to 10000"),
    ("statscache.plugins.intervals", [timedelta(days=999_999_999)], "no longer than 366 days"),
    ("statscache.plugins.intervals", [timedelta(seconds=s) for s in range(1, 18)], "at most 16"),
    ("statscache.consumer.epoch", FUTURE, "from 1970-01-01 UTC to now"),
    ("statscache.consumer.epoch", datetime(1, 1, 2, tzinfo=UTC), "from 1970-01-01 UTC to now"),
    ("statscache.metrics.port", 0, "TCP port"),
    ("statscache.metrics.port", 65536, "TCP port"),
    ("statscache.sqlalchemy.uri", "not a url", "SQLAlchemy database URL"),
    ("statscache.sqlalchemy.uri", "", "non-empty string"),
]


@pytest.mark.parametrize(("key", "value", "expected"), REFUSED, ids=lambda v: repr(v)[:40])
def test_an_out_of_bounds_value_is_refused_by_name(key, value, expected):
    with pytest.raises(ConfigError) as caught:
        config.load({key: value})
    assert repr(key) in str(caught.value)
    assert expected in str(caught.value)


ACCEPTED = [
    ("statscache.producer.frequency", 0.1, timedelta(milliseconds=100)),
    ("statscache.producer.frequency", timedelta(days=1), timedelta(days=1)),
    ("statscache.producer.frequency", 86400, timedelta(days=1)),
    ("statscache.datagrepper.timeout", 0.5, timedelta(milliseconds=500)),
    ("statscache.datagrepper.lag", timedelta(seconds=1), timedelta(seconds=1)),
    ("statscache.datagrepper.retry_interval", timedelta(days=1), timedelta(days=1)),
    ("statscache.datagrepper.concurrency", 32, 32),
    ("statscache.datagrepper.retries", 0, 0),
    ("statscache.app.maximum_rows_per_page", 10_000, 10_000),
    ("statscache.plugins.intervals", [timedelta(days=366)], (timedelta(days=366),)),
    ("statscache.consumer.epoch", datetime(1970, 1, 1, tzinfo=UTC), datetime(1970, 1, 1, tzinfo=UTC)),
    ("statscache.metrics.port", 65535, 65535),
    ("statscache.sqlalchemy.uri", "mysql://user@127.0.0.1/db", "mysql://user@127.0.0.1/db"),
]


@pytest.mark.parametrize(("key", "value", "expected"), ACCEPTED, ids=lambda v: repr(v)[:40])
def test_the_bounds_themselves_are_accepted(key, value, expected):
    assert getattr(config.load({key: value}), config.KEYS[key]) == expected


@pytest.mark.parametrize("high_water_mark", [1, 1000, "1000"])
def test_a_finite_high_water_mark_is_refused(high_water_mark):
    with pytest.raises(ConfigError, match="'high_water_mark' must be 0"):
        config.check_hub({"high_water_mark": high_water_mark})


def test_no_high_water_mark_or_zero_is_fine():
    config.check_hub({})
    config.check_hub({"high_water_mark": 0})
