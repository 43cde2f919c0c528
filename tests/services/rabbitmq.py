"""A private RabbitMQ node the tests start themselves: its own name, ports, data folder and Erlang cookie.

Debian's ``rabbitmq-server`` does not start by itself here (no systemd): the node
runs from the package's ``rabbitmq-server`` script, listening on 127.0.0.1 only,
and is stopped with ``rabbitmqctl stop``. ``./test`` installs the package through
``scripts/system-deps.sh``.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType

from tests.services.postgres import HOST, ServiceError, free_port

#: Where Debian puts the node's scripts.
SBIN = Path("/usr/lib/rabbitmq/bin")
#: How long the node may take to accept AMQP connections, in seconds (about 6 here).
START_TIMEOUT = 90


class RabbitNotFound(ServiceError):
    """RabbitMQ is not installed."""


class RabbitServer:
    """A RabbitMQ node in a temporary folder; ``url`` is its AMQP URL (guest may connect from 127.0.0.1)."""

    def __init__(self) -> None:
        if not (SBIN / "rabbitmq-server").exists():
            raise RabbitNotFound(
                "RabbitMQ not found in /usr/lib/rabbitmq/bin: run ./test, which installs it "
                "(Debian package 'rabbitmq-server'), or: sudo apt-get install rabbitmq-server"
            )
        self.port = free_port()
        self.node = f"statscache-{self.port}@localhost"
        self.base = Path(tempfile.mkdtemp(prefix="statscache-rabbit-"))
        self.process: subprocess.Popen[bytes] | None = None
        self.url = f"amqp://guest:guest@{HOST}:{self.port}/%2F"

    def environment(self) -> dict[str, str]:
        env_file = self.base / "rabbitmq-env.conf"
        env_file.touch()
        return {
            **os.environ,
            "HOME": str(self.base),  # the Erlang cookie lives there
            "RABBITMQ_NODENAME": self.node,
            "RABBITMQ_NODE_IP_ADDRESS": HOST,
            "RABBITMQ_NODE_PORT": str(self.port),
            "RABBITMQ_DIST_PORT": str(free_port()),
            "ERL_EPMD_ADDRESS": HOST,
            "RABBITMQ_MNESIA_BASE": str(self.base / "mnesia"),
            "RABBITMQ_LOG_BASE": str(self.base / "log"),
            "RABBITMQ_CONF_ENV_FILE": str(env_file),
            "RABBITMQ_CONFIG_FILE": str(self.base / "rabbitmq"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(self.base / "enabled_plugins"),
        }

    def start(self) -> RabbitServer:
        (self.base / "enabled_plugins").write_text("[].\n")
        self.process = subprocess.Popen(
            [str(SBIN / "rabbitmq-server")],
            env=self.environment(),
            stdout=(self.base / "stdout.log").open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise ServiceError(f"rabbitmq-server exited at start: {self._tail()}")
            if self._accepts():
                return self
            time.sleep(0.25)
        self.stop()
        raise ServiceError(f"rabbitmq-server did not accept connections within {START_TIMEOUT} s: {self._tail()}")

    def ctl(self, *args: str) -> str:
        """``rabbitmqctl`` against this node; its output."""
        done = subprocess.run(
            [str(SBIN / "rabbitmqctl"), "-n", self.node, *args],
            env=self.environment(),
            capture_output=True,
            text=True,
            timeout=120,
        )
        if done.returncode != 0:
            raise ServiceError(f"rabbitmqctl {' '.join(args)}: {done.stderr or done.stdout}")
        return done.stdout

    def queue_counts(self, queue: str) -> tuple[int, int]:
        """(ready, unacknowledged) messages of a queue."""
        for line in self.ctl("list_queues", "-q", "name", "messages_ready", "messages_unacknowledged").splitlines():
            parts = line.split()
            if parts and parts[0] == queue:
                return int(parts[1]), int(parts[2])
        raise ServiceError(f"no queue {queue!r}")

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            try:
                self.ctl("stop")
            except (ServiceError, subprocess.TimeoutExpired):
                self.process.kill()
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        self.process = None

    def restart(self) -> None:
        """Stop the node and start it again on the same port and data: durable queues survive."""
        self.stop()
        self.start()

    def close(self) -> None:
        self.stop()
        _stop_epmd_if_idle()
        shutil.rmtree(self.base, ignore_errors=True)

    def _accepts(self) -> bool:
        try:
            with socket.create_connection((HOST, self.port), timeout=1):
                pass
        except OSError:
            return False
        try:
            self.ctl("await_startup")
        except (ServiceError, subprocess.TimeoutExpired):
            return False
        return True

    def _tail(self) -> str:
        log = self.base / "stdout.log"
        return log.read_text(errors="replace")[-2000:] if log.exists() else ""

    def __enter__(self) -> RabbitServer:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()


def _stop_epmd_if_idle() -> None:
    """Erlang's port mapper, started by the first node, outlives it: stop it once no node is registered."""
    epmd = shutil.which("epmd") or next(iter(sorted(Path("/usr/lib/erlang").glob("erts-*/bin/epmd"))), None)
    if epmd is None:
        return
    env = {**os.environ, "ERL_EPMD_ADDRESS": HOST}
    names = subprocess.run([str(epmd), "-names"], env=env, capture_output=True, text=True, timeout=10)
    if names.returncode == 0 and "name " not in names.stdout:
        subprocess.run([str(epmd), "-kill"], env=env, capture_output=True, timeout=10)
