"""``statscache consume``: the long-running consumer of today's bus (see :mod:`statscache.amqp.consumer`)."""

from __future__ import annotations

import logging
import logging.config
import signal
from collections.abc import Mapping
from types import FrameType
from typing import Any

from statscache import health, metrics_port
from statscache.amqp import conffile
from statscache.amqp.consumer import AmqpConsumer
from statscache.exceptions import StatscacheError
from statscache.ingest.pipeline import Pipeline
from statscache.plugins import registry
from statscache.store.heartbeat import Daemon

log = logging.getLogger("statscache.consume")


def consume(conf: str | None) -> int:
    """Run until SIGTERM or SIGINT; the exit status."""
    try:
        deployment = conffile.load(conf)
        if deployment.log_config is not None:
            _configure_logging(deployment.log_config)
        pipeline = Pipeline.open(deployment.settings, registry.load(deployment.settings))
    except StatscacheError as error:
        raise SystemExit(f"statscache consume: {error}") from error
    pipeline.daemon = Daemon.here("amqp", [plugin.ident for plugin in pipeline.plugins])
    consumer = AmqpConsumer(deployment, pipeline)

    def stop(signum: int, _frame: FrameType | None) -> None:
        log.info("statscache consume: %s: stopping after a final flush", signal.Signals(signum).name)
        consumer.stop()

    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, stop)
    port = deployment.settings.metrics_port
    if port is not None:
        try:
            metrics_port.serve(
                port, pipeline.metrics.registry, health.of_pipeline(pipeline), deployment.settings.metrics_host
            )
        except OSError as error:  # in use, or privileged
            pipeline.close()
            raise SystemExit(f"statscache consume: metrics port {port}: {error}") from error
    consumer.run()
    return 0


def _configure_logging(log_config: Mapping[str, Any]) -> None:
    """The file's own ``[log_config]``, as ``fedora-messaging consume`` applies it (``logging.config.dictConfig``):
    JSON lines for a log collector, say (deploy/logging/)."""
    try:
        logging.config.dictConfig(dict(log_config))
    except (ValueError, TypeError, AttributeError, ImportError) as error:
        raise StatscacheError(f"[log_config] cannot configure logging: {error}") from error
