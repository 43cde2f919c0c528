#!/usr/bin/env python3
"""Backfill benchmark: a full backfill against merely downloading the same pages.

    python bench/backfill.py [--count 100000] [--latency 0.26] [--concurrency 4] [--rounds 2] [--real]

A datagrepper-compatible server (tests/fakes/fakegrepper.py, in a process of its
own) holds COUNT real-shaped messages: the recorded autocloud envelopes, each
with a fresh msg_id, 0.6 s apart as on Fedora's bus. Each answer takes
``--latency`` seconds, as a page of the real datagrepper does here (0.26 s,
../shared/PLATFORM.md). With ``--real``, the messages are loaded (through
datanommer) into a real datagrepper 1.1.0 on a private PostgreSQL instead, as
the test suite runs it (tests/services/datagrepper.py). Two runs use the same backfill engine, the same
windows, pages and concurrency:

- download: every page fetched and parsed, the messages dropped;
- backfill: every message through the pipeline of every built-in plugin
  into a fresh SQLite database, flushed each second, coverage recorded.

The runs alternate for ``--rounds``. Prints each one's wall time, pages,
msg/s, and the ratio backfill/download (the target: at most 1.2, i.e.
processing hidden behind fetching).
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from statscache.config import Config  # noqa: E402
from statscache.demo import SAMPLE  # noqa: E402
from statscache.history import fill  # noqa: E402
from statscache.history.backfill import Backfill  # noqa: E402
from statscache.history.client import History  # noqa: E402
from statscache.ingest.pipeline import Pipeline  # noqa: E402
from statscache.plugins import registry  # noqa: E402

START = 1444348800.0  # 2015-10-09 00:00 UTC
STEP = 0.6  # seconds between messages: Fedora's bus averages ~1.7 msg/s


def messages(count: int) -> list[dict[str, Any]]:
    """COUNT envelopes made from the recorded ones: fresh msg_ids, evenly spaced times (whole seconds)."""
    with gzip.open(SAMPLE, "rt", encoding="utf-8") as lines:
        recorded = [json.loads(line) for line in lines]
    return [
        dict(recorded[i % len(recorded)], msg_id=f"bench-{i:09d}", timestamp=float(int(START + i * STEP)))
        for i in range(count)
    ]


def serve(count: int, latency: float) -> None:
    """The server process: prints its URL, then serves until stdin closes."""
    from tests.fakes.fakegrepper import FakeDatagrepper, RawArchive

    with FakeDatagrepper(RawArchive(messages(count)), latency=latency) as server:
        print(server.url, flush=True)
        sys.stdin.read()


class Discard:
    """A sink that drops what it is given: the download-only run."""

    def handle_history(self, envelope: Any, audience: frozenset[str] | None = None) -> None:
        pass

    def checkpoint(self, start: float, end: float, idents: Any) -> None:
        pass

    def note_failure(self, start: float, end: float, idents: Any, reason: str) -> None:
        raise AssertionError(f"backfill failed: {reason}")


def run(url: str, count: int, concurrency: int, download_only: bool, workdir: Path) -> dict[str, float]:
    until = START + count * STEP
    config = Config(
        sqlalchemy_uri=f"sqlite:///{workdir / f'bench-{time.monotonic_ns()}.sqlite'}",
        consumer_epoch=datetime.fromtimestamp(START, tz=UTC),
        datagrepper_endpoint=url,
    )
    pipeline = Pipeline.open(config, registry.load(config))
    stretches = fill.plan(pipeline, until)
    sink: Any = Discard() if download_only else pipeline
    last_flush = time.monotonic()

    def flush_each_second(progress: Any) -> None:
        nonlocal last_flush
        if not download_only and time.monotonic() - last_flush >= 1.0:
            pipeline.flush()
            last_flush = time.monotonic()

    history = History(url, retries=0)
    runner = Backfill(history, sink, frozenset(p.ident for p in pipeline.plugins), concurrency, 0.0, flush_each_second)
    began = time.perf_counter()
    assert runner.run(stretches)
    if not download_only:
        pipeline.close()
    seconds = time.perf_counter() - began
    if download_only:
        pipeline.engine.dispose()
    return {"seconds": seconds, "pages": runner.progress.pages_done, "messages": runner.progress.messages}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=100_000, help="messages in the history (default 100,000)")
    parser.add_argument("--latency", type=float, default=0.26, help="seconds per answer (default 0.26)")
    parser.add_argument("--concurrency", type=int, default=4, help="pages fetched at once (default 4)")
    parser.add_argument("--rounds", type=int, default=2, help="alternating runs of each (default 2)")
    parser.add_argument("--real", action="store_true", help="a real datagrepper 1.1.0 on PostgreSQL")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.count, args.latency)
        return
    with contextlib.ExitStack() as stack:
        if args.real:
            url = stack.enter_context(real_datagrepper(args.count))
            print(f"{args.count:,} messages in a real datagrepper at {url}, concurrency {args.concurrency}")
        else:
            url = stack.enter_context(fake_datagrepper(args.count, args.latency))
            print(f"{args.count:,} messages at {url}, {args.latency} s per page, concurrency {args.concurrency}")
        compare(url, args.count, args.concurrency, args.rounds)


def compare(url: str, count: int, concurrency: int, rounds: int) -> None:
    results: dict[str, list[dict[str, float]]] = {"download": [], "backfill": []}
    with tempfile.TemporaryDirectory() as workdir:
        for _ in range(rounds):
            for name in results:
                result = run(url, count, concurrency, name == "download", Path(workdir))
                results[name].append(result)
                print(
                    f"  {name:9s} {result['seconds']:7.2f} s  {result['pages']:5.0f} pages  "
                    f"{result['messages'] / result['seconds']:8,.0f} msg/s"
                )
    best = {name: min(r["seconds"] for r in runs) for name, runs in results.items()}
    print(f"backfill / download (best of {rounds}): {best['backfill'] / best['download']:.2f}")


@contextlib.contextmanager
def fake_datagrepper(count: int, latency: float) -> Iterator[str]:
    server = subprocess.Popen(
        [sys.executable, __file__, "--serve", "--count", str(count), "--latency", str(latency)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        yield server.stdout.readline().strip()
    finally:
        if server.stdin is not None:
            server.stdin.close()
        server.wait(timeout=10)


@contextlib.contextmanager
def real_datagrepper(count: int) -> Iterator[str]:
    from tests.services.datagrepper import Datagrepper
    from tests.services.postgres import PostgresServer

    with PostgresServer() as postgres, Datagrepper(postgres) as datagrepper:
        began = time.perf_counter()
        everything = messages(count)
        for start in range(0, count, 10_000):
            datagrepper.load(everything[start : start + 10_000])
        print(f"  loaded {count:,} messages through datanommer in {time.perf_counter() - began:.0f} s")
        yield datagrepper.url


if __name__ == "__main__":
    main()
