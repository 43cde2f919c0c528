#!/usr/bin/env python3
"""Ingest benchmark: statscache in a real fedmsg-hub against a consumer that does nothing.

    python bench/ingest.py [--mix fedora|autocloud] [--count 100000] [--rounds 3] [--workers 0,2]
                           [--threaded] [--postgres]

Publishes COUNT real messages of a mix (bench/mix.py), each with a fresh
msg_id, through a zmq PUB socket (each under its own topic) to a real
fedmsg-hub, once with a do-nothing consumer and once with statscache and every
built-in plugin:

- ``--mix fedora`` (the default): the real examples the tests ship, 18
  categories weighted like Fedora's bus (buildsys 25%, pagure/git 15%, copr
  15%, bodhi 12%, fas 5%, the rest spread), event times spread over one day;
- ``--mix autocloud``: the recorded autocloud envelopes, 0.6 s apart as before
  (most built-in plugins do not accept their topics).

A third hub shows the hub's ceiling: a consumer that does nothing and, like
statscache's, takes the raw body instead of moksha's JSON parse and freezes the
start-up heap (``gc.freeze()``). All hubs get the same settings: the shipped
fedmsg.d/ (blocking mode), or worker threads with ``--threaded``. statscache
runs once for each count of ``--workers``: 0 counts in the hub's own process,
N in N worker processes (``statscache.consumer.workers``). The variants
alternate for ``--rounds`` rounds, and the medians are compared. Flow control keeps at most
``--window`` messages in flight, so the hub's own queue stays small and memory
reflects the consumer. statscache stores into a fresh SQLite file, or with
``--postgres`` into a fresh database of a private PostgreSQL started here
(tests/services/postgres.py). Prints msg/s of each (first to last message
consumed), the ratios, how long after its last message statscache had every
count in the database (a flusher that fell behind would show here), each
hub's RSS after warm-up and at its peak (its workers' added), the CPU time
per message of the hub and its workers and of the publisher (this process),
and the most those two costs allow on this machine's cores: a rate near that
bound means the machine, not a queue, is what holds the hub back.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import os
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import zmq
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import mix  # noqa: E402

FEDMSG_HUB = str(Path(sys.executable).with_name("fedmsg-hub"))
START = mix.START
BLOCK = 500  # messages sent between two flow-control checks
BASELINES = {
    "do-nothing": "hub_consumers:NullConsumer",
    "hub ceiling": "hub_consumers:CeilingConsumer",
}
STATSCACHE = "hub_consumers:TimedStatscacheConsumer"


def statscache_variant(workers: int) -> str:
    return "statscache" if workers == 0 else f"statscache, {workers} worker{'s' if workers > 1 else ''}"


Template = tuple[bytes, str, str, str]


def templates(name: str) -> list[Template]:
    """Each envelope of one cycle of the mix: its topic, and its JSON split around msg_id and timestamp."""
    parts = []
    for recorded in mix.envelopes(name):
        # msg_id first, then timestamp, then the rest in recorded order.
        envelope = {"msg_id": "@ID@", "timestamp": "@TS@"}
        envelope.update((key, value) for key, value in recorded.items() if key not in envelope)
        head, rest = json.dumps(envelope).split('"@ID@"')
        middle, tail = rest.split('"@TS@"')
        parts.append((envelope["topic"].encode(), head, middle, tail))
    return parts


def memory_kib(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM (peak) of a process and its running children, added."""
    fields = {"VmRSS": 0, "VmHWM": 0}
    for each in [pid, *children(pid)]:
        with contextlib.suppress(FileNotFoundError), open(f"/proc/{each}/status", encoding="ascii") as status:
            for line in status:
                name, _, value = line.partition(":")
                if name in fields:
                    fields[name] += int(value.split()[0])
    return fields


