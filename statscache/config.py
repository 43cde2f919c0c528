"""statscache's configuration: every ``statscache.*`` key, its default and its meaning.

statscache reads its settings from the fedmsg configuration (``fedmsg.d/*.py`` in
the working directory, ``/etc/fedmsg.d/`` ...), once, at start-up. Unknown keys
under ``statscache.`` and values of the wrong type or out of bounds stop the daemon
(``fedmsg-hub`` exits with status 1) with a message that names the key. Numbers and
durations are bounded: a value that would make the hub burn a CPU doing nothing,
overflow a timer, or count nothing at all is refused rather than run.

``statscache.consumer.enabled`` (bool, default ``True``)
    Run the statscache consumer inside ``fedmsg-hub``.
``statscache.consumer.epoch`` (aware ``datetime``, default 2012-01-01 UTC)
    Where statistics begin: messages older than this are skipped (and counted as such).
    From 1970-01-01 UTC to the moment the hub starts (a future epoch would count nothing).
``statscache.consumer.workers`` (int, default 0)
    Worker processes, each a whole pipeline with every plugin, that the hub hands each
    topic's messages to (:mod:`statscache.pool`): statscache on that many more cores.
    0 counts in the hub's own process. From 0 to 64. The database must be a file or a
    server, not SQLite in memory.
``statscache.sqlalchemy.uri`` (str, default ``sqlite:///statscache.sqlite``)
    SQLAlchemy database URL of SQLite or PostgreSQL; the default is a SQLite file in the
    working directory. It must parse as a URL; another database, a driver that is not
    installed, a directory that does not exist or a server that refuses the connection
    stop the hub at start-up.
``statscache.sqlalchemy.auto_upgrade`` (bool, default ``False``)
    Upgrade the schema of a database made by an earlier statscache at start, as
    ``statscache db upgrade`` does. ``False``: the daemon and the commands refuse such a
    database, and say which command upgrades it (back the database up first).
``statscache.producer.frequency`` (``timedelta`` or seconds, default 1 s)
    How often the in-memory statistics are written to the database. From 100 ms (each
    flush is a transaction, even when idle) to 1 day.
``statscache.plugins.enabled`` (list of plugin names, or ``None`` for all, default ``None``)
    Which installed plugins (entry point names in ``statscache.plugin``) to run.
``statscache.plugins.disabled`` (list of plugin names, default ``[]``)
    Installed plugins not to run, even when ``enabled`` is ``None``.
``statscache.plugins.intervals`` (list of ``timedelta``, default 1 min, 1 h, 1 day)
    Window lengths for windowed plugins; each gives one ident (``volume-1m``...). Each a
    whole number of seconds, from 1 s to 366 days; at most 16 of them (one table each).
``statscache.metrics.port`` (int or ``None``, default ``None``)
    Serve the daemon's Prometheus counters (received, rejected, plugin errors,
    duplicates, flushes) on ``127.0.0.1:PORT/metrics``, and its health probes on
    ``/healthz/live`` and ``/healthz/ready`` (:mod:`statscache.metrics_port`); ``None``
    serves nothing. A port
    that cannot be bound (in use, or privileged) stops the hub at start-up.
``statscache.metrics.host`` (str, default ``127.0.0.1``)
    The address the metrics port listens on: ``0.0.0.0`` (or ``::``) in a container,
    where Prometheus and the orchestrator's probes come from elsewhere.
``statscache.health.max_flush_age`` (``timedelta``, seconds or ``None``, default ``None``)
    ``/healthz/ready`` (the web app's, and the daemon's on its metrics port) fails
    when no daemon has committed a flush of a plugin's counts for this long. From
    1 s to 1 day, and longer than ``statscache.producer.frequency``. ``None``: 60 s,
    or three flush intervals if that is longer.
``statscache.app.default_rows_per_page`` (int, default 100)
    Rows in a page of ``/api/<ident>`` when the request does not say. From 1 to 10,000.
``statscache.app.maximum_rows_per_page`` (int, default 100)
    The most rows a request may ask for in one page (``rows_per_page``). From 1 to 10,000,
    and at least ``default_rows_per_page``.
``statscache.app.base_url`` (str or ``None``, default ``None``)
    The public URL of the web app's root (``https://stats.example.org/statscache/``):
    the links the API serves (``Link`` headers, ``url`` fields) start with it.
    ``None``: they are relative (``/api/...``); the request's ``Host`` is never used.
``statscache.app.worker_threads`` (int, default 8)
    ``statscache-web``: worker threads answering requests. From 1 to 256.
``statscache.app.connection_limit`` (int, default 1000)
    ``statscache-web``: the most connections open at once; more wait to be accepted.
    From 1 to 100,000.
``statscache.app.channel_timeout`` (``timedelta`` or seconds, default 60 s)
    ``statscache-web``: a connection that sends no request, or that takes none of
    its response, for this long is closed (freeing its thread, if a response was
    being written to it). From 1 s to 1 hour.
``statscache.app.stream_limit`` (int, default 4)
    The most ``stream=1`` exports served at once by one process; another gets a 503
    to retry later. Under ``statscache-web`` it must be below ``worker_threads``, so
    that slow exports never take every thread.
``statscache.datagrepper.endpoint`` (str or ``None``, default ``None``)
    Base URL of a datagrepper (``https://apps.fedoraproject.org/datagrepper/`` for
    Fedora's bus); at start-up the hub fetches from its ``/raw`` what each plugin's
    statistics miss. ``None``: no backfill (the gaps are shown as such).
``statscache.datagrepper.concurrency`` (int, default 4)
    Pages of history fetched at once. From 1 to 32.
``statscache.datagrepper.timeout`` (``timedelta`` or seconds, default 30 s)
    How long one page request may take, all of it (connecting, redirects, the
    head and the whole body), before it is abandoned and retried. From 0.5 s to 1 hour.
``statscache.datagrepper.max_page_bytes`` (int, default 8 MiB)
    The largest page body taken (after decompression); a larger one is refused,
    and its stretch of history recorded as a gap with the reason. From 64 KiB to 1 GiB.
``statscache.datagrepper.retries`` (int, default 5)
    Retries of a page (with exponential backoff) before its stretch of history is
    recorded as a gap, to be tried again later. From 0 to 100.
``statscache.datagrepper.lag`` (``timedelta`` or seconds, default 1 min)
    How long datagrepper may take to archive a message: backfill fetches up to the
    hub's start only once that much time has passed, and resumes that much before
    where the statistics were complete. From 1 s to 1 day.
``statscache.datagrepper.retry_interval`` (``timedelta`` or seconds, default 10 min)
    How often the hub tries the gaps again. From 1 s to 1 day.
``statscache.datanommer.uri`` (str or ``None``, default ``None``)
    The archive's own database: datanommer's PostgreSQL, as a SQLAlchemy URL
    (``postgresql+psycopg://reader@db-datanommer/datanommer``), read-only. When set,
    the hub's catch-up reads what each plugin misses from it instead of
    datagrepper (far faster); the ``statscache.datagrepper.lag`` and
    ``retry_interval`` settings apply to it the same.
``statscache.exclude.users`` (list of str, default ``[]``)
    Accounts (bots) that the per-user statistics leave out: such an account is never
    one of a message's users (:mod:`statscache.ingest.exclusions`). The message still
    counts everywhere else, and for its other users. At most 10,000 names.
``statscache.exclude.topics`` (list of str, default ``[]``)
    Topic patterns, shell-style (``*.buildsys.rpm.sign``, ``org.fedoraproject.prod.buildsys.repo.*``):
    messages on a matching topic name no user and no package, so the per-user and
    per-package statistics leave them out; volumes still count them. Changing
    either list applies to messages counted from then on; ``statscache rebuild``
    of the statistics that read users or packages applies it to history.

Of fedmsg's own keys, the hub checks one that exactness depends on:

``high_water_mark`` (int, default 0)
    Must be 0 (no limit): past a finite one, zeromq drops messages without a
    word, and the statistics would claim a stretch they miss messages of.
"""

