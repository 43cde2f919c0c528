"""The fedmsg-hub consumer: validates the configuration, builds the pipeline, feeds it every message."""

from __future__ import annotations

import gc
import logging
import time
from typing import Any

import fedmsg.consumers
import fedmsg.crypto

from statscache import config as config_module
from statscache import meta, registry, shutdown
from statscache.catchup import CatchUp
from statscache.exceptions import ConfigError, DatabaseUnavailable, PluginLoadError
from statscache.pipeline import Pipeline

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
            plugins = registry.load(settings) if settings.consumer_enabled else []
        except (ConfigError, PluginLoadError) as e:
            # SystemExit passes through moksha's "log and carry on" handler:
            # a hub with a broken configuration must not run and count nothing.
            log.critical("statscache cannot start: %s", e)
            raise SystemExit(f"statscache cannot start: {e}") from e
        # fedmsg's own default for this key is "off"; statscache's is "on".
        hub.config.setdefault(self.config_key, settings.consumer_enabled)
        if not settings.consumer_enabled:
            super().__init__(hub)  # logs "disabled by config" and returns
            return
        meta.configure(hub.config)  # fedmsg.meta reads users and packages with the hub's settings
        try:
            self.pipeline = Pipeline(settings, plugins)
        except DatabaseUnavailable as e:
            log.critical("statscache cannot start: %s", e)
            raise SystemExit(f"statscache cannot start: {e}") from e
        if settings.metrics_port is not None:
            self.pipeline.metrics.serve(settings.metrics_port)
        super().__init__(hub)
        if self.validate_signatures:
            self.pipeline.authenticate = self._authenticate
        self.catch_up: CatchUp | None = None
        shutdown.install(hub, self._close)
        _freeze_startup_objects()
        _when_running(self._go_live)
        log.info("statscache consumer ready with %d plugins", len(plugins))

    def _go_live(self) -> None:
        """The hub consumes from now on: live coverage starts, and backfill fetches what came before."""
        live_since = time.time()
        self.pipeline.go_live(live_since)
        if self.pipeline.config.datagrepper_endpoint is None:
            log.info("no statscache.datagrepper.endpoint: statistics start now, without backfill")
            return
        self.catch_up = CatchUp(self.pipeline, live_since)
        self.catch_up.start()

    def _close(self) -> None:
        if self.catch_up is not None:
            self.catch_up.stop()
            self.catch_up.join(timeout=10)
        self.pipeline.close()

    def validate(self, message: Any) -> None:
        """Nothing here: signatures are checked on the parsed envelope, see :meth:`_authenticate`."""

    def _authenticate(self, envelope: dict[str, Any]) -> bool:
        return bool(fedmsg.crypto.validate(envelope, **self.hub.config))

    def _consume(self, message: Any) -> Any:
        # Runs on the reactor thread as a message comes off the bus, before it is queued.
        if hasattr(self, "pipeline"):
            self.pipeline.metrics.received()
        return super()._consume(message)

    def _do_work(self, message: Any) -> bool:
        # moksha's version validates the message a second time (fedmsg's _consume
        # already did, on the reactor thread) and formats two debug strings per
        # message; this one only counts and consumes.
        self.headcount_out += 1
        try:
            self.consume(message)
        except Exception:
            self._exception_count += 1
            log.exception("statscache consumer failed on a message")
            return False
        return True

    def consume(self, message: Any) -> None:
        # A zmq message off the bus (raw body), or a dict when handed over in-process.
        self.pipeline.handle(message.get("body") if isinstance(message, dict) else message.body)


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