def cpu_seconds(pid: int) -> float:
    """User and system CPU time a process and its running children have used so far."""
    total = 0.0
    for each in [pid, *children(pid)]:
        with contextlib.suppress(FileNotFoundError), open(f"/proc/{each}/stat", encoding="ascii") as stat:
            fields = stat.read().rpartition(")")[2].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def children(pid: int) -> list[int]:
    """The processes ``pid`` started and that still run (statscache's workers)."""
    try:
        with open(f"/proc/{pid}/task/{pid}/children", encoding="ascii") as listed:
            return [int(child) for child in listed.read().split()]
    except FileNotFoundError:
        return []


def read_progress(path: Path) -> int:
    data = path.read_bytes()
    return struct.unpack("<q", data[:8])[0] if len(data) >= 8 else 0


def wait_stored(url: str, count: int, deadline: float) -> float:
    """When (perf_counter, the hub's clock too) the volume-1d table of database ``url`` first sums to ``count``."""
    engine = create_engine(url)
    try:
        while time.monotonic() < deadline:
            with engine.connect() as connection:
                found = connection.execute(text("SELECT sum(volume) FROM volume_1d")).scalar()
            stored = None if found is None else int(found)
            if stored == count:
                return time.perf_counter()
            if stored is not None and stored > count:
                raise SystemExit(f"statscache counted {stored} of {count} messages")
            time.sleep(0.01)
    finally:
        engine.dispose()
    raise SystemExit("statscache did not store every message in time")


