"""Prompt, lossless shutdown of fedmsg-hub on SIGTERM and SIGINT.

moksha handles only SIGINT/SIGHUP, stops the reactor from inside the signal
handler (which can leave it asleep in epoll), and lets SIGTERM kill the process
outright. Here both signals ask the reactor, through its waker, to stop the
hub; the final flush runs after Twisted has joined its thread pool, i.e. after
the consumer's workers have drained the incoming queue.
"""

from __future__ import annotations

import contextlib
import logging
import signal
from collections.abc import Callable
from typing import Any

from twisted.internet.error import ReactorNotRunning

log = logging.getLogger(__name__)


def install(hub: Any, final_flush: Callable[[], None]) -> None:
    from moksha.hub.reactor import reactor

    stopping = False

    def stop_hub() -> None:
        nonlocal stopping
        if stopping:
            return
        stopping = True
        log.info("statscache: stopping the hub, then writing the final flush")
        hub.stop()
        with contextlib.suppress(ReactorNotRunning):
            reactor.stop()

    def on_signal(signum: int, _frame: Any) -> None:
        reactor.callFromThread(stop_hub)

    def take_over_signals() -> None:
        # Again once the reactor runs: moksha installs its SIGINT handler after loading consumers.
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, on_signal)

    take_over_signals()  # SIGTERM during start-up, too
    reactor.callWhenRunning(take_over_signals)
    reactor.addSystemEventTrigger("after", "shutdown", final_flush)
