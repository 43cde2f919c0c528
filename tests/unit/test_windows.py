from datetime import timedelta

import pytest

from statscache.windows import interval_seconds, interval_suffix, parse_interval, window_start

DAY = 86400


@pytest.mark.parametrize(
    ("timestamp", "seconds", "start"),
    [
        (0, 60, 0),
        (59.999, 60, 0),
        (60, 60, 60),
        (1444368907.0, 60, 1444368900),
        (1444368907.0, 3600, 1444366800),
        (1444368907.0, DAY, 1444348800),  # 2015-10-09 00:00 UTC
        (1444348800.0, DAY, 1444348800),  # a window starts at its own first second
        (1444348799.5, DAY, 1444348800 - DAY),  # and the second before belongs to the day before
        (1444368907.25, 1, 1444368907),
    ],
)
def test_window_start(timestamp, seconds, start):
    assert window_start(timestamp, seconds) == start


@pytest.mark.parametrize(
    ("interval", "suffix"),
    [
        (timedelta(minutes=1), "1m"),
        (timedelta(hours=1), "1h"),
        (timedelta(days=1), "1d"),
        (timedelta(days=7), "7d"),
        (timedelta(minutes=90), "90m"),
        (timedelta(seconds=45), "45s"),
    ],
)
def test_suffix_round_trip(interval, suffix):
    assert interval_suffix(interval) == suffix
    assert parse_interval(suffix) == interval


@pytest.mark.parametrize("interval", [timedelta(0), timedelta(seconds=-60), timedelta(milliseconds=1500)])
def test_refuses_windows_that_are_not_whole_positive_seconds(interval):
    with pytest.raises(ValueError):
        interval_seconds(interval)


@pytest.mark.parametrize("text", ["", "1", "m", "1w", "-1m", "0m"])
def test_parse_interval_refuses_garbage(text):
    with pytest.raises(ValueError):
        parse_interval(text)
