"""Catching up: backfill what each plugin's statistics miss, once at start-up and again after failures."""

from __future__ import annotations

import logging
import threading
import time

from statscache.history import archive, gaps
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


class _Stopped(Exception):
    """The hub stops: the catch-up abandons what it is reading (read again at the next start)."""


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
        #: The attempt running (or the last one).
        self.backfill: Backfill | None = None
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
        if self.pipeline.config.datanommer_uri is not None:
            return self._from_archive(self.pipeline.config.datanommer_uri, stretches)
        self.backfill = make_backfill(self.pipeline)
        if self._stopping.is_set():
            return False
        began = time.monotonic()
        complete = self.backfill.run(stretches)
        progress = self.backfill.progress
        log.info(
            "backfill %s: %d messages in %d pages, %.1f s%s",
            "complete" if complete else "incomplete",
            progress.messages,
            progress.pages_done,
            time.monotonic() - began,
            f"; {len(progress.failed)} stretches failed, trying again later" if progress.failed else "",
        )
        return complete

    def _from_archive(self, url: str, stretches: list[Stretch]) -> bool:
        """Read the stretches from datanommer's database, one streamed query each (the hub's producer flushes)."""

        def unless_stopping(handed: int) -> None:
            if self._stopping.is_set():
                raise _Stopped

        began = time.monotonic()
        source = archive.Archive(url)
        every = frozenset(plugin.ident for plugin in self.pipeline.plugins)
        try:
            handed = archive.fill(source, self.pipeline.history_sink(), stretches, every, unless_stopping)
        except _Stopped:
            return False
        finally:
            source.close()
        log.info(
            "backfill complete: %d messages from the archive's database, %.1f s",
            handed,
            time.monotonic() - began,
        )
        return True

    def stop(self) -> None:
        self._stopping.set()
        if self.backfill is not None:
            self.backfill.stop()


#: Seconds the final flush waits for backfill to stop (a page in flight is abandoned; it is fetched again).
CATCH_UP_JOIN = 5.0


class Backfiller:
    """What a transport's consumer needs of history: live coverage from now, the backfill of what came before,
    and a new backfill whenever messages are lost to the database; one for the hub and the AMQP consumer alike."""

    def __init__(self, pipeline: Pipeline) -> None:
        self.pipeline = pipeline
        #: The running catch-up, if any.
        self.current: CatchUp | None = None
        self._closed = False

    def go_live(self) -> None:
        """The consumer takes messages from now on: live coverage starts, and backfill fetches what came before."""
        live_since = time.time()
        self.pipeline.go_live(live_since)
        self.catch_up(live_since)

    def catch_up(self, live_since: float) -> None:
        """Backfill what came before ``live_since``, and again whenever messages are lost to the database.

        Without :meth:`go_live`: for a pipeline whose live coverage is claimed
        by another process (a worker of :mod:`statscache.pool`).
        """
        self.pipeline.on_history_lost = self.again
        if not self.pipeline.config.backfills:
            log.info(
                "neither statscache.datanommer.uri nor statscache.datagrepper.endpoint: "
                "statistics start now, without backfill"
            )
            return
        self._start(live_since)

    def again(self) -> None:
        """Messages were lost to the database (let go, or a database made anew): backfill what is missing again.

        The running backfill's checkpoints are refused from then on (see
        :class:`statscache.ingest.pipeline.HistorySink`); a new one plans from the
        coverage recorded, and retries while the database still fails.
        """
        if not self.pipeline.config.backfills or self._closed:
            return
        if self.current is not None:
            self.current.stop()
        self._start(time.time())
        log.info("statscache: backfilling again what was lost to the database")

    def close(self) -> None:
        """Stop backfilling, and wait a little for it: the final flush follows."""
        self._closed = True
        if self.current is not None:
            self.current.stop()
            self.current.join(timeout=CATCH_UP_JOIN)

    def _start(self, live_since: float) -> None:
        self.current = CatchUp(self.pipeline, live_since)
        self.pipeline.metrics.moments.backfill_pages = self._pages
        self.current.start()

    def _pages(self) -> tuple[int, int] | None:
        """Pages the running backfill has fetched and expects still to fetch; None once it is complete."""
        current = self.current
        backfill = None if current is None or current.complete.is_set() else current.backfill
        if backfill is None:
            return None
        progress = backfill.progress
        return progress.pages_done, max(0, progress.pages_estimated - progress.pages_done)
