#!/usr/bin/env python3
"""Soak: statscache under steady live traffic for minutes, read and scraped meanwhile; nothing may drift.

    python bench/soak.py [--rate 1000] [--duration 600] [--prefill 1000000] [--postgres]

A real fedmsg-hub with statscache and every built-in plugin (the shipped
fedmsg.d/, its metrics port on) counts ``--rate`` messages a second of the
Fedora mix (bench/mix.py), each with a fresh msg_id and the event time of the
moment it is sent, for ``--duration`` seconds. Meanwhile ``statscache-web``
serves the same database, and a reader asks it, one request after another,
for the overview, a statistic's page of rows, a chart's series and the plugin
list; the hub's and the web app's ``/metrics`` are scraped every 5 seconds,
the hub's RSS (its workers' added) and the database's size sampled with them.

The database first holds ``--prefill`` messages of the mix counted over the
week before, as a database in service does: the ledger of a new database
costs more a message as it grows, until each new message costs it about one
page (README, ``bench/ledger.py``), and a soak that started empty would
measure that ramp rather than drift. ``--prefill 0`` measures it.

It prints, for the first and the last minute: the hub's RSS, the mean flush
duration (from statscache_flush_duration_seconds), the API's p95 latency and
the database's growth per message, then whether each stayed flat (the last
minute within 25% of the first, RSS within 25% plus 20 MB), and at the end
that every message sent is counted exactly once (volume-1d sums to the messages
sent).
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import mix  # noqa: E402
from ingest import memory_kib, templates  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402

from tests.services.hub import Bus, Hub, free_port  # noqa: E402

WEB = str(Path(sys.executable).with_name("statscache-web"))
#: What the reader asks the web app for, in turn.
READS = (
    "/",
    "/api/",
    "/api/volume-by-category-1m?rows_per_page=100",
    "/api/volume-by-topic-1h/series?last=3600",
    "/plugins/volume-1m",
)
SAMPLE_EVERY = 5.0


@dataclass
class Sample:
    at: float
    sent: int
    rss_mb: float
    database_bytes: int
    flush_sum: float
    flush_count: float


@dataclass
class Soak:
    samples: list[Sample] = field(default_factory=list)
    #: (when, seconds) of each API request.
    latencies: list[tuple[float, float]] = field(default_factory=list)
    errors: int = 0


def scrape(port: int) -> None:
    """Read the web app's /metrics, as Prometheus would (what it says is not used here)."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
        response.read()


def database_bytes(url: str, workdir: Path) -> int:
    if url.startswith("sqlite"):
        return sum(path.stat().st_size for path in workdir.glob("statscache.sqlite*"))
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return int(connection.execute(text("SELECT pg_database_size(current_database())")).scalar() or 0)
    finally:
        engine.dispose()


def read_api(base: str, soak: Soak, stop: threading.Event) -> None:
    """One request after another, in turn, timed; a failure is counted."""
    turn = 0
    while not stop.is_set():
        path = READS[turn % len(READS)]
        turn += 1
        began = time.perf_counter()
        try:
            with urllib.request.urlopen(base + path, timeout=30) as response:
                response.read()
        except OSError:
            soak.errors += 1
            stop.wait(0.5)
            continue
        soak.latencies.append((time.monotonic(), time.perf_counter() - began))
        stop.wait(0.05)


