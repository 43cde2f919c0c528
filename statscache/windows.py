"""Window arithmetic: UTC-aligned windows of a fixed length, and their short names."""

from __future__ import annotations

import re
from datetime import timedelta

_UNITS = (("d", 86400), ("h", 3600), ("m", 60), ("s", 1))
_SUFFIX = re.compile(r"^(\d+)([dhms])$")


def interval_seconds(interval: timedelta) -> int:
    """Whole seconds of a window length; windows shorter or fractional are refused."""
    seconds = interval.total_seconds()
    if seconds < 1 or seconds != int(seconds):
        raise ValueError(f"a window must be a positive whole number of seconds, not {interval}")
    return int(seconds)


def window_start(timestamp: float, seconds: int) -> int:
    """Start (epoch seconds) of the window of ``seconds`` that holds ``timestamp``.

    Windows are counted from the Unix epoch, so a day starts at UTC midnight
    and an hour on the UTC hour.
    """
    return int(timestamp // seconds) * seconds


def interval_suffix(interval: timedelta) -> str:
    """Short name of a window length: ``1m``, ``1h``, ``1d``, ``90s``..."""
    seconds = interval_seconds(interval)
    for unit, size in _UNITS:
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    raise AssertionError("unreachable: every whole number of seconds has a suffix")


def parse_interval(text: str) -> timedelta:
    """Inverse of :func:`interval_suffix`."""
    match = _SUFFIX.match(text.strip())
    if not match:
        raise ValueError(f"{text!r} is not a window length like '1m', '1h' or '1d'")
    count, unit = int(match.group(1)), match.group(2)
    interval = timedelta(seconds=count * dict(_UNITS)[unit])
    interval_seconds(interval)
    return interval