from __future__ import annotations

import difflib
import ipaddress
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from statscache.exceptions import ConfigError
from statscache.windows import interval_seconds, parse_interval

PREFIX = "statscache."


def _boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError("True or False")
    return value


def _string(value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError("a non-empty string")
    return value


def _database_url(value: Any) -> str:
    url = _string(value)
    try:
        make_url(url)
    except ArgumentError as e:
        raise ValueError(f"a SQLAlchemy database URL ({e})") from e
    return url


def _postgresql_url_or_none(value: Any) -> str | None:
    if value is None:
        return None
    url = _database_url(value)
    if make_url(url).get_backend_name() != "postgresql":
        raise ValueError("None or a PostgreSQL URL (datanommer's database)")
    return url


def _between(low: timedelta, high: timedelta) -> Callable[[Any], timedelta]:
    """A check of a duration (a ``timedelta`` or a number of seconds) from ``low`` to ``high``."""
    expected = f"a datetime.timedelta (or a number of seconds) from {_describe(low)} to {_describe(high)}"

    def check(value: Any) -> timedelta:
        if isinstance(value, bool) or not isinstance(value, (int, float, timedelta)):
            raise ValueError(expected)
        seconds = value.total_seconds() if isinstance(value, timedelta) else value
        # Compare before building a timedelta: inf, NaN and 10**30 seconds make it raise
        # OverflowError or ValueError; a huge int is compared as is (float() of it overflows).
        if isinstance(seconds, float) and not math.isfinite(seconds):
            raise ValueError(expected)
        if not low.total_seconds() <= seconds <= high.total_seconds():
            raise ValueError(expected)
        return value if isinstance(value, timedelta) else timedelta(seconds=value)

    return check


def _or_none(check: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """``check``, or None for None (the key's default, worked out from other keys)."""

    def check_or_none(value: Any) -> Any:
        try:
            return None if value is None else check(value)
        except ValueError as e:
            raise ValueError(f"None or {e}") from e

    return check_or_none


def _describe(duration: timedelta) -> str:
    """``100 ms``, ``1 s``, ``10 minutes``, ``1 day``: a bound as the error message says it."""
    seconds = duration.total_seconds()
    if seconds < 1:
        return f"{seconds * 1000:g} ms"
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size and seconds % size == 0:
            count = seconds / size
            return f"{count:g} {unit}{'' if count == 1 else 's'}"
    return f"{seconds:g} s"


def _whole(low: int, high: int) -> Callable[[Any], int]:
    """A check of a whole number from ``low`` to ``high``."""

    def check(value: Any) -> int:
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            raise ValueError(f"a whole number from {low} to {high}")
        return value

    return check


#: Statistics cannot begin before the Unix epoch, and an epoch in the future would count nothing.
EARLIEST_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _aware_datetime(value: Any) -> datetime:
    if not isinstance(value, datetime) or value.utcoffset() is None:
        raise ValueError("a timezone-aware datetime.datetime, e.g. datetime(2015, 1, 1, tzinfo=timezone.utc)")
    utc = value.astimezone(UTC)
    if not EARLIEST_EPOCH <= utc <= datetime.now(UTC):
        raise ValueError("a timezone-aware datetime.datetime from 1970-01-01 UTC to now")
    return utc


def _names(value: Any) -> tuple[str, ...]:
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) and v for v in value):
        raise ValueError("a list of plugin names")
    return tuple(value)


