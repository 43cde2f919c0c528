#!/usr/bin/env python3
"""Backfill benchmark: a full backfill against merely downloading the same pages, and the pipeline's own rate.

    python bench/backfill.py [--mix fedora|autocloud] [--count 100000] [--latency 0.26] [--concurrency 4]
                             [--rounds 2] [--real]
    python bench/backfill.py --source db [--count 1000000] [--workers 2] [--store sqlite|postgresql] [--rounds 2]

``--source db`` reads datanommer's database instead: see bench/archive_db.py.

A datagrepper-compatible server (tests/fakes/fakegrepper.py, in a process of its
own) holds COUNT real messages of a mix (bench/mix.py), each with a fresh
msg_id, at whole seconds:

- ``--mix fedora`` (the default): the real examples the tests ship, 18
  categories weighted like Fedora's bus (buildsys 25%, pagure/git 15%, copr
  15%, bodhi 12%, fas 5%, the rest spread), spread over one day;
- ``--mix autocloud``: the recorded autocloud envelopes, 0.6 s apart.

Each answer takes ``--latency`` seconds, as a page of the real datagrepper does
here (0.26 s, ../shared/PLATFORM.md). With ``--real``, the messages are loaded
(through datanommer) into a real datagrepper 1.1.0 on a private PostgreSQL
instead, as the test suite runs it (tests/services/datagrepper.py). Two runs
use the same backfill engine, the same windows, pages and concurrency:

- download: every page fetched and parsed, the messages dropped;
- backfill: every message through the pipeline of every built-in plugin
  into a fresh SQLite database, flushed each second, coverage recorded.

A third run, pipeline, measures the pipeline's own rate, with no fetching at
all: COUNT envelopes of the same mix and times (already parsed) handed straight
to a fresh pipeline as backfill hands them in (``handle_history``), a
checkpoint per window of 2,000 messages (backfill's target), flushed each
second, then closed. ("pages" in its line: what the same messages would take.)

The runs alternate for ``--rounds``. Prints each one's wall time, pages,
msg/s, the ratio backfill/download (the target: at most 1.2, i.e. processing
hidden behind fetching), and the pipeline's best rate.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import archive_db  # noqa: E402
import mix  # noqa: E402

from statscache.config import Config  # noqa: E402
from statscache.history import fill  # noqa: E402
from statscache.history.backfill import TARGET_WINDOW_ROWS, Backfill  # noqa: E402
from statscache.history.client import ROWS_PER_PAGE, History  # noqa: E402
from statscache.ingest.pipeline import Pipeline  # noqa: E402
from statscache.plugins import registry  # noqa: E402

START = mix.START


def messages(name: str, count: int) -> list[dict[str, Any]]:
    """COUNT envelopes of the mix ``name``: fresh msg_ids, evenly spaced times (whole seconds, as datagrepper's)."""
    return mix.made(name, count, whole_seconds=True)


def serve(name: str, count: int, latency: float) -> None:
    """The server process: prints its URL, then serves until stdin closes."""
    from tests.fakes.fakegrepper import FakeDatagrepper, RawArchive

    with FakeDatagrepper(RawArchive(messages(name, count)), latency=latency) as server:
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


def open_pipeline(url: str, workdir: Path) -> Pipeline:
    """A pipeline of every built-in plugin on a fresh SQLite database."""
    config = Config(
        sqlalchemy_uri=f"sqlite:///{workdir / f'bench-{time.monotonic_ns()}.sqlite'}",
        consumer_epoch=datetime.fromtimestamp(START, tz=UTC),
        datagrepper_endpoint=url,
    )
    return Pipeline.open(config, registry.load(config))


def run(url: str, until: float, concurrency: int, download_only: bool, workdir: Path) -> dict[str, float]:
    pipeline = open_pipeline(url, workdir)
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


def run_pipeline(url: str, envelopes: list[dict[str, Any]], workdir: Path) -> dict[str, float]:
    """The pipeline alone: every envelope handed in as backfill hands a window's (about
    TARGET_WINDOW_ROWS), a checkpoint per window, flushed each second, then closed."""
    pipeline = open_pipeline(url, workdir)
    copies = [dict(envelope) for envelope in envelopes]  # fresh dicts, as parsed from a page
    idents = frozenset(p.ident for p in pipeline.plugins)
    began = time.perf_counter()
    last_flush = time.monotonic()
    for first in range(0, len(copies), TARGET_WINDOW_ROWS):
        window = copies[first : first + TARGET_WINDOW_ROWS]
        for envelope in window:
            pipeline.handle_history(envelope)
        after = first + TARGET_WINDOW_ROWS
        end = copies[after]["timestamp"] if after < len(copies) else window[-1]["timestamp"] + 1
        pipeline.checkpoint(window[0]["timestamp"], end, idents)
        if time.monotonic() - last_flush >= 1.0:
            pipeline.flush()
            last_flush = time.monotonic()
    pipeline.close()
    seconds = time.perf_counter() - began
    return {"seconds": seconds, "pages": -(-len(copies) // ROWS_PER_PAGE), "messages": len(copies)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--mix", choices=mix.MIXES, default="fedora", help="the messages in the history (default fedora; bench/mix.py)"
    )
    parser.add_argument("--count", type=int, default=100_000, help="messages in the history (default 100,000)")
    parser.add_argument("--latency", type=float, default=0.26, help="seconds per answer (default 0.26)")
    parser.add_argument("--concurrency", type=int, default=4, help="pages fetched at once (default 4)")
    parser.add_argument("--rounds", type=int, default=2, help="alternating runs of each (default 2)")
    parser.add_argument("--real", action="store_true", help="a real datagrepper 1.1.0 on PostgreSQL")
    parser.add_argument(
        "--source",
        choices=("datagrepper", "db"),
        default="datagrepper",
        help="where history comes from: datagrepper's /raw (default), or datanommer's database (bench/archive_db.py)",
    )
    parser.add_argument(
        "--workers", type=int, default=2, help="--source db: processes of the parallel runs (default 2)"
    )
    parser.add_argument(
        "--store",
        choices=("sqlite", "postgresql"),
        default="sqlite",
        help="--source db: statscache's own database (default sqlite; postgresql: on the archive's server)",
    )
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.mix, args.count, args.latency)
        return
    print(mix.describe(args.mix))
    if args.source == "db":
        archive_db.compare(args.mix, args.count, args.rounds, args.workers, args.store)
        return
    with contextlib.ExitStack() as stack:
        if args.real:
            url = stack.enter_context(real_datagrepper(args.mix, args.count))
            print(f"{args.count:,} messages in a real datagrepper at {url}, concurrency {args.concurrency}")
        else:
            url = stack.enter_context(fake_datagrepper(args.mix, args.count, args.latency))
            print(f"{args.count:,} messages at {url}, {args.latency} s per page, concurrency {args.concurrency}")
        compare(url, args.mix, args.count, args.concurrency, args.rounds)


def compare(url: str, name: str, count: int, concurrency: int, rounds: int) -> None:
    results: dict[str, list[dict[str, float]]] = {"download": [], "backfill": [], "pipeline": []}
    until = START + count * mix.step(name, count)
    envelopes = messages(name, count)  # for the pipeline run: the same mix and times as the server holds
    with tempfile.TemporaryDirectory() as workdir, logged(Path(workdir) / "bench.log") as records:
        for _ in range(rounds):
            for run_name in results:
                if run_name == "pipeline":
                    result = run_pipeline(url, envelopes, Path(workdir))
                else:
                    result = run(url, until, concurrency, run_name == "download", Path(workdir))
                results[run_name].append(result)
                print(
                    f"  {run_name:9s} {result['seconds']:7.2f} s  {result['pages']:5.0f} pages  "
                    f"{result['messages'] / result['seconds']:8,.0f} msg/s",
                    flush=True,
                )
    best = {run_name: min(r["seconds"] for r in runs) for run_name, runs in results.items()}
    print(f"mix {name}, {count:,} messages, best of {rounds}:")
    print(f"  backfill / download: {best['backfill'] / best['download']:.2f}")
    print(f"  the pipeline's own rate (no fetching): {count / best['pipeline']:,.0f} msg/s")
    print(f"  backfill's rate (fetching and pipeline): {count / best['backfill']:,.0f} msg/s")
    for (level, shape), number in records.most_common():
        print(f"  logged {number:,} times at {level} (all runs together): {shape[:100]}")


@contextlib.contextmanager
def logged(path: Path) -> Iterator[Counter[tuple[str, str]]]:
    """statscache's warnings and errors go to a file (as a hub's would), not to the terminal; counted by shape."""
    records: Counter[tuple[str, str]] = Counter()

    def count(record: logging.LogRecord) -> bool:
        records[(record.levelname, str(record.msg))] += 1
        return True

    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setLevel(logging.WARNING)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(count)
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield records
    finally:
        root.removeHandler(handler)
        handler.close()


@contextlib.contextmanager
def fake_datagrepper(name: str, count: int, latency: float) -> Iterator[str]:
    server = subprocess.Popen(
        [sys.executable, __file__, "--serve", "--mix", name, "--count", str(count), "--latency", str(latency)],
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
def real_datagrepper(name: str, count: int) -> Iterator[str]:
    from tests.services.datagrepper import Datagrepper
    from tests.services.postgres import PostgresServer

    with PostgresServer() as postgres, Datagrepper(postgres) as datagrepper:
        began = time.perf_counter()
        everything = messages(name, count)
        for start in range(0, count, 10_000):
            datagrepper.load(everything[start : start + 10_000])
        print(f"  loaded {count:,} messages through datanommer in {time.perf_counter() - began:.0f} s")
        yield datagrepper.url


if __name__ == "__main__":
    main()