def run(
    variant: str,
    consumer: str,
    workers: int,
    count: int,
    window: int,
    blocking: bool,
    parts: list[Template],
    step: float,
    plugins: list[str],
    database: str | None,
) -> dict[str, float]:
    """One hub's run; ``database`` is statscache's SQLAlchemy URL (None: a fresh SQLite file)."""
    with tempfile.TemporaryDirectory(prefix=f"bench-{variant}-") as workdir:
        work = Path(workdir)
        url = database or f"sqlite:///{work / 'statscache.sqlite'}"
        context = zmq.Context()
        pub = context.socket(zmq.PUB)
        pub.setsockopt(zmq.SNDHWM, 0)
        port = pub.bind_to_random_port("tcp://127.0.0.1")
        (work / "fedmsg.d").mkdir()
        overrides = {
            "endpoints": {"bench": [f"tcp://127.0.0.1:{port}"]},
            "statscache.sqlalchemy.uri": url,
            "statscache.consumer.epoch": "EPOCH",
            "statscache.consumer.workers": workers,
        }
        if plugins:
            overrides["statscache.plugins.enabled"] = plugins
        config = (ROOT / "fedmsg.d" / "statscache.py").read_text(encoding="utf-8")
        config += f"\nconfig.update({overrides!r})\n"
        config = config.replace("'EPOCH'", "datetime.datetime(2015, 1, 1, tzinfo=datetime.timezone.utc)")
        config += "config['logging']['handlers']['console']['level'] = 'WARNING'\n"
        config += f"config['moksha.blocking_mode'] = {blocking!r}\n"
        (work / "fedmsg.d" / "statscache.py").write_text(config, encoding="utf-8")
        progress = work / "progress"
        progress.write_bytes(struct.pack("<q", 0))
        env = dict(
            os.environ,
            # This checkout's statscache, whatever is installed (the hub and its workers import it from here).
            PYTHONPATH=os.pathsep.join([str(ROOT / "bench"), str(ROOT)]),
            BENCH_COUNT=str(count),
            BENCH_PROGRESS=str(progress),
            BENCH_RESULT=str(work / "result.json"),
        )
        with open(work / "hub.log", "wb") as log:
            hub = subprocess.Popen(
                [FEDMSG_HUB, "--with-consumers", consumer],
                cwd=work,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=log,
            )
        try:
            probe = json.dumps({"topic": "bench.probe", "msg": {}, "msg_id": "probe", "timestamp": 0})
            deadline = time.monotonic() + 60
            while read_progress(progress) != -1:
                if time.monotonic() > deadline or hub.poll() is not None:
                    raise SystemExit(f"{variant} hub never came up:\n{(work / 'hub.log').read_text()}")
                pub.send_multipart([b"bench.probe", probe.encode()])
                time.sleep(0.1)
            warm_rss = 0
            cpu_at_start = cpu_seconds(hub.pid)
            # This process is the publisher (and zmq's I/O thread): its CPU shares the machine with the hub's.
            publisher_at_start = time.process_time()
            # In blocks, so that the publisher outruns any hub: flow control and
            # random msg_ids once per block, not once per message.
            for block in range(0, count, BLOCK):
                size = min(BLOCK, count - block)
                while block + size - max(read_progress(progress), 0) > window:
                    time.sleep(0.001)
                if not warm_rss and block >= count // 10:
                    warm_rss = memory_kib(hub.pid)["VmRSS"]
                for i, msg_id in enumerate(mix.random_msg_ids(size), start=block):
                    topic, head, middle, tail = parts[i % len(parts)]
                    body = f'{head}"{msg_id}"{middle}{START + i * step:.3f}{tail}'
                    pub.send_multipart([topic, body.encode()])
            publisher_cpu = time.process_time() - publisher_at_start
            deadline = time.monotonic() + 600
            while not (work / "result.json").exists():
                if time.monotonic() > deadline or hub.poll() is not None:
                    raise SystemExit(f"{variant} hub did not finish:\n{(work / 'hub.log').read_text()[-3000:]}")
                time.sleep(0.05)
            time.sleep(0.05)
            result = json.loads((work / "result.json").read_text())
            stored = result["last"]
            if consumer == STATSCACHE:
                # Consuming is not enough: every message must reach the database, too.
                stored = wait_stored(url, count, deadline)
            memory = memory_kib(hub.pid)
            cpu = cpu_seconds(hub.pid) - cpu_at_start
            hub.send_signal(signal.SIGTERM)
            hub.wait(60)
            errors = sum(
                " ERROR]" in line or "CRITICAL]" in line
                for line in (work / "hub.log").read_text(errors="replace").splitlines()
            )
        finally:
            if hub.poll() is None:
                hub.kill()
            pub.close(linger=0)
            context.term()
        return {
            "rate": (count - 1) / (result["last"] - result["first"]),
            "stored_rate": (count - 1) / (stored - result["first"]),
            "lag": stored - result["last"],
            "warm_rss_mb": warm_rss / 1024,
            "peak_rss_mb": memory["VmHWM"] / 1024,
            "errors": errors,
            "cpu": cpu,
            "publisher_cpu": publisher_cpu,
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--mix", choices=mix.MIXES, default="fedora", help="the messages published (default fedora; see bench/mix.py)"
    )
    parser.add_argument("--count", type=int, default=100_000, help="messages per run (default 100,000)")
    parser.add_argument("--rounds", type=int, default=3, help="alternating runs of each variant (default 3)")
    parser.add_argument(
        "--workers",
        default="0",
        help="comma-separated worker counts statscache runs with, each a variant (default 0: in the hub's process)",
    )
    parser.add_argument("--window", type=int, default=5000, help="messages in flight at most (default 5,000)")
    parser.add_argument(
        "--threaded",
        action="store_true",
        help="run both hubs with moksha.blocking_mode False (consume on a worker thread), not as shipped",
    )
    parser.add_argument(
        "--plugins",
        default="",
        help="comma-separated plugins statscache runs (entry point names; default: every installed one)",
    )
    parser.add_argument(
        "--postgres",
        action="store_true",
        help="statscache stores into a private PostgreSQL (started here), not SQLite",
    )
    args = parser.parse_args()
    plugins = [name for name in args.plugins.split(",") if name]
    parts = templates(args.mix)
    step = mix.step(args.mix, args.count)
    print(mix.describe(args.mix), flush=True)
    variants = {name: (consumer, 0) for name, consumer in BASELINES.items()}
    counts = [int(each) for each in args.workers.split(",") if each.strip()]
    variants.update({statscache_variant(workers): (STATSCACHE, workers) for workers in counts})
    results: dict[str, list[dict[str, float]]] = {name: [] for name in variants}
    with contextlib.ExitStack() as stack:
        databases = itertools.repeat(None) if not args.postgres else postgres_databases(stack)
        store = "PostgreSQL" if args.postgres else "SQLite"
        print(f"{args.count:,} messages, {step:g} s of event time apart; statscache stores into {store}", flush=True)
        for round_ in range(args.rounds):
            for name, (consumer, workers) in variants.items():
                outcome = run(
                    name,
                    consumer,
                    workers,
                    args.count,
                    args.window,
                    not args.threaded,
                    parts,
                    step,
                    plugins,
                    next(databases),
                )
                results[name].append(outcome)
                counted = consumer == STATSCACHE
                lag = f", all stored {outcome['lag']:.2f} s after the last" if counted else ""
                lag += f", {outcome['errors']:,} errors logged" if outcome["errors"] else ""
                print(
                    f"round {round_ + 1} {name:>23}: {rate(outcome, counted):9.0f} msg/s{lag}, "
                    f"RSS {outcome['warm_rss_mb']:.1f} MB after warm-up, peak {outcome['peak_rss_mb']:.1f} MB, "
                    f"CPU {outcome['cpu'] / args.count * 1e6:.1f} µs/msg "
                    f"(publisher {outcome['publisher_cpu'] / args.count * 1e6:.1f})",
                    flush=True,
                )
    median = {
        name: statistics.median(rate(r, variants[name][0] == STATSCACHE) for r in runs)
        for name, runs in results.items()
    }
    growth = {name: max(r["peak_rss_mb"] - r["warm_rss_mb"] for r in runs) for name, runs in results.items()}
    cpu = {name: statistics.median(r["cpu"] for r in runs) / args.count * 1e6 for name, runs in results.items()}
    publisher = {
        name: statistics.median(r["publisher_cpu"] for r in runs) / args.count * 1e6 for name, runs in results.items()
    }
    cores = len(os.sched_getaffinity(0))
    print(f"\nmix {args.mix}, {args.count:,} messages, statscache on {store}, median of {args.rounds} round(s):")
    print("  (statscache's rate runs from its first message consumed to its last one counted in the database)")
    for name in variants:
        print(
            f"  {name:>23}: {median[name]:9.0f} msg/s, CPU {cpu[name]:.1f} µs/msg, "
            f"RSS growth after warm-up {growth[name]:.1f} MB; "
            f"{cores} cores at that CPU and the publisher's ({publisher[name]:.1f} µs/msg) allow at most "
            f"{cores * 1e6 / (cpu[name] + publisher[name]):.0f} msg/s"
        )
    for name in variants:
        if variants[name][0] == STATSCACHE:
            worst = max(r["lag"] for r in results[name])
            print(
                f"  {name}: ratio to do-nothing {median[name] / median['do-nothing']:.2f}, "
                f"to the hub ceiling {median[name] / median['hub ceiling']:.2f}; "
                f"everything stored at most {worst:.2f} s after its last message"
            )


def rate(outcome: dict[str, float], counted: bool) -> float:
    """Messages per second from the first consumed to the last consumed, or (``counted``) the last stored."""
    return float(outcome["stored_rate" if counted else "rate"])


def postgres_databases(stack: contextlib.ExitStack) -> Iterator[str]:
    """URLs of fresh databases on one private PostgreSQL, stopped when ``stack`` closes."""
    from tests.services.postgres import PostgresServer

    server = stack.enter_context(PostgresServer())
    print(
        f"PostgreSQL {server.bindir.parent.name} at {server.host}:{server.port}, a fresh database per hub", flush=True
    )
    for number in itertools.count(1):
        yield server.create_database(f"bench{number}")


if __name__ == "__main__":
    main()