#: The most names an exclusion list may hold, and the longest name (a topic is at most 255 characters).
MAX_EXCLUDED = 10_000
MAX_EXCLUDED_LENGTH = 255


def _short_strings(value: Any, what: str) -> tuple[str, ...]:
    if not isinstance(value, (list, tuple, set, frozenset)) or len(value) > MAX_EXCLUDED:
        raise ValueError(f"a list of at most {MAX_EXCLUDED:,} {what}")
    if not all(isinstance(v, str) and 0 < len(v) <= MAX_EXCLUDED_LENGTH and "\x00" not in v for v in value):
        raise ValueError(f"a list of {what}, each 1 to {MAX_EXCLUDED_LENGTH} characters")
    return tuple(sorted(value)) if isinstance(value, (set, frozenset)) else tuple(value)


def _names_or_none(value: Any) -> tuple[str, ...] | None:
    return None if value is None else _names(value)


#: Window lengths: each is one table per windowed plugin, and a window longer than a year counts nothing useful.
MAX_INTERVALS = 16
LONGEST_INTERVAL = timedelta(days=366)


#: What a window length may be written as: fedmsg.d/ (Python) has timedeltas, a TOML file only numbers and strings.
_WINDOW_FORMS = (
    "a non-empty list of window lengths: datetime.timedelta, whole seconds, or names such as '1m', '1h', '1d'"
)


