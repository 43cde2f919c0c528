"""Prompt, lossless shutdown of fedmsg-hub on SIGTERM, SIGINT and SIGHUP, or when statscache cannot go on.

moksha handles only SIGINT/SIGHUP, stops the reactor from inside the signal
handler (which can leave it asleep in epoll), and lets SIGTERM kill the process
outright. Here each of them asks the reactor, through its waker, to stop the
hub: reading from the bus stops at once (what zeromq still buffers is never
taken off it), and the final flush runs after Twisted has joined its thread
pool, i.e. after the consumer's workers have stopped.

The stop has a deadline: past :data:`DEADLINE` seconds from the request (a
database that stays locked, a fetch that will not end) the process exits at
once with status 1. Nothing counted is lost that way: what was not committed is
not claimed as covered either, so backfill fetches it again. A signal reaches
Python code only between two of its instructions: one call that holds the
interpreter (a runaway regular expression) delays the request by as long.
"""

from __future__ import annotations

import contextlib
import faulthandler
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable
from typing import Any

from twisted.internet.error import ReactorNotRunning

log = logging.getLogger(__name__)

#: Seconds from the stop request to the end of the process, at most (statscache-run waits longer).
DEADLINE = 20.0


class Stop:
    """Stops the hub once, on a signal or on a fatal error, and ends the process with the right status."""

    def __init__(
        self,
        hub: Any,
        reactor: Any,
        final_flush: Callable[[], bool],
        stop_receiving: Callable[[], None],
        deadline: float = DEADLINE,
    ) -> None:
        self._hub = hub
        self._reactor = reactor
        self._final_flush = final_flush
        self._stop_receiving = stop_receiving
        self._deadline = deadline
        self._requested = False
        self._stopping = False
        #: The process's exit status: 1 once statscache has failed.
        self.status = 0

    def request(self) -> None:
        """Ask for the stop; safe from a signal handler or any thread.

        The deadline runs from here, not from when the reactor gets to the
        stop: it may be busy with a flush for a while first.
        """
        if not self._requested:
            self._requested = True
            _start_watchdog(self._deadline)
        self._reactor.callFromThread(self._stop_hub)

    def fail(self, reason: str) -> None:
        """statscache cannot go on: log why, stop the hub, and exit with status 1 after the final flush."""
        log.critical("statscache cannot go on: %s", reason)
        self.status = 1
        self.request()

    def _stop_hub(self) -> None:
        if self._stopping:
            return
        self._stopping = True
        log.info("statscache: stopping the hub, then writing the final flush")
        try:
            self._stop_receiving()
        except Exception:  # the hub must stop all the same
            log.exception("statscache: could not stop reading the bus")
        self._hub.stop()
        with contextlib.suppress(ReactorNotRunning):
            self._reactor.stop()

    def after_shutdown(self) -> None:
        """Twisted's last step: the final flush; a flush that leaves messages unwritten ends with status 1."""
        try:
            written = self._final_flush()
        except Exception:
            written = False
            log.exception("statscache: the final flush failed")
        if not written:
            self.status = 1
        if self.status:
            # reactor.run() returns normally and fedmsg-hub would exit 0: end here, everything written.
            _exit(self.status)


#: Seconds past the deadline after which faulthandler ends the process if the watchdog thread could not.
BACKSTOP = 5.0


def _start_watchdog(deadline: float) -> None:
    # faulthandler's timer is a C thread: it ends the process even while a call that never
    # releases the interpreter lock (a runaway regular expression) keeps Python threads from
    # running, and it prints where each thread is stuck.
    faulthandler.dump_traceback_later(deadline + BACKSTOP, exit=True)

    def overdue() -> None:
        log.critical(
            "statscache: the hub did not stop within %.0f s; exiting now (what was not committed "
            "is not claimed as covered: backfill fetches it again)",
            deadline,
        )
        _exit(1)

    timer = threading.Timer(deadline, overdue)
    timer.daemon = True
    timer.start()


def _exit(status: int) -> None:
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)


def install(hub: Any, final_flush: Callable[[], bool], stop_receiving: Callable[[], None]) -> Stop:
    """Take over SIGTERM, SIGINT and SIGHUP for the hub; ``final_flush`` runs once its threads have stopped.

    ``final_flush`` returns False when it could not write everything: the
    process then exits with status 1 (what it did not write is not claimed as
    covered, and backfill fetches it again).
    """
    from moksha.hub.reactor import reactor

    stop = Stop(hub, reactor, final_flush, stop_receiving)

    def on_signal(signum: int, _frame: Any) -> None:
        stop.request()

    def take_over_signals() -> None:
        # Again once the reactor runs: moksha installs its SIGINT and SIGHUP handlers (a stop
        # of its own, without the deadline) after loading consumers.
        for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(signum, on_signal)

    take_over_signals()  # SIGTERM during start-up, too
    reactor.callWhenRunning(take_over_signals)
    reactor.addSystemEventTrigger("after", "shutdown", stop.after_shutdown)
    return stop
