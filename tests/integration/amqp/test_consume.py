"""``statscache consume`` against a real RabbitMQ: exact counts, poison deliveries, kill -9, and a prompt stop.

Messages are published as Fedora's publishers publish them (``fedora_messaging.api.publish``); the
consumer runs as its own process, configured by one fedora-messaging TOML file.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pika
import pytest
from sqlalchemy import create_engine, make_url, text

from tests.fakes.support import BUILTIN_IDENTS, recorded_envelopes, recount, stored
from tests.services.publisher import publish
from tests.services.rabbitmq import RabbitServer

pytestmark = pytest.mark.integration

QUEUE = "statscache-test"
STATSCACHE = str(Path(sys.executable).with_name("statscache"))


@pytest.fixture(scope="module")
def rabbit():
    with RabbitServer() as server:
        yield server


@pytest.fixture
def queue(rabbit):
    """A fresh durable queue bound to every topic (what a deployment's file declares)."""
    connection = pika.BlockingConnection(pika.URLParameters(rabbit.url))
    channel = connection.channel()
    channel.queue_delete(QUEUE)
    channel.queue_declare(QUEUE, durable=True)
    channel.queue_bind(QUEUE, "amq.topic", "#")
    connection.close()
    return QUEUE


class Consumer:
    """One ``statscache consume`` process and the file that configures it."""

    def __init__(self, workdir: Path, url: str, flush_every: float = 1.0, database_url: str | None = None) -> None:
        self.workdir = workdir
        self.database_url = database_url or f"sqlite:///{workdir / 'stats.sqlite'}"
        self.conf = workdir / "statscache.toml"
        self.conf.write_text(
            f'amqp_url = "{url}"\n'
            "[queues.statscache-test]\ndurable = true\nauto_delete = false\nexclusive = false\narguments = {}\n"
            '[[bindings]]\nqueue = "statscache-test"\nexchange = "amq.topic"\nrouting_keys = ["#"]\n'
            "[consumer_config]\n"
            f'"statscache.sqlalchemy.uri" = "{self.database_url}"\n'
            '"statscache.consumer.epoch" = 2015-01-01T00:00:00Z\n'
            f'"statscache.producer.frequency" = {flush_every}\n'
        )
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    @property
    def log(self) -> str:
        path = self.workdir / f"consume-{self.starts}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def start(self, **env: str) -> None:
        self.starts += 1
        self.process = subprocess.Popen(
            [STATSCACHE, "consume", "--conf", str(self.conf)],
            cwd=self.workdir,
            stdout=(self.workdir / f"consume-{self.starts}.log").open("wb"),
            stderr=subprocess.STDOUT,
            env={**os.environ, "FEDORA_MESSAGING_CONF": "/nonexistent", **env},
        )
        wait_until(lambda: "statscache consuming" in self.log, 60, "the consumer to start", self)

    def stop(self, signum: int = signal.SIGTERM) -> float:
        """Signal the process; seconds it took to exit."""
        assert self.process is not None
        began = time.monotonic()
        self.process.send_signal(signum)
        self.process.wait(30)
        return time.monotonic() - began

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)

    def stored(self, ident: str):
        engine = create_engine(self.database_url)
        try:
            return stored(engine, ident)
        finally:
            engine.dispose()

    def exact(self, envelopes) -> bool:
        return all(self.stored(ident) == recount(envelopes, ident) for ident in BUILTIN_IDENTS)


