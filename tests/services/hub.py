"""A real fedmsg-hub process in a temporary directory, fed by a zmq PUB socket the test binds."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import zmq
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import create_engine

from tests.fakes.support import BUILTIN_IDENTS, recount, stored

ROOT = Path(__file__).resolve().parents[2]
FEDMSG_HUB = str(Path(sys.executable).with_name("fedmsg-hub"))
# Published before the epoch: counted as "before_epoch", never as statistics.
PROBE = {"topic": "org.fedoraproject.prod.test.probe", "msg": {}, "msg_id": "probe", "timestamp": 0}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_config(workdir: Path, overrides: dict[str, Any]) -> None:
    """``workdir/fedmsg.d/statscache.py``: the shipped configuration, then ``overrides``."""
    config_dir = workdir / "fedmsg.d"
    config_dir.mkdir(exist_ok=True)
    shipped = (ROOT / "fedmsg.d" / "statscache.py").read_text(encoding="utf-8")
    (config_dir / "statscache.py").write_text(
        shipped + "\nconfig.update({\n" + "".join(f"    {k!r}: {v!r},\n" for k, v in overrides.items()) + "})\n",
        encoding="utf-8",
    )


class Bus:
    """The PUB end of the bus: a socket bound on 127.0.0.1 that the hub connects to."""

    def __init__(self) -> None:
        self.context = zmq.Context()
        self.socket = self.context.socket(zmq.PUB)
        self.socket.setsockopt(zmq.SNDHWM, 0)
        self.port = self.socket.bind_to_random_port("tcp://127.0.0.1")
        self.endpoint = f"tcp://127.0.0.1:{self.port}"

    def publish(self, lines: Iterable[str]) -> int:
        sent = 0
        for line in lines:
            topic = json.loads(line).get("topic", "") if line.startswith("{") else ""
            self.socket.send_multipart([str(topic).encode(), line.encode()])
            sent += 1
        return sent

    def close(self) -> None:
        self.socket.close(linger=0)
        self.context.term()


class Hub:
    """One fedmsg-hub run; ``settings`` override the shipped fedmsg.d/statscache.py."""

    def __init__(self, workdir: Path, bus: Bus, **settings: Any) -> None:
        self.workdir = workdir
        self.bus = bus
        self.metrics_port = free_port()
        self.database = workdir / "statscache.sqlite"
        overrides = {
            "endpoints": {"test": [bus.endpoint]},
            "statscache.sqlalchemy.uri": f"sqlite:///{self.database}",
            "statscache.metrics.port": self.metrics_port,
            **settings,
        }
        write_config(workdir, overrides)
        self.log_path = workdir / "hub.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, env: dict[str, str] | None = None) -> Hub:
        log = self.log_path.open("ab")
        self.process = subprocess.Popen([FEDMSG_HUB], cwd=self.workdir, stdout=log, stderr=subprocess.STDOUT, env=env)
        log.close()
        return self

    @property
    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def metric(self, name: str, **labels: str) -> float:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.metrics_port}/metrics", timeout=5) as response:
            text = response.read().decode()
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                if sample.name == f"{name}_total" and sample.labels == labels:
                    return sample.value
        return 0.0

    def samples(self) -> dict[str, float]:
        """Every unlabelled sample the hub's metrics port serves, by name."""
        with urllib.request.urlopen(f"http://127.0.0.1:{self.metrics_port}/metrics", timeout=5) as response:
            text = response.read().decode()
        return {
            sample.name: sample.value
            for family in text_string_to_metric_families(text)
            for sample in family.samples
            if not sample.labels
        }

    def probe(self, path: str) -> tuple[int, dict[str, Any]]:
        """The status and JSON body of a health probe on the hub's metrics port (``/healthz/ready``...)."""
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.metrics_port}{path}", timeout=10) as response:
                return response.status, json.load(response)
        except urllib.error.HTTPError as error:
            return error.code, json.load(error)

    def wait_until(self, condition: Any, timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process is not None and self.process.poll() is None, f"hub exited early:\n{self.log}"
            try:
                if condition():
                    return
            except OSError:
                pass  # metrics server not up yet
            time.sleep(0.1)
        raise AssertionError(f"timed out waiting for {what}; hub log:\n{self.log}")

    def wait_ready(self, timeout: float = 60) -> None:
        """Publish probes until the hub has seen one: the subscription is then live."""

        def probe_seen() -> bool:
            self.bus.publish([json.dumps(PROBE)])
            return self.metric("statscache_messages", outcome="before_epoch") >= 1

        self.wait_until(probe_seen, timeout, "the hub to receive a probe")

    def handled(self) -> float:
        """Messages that reached the cache, copies included."""
        return sum(self.metric("statscache_messages", outcome=outcome) for outcome in ("cached",))

    def wait_handled(self, count: int, timeout: float = 60) -> None:
        self.wait_until(lambda: self.handled() >= count, timeout, f"{count} messages handled")

    def stop(self, signum: int = signal.SIGTERM, timeout: float = 30) -> float:
        """Send ``signum`` and wait for the exit; returns the seconds it took."""
        assert self.process is not None
        started = time.monotonic()
        self.process.send_signal(signum)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            raise AssertionError(f"hub ignored signal {signum}:\n{self.log}") from None
        return time.monotonic() - started

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def engine(self) -> Any:
        return create_engine(f"sqlite:///{self.database}")

    def assert_exact(self, envelopes: Iterable[dict[str, Any]], idents: Iterable[str] = BUILTIN_IDENTS) -> None:
        """Every table of ``idents`` equals the recount of ``envelopes``."""
        envelopes = list(envelopes)
        engine = self.engine()
        try:
            for ident in idents:
                assert stored(engine, ident) == recount(envelopes, ident), ident
        finally:
            engine.dispose()


def wait_for(condition, timeout, what, process):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, f"statscache-run exited early while waiting for {what}"
        try:
            if condition():
                return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.25)
    raise AssertionError(f"timed out waiting for {what}")
