"""``statscache-run --amqp``: today's bus on this machine: a private RabbitMQ node, and one file configuring all.

The node keeps its data in a temporary folder, thrown away when statscache-run
stops. The file (``statscache-amqp.toml`` in the working directory) is what a real
deployment writes: the broker, a durable queue bound to every topic, and under
``[consumer_config]`` the database and epoch of ``fedmsg.d/``. ``statscache consume``
and ``statscache-web`` both read it; with ``--demo`` the shipped sample is
published to the queue as fedora-messaging publishes.
"""

from __future__ import annotations

import gzip
import json
import logging
import shutil
import tempfile
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from statscache.amqp import conffile
from statscache.demo import SAMPLE
from statscache.demo.broker import RabbitNode

log = logging.getLogger("statscache.run")

QUEUE = "statscache-demo"
CONF_NAME = "statscache-amqp.toml"


class LocalBus:
    """The node, and the configuration file that points at it."""

    def __init__(self, fedmsg_config: Mapping[str, Any], workdir: Path) -> None:
        self._folder = Path(tempfile.mkdtemp(prefix="statscache-rabbitmq-"))
        self.node = RabbitNode(self._folder)
        self.conf = workdir / CONF_NAME
        self._settings = fedmsg_config

    def start(self) -> LocalBus:
        log.info("starting a private RabbitMQ node on 127.0.0.1:%d (a few seconds)", self.node.port)
        self.node.start()
        self.conf.write_text(self._file_text(), encoding="utf-8")
        # The queue is declared before anything is published, so that the sample waits there for the consumer.
        from statscache.amqp.consumer import declare_now

        declare_now(conffile.load(str(self.conf)).broker)
        return self

    def publish_sample(self) -> int:
        from statscache.amqp.sample import publish

        with gzip.open(SAMPLE, "rt", encoding="utf-8") as lines:
            envelopes = [json.loads(line) for line in lines if line.strip()]
        return publish(self.node.url, envelopes)

    def stop(self) -> None:
        self.node.stop()
        shutil.rmtree(self._folder, ignore_errors=True)

    def _file_text(self) -> str:
        uri = str(self._settings.get("statscache.sqlalchemy.uri", "sqlite:///statscache.sqlite"))
        epoch = self._settings.get("statscache.consumer.epoch")
        lines = [
            "# Written by statscache-run --amqp: a private RabbitMQ node, and statscache's settings.",
            f'amqp_url = "{self.node.url}"',
            "",
            f"[queues.{QUEUE}]",
            "durable = true",
            "auto_delete = false",
            "exclusive = false",
            "arguments = {}",
            "",
            "[[bindings]]",
            f'queue = "{QUEUE}"',
            'exchange = "amq.topic"',
            'routing_keys = ["#"]',
            "",
            "[consumer_config]",
            f'"statscache.sqlalchemy.uri" = {json.dumps(uri)}',
        ]
        if isinstance(epoch, datetime):
            lines.append(f'"statscache.consumer.epoch" = {epoch.isoformat()}')
        return "\n".join(lines) + "\n"