def wait_until(condition, timeout, what, consumer=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if consumer is not None and consumer.process is not None and consumer.process.poll() is not None:
            raise AssertionError(f"statscache consume exited while waiting for {what}:\n{consumer.log[-3000:]}")
        try:
            if condition():
                return
        except Exception:  # a table not there yet
            pass
        time.sleep(0.25)
    raise AssertionError(f"timed out waiting for {what}" + (f":\n{consumer.log[-3000:]}" if consumer else ""))


@pytest.fixture
def consumer(tmp_path, rabbit, queue):
    made = Consumer(tmp_path, rabbit.url)
    yield made
    made.kill()


def test_amqp_traffic_is_counted_exactly_and_acknowledged(consumer, rabbit, queue):
    envelopes = recorded_envelopes()
    consumer.start()
    publish(rabbit.url, envelopes)
    wait_until(lambda: consumer.exact(envelopes), 60, "exact statistics", consumer)
    wait_until(lambda: rabbit.queue_counts(queue) == (0, 0), 30, "every delivery acknowledged", consumer)
    assert consumer.stop() < 10
    assert consumer.process.returncode == 0


@pytest.mark.parametrize("moment", ["before a flush", "after a flush"])
def test_kill_9_then_a_restart_counts_exactly_without_datagrepper(tmp_path, rabbit, queue, moment):
    consumer = Consumer(tmp_path, rabbit.url, flush_every=10.0)  # the kill must come between two flushes
    envelopes = recorded_envelopes()
    try:
        consumer.start()
        publish(rabbit.url, envelopes[:700])
        wait_until(lambda: consumer.exact(envelopes[:700]), 60, "the first part counted", consumer)
        publish(rabbit.url, envelopes[700:1000])
        if moment == "before a flush":
            # Every delivery taken from the queue, none acknowledged: they are in memory, waiting for the flush.
            wait_until(lambda: rabbit.queue_counts(queue) == (0, 300), 30, "the deliveries held unacknowledged")
        else:
            wait_until(lambda: consumer.exact(envelopes[:1000]), 60, "the second part counted", consumer)
        consumer.stop(signal.SIGKILL)
        publish(rabbit.url, envelopes[1000:])
        consumer.start()
        wait_until(lambda: consumer.exact(envelopes), 60, "exact statistics after the restart", consumer)
        wait_until(lambda: rabbit.queue_counts(queue) == (0, 0), 30, "every delivery acknowledged", consumer)
    finally:
        consumer.kill()


def test_poison_deliveries_are_counted_acknowledged_and_block_nothing(consumer, rabbit, queue):
    connection = pika.BlockingConnection(pika.URLParameters(rabbit.url))
    channel = connection.channel()
    for body, properties in (
        (b"{not json", pika.BasicProperties(message_id="p1", headers={"sent-at": "2026-11-30T12:00:00+00:00"})),
        (b"{}", pika.BasicProperties(headers={"sent-at": "2026-11-30T12:00:00+00:00"})),  # no id
        (b"{}", pika.BasicProperties(message_id="p3")),  # no time
    ):
        channel.basic_publish("amq.topic", "org.fedoraproject.prod.poison", body, properties)
    connection.close()
    envelopes = recorded_envelopes()[:300]
    consumer.start()
    publish(rabbit.url, envelopes)
    wait_until(lambda: consumer.exact(envelopes), 60, "the good messages counted", consumer)
    wait_until(lambda: rabbit.queue_counts(queue) == (0, 0), 30, "poison acknowledged too", consumer)


def test_sigterm_writes_a_final_flush_and_acknowledges_it(tmp_path, rabbit, queue):
    consumer = Consumer(tmp_path, rabbit.url, flush_every=60.0)
    envelopes = recorded_envelopes()[:300]
    try:
        consumer.start()
        publish(rabbit.url, envelopes)
        wait_until(lambda: rabbit.queue_counts(queue) == (0, 300), 30, "the deliveries held, unflushed", consumer)
        assert consumer.stop() < 10
        assert consumer.process.returncode == 0
        assert consumer.exact(envelopes)
        assert rabbit.queue_counts(queue) == (0, 0)
    finally:
        consumer.kill()


def test_a_broker_restart_is_survived_by_reconnecting(consumer, rabbit, queue):
    envelopes = recorded_envelopes()
    consumer.start()
    publish(rabbit.url, envelopes[:600])
    wait_until(lambda: consumer.exact(envelopes[:600]), 60, "the first part counted", consumer)
    publish(rabbit.url, envelopes[600:900])
    rabbit.restart()  # deliveries not yet acknowledged come again; the ledger counts them once
    publish(rabbit.url, envelopes[900:])
    wait_until(lambda: consumer.exact(envelopes), 90, "exact statistics after the broker's restart", consumer)
    wait_until(lambda: rabbit.queue_counts(queue) == (0, 0), 30, "every delivery acknowledged", consumer)
    assert "connecting again" in consumer.log


def test_while_the_database_is_out_nothing_is_acknowledged_nor_lost(tmp_path, rabbit, queue, postgres_url):
    consumer = Consumer(tmp_path, rabbit.url, database_url=postgres_url)
    envelopes = recorded_envelopes()
    database = make_url(postgres_url).database
    admin = create_engine(postgres_url.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")
    try:
        consumer.start()
        publish(rabbit.url, envelopes[:600])
        wait_until(lambda: consumer.exact(envelopes[:600]), 60, "the first part counted", consumer)
        with admin.connect() as connection:  # the database goes away: connections refused, those open cut
            connection.execute(text(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS false'))
            connection.execute(
                text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :name"), {"name": database}
            )
        publish(rabbit.url, envelopes[600:])
        wait_until(lambda: rabbit.queue_counts(queue) == (0, len(envelopes) - 600), 30, "the deliveries held", consumer)
        time.sleep(3)  # several flushes fail meanwhile; nothing is acknowledged, and the consumer runs on
        assert rabbit.queue_counts(queue) == (0, len(envelopes) - 600)
        with admin.connect() as connection:
            connection.execute(text(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS true'))
        wait_until(lambda: consumer.exact(envelopes), 60, "exact statistics once the database is back", consumer)
        wait_until(lambda: rabbit.queue_counts(queue) == (0, 0), 30, "every delivery acknowledged", consumer)
    finally:
        consumer.kill()
        admin.dispose()


def table_rows(url):
    """Every plugin table's rows, in key order: what the API serves (statscache's own bookkeeping left out)."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            names = [
                name for name in connection.dialect.get_table_names(connection) if not name.startswith("statscache_")
            ]
            return {
                name: sorted(tuple(map(str, row)) for row in connection.execute(text(f'SELECT * FROM "{name}"')))
                for name in names
            }
    finally:
        engine.dispose()


def test_two_consumers_on_one_queue_and_one_database_write_what_one_writes(tmp_path, rabbit, postgres_server, request):
    """Competing consumers, started at the same moment on an empty PostgreSQL, equal a single consumer."""
    alone_url = postgres_server.create_database(f"alone_{rabbit.port}")
    shared_url = postgres_server.create_database(f"shared_{rabbit.port}")
    connection = pika.BlockingConnection(pika.URLParameters(rabbit.url))
    channel = connection.channel()
    for name in ("alone", "shared"):
        channel.queue_delete(name)
        channel.queue_declare(name, durable=True)
        channel.queue_bind(name, "amq.topic", "#")
    connection.close()
    consumers = []
    for name, url, count in (("alone", alone_url, 1), ("shared", shared_url, 2)):
        for number in range(count):
            folder = tmp_path / f"{name}-{number}"
            folder.mkdir()
            consumer = Consumer(folder, rabbit.url, database_url=url)
            text_ = consumer.conf.read_text().replace("statscache-test", name)
            consumer.conf.write_text(text_)
            consumers.append(consumer)
    try:
        processes = [  # all at once: the shared database is made ready by whichever comes first
            subprocess.Popen(
                [STATSCACHE, "consume", "--conf", str(c.conf)],
                cwd=c.workdir,
                stdout=(c.workdir / "consume-1.log").open("wb"),
                stderr=subprocess.STDOUT,
            )
            for c in consumers
        ]
        for consumer, process in zip(consumers, processes, strict=True):
            consumer.process, consumer.starts = process, 1
            wait_until(lambda consumer=consumer: "statscache consuming" in consumer.log, 60, "a start", consumer)
        envelopes = recorded_envelopes()
        publish(rabbit.url, envelopes)
        for consumer in consumers:
            wait_until(lambda consumer=consumer: consumer.exact(envelopes), 90, "exact statistics", consumer)
        for name in ("alone", "shared"):
            wait_until(lambda name=name: rabbit.queue_counts(name) == (0, 0), 30, f"{name} acknowledged")
        assert all(consumer.stop() < 10 for consumer in consumers)
        # The shared queue's deliveries went to both (else this would test one consumer twice).
        taken = [int(re.search(r"(\d+) deliveries taken in", c.log)[1]) for c in consumers]
        assert taken[0] == len(envelopes) and sum(taken[1:]) >= len(envelopes) and all(taken[1:]), taken
        assert table_rows(shared_url) == table_rows(alone_url)
    finally:
        for consumer in consumers:
            consumer.kill()
        postgres_server.drop_database(f"alone_{rabbit.port}")
        postgres_server.drop_database(f"shared_{rabbit.port}")


def test_users_and_packages_come_from_the_messages_schema(consumer, rabbit, queue):
    """bodhi's own schema class, published and read as in production, names who and what each comment is about."""
    comments = []
    for number in range(20):
        comment = {
            "comment": {
                "karma": 0,
                "text": f"comment {number}",
                "timestamp": "2026-11-30 12:00:00",
                "update": {
                    "alias": f"FEDORA-2026-{number:010d}",
                    "builds": [{"nvr": f"pkg{number % 4}-1.0-1.fc41"}],
                    "release": {"name": "F41"},
                    "request": None,
                    "status": "testing",
                    "user": {"name": "alice"},
                    "title": f"pkg{number % 4}-1.0-1.fc41",
                },
                "user": {"name": f"user{number % 3}"},
            },
            "agent": f"user{number % 3}",
        }
        comments.append(
            {
                "topic": "org.fedoraproject.prod.bodhi.update.comment",
                "msg_id": f"2026-comment-{number}",
                "timestamp": 1_796_040_000.0 + number,
                "msg": comment,
                "schema": "bodhi.update.comment.v1",
            }
        )
    consumer.start()
    publish(rabbit.url, comments)
    day = 1_796_040_000 // 86400 * 86400

    def by(ident):
        return {key: volume for (window, key), volume in consumer.stored(ident).items() if window == day}

    wait_until(lambda: sum(by("volume-by-package-1d").values()) == 20, 60, "the comments counted", consumer)
    assert by("volume-by-package-1d") == {f"pkg{n}": 5 for n in range(4)}
    assert by("volume-by-user-1d") == {"alice": 20, "user0": 7, "user1": 7, "user2": 6}


@pytest.fixture
def slow_plugin_site(tmp_path):
    """A folder for PYTHONPATH where a plugin that writes slowly is installed (its entry point, as pip writes it)."""
    site = tmp_path / "site"
    info = site / "statscache_slow_test-0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: statscache-slow-test\nVersion: 0\n")
    (info / "entry_points.txt").write_text(
        "[statscache.plugin]\nslow-to-write = tests.fakes.sample_plugins:SlowToWrite\n"
    )
    return os.pathsep.join([str(site), str(Path(__file__).resolve().parents[3])])


def test_kill_9_during_a_flush_then_a_restart_counts_exactly(tmp_path, rabbit, queue, slow_plugin_site):
    workdir = tmp_path / "consumer"
    workdir.mkdir()
    consumer = Consumer(workdir, rabbit.url)
    with consumer.conf.open("a") as conf:
        conf.write('"statscache.plugins.enabled" = ["volume", "volume-by-category", "slow-to-write"]\n')
    marker = tmp_path / "flushing"
    envelopes = recorded_envelopes()
    try:
        consumer.start(PYTHONPATH=slow_plugin_site, STATSCACHE_TEST_FLUSHING=str(marker))
        publish(rabbit.url, envelopes)
        wait_until(marker.exists, 60, "a flush under way", consumer)  # its transaction is open: killed there
        consumer.stop(signal.SIGKILL)
        assert not consumer.exact(envelopes)  # nothing of that flush was committed
        consumer.start(PYTHONPATH=slow_plugin_site)
        wait_until(lambda: consumer.exact(envelopes), 60, "exact statistics after the restart", consumer)
        distinct = len({envelope["msg_id"] for envelope in envelopes})
        wait_until(lambda: sum(consumer.stored("slow-to-write-1d").values()) == distinct, 30, "the slow plugin too")
        wait_until(lambda: rabbit.queue_counts(queue) == (0, 0), 30, "every delivery acknowledged", consumer)
    finally:
        consumer.kill()


def test_history_before_the_queue_is_backfilled_from_a_real_datagrepper(tmp_path, rabbit, queue, empty_datagrepper):
    """Coverage and the start-up backfill work as for the hub: what was sent before the queue existed comes
    from datagrepper, what comes after from the queue, and each message counts once."""
    now = time.time()
    recorded = recorded_envelopes()
    # Copies of one message (the sample holds two pairs) keep one time, as a message does wherever it is read.
    first_seen = {envelope["msg_id"]: n for n, envelope in reversed(list(enumerate(recorded)))}
    retimed = [{**e, "timestamp": float(int(now - 3000 + 2 * first_seen[e["msg_id"]]))} for e in recorded]
    history, live = retimed[:700], retimed[700:]
    empty_datagrepper.load(history)
    consumer = Consumer(tmp_path, rabbit.url)
    text_ = consumer.conf.read_text().replace(
        '"statscache.consumer.epoch" = 2015-01-01T00:00:00Z',
        f'"statscache.consumer.epoch" = {datetime.fromtimestamp(now - 3600, tz=UTC).isoformat()}\n'
        f'"statscache.datagrepper.endpoint" = "{empty_datagrepper.url}"\n'
        '"statscache.datagrepper.lag" = 2',
    )
    consumer.conf.write_text(text_)
    try:
        consumer.start()
        publish(rabbit.url, live)
        wait_until(lambda: consumer.exact(retimed), 120, "history and live traffic counted exactly", consumer)
        assert "backfill" in consumer.log
    finally:
        consumer.kill()


def test_the_consumers_counters_are_served_for_prometheus(tmp_path, rabbit, queue):
    import urllib.request

    from tests.services.postgres import free_port

    port = free_port()
    consumer = Consumer(tmp_path, rabbit.url)
    with consumer.conf.open("a") as conf:
        conf.write(f'"statscache.metrics.port" = {port}\n')
    connection = pika.BlockingConnection(pika.URLParameters(rabbit.url))
    connection.channel().basic_publish("amq.topic", "org.fedoraproject.prod.poison", b"{not json")
    connection.close()
    envelopes = recorded_envelopes()[:100]
    try:
        consumer.start()
        publish(rabbit.url, envelopes)
        wait_until(lambda: consumer.exact(envelopes), 60, "the messages counted", consumer)

        def scraped() -> str:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
                return response.read().decode()

        text_ = scraped()
        assert 'statscache_messages_total{outcome="received"} 101.0' in text_
        assert 'statscache_rejected_messages_total{reason="not-json"} 1.0' in text_
        # The same port answers the health probes: the consumer's own heartbeat is in the database.
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz/ready", timeout=10) as response:
            ready = json.load(response)
        assert ready["title"] == "OK" and ready["checks"]["flush"]["detail"].startswith("last flush")
        assert consumer.exact(envelopes)
    finally:
        consumer.kill()
