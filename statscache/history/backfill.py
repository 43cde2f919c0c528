"""Backfill: fetch stretches of history from datagrepper and hand every message to the pipeline.

A stretch is fetched in windows of time, each paged through ``/raw``. Pages
are fetched ``concurrency`` at a time, ahead of the one being handed in, and
the next window's first page is asked for as soon as the current window's
size is known, so the fetchers never wait for the pipeline.

A window counts as complete only when it comes back whole: every page
agrees on the total (nothing was archived meanwhile), and the distinct
``msg_id`` s add up to it (datagrepper orders by time alone, so a page
boundary inside a run of equal timestamps could otherwise hand one message
twice and another never). A window that fails the check is fetched again;
one that cannot be had is reported, never skipped in silence. Only a
complete window's stretch becomes coverage, and only once the pipeline has
written its messages.

A window's rows are held (as the bytes they came in) until the window checks
out whole, and only then handed to the pipeline: rows of a window that turns
out inconsistent or impossible are never counted. What is held is bounded:
a window has at most MAX_WINDOW_PAGES pages (a denser one is cut in parts, at
most MAX_SPLIT_PARTS at a time) and MAX_WINDOW_BYTES of rows (a bulkier one is
fetched again a page at a time). A window whose answers are impossible (see
:mod:`statscache.history.client`), or whose parts and second attempts claim more
messages than the whole did plus what late archiving explains, is refused: a
gap with its reason, tried again on the next catch-up.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from typing import Any, Protocol

from statscache.history.client import ROWS_PER_PAGE, History, Page, rows_of
from statscache.history.errors import HistoryRefused, HistoryUnavailable
from statscache.span import TICK, Span, Stretch, iso, merged

log = logging.getLogger(__name__)

#: Rows a window aims at (its size adapts to the rate of messages).
TARGET_WINDOW_ROWS = 20 * ROWS_PER_PAGE
#: Pages beyond which a window is cut in parts rather than paged through.
MAX_WINDOW_PAGES = 200
#: Length of a stretch's first window, in seconds, before the rate is known.
FIRST_WINDOW = 3600.0
#: Bounds on a window's length, in seconds.
SHORTEST_WINDOW, LONGEST_WINDOW = 1.0, 90 * 86400.0
#: Times a window that comes back inconsistent is fetched again before it is reported.
WINDOW_ATTEMPTS = 3
#: Bytes of rows a window holds at most until it checks out (or the page cap, if larger).
MAX_WINDOW_BYTES = 32 * 1024 * 1024
#: Parts a window far denser than expected is cut in at most, at once (a part still too dense is cut again).
MAX_SPLIT_PARTS = 64


class Sink(Protocol):
    """Where fetched history goes (the pipeline)."""

    def handle_history(self, envelope: Any, audience: frozenset[str] | None = None) -> None: ...

    def checkpoint(self, start: float, end: float, idents: Sequence[str] | frozenset[str]) -> None: ...

    def note_failure(self, start: float, end: float, idents: frozenset[str], reason: str) -> None: ...


@dataclass
class Progress:
    """How far a backfill has come: for progress bars and logs."""

    pages_done: int = 0
    #: Pages of the windows sized so far.
    pages_known: int = 0
    messages: int = 0
    #: Seconds of history in all, and those of the windows finished.
    seconds_total: float = 0.0
    seconds_done: float = 0.0
    #: Each span of history that could not be had, and why.
    failed: list[tuple[Span, str]] = field(default_factory=list)
    #: Messages datagrepper counted in all the stretches, when it was asked (see :meth:`Backfill.survey`).
    messages_expected: int | None = None
    #: Most bytes of rows held at once, waiting for their windows to check out.
    held_peak: int = 0

    @property
    def pages_estimated(self) -> int:
        """Pages in all: from the messages expected, or extrapolated from the windows sized so far."""
        if self.messages_expected is not None:
            left = max(0, self.messages_expected - self.messages)
            return max(self.pages_known, self.pages_done + -(-left // ROWS_PER_PAGE))
        if self.seconds_done <= 0 or self.seconds_total <= 0:
            return self.pages_known
        rest = max(0.0, self.seconds_total - self.seconds_done) / self.seconds_done * self.pages_known
        return max(self.pages_known, round(self.pages_known + rest))


@dataclass
class _Budget:
    """Messages the parts of a window (cut for density, or fetched again) may claim between them."""

    left: int


def _allowance(total: int) -> int:
    """Messages that late archiving may add to a window while it is fetched again: a tenth, one page at least."""
    return max(ROWS_PER_PAGE, total // 10)


@dataclass
class _Window:
    """A part of a stretch fetched page by page, and what its pages showed so far."""

    stretch: Stretch
    span: Span
    attempt: int = 1
    #: Shared with its sibling parts, when this window is part of a larger one.
    budget: _Budget | None = None
    total: int | None = None
    pages: int = 0
    pages_left: int = 0
    rows: int = 0
    #: (msg_id, time) of each row: the same row twice means paging went wrong.
    seen: set[tuple[Any, Any]] = field(default_factory=set)
    times: list[float] = field(default_factory=list)
    problem: str | None = None
    #: Whether sizing this window cuts the next one (the newest cut of its stretch does).
    opens_next: bool = False
    #: The bodies of its pages taken so far, until the window checks out, and their size.
    held: list[bytes] = field(default_factory=list)
    held_bytes: int = 0
    #: Refused: the rest of its pages are not fetched, and those that come are dropped.
    closed: bool = False


class _Stopped(Exception):
    """:meth:`Backfill.stop` was called while a fetch waited."""


class Backfill:
    """Fetches stretches of history into a :class:`Sink`; :meth:`stop` makes :meth:`run` return soon."""

    def __init__(
        self,
        history: History,
        sink: Sink,
        all_idents: frozenset[str],
        concurrency: int = 4,
        lag: float = 60.0,
        on_progress: Callable[[Progress], None] | None = None,
    ) -> None:
        self.history = history
        self.sink = sink
        self.all_idents = all_idents
        self.concurrency = concurrency
        self.lag = lag
        self.on_progress = on_progress
        self.progress = Progress()
        self.max_window_bytes = max(MAX_WINDOW_BYTES, history.max_page_bytes)
        self._held = 0
        self._stop = threading.Event()
        #: Set when the current run ends or is stopped: wakes fetchers waiting for the lag.
        self._halt = threading.Event()

    def stop(self) -> None:
        self._stop.set()
        self._halt.set()

    def survey(self, stretches: Sequence[Stretch]) -> int | None:
        """How many messages datagrepper holds in all the stretches (one small request each), or None.

        For progress bars only: the count is datagrepper's, made before the
        fetching starts, and nothing depends on it.
        """
        try:
            return sum(self.history.page(*s.span, 1, rows_per_page=1).total for s in stretches)
        except (HistoryUnavailable, HistoryRefused) as error:
            log.warning("could not count the history to fetch: %s", error)
            return None

    def run(self, stretches: Sequence[Stretch], expected: int | None = None) -> bool:
        """Fetch every stretch; True when all of it came back complete.

        When datagrepper cannot be reached even after the retries, the rest
        of the history is reported as failed and ``run`` returns False.
        ``expected``: what :meth:`survey` said, for the progress estimate.
        """
        self.progress = Progress(seconds_total=sum(s.span.seconds for s in stretches), messages_expected=expected)
        self._held = 0
        self._halt = threading.Event()
        if self._stop.is_set():
            self._halt.set()
        todo: deque[tuple[_Window, int]] = deque()
        cursors = {stretch: stretch.span.start for stretch in stretches}
        pending = list(stretches)
        inflight: deque[tuple[_Window, int, Future[Page]]] = deque()
        executor = _Fetchers(self.concurrency)
        try:
            self._next_window(pending, cursors, todo, FIRST_WINDOW)
            while (todo or inflight) and not self._stop.is_set():
                while todo and len(inflight) < 2 * self.concurrency:
                    window, number = todo.popleft()
                    if not window.closed:
                        inflight.append((window, number, executor.submit(self._fetch, window, number)))
                if not inflight:
                    continue
                window, number, future = inflight.popleft()
                try:
                    page = self._wait(future)
                except _Stopped:
                    return False
                except HistoryUnavailable as error:
                    unfinished = [window, *(w for w, _ in todo), *(w for w, _, _ in inflight)]
                    self._give_up(unfinished, pending, cursors, str(error))
                    return False
                except HistoryRefused as error:
                    if not window.closed:
                        self._refuse(window, str(error), pending, cursors, todo)
                    continue
                if not window.closed:
                    self._take(window, number, page, pending, cursors, todo)
            return not self.progress.failed and not self._stop.is_set()
        finally:
            self._halt.set()
            executor.shutdown()

    def _wait(self, future: Future[Page]) -> Page:
        """The page, unless :meth:`stop` is called first."""
        while True:
            try:
                return future.result(timeout=0.1)
            except FutureTimeout:
                if self._stop.is_set():
                    raise _Stopped from None

    def _fetch(self, window: _Window, number: int) -> Page:
        # History this recent may not all be archived yet: wait until it is.
        ready_at = window.span.end + self.lag
        delay = ready_at - time.time()
        if delay > 0 and self._halt.wait(delay):
            raise _Stopped
        return self.history.page(*window.span, number)

    def _next_window(
        self, pending: list[Stretch], cursors: dict[Stretch, float], todo: deque[tuple[_Window, int]], length: float
    ) -> None:
        """Queue the first page of the next window of the first stretch not yet cut up."""
        if not pending:
            return
        stretch = pending[0]
        start = cursors[stretch]
        end = min(stretch.span.end, start + length)
        cursors[stretch] = end
        if end >= stretch.span.end:
            pending.pop(0)
        todo.append((_Window(stretch, Span(start, end), opens_next=True), 1))

    def _take(
        self,
        window: _Window,
        number: int,
        page: Page,
        pending: list[Stretch],
        cursors: dict[Stretch, float],
        todo: deque[tuple[_Window, int]],
    ) -> None:
        progress = self.progress
        progress.pages_done += 1
        if number == 1:
            refusal = self._implausible(window, page)
            if refusal is not None:
                self._refuse(window, str(self.history.refuse(refusal)), pending, cursors, todo)
                return
            if page.pages > MAX_WINDOW_PAGES:
                self._split(window, page, todo)
                return
            window.total, window.pages, window.pages_left = page.total, max(page.pages, 1), max(page.pages, 1)
            progress.pages_known += window.pages
            if window.opens_next:
                self._next_window(pending, cursors, todo, self._adapted(window))
            todo.extend((window, n) for n in range(2, window.pages + 1))
        elif page.total != window.total and window.problem is None:
            window.problem = f"the total changed from {window.total} to {page.total} while paging"
        if len(page.keys) != page.expected and window.problem is None:
            window.problem = f"page {number} held {len(page.keys)} rows where its total says {page.expected}"
        window.seen.update(page.keys)
        window.times.extend(timestamp for _, timestamp in page.keys)
        self._hold(window, page)
        window.rows += len(page.keys)
        progress.messages += len(page.keys)
        window.pages_left -= 1
        if window.pages_left == 0:
            self._finish(window, todo)
        if self.on_progress is not None:
            self.on_progress(progress)

    def _implausible(self, window: _Window, page: Page) -> str | None:
        """Why a window's first page is refused (None if it is not): its size, against what may be."""
        seconds = window.span.seconds
        if page.pages > MAX_WINDOW_PAGES and seconds <= 2 * SHORTEST_WINDOW:
            return f"{page.pages} pages in {seconds:g} s of history, more than the {MAX_WINDOW_PAGES} a window may have"
        if window.budget is not None:
            if page.total > window.budget.left:
                return (
                    f"a total of {page.total} for {_shown(window.span)}, more than the "
                    f"{window.budget.left} left of what the window it is part of held (late archiving included)"
                )
            window.budget.left -= page.total
        return None

    def _hold(self, window: _Window, page: Page) -> None:
        """Keep a page's rows until its window checks out; drop them all once it cannot."""
        if window.problem is None and window.held_bytes + len(page.content) > self.max_window_bytes:
            window.problem = f"more than {self.max_window_bytes} bytes of rows"
        if window.problem is not None:
            self._release(window)
            return
        window.held.append(page.content)
        window.held_bytes += len(page.content)
        self._held += len(page.content)
        self.progress.held_peak = max(self.progress.held_peak, self._held)

    def _release(self, window: _Window) -> None:
        self._held -= window.held_bytes
        window.held, window.held_bytes = [], 0

    def _hand_in(self, window: _Window) -> None:
        """The window checked out: its rows go to the pipeline."""
        audience = None if window.stretch.idents == self.all_idents else window.stretch.idents
        for content in window.held:
            for envelope in rows_of(content):
                self.sink.handle_history(envelope, audience)
        self._release(window)

    def _refuse(
        self,
        window: _Window,
        reason: str,
        pending: list[Stretch],
        cursors: dict[Stretch, float],
        todo: deque[tuple[_Window, int]],
    ) -> None:
        """An impossible answer: none of the window's rows count, and its stretch is a gap with the reason."""
        window.closed = True
        self._release(window)
        if window.opens_next and window.total is None:  # refused before it was sized: cut the next one now
            self._next_window(pending, cursors, todo, self._adapted(window))
        self._fail(window.span, window.stretch.idents, reason)
        self.progress.seconds_done += window.span.seconds

    def _adapted(self, window: _Window) -> float:
        """The next window's length: about TARGET_WINDOW_ROWS at the rate this one had."""
        length = window.span.seconds
        if not window.total:
            return min(LONGEST_WINDOW, max(length, SHORTEST_WINDOW) * 8)
        return min(LONGEST_WINDOW, max(SHORTEST_WINDOW, length * TARGET_WINDOW_ROWS / window.total))

    def _split(self, window: _Window, page: Page, todo: deque[tuple[_Window, int]]) -> None:
        """A window far denser than expected: fetch it in parts sized for the rate it turned out to have.

        The parts may claim between them what the window did, and what late archiving adds.
        """
        seconds = window.span.seconds
        wanted = -(-page.pages * ROWS_PER_PAGE // TARGET_WINDOW_ROWS)
        parts = max(2, min(wanted, MAX_SPLIT_PARTS, int(seconds / SHORTEST_WINDOW)))
        step = seconds / parts
        edges = [window.span.start + i * step for i in range(parts)] + [window.span.end]
        budget = _Budget(page.total + _allowance(page.total))
        pieces = [
            _Window(window.stretch, Span(start, end), attempt=window.attempt, budget=budget)
            for start, end in zip(edges, edges[1:], strict=False)
        ]
        pieces[-1].opens_next = window.opens_next
        todo.extendleft((piece, 1) for piece in reversed(pieces))

    def _finish(self, window: _Window, todo: deque[tuple[_Window, int]]) -> None:
        """Check that the window came back whole; then it is complete, or fetched again, or reported."""
        problem = window.problem
        if problem is None and window.rows != window.total:
            problem = f"{window.rows} rows came, but datagrepper counts {window.total}"
        if problem is None and window.pages > 1 and len(window.seen) != window.rows:
            # Twins (one msg_id archived twice) differ in time; one row on two pages does not.
            problem = f"{window.rows - len(window.seen)} rows came on two pages (and as many never came)"
        if problem is None:
            self._hand_in(window)
            self.sink.checkpoint(*window.span, window.stretch.idents)
            self.progress.seconds_done += window.span.seconds
            return
        self._release(window)
        if window.attempt < WINDOW_ATTEMPTS:
            log.warning("history %s came back inconsistent (%s); fetching it again", _shown(window.span), problem)
            claimed = max(window.total or 0, window.rows)
            budget = _Budget(claimed + _allowance(claimed))
            for piece in _pieces(window):
                todo.append((_Window(window.stretch, piece, attempt=window.attempt + 1, budget=budget), 1))
            return
        self._fail(window.span, window.stretch.idents, problem)
        self.progress.seconds_done += window.span.seconds

    def _give_up(
        self, unfinished: list[_Window], pending: list[Stretch], cursors: dict[Stretch, float], reason: str
    ) -> None:
        """datagrepper is out of reach: report the rest of the history as failed (to be tried again later).

        The rest: every window begun and not finished (their rows, held, are
        dropped), and what is not yet cut in windows.
        """
        log.error("backfill stopped: %s", reason)
        spans: dict[Stretch, list[Span]] = {}
        for window in unfinished:
            if not window.closed:
                self._release(window)
                spans.setdefault(window.stretch, []).append(window.span)
        for stretch in pending:
            spans.setdefault(stretch, []).append(Span(cursors[stretch], stretch.span.end))
        for stretch, parts in spans.items():
            for span in merged(parts):
                self._fail(span, stretch.idents, reason)

    def _fail(self, span: Span, idents: frozenset[str], reason: str) -> None:
        self.progress.failed.append((span, reason))
        self.sink.note_failure(*span, idents, reason)


class _Fetchers:
    """Threads that fetch pages, as daemons: a hub told to stop must not wait for a request that hangs.

    (A ThreadPoolExecutor's threads are joined when the interpreter exits.)
    """

    def __init__(self, count: int) -> None:
        self._work: queue.SimpleQueue[tuple[Future[Any], Callable[..., Any], tuple[Any, ...]] | None] = (
            queue.SimpleQueue()
        )
        self._count = count
        for number in range(count):
            threading.Thread(target=self._serve, name=f"statscache-fetch-{number}", daemon=True).start()

    def submit(self, call: Callable[..., Page], *args: Any) -> Future[Page]:
        future: Future[Page] = Future()
        self._work.put((future, call, args))
        return future

    def shutdown(self) -> None:
        """Drop the work not begun; each thread ends after its current request."""
        while True:
            try:
                item = self._work.get_nowait()
            except queue.Empty:
                break
            if item is not None:
                item[0].cancel()
        for _ in range(self._count):
            self._work.put(None)

    def _serve(self) -> None:
        while (item := self._work.get()) is not None:
            future, call, args = item
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(call(*args))
            except BaseException as error:
                future.set_exception(error)


def _pieces(window: _Window) -> list[Span]:
    """Cut a window that came back inconsistent into pieces of one page each, by the times it showed.

    Paging is what goes wrong: a page boundary inside a run of equal times
    (datagrepper orders by time alone), or messages archived meanwhile. A
    piece of at most one page has no boundary, and pieces are cut between
    distinct times, so they tile the window whatever was archived since.
    """
    pieces: list[Span] = []
    begin, size = window.span.start, 0
    for moment, count in sorted(Counter(window.times).items()):
        if size and size + count > ROWS_PER_PAGE:
            pieces.append(Span(begin, moment - TICK))
            begin, size = moment, 0
        size += count
    pieces.append(Span(begin, window.span.end))
    return pieces


def _shown(span: Span) -> str:
    return f"{iso(span.start)}..{iso(span.end)}"