def _window(value: Any) -> timedelta:
    if isinstance(value, timedelta):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return timedelta(seconds=value)  # whole seconds: a fraction is refused below, with every other window
    if isinstance(value, str):
        return parse_interval(value)
    raise ValueError(_WINDOW_FORMS)


def _intervals(value: Any) -> tuple[timedelta, ...]:
    if not isinstance(value, (list, tuple)) or not value:
        raise ValueError(_WINDOW_FORMS)
    try:
        value = [_window(v) for v in value]
    except (ValueError, OverflowError) as error:
        raise ValueError(_WINDOW_FORMS) from error
    for interval in value:
        interval_seconds(interval)
        if interval > LONGEST_INTERVAL:
            raise ValueError(f"a list of windows no longer than {LONGEST_INTERVAL.days} days")
    distinct = tuple(sorted(set(value)))
    if len(distinct) > MAX_INTERVALS:
        raise ValueError(f"a list of at most {MAX_INTERVALS} window lengths")
    return distinct


def _address(value: Any) -> str:
    """An IP address to listen on (a name would depend on the resolver at start)."""
    expected = "an IP address as a string (127.0.0.1, 0.0.0.0, ::)"
    if not isinstance(value, str):
        raise ValueError(expected)
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        raise ValueError(expected) from None


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


@dataclass(frozen=True)
class Config:
    """The validated settings; field ``a_b`` holds key ``statscache.a.b``."""

    consumer_enabled: bool = True
    consumer_epoch: datetime = datetime(2012, 1, 1, tzinfo=UTC)
    consumer_workers: int = 0
    sqlalchemy_uri: str = "sqlite:///statscache.sqlite"
    sqlalchemy_auto_upgrade: bool = False
    producer_frequency: timedelta = timedelta(seconds=1)
    plugins_enabled: tuple[str, ...] | None = None
    plugins_disabled: tuple[str, ...] = ()
    plugins_intervals: tuple[timedelta, ...] = (timedelta(minutes=1), timedelta(hours=1), timedelta(days=1))
    metrics_port: int | None = None
    metrics_host: str = "127.0.0.1"
    health_max_flush_age: timedelta | None = None
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
    datanommer_uri: str | None = None
    exclude_users: frozenset[str] = frozenset()
    exclude_topics: tuple[str, ...] = ()

    @property
    def backfills(self) -> bool:
        """Whether the hub fetches what the statistics miss: from datanommer's database, or datagrepper."""
        return self.datanommer_uri is not None or self.datagrepper_endpoint is not None

    @property
    def max_flush_age(self) -> timedelta:
        """How old the last flush may be for ``/healthz/ready`` (see ``statscache.health.max_flush_age``)."""
        if self.health_max_flush_age is not None:
            return self.health_max_flush_age
        return max(timedelta(seconds=60), 3 * self.producer_frequency)


# The bounds of every numeric key: see the module's docstring for why each is where it is.
_CHECKS: dict[str, Callable[[Any], Any]] = {
    "consumer_enabled": _boolean,
    "consumer_epoch": _aware_datetime,
    "consumer_workers": _whole(0, 64),
    "sqlalchemy_uri": _database_url,
    "sqlalchemy_auto_upgrade": _boolean,
    "producer_frequency": _between(timedelta(milliseconds=100), timedelta(days=1)),
    "plugins_enabled": _names_or_none,
    "plugins_disabled": _names,
    "plugins_intervals": _intervals,
    "metrics_port": _port_or_none,
    "metrics_host": _address,
    "health_max_flush_age": _or_none(_between(timedelta(seconds=1), timedelta(days=1))),
    "app_default_rows_per_page": _whole(1, 10_000),
    "app_maximum_rows_per_page": _whole(1, 10_000),
    "app_base_url": _base_url_or_none,
    "app_worker_threads": _whole(1, 256),
    "app_connection_limit": _whole(1, 100_000),
    "app_channel_timeout": _between(timedelta(seconds=1), timedelta(hours=1)),
    "app_stream_limit": _whole(1, 256),
    "datagrepper_endpoint": _url_or_none,
    "datagrepper_concurrency": _whole(1, 32),
    "datagrepper_timeout": _between(timedelta(milliseconds=500), timedelta(hours=1)),
    "datagrepper_max_page_bytes": _whole(64 * 1024, 1 << 30),
    "datagrepper_retries": _whole(0, 100),
    "datagrepper_lag": _between(timedelta(seconds=1), timedelta(days=1)),
    "datagrepper_retry_interval": _between(timedelta(seconds=1), timedelta(days=1)),
    "datanommer_uri": _postgresql_url_or_none,
    "exclude_users": lambda value: frozenset(_short_strings(value, "account names")),
    "exclude_topics": lambda value: _short_strings(value, "shell-style topic patterns ('*.buildsys.rpm.sign')"),
}


