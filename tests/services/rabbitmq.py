"""A private RabbitMQ node the tests start themselves (statscache.demo.broker's), in a temporary folder.

``./test`` installs Debian's ``rabbitmq-server`` through ``scripts/system-deps.sh``.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from types import TracebackType

from statscache.demo.broker import RabbitNode
from statscache.exceptions import BrokerUnavailable


class RabbitServer(RabbitNode):
    """A node in a temporary folder, thrown away by :meth:`close`."""

    def __init__(self) -> None:
        super().__init__(Path(tempfile.mkdtemp(prefix="statscache-rabbit-")))

    def queue_counts(self, queue: str) -> tuple[int, int]:
        """(ready, unacknowledged) messages of a queue."""
        for line in self.ctl("list_queues", "-q", "name", "messages_ready", "messages_unacknowledged").splitlines():
            parts = line.split()
            if parts and parts[0] == queue:
                return int(parts[1]), int(parts[2])
        raise BrokerUnavailable(f"no queue {queue!r}")

    def restart(self) -> None:
        """Stop the node and start it again on the same port and data: durable queues survive."""
        self.stop()
        self.start()

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.base, ignore_errors=True)

    def __enter__(self) -> RabbitServer:
        self.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()
