"""Consumers for bench/ingest.py: a do-nothing one and statscache's, timed the same way.

Both count what they consume and publish the count through a small file that the
benchmark reads for flow control; the first and last message times go to a JSON file.
"""

from __future__ import annotations

import gc
import json
import os
import struct
import time
from typing import Any

import fedmsg.consumers

from statscache.hub.consumer import StatscacheConsumer

PROGRESS_EVERY = 1000


class _Timed:
    """Mixin: counts consumed messages and records when the first and the last arrived."""

    def _setup_timing(self, hub: Any) -> None:
        self._expected = int(os.environ["BENCH_COUNT"])
        self._progress = os.open(os.environ["BENCH_PROGRESS"], os.O_RDWR | os.O_CREAT, 0o644)
        self._result = os.environ["BENCH_RESULT"]
        self._seen = 0
        self._first = 0.0

    def _is_probe(self, message: Any) -> bool:
        """The benchmark's readiness probe: answered by a -1 in the progress file, not counted."""
        topic = message.get("topic") if isinstance(message, dict) else message.topic
        if topic not in ("bench.probe", b"bench.probe"):
            return False
        os.pwrite(self._progress, struct.pack("<q", -1), 0)
        return True

    def _tick(self) -> None:
        self._seen += 1
        if self._seen == 1:
            self._first = time.perf_counter()
        if self._seen % PROGRESS_EVERY == 0 or self._seen == self._expected:
            os.pwrite(self._progress, struct.pack("<q", self._seen), 0)
        if self._seen == self._expected:
            with open(self._result, "w", encoding="utf-8") as out:
                json.dump({"first": self._first, "last": time.perf_counter(), "count": self._seen}, out)


class NullConsumer(_Timed, fedmsg.consumers.FedmsgConsumer):
    """Receives everything and does nothing with it: the hub's own ceiling."""

    topic = "*"
    config_key = "bench.null.enabled"

    def __init__(self, hub: Any) -> None:
        hub.config[self.config_key] = True
        self._setup_timing(hub)
        super().__init__(hub)

    def consume(self, message: dict[str, Any]) -> None:
        if not self._is_probe(message):
            self._tick()


class CeilingConsumer(NullConsumer):
    """Does even less than :class:`NullConsumer`: takes the raw body (no JSON parse by
    moksha, as statscache's consumer does) and freezes the start-up heap (as
    statscache's consumer does). The most any consumer can get out of this hub."""

    config_key = "bench.ceiling.enabled"
    jsonify = False

    def __init__(self, hub: Any) -> None:
        super().__init__(hub)
        from moksha.hub.reactor import reactor

        reactor.callWhenRunning(gc.freeze)

    def validate(self, message: Any) -> None:
        """Nothing: fedmsg's would parse the raw body's JSON after all."""


class TimedStatscacheConsumer(_Timed, StatscacheConsumer):
    """statscache's consumer with all built-in plugins, timed like :class:`NullConsumer`."""

    def __init__(self, hub: Any) -> None:
        self._setup_timing(hub)
        super().__init__(hub)

    def consume(self, message: dict[str, Any]) -> None:
        if not self._is_probe(message):
            super().consume(message)
            self._tick()