def check_hub(raw: Mapping[str, Any]) -> None:
    """Refuse fedmsg settings under which the hub's statistics could not be exact."""
    high_water_mark = raw.get("high_water_mark", 0)
    if high_water_mark != 0:
        raise ConfigError(
            f"configuration key 'high_water_mark' must be 0 (no limit), not {high_water_mark!r}: "
            "past a finite one, zeromq drops messages silently"
        )


def key_of(field_name: str) -> str:
    """``consumer_enabled`` -> ``statscache.consumer.enabled``."""
    section, _, name = field_name.partition("_")
    return f"{PREFIX}{section}.{name}"


KEYS: dict[str, str] = {key_of(f.name): f.name for f in fields(Config)}


def load(raw: Mapping[str, Any]) -> Config:
    """Validate the ``statscache.*`` keys of a fedmsg configuration dict; raises :class:`ConfigError` at the
    first problem (see :func:`problems` for them all)."""
    values: dict[str, Any] = {}
    for key, value in raw.items():
        if isinstance(key, str) and key.startswith(PREFIX):
            field_name, checked = _checked(key, value)
            values[field_name] = checked
    config = Config(**values)
    for problem in _across_keys(config):
        raise ConfigError(problem)
    return config


def problems(raw: Mapping[str, Any]) -> list[str]:
    """Every problem of the ``statscache.*`` keys of a fedmsg configuration dict (none: :func:`load` accepts it)."""
    found: list[str] = []
    values: dict[str, Any] = {}
    for key, value in raw.items():
        if not isinstance(key, str) or not key.startswith(PREFIX):
            continue
        try:
            field_name, checked = _checked(key, value)
        except ConfigError as e:
            found.append(str(e))
            continue
        values[field_name] = checked
    return found or _across_keys(Config(**values))


def _checked(key: str, value: Any) -> tuple[str, Any]:
    """The field of ``key`` and its checked value; raises :class:`ConfigError`, naming the closest key."""
    field_name = KEYS.get(key)
    if field_name is None:
        hint = difflib.get_close_matches(key, KEYS, n=1)
        suggestion = f"; did you mean {hint[0]!r}?" if hint else f"; known keys: {', '.join(sorted(KEYS))}"
        raise ConfigError(f"unknown configuration key {key!r}{suggestion}")
    try:
        return field_name, _CHECKS[field_name](value)
    except ValueError as e:
        raise ConfigError(f"configuration key {key!r} must be {e}, not {value!r}") from e


def _across_keys(config: Config) -> list[str]:
    """What is wrong with keys that are each right alone."""
    found = []
    if config.app_default_rows_per_page > config.app_maximum_rows_per_page:
        found.append(
            f"configuration key 'statscache.app.default_rows_per_page' ({config.app_default_rows_per_page}) "
            f"must not exceed 'statscache.app.maximum_rows_per_page' ({config.app_maximum_rows_per_page})"
        )
    if config.consumer_workers and make_url(config.sqlalchemy_uri).database in (None, "", ":memory:"):
        found.append(
            "configuration key 'statscache.consumer.workers' needs a database that other processes can open: "
            f"{config.sqlalchemy_uri!r} is held in memory"
        )
    if config.health_max_flush_age is not None and config.health_max_flush_age <= config.producer_frequency:
        found.append(
            f"configuration key 'statscache.health.max_flush_age' ({config.health_max_flush_age}) "
            f"must be longer than 'statscache.producer.frequency' ({config.producer_frequency}): "
            "a daemon flushing on time would never be ready"
        )
    if config.app_stream_limit >= config.app_worker_threads:
        found.append(
            f"configuration key 'statscache.app.stream_limit' ({config.app_stream_limit}) "
            f"must be below 'statscache.app.worker_threads' ({config.app_worker_threads}): "
            "exports must leave a thread free"
        )
    return found
