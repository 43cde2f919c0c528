"""The fedmsg-hub consumer: validates the configuration, builds the pipeline, feeds it every message."""

from __future__ import annotations

import gc
import logging
from collections.abc import Callable
from typing import Any, NoReturn

import fedmsg.consumers
import fedmsg.crypto
from moksha.hub.zeromq.zeromq import ZMQMessage

from statscache import config as config_module
from statscache.exceptions import ConfigError, MalformedMessage, PluginLoadError, WorkerUnavailable
from statscache.hub import bus, shutdown
from statscache.hub.bus import BusGate
from statscache.hub.counting import Counting, InProcess, InWorkers
from statscache.ingest.meta import MetaReader
from statscache.ingest.pipeline import Pipeline
from statscache.plugins import BasePlugin, registry
from statscache.pool.pool import WorkerPool
from statscache.store.engine import shown_url
from statscache.store.heartbeat import Daemon

log = logging.getLogger(__name__)


class StatscacheConsumer(fedmsg.consumers.FedmsgConsumer):
    """Receives every message on the bus (topic ``*``) and hands it to the plugins."""

    topic = "*"
    config_key = "statscache.consumer.enabled"
    # Take the raw body off the bus and parse it once, with orjson, in the
    # pipeline: moksha's json.loads of a 3 kB envelope costs 4x as much, and
    # fedmsg's validate() would parse it a second time to check the signature.
    jsonify = False

    def __init__(self, hub: Any) -> None:
        try:
            settings = config_module.load(hub.config)
            config_module.check_hub(hub.config)
            plugins = registry.load(settings) if settings.consumer_enabled else []
        except (ConfigError, PluginLoadError) as e:
            _refuse_to_start(e)
        # fedmsg's own default for this key is "off"; statscache's is "on".
        hub.config.setdefault(self.config_key, settings.consumer_enabled)
        if not settings.consumer_enabled:
            super().__init__(hub)  # logs "disabled by config" and returns
            return
        self.settings = settings
        self.counting: Counting = _build_counting(hub, settings, plugins)
        #: The pipeline, when the hub counts in its own process (``statscache.consumer.workers`` 0).
        self.pipeline = self.counting.pipeline if isinstance(self.counting, InProcess) else None
        # What the stop leaves unhandled; the earliest is counted by the final flush (see _close).
        self._stopping = False
        self._left = 0
        self._first_left: Any = None
        self._next_on_bus: ZMQMessage | None = None
        #: The statscache producer, once it has attached itself: without it nothing is ever flushed.
        self.producer: Any = None
        super().__init__(hub)
        if self.validate_signatures and isinstance(self.counting, InProcess):  # workers check their own
            self.counting.authenticate_with(self._authenticate)
        if isinstance(self.counting, InWorkers):
            self.counting.pool.on_failure = self.fail
        from moksha.hub.reactor import reactor

        self.gate = BusGate(reactor, self._reject_frames, self._fault)
        self.gate.install(hub)
        missing = bus.unsubscribed(hub)
        if missing:  # a hub that listens to nothing (or not to all of its bus) would count nothing
            self.counting.close(None)
            _refuse_to_start(
                ConfigError(
                    f"cannot subscribe to {', '.join(map(repr, missing))}: 'endpoints' must list zeromq "
                    "addresses such as tcp://127.0.0.1:9940 (see moksha's warning above)"
                ),
                "bus: ",
            )
        self._stop = shutdown.install(hub, self._close, self._stop_receiving)
        _freeze_startup_objects()
        _when_running(self._go_live)
        log.info("statscache consumer ready with %d plugins", len(plugins))

    def _go_live(self) -> None:
        """The hub consumes from now on: live coverage starts, and backfill fetches what came before."""
        if self.producer is None:
            # moksha logs a producer that fails to load or init, and runs on: nothing would ever be flushed.
            self.fail("the statscache producer is not running (see the errors above)")
            return
        try:
            self.counting.go_live()
        except Exception as e:
            # Twisted would log this and run on: a hub that never claims coverage nor backfills.
            log.exception("statscache could not go live")
            self.fail(f"going live failed: {e!r}")

    def fail(self, reason: str) -> None:
        """statscache cannot go on: stop the hub, write the final flush, exit with status 1."""
        self._stop.fail(reason)

    def _reject_frames(self, error: MalformedMessage) -> None:
        """A message off the bus that never reached :meth:`_consume`: received, and rejected."""
        self.counting.metrics.received()
        self.counting.metrics.rejected_envelope(error.reason)
        log.warning("rejected a message off the bus: %s", error)

    def _fault(self, error: Exception) -> None:
        """Handing a message over raised, past everything that counts and logs a message's errors."""
        self.counting.metrics.rejected_envelope("hub-error")
        log.error("statscache: the hub failed on a message off the bus", exc_info=error)

    def stop(self) -> None:
        """moksha's stop: what its queue still holds (threaded mode) is left, not worked through.

        Waiting for a flood's backlog would take as long as the flood. Those
        messages are not counted, so no flush claims them as covered, and
        backfill fetches them again. The workers go on taking them off the
        queue, in order, up to moksha's end-of-queue marker (see :meth:`_do_work`).
        """
        self._stopping = True
        super().stop()

    def _stop_receiving(self) -> None:
        """Take nothing more off the bus; keep the next message waiting there, if any."""
        left = self.gate.close()
        if left is not None:
            self.counting.metrics.received()
            self._next_on_bus = ZMQMessage(*left)

    def _close(self) -> bool:
        """The final flush, once every thread that feeds the pipeline has stopped; False if some is not written."""
        if self._left:
            log.warning("statscache: %d messages taken off the bus were left unhandled by the stop", self._left)
        # Count the earliest message the stop left (the queue's came off the bus before the bus's
        # own): the final flush then knows that the bus was not quiet, and claims live coverage
        # only up to that message (plus the lag), so that backfill fetches the rest. Claiming up
        # to now, as after a quiet spell, would lose them for good.
        earliest = self._first_left if self._first_left is not None else self._next_on_bus
        return self.counting.close(None if earliest is None else _topic_and_body(earliest))

    def validate(self, message: Any) -> None:
        """Nothing here: signatures are checked on the parsed envelope, see :meth:`_authenticate`."""

    def _authenticate(self, envelope: dict[str, Any]) -> bool:
        return bool(fedmsg.crypto.validate(envelope, **self.hub.config))

    def _consume(self, message: Any) -> Any:
        # Runs on the reactor thread as a message comes off the bus, before it is queued.
        self.counting.metrics.received()
        return super()._consume(message)

    def _do_work(self, message: Any) -> bool:
        # moksha's version validates the message a second time (fedmsg's _consume
        # already did, on the reactor thread) and formats two debug strings per
        # message; this one only counts and consumes.
        if self._stopping:
            if self._first_left is None:
                self._first_left = message
            self._left += 1
            return False
        self.headcount_out += 1
        try:
            self.consume(message)
        except Exception:
            self._exception_count += 1
            log.exception("statscache consumer failed on a message")
            return False
        return True

    def consume(self, message: Any) -> None:
        self.counting.handle(*_topic_and_body(message))


