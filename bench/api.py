#!/usr/bin/env python3
"""API benchmark: pages and a streamed export of a plugin table of 1,000,000 rows, on SQLite.

    python bench/api.py [--rows 1000000] [--requests 300]

Fills ``volume-by-category-1m`` with ROWS rows (a window a minute, 20
categories), then, in process through the WSGI app:

* times REQUESTS requests each of a 100-row page, with a time filter, at page 1
  and at a deep page (5,000 by default: rows 500,000 to 500,100), in both orders,
  and prints p50 and p95 (the target: p95 <= 10 ms, deep pages no slower);
* streams the whole table as CSV (``format=csv&stream=1``) in a fresh process and
  prints rows/s and that process's peak RSS (the target: >= 200,000 rows/s within
  100 MB).

The same pages without the table's tally (plain COUNT and OFFSET) are timed too,
side by side, to show what the tally buys.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert

from statscache.config import Config
from statscache.plugins.builtin.volume import VolumeByCategory
from statscache.store import tally
from statscache.store.engine import create_tables, make_engine
from statscache.web import create_app

START = datetime(2015, 1, 1, tzinfo=UTC)
CATEGORIES = [f"category-{i:02d}" for i in range(20)]
IDENT = "volume-by-category-1m"


def fill(uri: str, rows: int) -> None:
    plugin = VolumeByCategory(timedelta(minutes=1))
    engine = make_engine(uri)
    create_tables(engine, [plugin.model.__table__])
    batch: list[dict[str, object]] = []
    with engine.begin() as connection:
        for i in range(rows):
            minute, category = divmod(i, len(CATEGORIES))
            batch.append(
                {
                    "timestamp": START + timedelta(minutes=minute),
                    "category": CATEGORIES[category],
                    "volume": 1 + i % 97,
                }
            )
            if len(batch) == 20_000:
                connection.execute(insert(plugin.model), batch)
                batch = []
        if batch:
            connection.execute(insert(plugin.model), batch)
    engine.dispose()


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[max(0, int(len(ordered) * 0.95) - 1)]


def time_pages(uri: str, rows: int, requests: int, deep_page: int) -> dict[str, tuple[float, float]]:
    config = Config(sqlalchemy_uri=uri)
    client = create_app(config, plugins=[VolumeByCategory(timedelta(minutes=1))]).test_client()
    start = (START + timedelta(minutes=rows // len(CATEGORIES) // 10)).isoformat()
    cases = {
        "page 1, newest first": {"start": start, "page": 1},
        f"page {deep_page:,}, newest first": {"start": start, "page": deep_page},
        "page 1, oldest first": {"start": start, "page": 1, "order": "asc"},
        f"page {deep_page:,}, oldest first": {"start": start, "page": deep_page, "order": "asc"},
    }
    results = {}
    for name, params in cases.items():
        samples = []
        for _ in range(requests):
            began = time.perf_counter()
            response = client.get(f"/api/{IDENT}", query_string={**params, "rows_per_page": 100})
            body = response.get_data()
            samples.append((time.perf_counter() - began) * 1000)
            if response.status_code != 200 or body == b"[]":
                raise SystemExit(f"{name}: {response.status_code} {body[:200]!r}")
        results[name] = percentiles(samples)
    return results


def export(uri: str) -> None:
    """Child process: stream every row as CSV, print rows, seconds and peak RSS."""
    app = create_app(Config(sqlalchemy_uri=uri), plugins=[VolumeByCategory(timedelta(minutes=1))])
    client = app.test_client()
    began = time.perf_counter()
    response = client.get(f"/api/{IDENT}", query_string={"format": "csv", "stream": 1})
    lines = sum(chunk.count(b"\n") for chunk in response.response)
    elapsed = time.perf_counter() - began
    with open("/proc/self/status", encoding="ascii") as status:
        peak = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
    print(lines - 1, elapsed, peak / 1024)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows in the table (default 1,000,000)")
    parser.add_argument("--requests", type=int, default=300, help="requests per case (default 300)")
    parser.add_argument("--deep-page", type=int, default=5000, help="the deep page (default 5,000)")
    parser.add_argument("--export-only", metavar="URI", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.export_only:
        export(args.export_only)
        return
    with tempfile.TemporaryDirectory(prefix="bench-api-") as workdir:
        plain = f"sqlite:///{Path(workdir) / 'plain.sqlite'}"
        tallied = f"sqlite:///{Path(workdir) / 'tallied.sqlite'}"
        began = time.perf_counter()
        fill(plain, args.rows)
        print(f"filled {args.rows:,} rows in {time.perf_counter() - began:.1f} s")
        (Path(workdir) / "tallied.sqlite").write_bytes((Path(workdir) / "plain.sqlite").read_bytes())
        engine = make_engine(tallied)
        tally.install(engine, [VolumeByCategory(timedelta(minutes=1))])
        engine.dispose()
        deep = min(args.deep_page, args.rows // 100 // 2)
        with_tally = time_pages(tallied, args.rows, args.requests, deep)
        without = time_pages(plain, args.rows, max(20, args.requests // 10), deep)
        print(f"\n100-row pages with a time filter, {args.rows:,} rows (p50 / p95 in ms):")
        print(f"  {'':28} {'with the tally':>18} {'COUNT and OFFSET':>20}")
        for name, (p50, p95) in with_tally.items():
            other = without[name]
            print(f"  {name:28} {p50:8.2f} / {p95:6.2f} {other[0]:10.2f} / {other[1]:6.2f}")
        child = subprocess.run(
            [sys.executable, __file__, "--export-only", tallied], capture_output=True, text=True, check=True
        )
        exported, seconds, peak = child.stdout.split()
        rate = int(exported) / float(seconds)
        print(f"\nstreamed CSV export: {int(exported):,} rows in {float(seconds):.2f} s = {rate:,.0f} rows/s, ", end="")
        print(f"peak RSS of the exporting process {float(peak):.1f} MB")


if __name__ == "__main__":
    main()
