"""The daemon's counters, as Prometheus metrics in a registry of their own."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping
from typing import Protocol

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector


class CacheCounts(Protocol):
    """What the metrics read of the message cache when scraped."""

    @property
    def cached(self) -> int: ...

    @property
    def duplicates(self) -> int: ...

    def __len__(self) -> int: ...


class _PerMessageCounts(Collector):
    """Counts kept as plain integers where they happen (the hot path), read when scraped."""

    def __init__(self) -> None:
        self.received = 0  # only ever incremented on the reactor thread
        self.rejected = 0  # these two under Metrics._lock: they are rare
        self.before_epoch = 0
        self.cache: CacheCounts | None = None

    def collect(self) -> Iterator[CounterMetricFamily]:
        family = CounterMetricFamily("statscache_messages", MESSAGES_HELP, labels=["outcome"])
        family.add_metric(["received"], self.received)
        family.add_metric(["rejected"], self.rejected)
        family.add_metric(["before_epoch"], self.before_epoch)
        if self.cache is not None:
            family.add_metric(["cached"], self.cache.cached)
            family.add_metric(["duplicate"], self.cache.duplicates)
        yield family


class _Moments(Collector):
    """Gauges of the moment, read when scraped: what waits, when the last flush committed, how far counting
    has come, and backfill's pages."""

    def __init__(self) -> None:
        self.cache: CacheCounts | None = None
        self.last_flush: float | None = None
        self.newest_event: float | None = None
        #: Pages the running backfill has fetched, and those it expects still to fetch (None: none runs).
        self.backfill_pages: Callable[[], tuple[int, int] | None] | None = None

    def collect(self) -> Iterator[GaugeMetricFamily]:
        if self.cache is not None:
            yield GaugeMetricFamily(
                "statscache_queued_messages",
                "Messages taken in and not yet written to the database (cached, or kept while it fails)",
                value=len(self.cache),
            )
        if self.last_flush is not None:
            yield GaugeMetricFamily(
                "statscache_last_flush_timestamp_seconds",
                "When the last flush committed (UTC epoch seconds)",
                value=self.last_flush,
            )
        if self.newest_event is not None:
            yield GaugeMetricFamily(
                "statscache_newest_event_timestamp_seconds",
                "Event time of the newest live message written (UTC epoch seconds): time() minus this is the lag",
                value=self.newest_event,
            )
        pages = self.backfill_pages() if self.backfill_pages is not None else None
        if pages is not None:
            family = GaugeMetricFamily(
                "statscache_backfill_pages",
                "Pages of history the running backfill has fetched (done) and expects still to fetch (left)",
                labels=["state"],
            )
            family.add_metric(["done"], pages[0])
            family.add_metric(["left"], pages[1])
            yield family


#: How the workers' samples of a gauge combine into the hub's (counters and histograms add up).
GAUGES_COMBINED: dict[str, Callable[[list[float]], float]] = {
    "statscache_last_flush_timestamp_seconds": min,  # every worker has flushed since
    "statscache_newest_event_timestamp_seconds": max,
}


MESSAGES_HELP = (
    "Envelopes, by outcome: received off the bus, then cached, rejected (malformed) or before_epoch; "
    "duplicate: cached copies of a message merged at the flush"
)


