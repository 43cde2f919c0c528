"""``statscache-run``: the daemon (``fedmsg-hub``) and the web app together, for one-command use.

Both read ``fedmsg.d/`` in the working directory. With ``--amqp``, today's bus
instead: a private RabbitMQ node, ``statscache consume`` and the web app, all
configured by one fedora-messaging file (:mod:`statscache.cli.amqp_demo`). With ``--demo``, the shipped
sample of real bus traffic is published on the first local endpoint of that
configuration as soon as the hub subscribes, so statistics appear without a
bus. Ctrl-C or SIGTERM stops both (the hub writes its final flush first); if
either stops on its own, the other is stopped too.
"""

from __future__ import annotations

import argparse
import ctypes
import gzip
import logging
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from statscache.demo import SAMPLE
from statscache.hub.shutdown import DEADLINE as HUB_DEADLINE

log = logging.getLogger("statscache.run")

#: How long the children get to stop after SIGTERM before they are killed: longer than the
#: hub's own deadline (past which it ends itself, status 1), so that no final flush is cut short here.
STOP_TIMEOUT = HUB_DEADLINE + 10.0


def _script(name: str) -> str:
    """A console script installed beside this Python (the venv's bin/)."""
    beside = Path(sys.executable).with_name(name)
    return str(beside) if beside.exists() else name


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="statscache-run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1", help="web app address (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=5000, help="web app port (default 5000)")
    parser.add_argument(
        "--demo", action="store_true", help="publish the shipped sample of real Fedora messages on the local bus"
    )
    parser.add_argument(
        "--amqp",
        action="store_true",
        help="today's bus instead: a private RabbitMQ node (rabbitmq-server installed) and statscache consume",
    )
    return parser.parse_args(argv)


def demo_endpoint(config: dict[str, Any]) -> str:
    """The first 127.0.0.1 endpoint the hub listens to: where the demo publishes."""
    listed: dict[str, list[str]] = config.get("endpoints", {})
    for endpoints in listed.values():
        for endpoint in endpoints:
            if endpoint.startswith("tcp://127.0.0.1:"):
                return endpoint
    raise SystemExit("statscache-run --demo: fedmsg.d/ lists no tcp://127.0.0.1:PORT endpoint to publish on")


class DemoPublisher(threading.Thread):
    """Binds the endpoint, waits for the hub to subscribe, publishes every sample envelope once."""

    def __init__(self, endpoint: str) -> None:
        super().__init__(name="statscache-demo", daemon=True)
        import zmq

        self._context = zmq.Context()
        # XPUB, not PUB: it tells when a subscriber has arrived, so nothing is sent into the void.
        self._socket = self._context.socket(zmq.XPUB)
        self._socket.setsockopt(zmq.SNDHWM, 0)
        try:
            self._socket.bind(endpoint)
        except zmq.ZMQError as e:
            raise SystemExit(f"statscache-run --demo: cannot publish on {endpoint}: {e} (is a bus there?)") from e
        self.endpoint = endpoint
        self.published = 0
        self._halt = threading.Event()

    def run(self) -> None:
        import orjson

        while not self._socket.poll(200):  # until the hub's first subscription arrives
            if self._halt.is_set():
                return
        self._socket.recv()
        with gzip.open(SAMPLE, "rb") as lines:
            for line in lines:
                if line.strip():
                    topic = orjson.loads(line)["topic"].encode()
                    self._socket.send_multipart([topic, line.rstrip(b"\n")])
                    self.published += 1
        log.info("demo: published %d recorded messages on %s", self.published, self.endpoint)

    def close(self) -> None:
        self._halt.set()
        if self.is_alive():
            self.join()
        self._socket.close(linger=1000)
        self._context.term()


#: prctl(2) option: the signal a process gets when its parent dies.
PR_SET_PDEATHSIG = 1


def _stop_with_parent() -> None:
    """In a child, before it runs: ask Linux for a SIGTERM when the parent dies (elsewhere: nothing)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        pass


def wait_for_web(url: str, process: subprocess.Popen[bytes], timeout: float = 60) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return True
        except (urllib.error.URLError, OSError):
            time.sleep(0.2)
    return False


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="[%(asctime)s][%(name)20s %(levelname)7s] %(message)s")
    import fedmsg.config

    fedmsg_config = fedmsg.config.load_config()
    publisher = None
    local_bus = None
    if args.amqp:
        from statscache.cli.amqp_demo import LocalBus
        from statscache.exceptions import StatscacheError

        try:
            local_bus = LocalBus(fedmsg_config, Path.cwd()).start()
        except StatscacheError as error:
            raise SystemExit(f"statscache-run --amqp: {error}") from error
        daemon = [_script("statscache"), "consume", "--conf", str(local_bus.conf)]
        web_settings = ["--conf", str(local_bus.conf)]
    else:
        if args.demo:
            publisher = DemoPublisher(demo_endpoint(fedmsg_config))
        daemon = [_script("fedmsg-hub")]
        web_settings = []
    stopping = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stopping.set())
    # Children in their own process groups: a Ctrl-C reaches them through us, in order. Should
    # this process be killed outright, they get a SIGTERM of their own instead of living on
    # (a hub left running keeps the bus and the database; the next run would fight it).
    hub = subprocess.Popen(daemon, start_new_session=True, preexec_fn=_stop_with_parent)
    web = subprocess.Popen(
        [_script("statscache-web"), *web_settings, "--host", args.host, "--port", str(args.port)],
        start_new_session=True,
        preexec_fn=_stop_with_parent,
    )
    daemon_name = "statscache consume" if args.amqp else "fedmsg-hub"
    children = {daemon_name: hub, "statscache-web": web}
    if publisher is not None:
        publisher.start()
    if local_bus is not None and args.demo:
        log.info("published %d sample messages to the local RabbitMQ", local_bus.publish_sample())
    url = f"http://{'localhost' if args.host in ('127.0.0.1', '0.0.0.0') else args.host}:{args.port}/"
    if wait_for_web(url + "api/", web):
        log.info("statscache is running: open %s for its statistics (Ctrl-C stops it)", url)
    status = 0
    while not stopping.wait(0.5):
        ended = [name for name, child in children.items() if child.poll() is not None]
        if ended:
            log.error("%s stopped (exit status %s); stopping the rest", ended[0], children[ended[0]].returncode)
            status = 1
            break
    for child in children.values():
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT  # one deadline for all: they stop side by side
    for name, child in children.items():
        try:
            child.wait(max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            log.error("%s did not stop in %.0f s; killed", name, STOP_TIMEOUT)
            child.kill()
            child.wait()
            status = 1
    if hub.returncode != 0 and status == 0:
        log.error("%s stopped with exit status %s (see its log above)", daemon_name, hub.returncode)
        status = 1
    if publisher is not None:
        publisher.close()
    if local_bus is not None:
        local_bus.stop()
    sys.exit(status)


if __name__ == "__main__":
    main()
