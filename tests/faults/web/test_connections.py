"""A real statscache-web (and the README's gunicorn recipe) under clients that never read, and connections that idle."""

from __future__ import annotations

import csv
import io
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import insert

from statscache.config import Config
from statscache.ingest.pipeline import Pipeline
from statscache.plugins import registry
from tests.fakes.support import recorded_envelopes, recount
from tests.services.hub import free_port, write_config

pytestmark = pytest.mark.integration

WEB = str(Path(sys.executable).with_name("statscache-web"))
GUNICORN = str(Path(sys.executable).with_name("gunicorn"))  # the [test] extra installs it
IDENT = "volume-by-category-1d"
EPOCH = datetime(2015, 1, 1, tzinfo=UTC)
#: Rows stored directly before the epoch, long enough that an export is far bigger than every buffer on the way.
FILLER_ROWS = 120_000
EXPORT = f"/api/{IDENT}?format=csv&stream=1&order=asc"


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    """fedmsg.d/ and a database: the recorded messages counted by the real pipeline, and filler rows before them."""
    workdir = tmp_path_factory.mktemp("web")
    database = workdir / "stats.sqlite"
    settings = {
        "statscache.sqlalchemy.uri": f"sqlite:///{database}",
        "statscache.plugins.enabled": ["volume-by-category"],
        "statscache.plugins.intervals": [timedelta(days=1)],
        "statscache.consumer.epoch": EPOCH,
    }
    write_config(workdir, settings)
    config = Config(sqlalchemy_uri=settings["statscache.sqlalchemy.uri"], consumer_epoch=EPOCH)
    plugins = registry.load(Config(**{**config.__dict__, "plugins_enabled": ("volume-by-category",)}))
    plugins = [plugin for plugin in plugins if plugin.ident == IDENT]
    pipeline = Pipeline.open(config, plugins)
    for envelope in recorded_envelopes():
        pipeline.handle(envelope)
    assert pipeline.flush()
    filler = [
        {"timestamp": datetime(1990, 1, 1, tzinfo=UTC) + timedelta(days=i // 100), "category": f"{i % 100:03d}" * 70}
        for i in range(FILLER_ROWS)
    ]
    with pipeline.engine.begin() as connection:
        connection.execute(insert(plugins[0].model), [{**row, "volume": 1} for row in filler])
    pipeline.engine.dispose()
    return workdir


class Server:
    """A web server process in ``workdir``, its log in ``workdir/<name>.log``."""

    def __init__(
        self, workdir: Path, command: list[str], name: str, cwd: Path | None = None, env: dict | None = None
    ) -> None:
        self.port = free_port()
        self.log_path = workdir / f"{name}.log"
        self.log_file = self.log_path.open("wb")
        argv = [part.replace("{port}", str(self.port)) for part in command]
        self.process = subprocess.Popen(
            argv, cwd=cwd or workdir, stdout=self.log_file, stderr=subprocess.STDOUT, env=env
        )
        self.base = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 60
        while True:
            assert self.process.poll() is None, self.log
            try:
                self.get("/api/", timeout=5)
                break
            except (urllib.error.URLError, OSError):
                assert time.monotonic() < deadline, "the server did not start: " + self.log
                time.sleep(0.2)

    @property
    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def get(self, path: str, timeout: float = 30) -> tuple[int, bytes]:
        try:
            with urllib.request.urlopen(self.base + path, timeout=timeout) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    def connect(self, receive_buffer: int | None = None) -> socket.socket:
        client = socket.socket()
        if receive_buffer:  # a small window: the server's writes back up at once
            client.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
        client.connect(("127.0.0.1", self.port))
        return client

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log_file.close()


def web(workdir: Path, *flags: str) -> Server:
    return Server(workdir, [WEB, "--port", "{port}", *flags], "statscache-web")


def stalled_export(server: Server) -> socket.socket:
    """A client that asks for the whole export, then never reads a byte of it."""
    client = server.connect(receive_buffer=4096)
    client.sendall(f"GET {EXPORT} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
    return client


def read_all(client: socket.socket, timeout: float = 60) -> bytes:
    client.settimeout(timeout)
    chunks = []
    while chunk := client.recv(1 << 16):
        chunks.append(chunk)
    client.close()
    return b"".join(chunks)


def served_counts(server: Server) -> dict:
    """The counts since the epoch, from a whole export read by a client that keeps up."""
    status, body = server.get(EXPORT, timeout=120)
    assert status == 200
    records = csv.DictReader(io.StringIO(body.decode(), newline=""))
    return {
        (int(r["timestamp"]), r["category"]): int(r["volume"])
        for r in records
        if int(r["timestamp"]) >= EPOCH.timestamp()
    }


def assert_answers_promptly(server: Server, requests: int = 20) -> None:
    for _ in range(requests):
        status, body = server.get(f"/api/{IDENT}?rows_per_page=3", timeout=30)
        assert status == 200 and len(json.loads(body)) == 3


def test_clients_that_never_read_an_export_neither_take_every_thread_nor_keep_theirs(workdir):
    server = web(workdir, "--threads", "8", "--channel-timeout", "3")
    stalled = []
    try:
        stalled = [stalled_export(server) for _ in range(10)]
        time.sleep(3)  # let the exports fill every buffer on the way (no assertion rests on this)
        assert_answers_promptly(server)
        # The server gives up on each stalled export, freeing its thread: another export can then run.
        deadline = time.monotonic() + 120
        while server.log.count("closed a connection that took none of its response") < 4:
            assert time.monotonic() < deadline, server.log
            time.sleep(0.5)
        heads = [read_all(client) for client in stalled]
        busy = [head for head in heads if head.startswith(b"HTTP/1.1 503")]
        cut = [head for head in heads if head.startswith(b"HTTP/1.1 200")]
        assert len(busy) == 6 and len(cut) == 4  # statscache.app.stream_limit: 4 exports at once
        assert all(b"Retry-After: " in head and b'"error":"busy"' in head for head in busy)
        complete = server.get(EXPORT, timeout=120)[1]
        assert all(len(head) < len(complete) for head in cut)  # cut short, not served whole
        assert served_counts(server) == recount(recorded_envelopes(), IDENT)
    finally:
        for client in stalled:
            client.close()
        server.stop()


def test_idle_connections_at_the_default_limit_leave_room_for_others(workdir):
    server = web(workdir)
    idle = []
    try:
        idle = [server.connect() for _ in range(100)]
        assert_answers_promptly(server)
        assert served_counts(server) == recount(recorded_envelopes(), IDENT)
    finally:
        for client in idle:
            client.close()
        server.stop()


def test_idle_connections_at_a_configured_limit_are_closed_after_the_channel_timeout(workdir):
    server = web(workdir, "--connection-limit", "30", "--channel-timeout", "2")
    idle = []
    try:
        idle = [server.connect() for _ in range(30)]
        assert_answers_promptly(server, requests=3)  # waits for the idle ones to be closed (about 2 s)
        assert all(read_all(client) == b"" for client in idle)  # closed by the server, having sent nothing
        assert served_counts(server) == recount(recorded_envelopes(), IDENT)
    finally:
        for client in idle:
            client.close()
        server.stop()


def test_a_huge_request_body_is_refused_before_it_is_read(workdir):
    server = web(workdir)
    client = server.connect()
    try:
        head = f"POST /api/{IDENT} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {1 << 29}\r\n\r\n"
        client.sendall(head.encode())  # the body would follow: the server refuses it unseen
        answer = read_all(client, timeout=30)
        assert answer.startswith(b"HTTP/1.1 413")
        assert_answers_promptly(server, requests=3)
    finally:
        client.close()
        server.stop()


def test_the_readme_gunicorn_command_serves(workdir):
    server = Server(
        workdir,
        [GUNICORN, "--workers", "2", "--timeout", "60", "--bind", "127.0.0.1:{port}", "statscache.app:app"],
        "gunicorn",
    )
    try:
        assert_answers_promptly(server, requests=4)
        assert served_counts(server) == recount(recorded_envelopes(), IDENT)
    finally:
        server.stop()


def test_gunicorn_workers_read_one_fedora_messaging_file_named_by_statscache_conf(workdir):
    """Today's deployment: four gunicorn workers configured by the file statscache consume reads."""
    conf = workdir / "deployment.toml"
    conf.write_text(
        "[consumer_config]\n"
        f'"statscache.sqlalchemy.uri" = "sqlite:///{workdir / "stats.sqlite"}"\n'
        '"statscache.plugins.enabled" = ["volume-by-category"]\n'
        '"statscache.plugins.intervals" = ["1d"]\n'
    )
    elsewhere = workdir / "no-fedmsg-d-here"
    elsewhere.mkdir(exist_ok=True)
    server = Server(
        workdir,
        [GUNICORN, "-w", "4", "--timeout", "60", "--bind", "127.0.0.1:{port}", "statscache.app:app"],
        "gunicorn-conf",
        cwd=elsewhere,
        env={**os.environ, "STATSCACHE_CONF": str(conf)},
    )
    try:
        assert_answers_promptly(server, requests=8)
        assert served_counts(server) == recount(recorded_envelopes(), IDENT)
    finally:
        server.stop()