class Metrics:
    """Everything the daemon counts: what came in, what was refused, what failed."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self._lock = threading.Lock()
        self._per_message = _PerMessageCounts()
        self.registry.register(self._per_message)
        self.moments = _Moments()
        self.registry.register(self.moments)
        self.rejected = Counter(
            "statscache_rejected_messages",
            "Malformed envelopes, by reason",
            ["reason"],
            registry=self.registry,
        )
        self.plugin_errors = Counter(
            "statscache_plugin_errors",
            "Exceptions raised by a plugin, by plugin and stage (process or update)",
            ["plugin", "stage"],
            registry=self.registry,
        )
        self.duplicates = Counter(
            "statscache_duplicates",
            "Messages a plugin had already counted in an earlier flush, not counted again",
            ["plugin"],
            registry=self.registry,
        )
        self.counted = Counter(
            "statscache_counted_messages",
            "Messages written to a plugin's statistics",
            ["plugin"],
            registry=self.registry,
        )
        self.quarantined = Counter(
            "statscache_quarantined_messages",
            "Messages a plugin's update failed on alone, while it wrote the others: recorded, not counted",
            ["plugin"],
            registry=self.registry,
        )
        self.let_go = Counter(
            "statscache_let_go_messages",
            "Messages held in memory while the database failed, let go to bound memory (backfill fetches them again)",
            registry=self.registry,
        )
        self.database_resets = Counter(
            "statscache_database_resets",
            "Times the database was found deleted or emptied under the running daemon and made anew",
            registry=self.registry,
        )
        self.flush_seconds = Histogram(
            "statscache_flush_duration_seconds",
            "How long each flush's transaction took, committed or not",
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
            registry=self.registry,
        )
        self.rows_written = Counter(
            "statscache_rows_written",
            "Rows written by committed flushes: the ledger's, and the statistics' rows inserted or updated "
            "through statscache's statements (a plugin writing its own way is not seen)",
            registry=self.registry,
        )
        self.database_errors = Counter(
            "statscache_database_errors",
            "Flushes the database refused or lost as a whole (nothing of them committed; kept and tried again)",
            registry=self.registry,
        )
        self.flushes = Counter(
            "statscache_flushes",
            "Flushes of the caches to the database, by result (ok, failed)",
            ["result"],
            registry=self.registry,
        )

        self.history_requests = Counter(
            "statscache_history_requests",
            "Pages asked of datagrepper, by result: ok; retried (timeout, connection error, 5xx, "
            "malformed JSON); failed (out of retries); refused (impossible: too large, redirected off the "
            "endpoint, not a page of the window asked for; its stretch is a gap)",
            ["result"],
            registry=self.registry,
        )
        self.history_stretches = Counter(
            "statscache_history_stretches",
            "Stretches of backfilled history, by result: complete (counted and recorded as coverage); "
            "failed (recorded as a gap, tried again later)",
            ["result"],
            registry=self.registry,
        )

    def watch(self, cache: CacheCounts) -> None:
        """Report the cache's own counts of cached and duplicate messages, and what it holds."""
        self._per_message.cache = cache
        self.moments.cache = cache

    def received(self) -> None:
        """One envelope came off the bus (called on the reactor thread only)."""
        self._per_message.received += 1

    def rejected_envelope(self, reason: str) -> None:
        with self._lock:
            self._per_message.rejected += 1
        self.rejected.labels(reason).inc()

    def before_epoch(self) -> None:
        with self._lock:
            self._per_message.before_epoch += 1

    def value(self, name: str, **labels: str) -> float:
        """Current value of a counter sample (0 when never incremented)."""
        return self.registry.get_sample_value(f"{name}_total", labels) or 0.0

    def summary(self) -> str:
        """One line of the main counters, for the log."""
        return summary(self.registry)


def summary(registry: CollectorRegistry) -> str:
    """One line of the main counters of ``registry`` (a daemon's, or a pool's summed), for the log."""
    return describe(main_counters(registry))


def main_counters(registry: CollectorRegistry) -> dict[str, float]:
    """What became of the messages handed in, and the failed flushes: the counters a stop's log line shows."""

    def value(name: str, **labels: str) -> float:
        return registry.get_sample_value(f"{name}_total", labels) or 0.0

    outcomes = ("received", "cached", "duplicate", "rejected", "before_epoch")
    counted = {outcome: value("statscache_messages", outcome=outcome) for outcome in outcomes}
    counted["flush_failures"] = value("statscache_flushes", result="failed")
    return counted


def describe(counted: Mapping[str, float]) -> str:
    """``main_counters`` (or a sum of several) in one line."""
    return " ".join(f"{name}={value:.0f}" for name, value in counted.items())
