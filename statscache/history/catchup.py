"""Catching up: backfill what each plugin's statistics miss, once at start-up and again after failures."""

from __future__ import annotations

import logging
import threading
import time

from statscache.history import gaps
from statscache.history.backfill import Backfill
from statscache.history.fill import make_backfill, plan
from statscache.ingest.pipeline import Pipeline
from statscache.span import Span, Stretch

log = logging.getLogger(__name__)


def _past_the_join(stretches: list[Stretch], live_since: float, lag: float) -> list[Stretch]:
    """Stretches that end where live coverage begins, continued ``lag`` into it.

    A subscription takes a moment to join the bus (zeromq connects in the
    background): messages sent right after the hub went live may never have
    arrived. Fetching that moment too costs a few pages; duplicates are dropped.
    """
    return [
        Stretch(Span(s.span.start, live_since + lag), s.idents) if s.span.end >= live_since - 1 else s
        for s in stretches
    ]


class CatchUp(threading.Thread):
    """The hub's backfill, on a thread of its own so that the reactor consumes live messages meanwhile.

    It fetches what each plugin misses up to the moment the hub went live
    (``live_since``), and ``lag`` past it; if some of it cannot be had, it
    tries again every ``statscache.datagrepper.retry_interval`` until
    everything is there.
    """

    def __init__(self, pipeline: Pipeline, live_since: float) -> None:
        super().__init__(name="statscache-catch-up", daemon=True)
        self.pipeline = pipeline
        self.live_since = live_since
        self._stopping = threading.Event()
        self._backfill: Backfill | None = None
        self._lag = pipeline.config.datagrepper_lag.total_seconds()
        #: Set once every plugin's history up to ``live_since`` is complete.
        self.complete = threading.Event()

    def run(self) -> None:
        retry = self.pipeline.config.datagrepper_retry_interval.total_seconds()
        while not self._stopping.is_set():
            try:
                if self._attempt():
                    self.complete.set()
                    return
            except Exception:
                log.exception("backfill failed; trying again in %d s", retry)
            if self._stopping.wait(retry):
                return

    def _attempt(self) -> bool:
        stretches = _past_the_join(plan(self.pipeline, self.live_since), self.live_since, self._lag)
        log.info("backfill: %s", gaps.describe(stretches))
        if not stretches:
            return True
        self._backfill = make_backfill(self.pipeline)
        if self._stopping.is_set():
            return False
        began = time.monotonic()
        complete = self._backfill.run(stretches)
        progress = self._backfill.progress
        log.info(
            "backfill %s: %d messages in %d pages, %.1f s%s",
            "complete" if complete else "incomplete",
            progress.messages,
            progress.pages_done,
            time.monotonic() - began,
            f"; {len(progress.failed)} stretches failed, trying again later" if progress.failed else "",
        )
        return complete

    def stop(self) -> None:
        self._stopping.set()
        if self._backfill is not None:
            self._backfill.stop()
