"""statscache's configuration: every ``statscache.*`` key, its default and its meaning.

statscache reads its settings from the fedmsg configuration (``fedmsg.d/*.py`` in
the working directory, ``/etc/fedmsg.d/`` ...), once, at start-up. Unknown keys
under ``statscache.`` and values of the wrong type stop the daemon with a message
that names the key.

``statscache.consumer.enabled`` (bool, default ``True``)
    Run the statscache consumer inside ``fedmsg-hub``.
``statscache.consumer.epoch`` (aware ``datetime``, default 2012-01-01 UTC)
    Where statistics begin: messages older than this are skipped (and counted as such).
``statscache.sqlalchemy.uri`` (str, default ``sqlite:///statscache.sqlite``)
    SQLAlchemy database URL; the default is a SQLite file in the working directory.
``statscache.producer.frequency`` (``timedelta`` or seconds, default 1 s)
    How often the in-memory statistics are written to the database.
``statscache.plugins.enabled`` (list of plugin names, or ``None`` for all, default ``None``)
    Which installed plugins (entry point names in ``statscache.plugin``) to run.
``statscache.plugins.disabled`` (list of plugin names, default ``[]``)
    Installed plugins not to run, even when ``enabled`` is ``None``.
``statscache.plugins.intervals`` (list of ``timedelta``, default 1 min, 1 h, 1 day)
    Window lengths for windowed plugins; each gives one ident (``volume-1m``...).
``statscache.metrics.port`` (int or ``None``, default ``None``)
    Serve the daemon's Prometheus counters (received, rejected, plugin errors,
    duplicates, flushes) on ``127.0.0.1:PORT/metrics``; ``None`` serves nothing.
``statscache.app.default_rows_per_page`` (int, default 100)
    Rows in a page of ``/api/<ident>`` when the request does not say.
``statscache.app.maximum_rows_per_page`` (int, default 100)
    The most rows a request may ask for in one page (``rows_per_page``).
``statscache.app.base_url`` (str or ``None``, default ``None``)
    The public URL of the web app's root (``https://stats.example.org/statscache/``):
    the links the API serves (``Link`` headers, ``url`` fields) start with it.
    ``None``: they are relative (``/api/...``); the request's ``Host`` is never used.
``statscache.app.worker_threads`` (int, default 8)
    ``statscache-web``: worker threads answering requests.
``statscache.app.connection_limit`` (int, default 1000)
    ``statscache-web``: the most connections open at once; more wait to be accepted.
``statscache.app.channel_timeout`` (``timedelta`` or seconds, default 60 s)
    ``statscache-web``: a connection that sends no request, or that takes none of
    its response, for this long is closed (freeing its thread, if a response was
    being written to it).
``statscache.app.stream_limit`` (int, default 4)
    The most ``stream=1`` exports served at once by one process; another gets a 503
    to retry later. Under ``statscache-web`` it must be below ``worker_threads``, so
    that slow exports never take every thread.
``statscache.datagrepper.endpoint`` (str or ``None``, default ``None``)
    Base URL of a datagrepper (``https://apps.fedoraproject.org/datagrepper/`` for
    Fedora's bus); at start-up the hub fetches from its ``/raw`` what each plugin's
    statistics miss. ``None``: no backfill (the gaps are shown as such).
``statscache.datagrepper.concurrency`` (int, default 4)
    Pages of history fetched at once.
``statscache.datagrepper.timeout`` (``timedelta`` or seconds, default 30 s)
    How long one page request may take, all of it (connecting, redirects, the
    head and the whole body), before it is abandoned and retried.
``statscache.datagrepper.max_page_bytes`` (int, default 8 MiB, at least 64 KiB)
    The largest page body taken (after decompression); a larger one is refused,
    and its stretch of history recorded as a gap with the reason.
``statscache.datagrepper.retries`` (int, default 5)
    Retries of a page (with exponential backoff) before its stretch of history is
    recorded as a gap, to be tried again later.
``statscache.datagrepper.lag`` (``timedelta`` or seconds, default 1 min)
    How long datagrepper may take to archive a message: backfill fetches up to the
    hub's start only once that much time has passed, and resumes that much before
    where the statistics were complete.
``statscache.datagrepper.retry_interval`` (``timedelta`` or seconds, default 10 min)
    How often the hub tries the gaps again.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from statscache.exceptions import ConfigError
from statscache.windows import interval_seconds

PREFIX = "statscache."


def _boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError("True or False")
    return value


def _string(value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError("a non-empty string")
    return value


def _duration(value: Any) -> timedelta:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = timedelta(seconds=value)
    if not isinstance(value, timedelta) or value <= timedelta(0):
        raise ValueError("a positive datetime.timedelta (or a number of seconds)")
    return value


def _aware_datetime(value: Any) -> datetime:
    if not isinstance(value, datetime) or value.utcoffset() is None:
        raise ValueError("a timezone-aware datetime.datetime, e.g. datetime(2015, 1, 1, tzinfo=timezone.utc)")
    return value.astimezone(UTC)


def _names(value: Any) -> tuple[str, ...]:
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) and v for v in value):
        raise ValueError("a list of plugin names")
    return tuple(value)


def _names_or_none(value: Any) -> tuple[str, ...] | None:
    return None if value is None else _names(value)


def _intervals(value: Any) -> tuple[timedelta, ...]:
    if not isinstance(value, (list, tuple)) or not value or not all(isinstance(v, timedelta) for v in value):
        raise ValueError("a non-empty list of datetime.timedelta")
    for interval in value:
        interval_seconds(interval)
    return tuple(sorted(set(value)))


def _port_or_none(value: Any) -> int | None:
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or not 0 < value < 65536:
        raise ValueError("None or a TCP port number (1-65535)")
    return value


def _url_or_none(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value.startswith(("http://", "https://")):
        raise ValueError("None or an http(s) URL")
    return value if value.endswith("/") else value + "/"


def _base_url_or_none(value: Any) -> str | None:
    url = _url_or_none(value)
    if url is not None:
        parts = urlsplit(url)
        if not parts.hostname or parts.query or parts.fragment or "\\" in url:
            raise ValueError("None or an http(s) URL with a host and no query or fragment")
    return url


def _count(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError("a whole number of at least 0")
    return value


def _positive_int(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ValueError("a whole number of at least 1")
    return value


def _page_bytes(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 64 * 1024:
        raise ValueError("a whole number of bytes, at least 65536")
    return value


@dataclass(frozen=True)
class Config:
    """The validated settings; field ``a_b`` holds key ``statscache.a.b``."""

    consumer_enabled: bool = True
    consumer_epoch: datetime = datetime(2012, 1, 1, tzinfo=UTC)
    sqlalchemy_uri: str = "sqlite:///statscache.sqlite"
    producer_frequency: timedelta = timedelta(seconds=1)
    plugins_enabled: tuple[str, ...] | None = None
    plugins_disabled: tuple[str, ...] = ()
    plugins_intervals: tuple[timedelta, ...] = (timedelta(minutes=1), timedelta(hours=1), timedelta(days=1))
    metrics_port: int | None = None
    app_default_rows_per_page: int = 100
    app_maximum_rows_per_page: int = 100
    app_base_url: str | None = None
    app_worker_threads: int = 8
    app_connection_limit: int = 1000
    app_channel_timeout: timedelta = timedelta(seconds=60)
    app_stream_limit: int = 4
    datagrepper_endpoint: str | None = None
    datagrepper_concurrency: int = 4
    datagrepper_timeout: timedelta = timedelta(seconds=30)
    datagrepper_max_page_bytes: int = 8 * 1024 * 1024
    datagrepper_retries: int = 5
    datagrepper_lag: timedelta = timedelta(minutes=1)
    datagrepper_retry_interval: timedelta = timedelta(minutes=10)


_CHECKS: dict[str, Callable[[Any], Any]] = {
    "consumer_enabled": _boolean,
    "consumer_epoch": _aware_datetime,
    "sqlalchemy_uri": _string,
    "producer_frequency": _duration,
    "plugins_enabled": _names_or_none,
    "plugins_disabled": _names,
    "plugins_intervals": _intervals,
    "metrics_port": _port_or_none,
    "app_default_rows_per_page": _positive_int,
    "app_maximum_rows_per_page": _positive_int,
    "app_base_url": _base_url_or_none,
    "app_worker_threads": _positive_int,
    "app_connection_limit": _positive_int,
    "app_channel_timeout": _duration,
    "app_stream_limit": _positive_int,
    "datagrepper_endpoint": _url_or_none,
    "datagrepper_concurrency": _positive_int,
    "datagrepper_timeout": _duration,
    "datagrepper_max_page_bytes": _page_bytes,
    "datagrepper_retries": _count,
    "datagrepper_lag": _duration,
    "datagrepper_retry_interval": _duration,
}


def key_of(field_name: str) -> str:
    """``consumer_enabled`` -> ``statscache.consumer.enabled``."""
    section, _, name = field_name.partition("_")
    return f"{PREFIX}{section}.{name}"


KEYS: dict[str, str] = {key_of(f.name): f.name for f in fields(Config)}


def load(raw: Mapping[str, Any]) -> Config:
    """Validate the ``statscache.*`` keys of a fedmsg configuration dict."""
    values: dict[str, Any] = {}
    for key, value in raw.items():
        if not isinstance(key, str) or not key.startswith(PREFIX):
            continue
        field_name = KEYS.get(key)
        if field_name is None:
            hint = difflib.get_close_matches(key, KEYS, n=1)
            suggestion = f"; did you mean {hint[0]!r}?" if hint else f"; known keys: {', '.join(sorted(KEYS))}"
            raise ConfigError(f"unknown configuration key {key!r}{suggestion}")
        try:
            values[field_name] = _CHECKS[field_name](value)
        except ValueError as e:
            raise ConfigError(f"configuration key {key!r} must be {e}, not {value!r}") from e
    config = Config(**values)
    if config.app_default_rows_per_page > config.app_maximum_rows_per_page:
        raise ConfigError(
            f"configuration key 'statscache.app.default_rows_per_page' ({config.app_default_rows_per_page}) "
            f"must not exceed 'statscache.app.maximum_rows_per_page' ({config.app_maximum_rows_per_page})"
        )
    if config.app_stream_limit >= config.app_worker_threads:
        raise ConfigError(
            f"configuration key 'statscache.app.stream_limit' ({config.app_stream_limit}) "
            f"must be below 'statscache.app.worker_threads' ({config.app_worker_threads}): "
            "exports must leave a thread free"
        )
    return config
