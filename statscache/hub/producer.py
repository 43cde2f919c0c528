"""The moksha polling producer that flushes the statistics every ``statscache.producer.frequency``."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import moksha.hub.api.producer

from statscache.hub.consumer import StatscacheConsumer

log = logging.getLogger(__name__)


class StatscacheProducer(moksha.hub.api.producer.PollingProducer):
    """Flushes the consumer's pipeline on a timer, on a thread of the hub's pool."""

    def __init__(self, hub: Any) -> None:
        consumers = [c for c in getattr(hub, "consumers", []) if isinstance(c, StatscacheConsumer)]
        if not consumers or not hasattr(consumers[0], "counting"):
            log.info("statscache producer idle: the statscache consumer is not running")
            self.hub = hub
            return
        self.consumer = consumers[0]
        self.counting = self.consumer.counting
        # Seconds, as the polling loop below counts them.
        self.frequency = self.consumer.settings.producer_frequency.total_seconds()
        self._stopping = threading.Event()
        super().__init__(hub)
        self.consumer.producer = self  # the consumer stops the hub if no producer ever attaches

    def poll(self) -> None:
        # moksha stops polling for good when poll() raises: nothing may escape.
        try:
            self.counting.flush()
        except Exception:
            log.exception("statscache flush raised; will retry on the next poll")

    def _work(self) -> None:
        # moksha's own loop sleeps up to 5 s between checks of self.die, too slow
        # for a prompt shutdown, and sleeps a full period after each poll; wait on
        # an event that stop() sets instead, keeping one poll per period.
        try:
            next_poll = time.monotonic() + self.frequency
            while not self._stopping.wait(max(0.0, next_poll - time.monotonic())):
                self._poll()
                next_poll = max(next_poll + self.frequency, time.monotonic())
        except Exception as e:
            # This thread ending would leave a hub that caches and never writes: stop it instead.
            log.exception("statscache's periodic flush stopped")
            self.consumer.fail(f"the periodic flush stopped: {e!r}")

    def stop(self) -> None:
        super().stop()
        if hasattr(self, "_stopping"):
            self._stopping.set()