def publish(bus: Bus, rate: int, duration: float, sent: list[int]) -> None:
    """``rate`` messages a second for ``duration`` seconds, in tenths of a second, each timed now."""
    parts = templates("fedora")
    per_tick = max(1, rate // 10)
    began = time.monotonic()
    tick = 0
    while time.monotonic() - began < duration:
        now = time.time()
        for n, msg_id in enumerate(mix.random_msg_ids(per_tick)):
            topic, head, middle, tail = parts[(sent[0] + n) % len(parts)]
            bus.socket.send_multipart([topic, f'{head}"{msg_id}"{middle}{now:.3f}{tail}'.encode()])
        sent[0] += per_tick
        tick += 1
        delay = began + tick / 10 - time.monotonic()
        if delay > 0:
            time.sleep(delay)


def minute(soak: Soak, began: float, first: bool) -> dict[str, float]:
    """The figures of the first or the last minute."""
    samples = soak.samples
    end = samples[-1].at
    low, high = (began, began + 60) if first else (end - 60, end)
    inside = [s for s in samples if low <= s.at <= high]
    start, stop = inside[0], inside[-1]
    flushes = stop.flush_count - start.flush_count
    latencies = sorted(seconds for when, seconds in soak.latencies if low <= when <= high)
    return {
        "rss_mb": statistics.mean(s.rss_mb for s in inside),
        "flush_ms": (stop.flush_sum - start.flush_sum) / flushes * 1000 if flushes else float("nan"),
        "api_p95_ms": latencies[int(0.95 * (len(latencies) - 1))] * 1000 if latencies else float("nan"),
        "bytes_per_message": (stop.database_bytes - start.database_bytes) / max(1, stop.sent - start.sent),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", type=int, default=1000, help="messages a second (default 1,000)")
    parser.add_argument("--duration", type=float, default=600, help="seconds of traffic (default 600)")
    parser.add_argument(
        "--prefill", type=int, default=1_000_000, help="messages counted beforehand (default 1,000,000)"
    )
    parser.add_argument("--postgres", action="store_true", help="store into a private PostgreSQL, not SQLite")
    args = parser.parse_args()
    if args.duration < 120:
        parser.error("--duration must be at least 120 s: a first and a last minute")
    with contextlib.ExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="soak-")))
        url = next(postgres(stack)) if args.postgres else f"sqlite:///{workdir / 'statscache.sqlite'}"
        if args.prefill:
            prefill(url, args.prefill)
        bus = Bus()
        stack.callback(bus.close)
        hub = Hub(workdir, bus, **{"statscache.sqlalchemy.uri": url}).start()
        stack.callback(hub.kill)
        hub.wait_ready()
        web_port = free_port()
        web = subprocess.Popen(
            [WEB, "--port", str(web_port)], cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        stack.callback(web.kill)
        wait_serving(f"http://127.0.0.1:{web_port}/healthz/live", web)
        print(f"{mix.describe('fedora')}\n{args.rate:,} msg/s for {args.duration:.0f} s into {url.split(':')[0]}")
        soak, sent, stop = Soak(), [0], threading.Event()
        reader = threading.Thread(target=read_api, args=(f"http://127.0.0.1:{web_port}", soak, stop), daemon=True)
        publisher = threading.Thread(target=publish, args=(bus, args.rate, args.duration, sent), daemon=True)
        began = time.monotonic()
        reader.start()
        publisher.start()
        assert hub.process is not None
        while publisher.is_alive():
            publisher.join(SAMPLE_EVERY)
            hub_metrics = hub.samples()
            scrape(web_port)
            soak.samples.append(
                Sample(
                    time.monotonic(),
                    sent[0],
                    memory_kib(hub.process.pid)["VmRSS"] / 1024,
                    database_bytes(url, workdir),
                    hub_metrics.get("statscache_flush_duration_seconds_sum", 0.0),
                    hub_metrics.get("statscache_flush_duration_seconds_count", 0.0),
                )
            )
            done = soak.samples[-1]
            print(
                f"  {done.at - began:5.0f} s: {done.sent:,} sent, RSS {done.rss_mb:.1f} MB, "
                f"database {done.database_bytes / 1e6:.1f} MB",
                flush=True,
            )
        stop.set()
        reader.join(30)
        counted = wait_counted(url, sent[0] + args.prefill)
        first, last = minute(soak, began, True), minute(soak, began, False)
        report(first, last, soak, sent[0], counted - args.prefill)


def prefill(url: str, count: int) -> None:
    """Count ``count`` messages of the mix, sent over the week before now, into the database (as backfill would)."""
    from statscache.config import Config
    from statscache.ingest.pipeline import Pipeline
    from statscache.plugins import registry

    settings = Config(sqlalchemy_uri=url)
    pipeline = Pipeline.open(settings, registry.load(settings))
    began = time.monotonic()
    week_ago = time.time() - 7 * 86400
    for start in range(0, count, 100_000):
        for envelope in mix.made("fedora", min(100_000, count - start)):
            envelope["timestamp"] = week_ago + (envelope["timestamp"] - mix.START) * 7  # a week, not a day
            pipeline.handle_history(envelope)
        pipeline.flush()
    pipeline.close()
    print(f"prefilled {count:,} messages in {time.monotonic() - began:.0f} s", flush=True)


def wait_serving(url: str, web: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5):
                return
        except OSError:
            if web.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("statscache-web did not come up") from None
            time.sleep(0.2)


def wait_counted(url: str, sent: int, timeout: float = 60) -> int:
    engine = create_engine(url)
    deadline = time.monotonic() + timeout
    found = 0
    try:
        while time.monotonic() < deadline:
            with engine.connect() as connection:
                found = int(connection.execute(text("SELECT coalesce(sum(volume), 0) FROM volume_1d")).scalar() or 0)
            if found >= sent:
                break
            time.sleep(0.5)
    finally:
        engine.dispose()
    return found


def report(first: dict[str, float], last: dict[str, float], soak: Soak, sent: int, counted: int) -> None:
    print("\n                         first minute   last minute   flat")
    flat = {
        "rss_mb": last["rss_mb"] <= first["rss_mb"] * 1.25 + 20,
        "flush_ms": last["flush_ms"] <= first["flush_ms"] * 1.25 + 5,
        "api_p95_ms": last["api_p95_ms"] <= first["api_p95_ms"] * 1.25 + 10,
        "bytes_per_message": last["bytes_per_message"] <= first["bytes_per_message"] * 1.25 + 50,
    }
    names = {
        "rss_mb": "hub RSS (MB)",
        "flush_ms": "flush (ms, mean)",
        "api_p95_ms": "API p95 (ms)",
        "bytes_per_message": "database bytes/message",
    }
    for key, name in names.items():
        print(f"  {name:<23}{first[key]:>12.1f}  {last[key]:>12.1f}   {'yes' if flat[key] else 'NO'}")
    print(
        f"\n{sent:,} messages sent, {counted:,} counted in volume-1d ({'exact' if counted == sent else 'NOT exact'}); "
        f"{len(soak.latencies):,} API requests, {soak.errors} failed"
    )


def postgres(stack: contextlib.ExitStack) -> Iterator[str]:
    from tests.services.postgres import PostgresServer

    server = stack.enter_context(PostgresServer())
    yield server.create_database("soak")


if __name__ == "__main__":
    main()