def _topic_and_body(message: Any) -> tuple[Any, Any]:
    """A zmq message off the bus (raw body), or a dict when handed over in-process."""
    if isinstance(message, dict):
        return message.get("topic", ""), message.get("body")
    return message.topic, message.body


def _refuse_to_start(error: BaseException, what: str = "") -> NoReturn:
    """End fedmsg-hub with one line saying why (SystemExit passes through moksha's "log and carry on")."""
    lines = str(error).strip().splitlines()
    message = f"statscache cannot start: {what}{type(error).__name__}: {lines[0] if lines else ''}"
    log.critical("%s", message)
    raise SystemExit(message) from error


def _build_counting(hub: Any, settings: config_module.Config, plugins: list[BasePlugin]) -> Counting:
    """The pipeline (or the pool of workers), its database and its metrics server; anything failing stops the hub."""
    counting: Counting
    try:
        daemon = Daemon.here("hub", [plugin.ident for plugin in plugins])
        if settings.consumer_workers:
            # Each worker's fedmsg.meta reads users and packages with the hub's settings.
            counting = InWorkers(WorkerPool(settings, hub.config, plugins, daemon))
        else:
            pipeline = Pipeline.open(settings, plugins, names=MetaReader(hub.config))
            pipeline.daemon = daemon
            counting = InProcess(pipeline, _on_the_reactor if hub.config.get("moksha.blocking_mode") else None)
    except WorkerUnavailable as e:
        _refuse_to_start(e, "workers: ")
    except Exception as e:  # a missing driver, directory or server, a refused connection, a plugin's table...
        _refuse_to_start(e, f"database {shown_url(settings.sqlalchemy_uri)}: ")
    if settings.metrics_port is not None:
        try:
            counting.serve_metrics(settings.metrics_port)
        except OSError as e:  # in use, or privileged
            counting.close(None)
            _refuse_to_start(e, f"metrics port {settings.metrics_port}: ")
    return counting


def _on_the_reactor(call: Callable[[], None]) -> None:
    """Run ``call`` on the reactor thread, between two turns of reading the bus (from any thread)."""
    from moksha.hub.reactor import reactor

    reactor.callFromThread(call)


def _when_running(call: Any) -> None:
    """Call ``call`` once the hub's reactor runs (moksha's reactor: importing it installs it)."""
    from moksha.hub.reactor import reactor

    reactor.callWhenRunning(call)


def _freeze_startup_objects() -> None:
    """Once the hub runs, move everything loaded so far out of the garbage collector's sight.

    Each message parses into a few dozen short-lived containers, so the
    collector runs often, and its full passes walk every object of the
    process: the hub's whole start-up (Twisted, moksha, SQLAlchemy, the
    plugins). Those live as long as the process does; freezing them makes a
    full pass walk only what messages left behind.
    """
    _when_running(gc.freeze)
