"""A private RabbitMQ node for ``statscache-run --demo --amqp`` (and the tests): its own name, ports, folder and cookie.

Debian's ``rabbitmq-server`` package installs the node's scripts without starting
one (no systemd here, or a system node the demo must not touch): this node runs
from the package's ``rabbitmq-server`` script, listens on 127.0.0.1 only, keeps
its data in a folder of its own, and is stopped with ``rabbitmqctl stop``.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

from statscache.exceptions import BrokerUnavailable

#: Where Debian puts the node's scripts.
SBIN = Path("/usr/lib/rabbitmq/bin")
HOST = "127.0.0.1"
#: How long the node may take to accept AMQP connections, in seconds (about 6 here).
START_TIMEOUT = 90


def installed() -> bool:
    return (SBIN / "rabbitmq-server").exists()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


class RabbitNode:
    """A RabbitMQ node keeping its data in ``base``; ``url`` is its AMQP URL (guest may connect from 127.0.0.1)."""

    def __init__(self, base: Path, port: int | None = None) -> None:
        if not installed():
            raise BrokerUnavailable(
                "RabbitMQ is not installed (no /usr/lib/rabbitmq/bin/rabbitmq-server): "
                "sudo apt-get install rabbitmq-server (it need not run: statscache starts a node of its own)"
            )
        self.base = base
        self.port = port or free_port()
        self.node = f"statscache-{self.port}@localhost"
        self.url = f"amqp://guest:guest@{HOST}:{self.port}/%2F"
        self.process: subprocess.Popen[bytes] | None = None
        self._dist_port = free_port()

    def environment(self) -> dict[str, str]:
        self.base.mkdir(parents=True, exist_ok=True)
        env_file = self.base / "rabbitmq-env.conf"
        env_file.touch()
        return {
            **os.environ,
            "HOME": str(self.base),  # the Erlang cookie lives there
            "RABBITMQ_NODENAME": self.node,
            "RABBITMQ_NODE_IP_ADDRESS": HOST,
            "RABBITMQ_NODE_PORT": str(self.port),
            "RABBITMQ_DIST_PORT": str(self._dist_port),
            "ERL_EPMD_ADDRESS": HOST,
            "RABBITMQ_MNESIA_BASE": str(self.base / "mnesia"),
            "RABBITMQ_LOG_BASE": str(self.base / "log"),
            "RABBITMQ_CONF_ENV_FILE": str(env_file),
            "RABBITMQ_CONFIG_FILE": str(self.base / "rabbitmq"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(self.base / "enabled_plugins"),
        }

    def start(self) -> RabbitNode:
        environment = self.environment()
        (self.base / "enabled_plugins").write_text("[].\n")
        self.process = subprocess.Popen(
            [str(SBIN / "rabbitmq-server")],
            env=environment,
            stdout=(self.base / "stdout.log").open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BrokerUnavailable(f"rabbitmq-server exited at start: {self.tail()}")
            if self._accepts():
                return self
            time.sleep(0.25)
        self.stop()
        raise BrokerUnavailable(f"rabbitmq-server did not accept connections within {START_TIMEOUT} s: {self.tail()}")

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
            raise BrokerUnavailable(f"rabbitmqctl {' '.join(args)}: {done.stderr or done.stdout}")
        return done.stdout

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            try:
                self.ctl("stop")
            except (BrokerUnavailable, subprocess.TimeoutExpired):
                self.process.kill()
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        self.process = None
        _stop_epmd_if_idle()

    def tail(self) -> str:
        log = self.base / "stdout.log"
        return log.read_text(errors="replace")[-2000:] if log.exists() else ""

    def _accepts(self) -> bool:
        try:
            with socket.create_connection((HOST, self.port), timeout=1):
                pass
        except OSError:
            return False
        try:
            self.ctl("await_startup")
        except (BrokerUnavailable, subprocess.TimeoutExpired):
            return False
        return True


def _stop_epmd_if_idle() -> None:
    """Erlang's port mapper, started by the first node, outlives it: stop it once no node is registered."""
    epmd = shutil.which("epmd") or next(iter(sorted(Path("/usr/lib/erlang").glob("erts-*/bin/epmd"))), None)
    if epmd is None:
        return
    env = {**os.environ, "ERL_EPMD_ADDRESS": HOST}
    names = subprocess.run([str(epmd), "-names"], env=env, capture_output=True, text=True, timeout=10)
    if names.returncode == 0 and "name " not in names.stdout:
        subprocess.run([str(epmd), "-kill"], env=env, capture_output=True, timeout=10)
