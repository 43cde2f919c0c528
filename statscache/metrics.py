"""The daemon's counters, as Prometheus metrics in a registry of their own."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, start_http_server


class Metrics:
    """Everything the daemon counts: what came in, what was refused, what failed."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.messages = Counter(
            "statscache_messages",
            "Envelopes, by outcome: received off the bus, then processed, rejected or before_epoch",
            ["outcome"],
            registry=self.registry,
        )
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
            "Copies of messages a plugin already had (cached or counted), dropped",
            ["plugin"],
            registry=self.registry,
        )
        self.counted = Counter(
            "statscache_counted_messages",
            "Messages written to a plugin's statistics",
            ["plugin"],
            registry=self.registry,
        )
        self.flushes = Counter(
            "statscache_flushes",
            "Flushes of the caches to the database, by result (ok, failed)",
            ["result"],
            registry=self.registry,
        )
        self.received = self.messages.labels("received")
        self.processed = self.messages.labels("processed")
        self.before_epoch = self.messages.labels("before_epoch")

    def value(self, name: str, **labels: str) -> float:
        """Current value of a counter sample (0 when never incremented)."""
        return self.registry.get_sample_value(f"{name}_total", labels) or 0.0

    def summary(self) -> str:
        """One line of the main counters, for the log."""
        outcomes = ("received", "processed", "rejected", "before_epoch")
        parts = [f"{outcome}={self.value('statscache_messages', outcome=outcome):.0f}" for outcome in outcomes]
        parts.append(f"flush_failures={self.value('statscache_flushes', result='failed'):.0f}")
        return " ".join(parts)

    def serve(self, port: int) -> None:
        """Expose ``/metrics`` on 127.0.0.1:``port`` from a daemon thread."""
        start_http_server(port, addr="127.0.0.1", registry=self.registry)
