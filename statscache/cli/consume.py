"""``statscache consume``: the long-running consumer of today's bus (see :mod:`statscache.amqp.consumer`)."""

from __future__ import annotations

import logging
import signal
from types import FrameType

from statscache.amqp import conffile
from statscache.amqp.consumer import AmqpConsumer
from statscache.exceptions import StatscacheError
from statscache.ingest.pipeline import Pipeline
from statscache.plugins import registry

log = logging.getLogger("statscache.consume")


def consume(conf: str | None) -> int:
    """Run until SIGTERM or SIGINT; the exit status."""
    try:
        deployment = conffile.load(conf)
        pipeline = Pipeline.open(deployment.settings, registry.load(deployment.settings))
    except StatscacheError as error:
        raise SystemExit(f"statscache consume: {error}") from error
    consumer = AmqpConsumer(deployment, pipeline)

    def stop(signum: int, _frame: FrameType | None) -> None:
        log.info("statscache consume: %s: stopping after a final flush", signal.Signals(signum).name)
        consumer.stop()

    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, stop)
    if deployment.settings.metrics_port is not None:
        pipeline.metrics.serve(deployment.settings.metrics_port)
    consumer.run()
    return 0
