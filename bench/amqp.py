#!/usr/bin/env python3
"""AMQP benchmark: statscache consume against a do-nothing fedora-messaging consumer, on one real RabbitMQ.

    python bench/amqp.py [--count 100000] [--postgres]

Starts a private RabbitMQ node, fills one durable queue per variant with COUNT
real-shaped messages (the recorded envelopes, each with a fresh msg_id, event
times 0.6 s apart, as fedora-messaging publishes them), then drains each queue:

* **do-nothing**: ``fedora-messaging consume`` with a callback that does
  nothing (fedora-messaging acknowledges each message as the callback returns);
* **statscache**: ``statscache consume`` with every built-in plugin, on SQLite.

Same broker, same queue settings, same prefetch (statscache's 20,000). Each rate
runs from the first message taken to the queue's last acknowledgement. With
``--postgres`` it then compares one and two statscache consumers sharing one
queue and one PostgreSQL database (a private server started here).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pika

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from statscache.amqp.sample import publish  # noqa: E402
from statscache.demo import SAMPLE  # noqa: E402
from statscache.demo.broker import RabbitNode  # noqa: E402

BIN = Path(sys.executable).parent
START = 1444348800.0  # 2015-10-09 00:00 UTC
STEP = 0.6
PREFETCH = 20_000


def envelopes(count: int) -> list[dict]:
    """COUNT envelopes cycling through the recorded sample, each with a msg_id and time of its own."""
    with gzip.open(SAMPLE, "rt", encoding="utf-8") as lines:
        recorded = [json.loads(line) for line in lines if line.strip()]
    made = []
    for number in range(count):
        envelope = dict(recorded[number % len(recorded)])
        envelope["msg_id"] = f"2015-bench-{os.urandom(8).hex()}-{number}"
        envelope["timestamp"] = START + number * STEP
        made.append(envelope)
    return made


def conf_text(url: str, queue: str, database: str) -> str:
    return (
        f'amqp_url = "{url}"\n'
        f"[qos]\nprefetch_size = 0\nprefetch_count = {PREFETCH}\n"
        f"[queues.{queue}]\ndurable = true\nauto_delete = false\nexclusive = false\narguments = {{}}\n"
        f'[[bindings]]\nqueue = "{queue}"\nexchange = "amq.topic"\nrouting_keys = ["#"]\n'
        "[consumer_config]\n"
        f'"statscache.sqlalchemy.uri" = "{database}"\n'
        '"statscache.consumer.epoch" = 2015-01-01T00:00:00Z\n'
    )


def declare(url: str, queues: list[str]) -> None:
    connection = pika.BlockingConnection(pika.URLParameters(url))
    channel = connection.channel()
    for queue in queues:
        channel.queue_delete(queue)
        channel.queue_declare(queue, durable=True)
        channel.queue_bind(queue, "amq.topic", "#")
    connection.close()


def ready(url: str, queue: str) -> int:
    connection = pika.BlockingConnection(pika.URLParameters(url))
    try:
        return int(connection.channel().queue_declare(queue, passive=True).method.message_count)
    finally:
        connection.close()


def drain(node: RabbitNode, queue: str, commands: list[list[str]], count: int, workdir: Path) -> float:
    """Start the consumers; msg/s from the first message taken to the last acknowledged."""
    logs = [(workdir / f"{queue}-{n}.log").open("wb") for n in range(len(commands))]
    processes = [
        subprocess.Popen(command, cwd=workdir, stdout=log, stderr=subprocess.STDOUT, env={**os.environ})
        for command, log in zip(commands, logs, strict=True)
    ]
    try:
        while ready(node.url, queue) == count:
            time.sleep(0.005)
        began = time.perf_counter()
        while True:
            waiting, unacked = counts(node, queue)
            if waiting == 0 and unacked == 0:
                ended = time.perf_counter()
                break
            if any(process.poll() is not None for process in processes):
                raise SystemExit(f"a consumer of {queue} exited; see {workdir}")
            time.sleep(0.05 if waiting else 0.02)
        return count / (ended - began)
    finally:
        for process in processes:
            process.terminate()
            process.wait(60)
        for log in logs:
            log.close()


def counts(node: RabbitNode, queue: str) -> tuple[int, int]:
    for line in node.ctl("list_queues", "-q", "name", "messages_ready", "messages_unacknowledged").splitlines():
        parts = line.split()
        if parts and parts[0] == queue:
            return int(parts[1]), int(parts[2])
    raise SystemExit(f"no queue {queue}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=100_000, help="messages per variant (default 100,000)")
    parser.add_argument("--postgres", action="store_true", help="also 1 vs 2 consumers on one PostgreSQL")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="statscache-bench-amqp-") as folder:
        workdir = Path(folder)
        node = RabbitNode(workdir / "rabbitmq").start()
        try:
            run(node, workdir, args.count, args.postgres)
        finally:
            node.stop()


def run(node: RabbitNode, workdir: Path, count: int, postgres: bool) -> None:
    queues = ["noop", "statscache"]
    declare(node.url, queues)
    made = envelopes(count)
    began = time.perf_counter()
    publish(node.url, made, confirm=False)  # to amq.topic: every queue gets a copy
    for queue in queues:
        while counts(node, queue)[0] < count:
            time.sleep(0.2)
    print(f"published {count:,} messages to {len(queues)} queues in {time.perf_counter() - began:.1f} s")
    for queue in queues:
        (workdir / f"{queue}.toml").write_text(conf_text(node.url, queue, f"sqlite:///{workdir / queue}.sqlite"))
    noop = [
        str(BIN / "fedora-messaging"),
        "--conf",
        str(workdir / "noop.toml"),
        "consume",
        "--callback-file",
        f"{ROOT / 'bench' / 'amqp_noop.py'}:noop",
    ]
    statscache = [str(BIN / "statscache"), "consume", "--conf", str(workdir / "statscache.toml")]
    rates = {
        "do-nothing": drain(node, "noop", [noop], count, workdir),
        "statscache": drain(node, "statscache", [statscache], count, workdir),
    }
    for name, rate in rates.items():
        print(f"{name:>12}: {rate:10,.0f} msg/s")
    print(f"ratio statscache / do-nothing: {rates['statscache'] / rates['do-nothing']:.2f}")
    if postgres:
        compare_on_postgres(node, workdir, made)


def compare_on_postgres(node: RabbitNode, workdir: Path, made: list[dict]) -> None:
    from tests.services.postgres import PostgresServer

    server = PostgresServer().start()
    try:
        rates = {}
        for consumers in (1, 2):
            queue = f"pg{consumers}"
            declare(node.url, [queue])
            publish(node.url, made, confirm=False)
            while counts(node, queue)[0] < len(made):
                time.sleep(0.2)
            url = server.create_database(queue)
            (workdir / f"{queue}.toml").write_text(conf_text(node.url, queue, url))
            command = [str(BIN / "statscache"), "consume", "--conf", str(workdir / f"{queue}.toml")]
            rates[consumers] = drain(node, queue, [command] * consumers, len(made), workdir)
            node.ctl("delete_queue", queue)  # keep the broker lean: this queue is done
            print(f"PostgreSQL, {consumers} consumer(s): {rates[consumers]:10,.0f} msg/s")
        print(f"ratio 2 consumers / 1: {rates[2] / rates[1]:.2f}")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
