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

Then the questions of issue 17, each over its own table of ROWS rows, with the day,
week and month sums statscache keeps (:mod:`statscache.store.levels`) computed
from the rows at start, as the daemon does for a database it upgrades:

* **rollup**: ``volume-by-category-1h`` with 40 categories an hour (1,000,000 rows
  are 2.9 years), and its ``-1d`` family member; one year as ``?interval=1w``
  (2,120 rows: the first 100-row page, and all of them streamed);
* **top**: ``volume-by-user-1d`` with 2,740 users a day of 20,000 (a few very
  active, most rarely: Zipf), a year of them; the top 10 over that year, and over
  a year starting mid-month (its ends read from the days).

Each is timed beside what the database takes to answer the same from the rows
alone (one GROUP BY), the way statscache would without the sums. The target:
p95 <= 10 ms.

    python bench/api.py [--only pages|rollup|top]
"""

from __future__ import annotations

import argparse
import itertools
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert, text

from statscache.config import Config
from statscache.plugins.builtin.volume import VolumeByCategory, VolumeByUser
from statscache.store import schema, tally
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


def timed(client: Any, url: str, params: dict[str, Any], requests: int) -> tuple[float, float]:
    """p50 and p95 (ms) of ``requests`` GETs, each read whole; any answer but a non-empty 200 stops the bench."""
    samples = []
    for _ in range(requests):
        began = time.perf_counter()
        response = client.get(url, query_string=params)
        body = response.get_data()
        samples.append((time.perf_counter() - began) * 1000)
        if response.status_code != 200 or body in (b"[]", b""):
            raise SystemExit(f"{url} {params}: {response.status_code} {body[:200]!r}")
    return percentiles(samples)


def timed_sql(uri: str, statement: str, parameters: dict[str, Any], requests: int) -> tuple[float, float]:
    """p50 and p95 (ms) of a statement run on its own: what the database takes to answer from the rows."""
    engine = make_engine(uri)
    samples = []
    with engine.connect() as connection:
        for _ in range(requests):
            began = time.perf_counter()
            connection.execute(text(statement), parameters).all()
            samples.append((time.perf_counter() - began) * 1000)
    engine.dispose()
    return percentiles(samples)


def family(plugin_class: type, windows: list[int]) -> list[Any]:
    return [plugin_class(timedelta(seconds=seconds)) for seconds in windows]


def fill_family(uri: str, plugins: list[Any], rows: Iterable[tuple[int, str, int]]) -> int:
    """Write the rows (window start, category, volume) of the family's finest table, and the same summed into
    each longer one's; then make the database ready as the daemon does (the tally, the day/week/month sums)."""
    engine = make_engine(uri)
    create_tables(engine, [plugin.model.__table__ for plugin in plugins])
    sums: list[Counter[tuple[int, str]]] = [Counter() for _ in plugins]
    written = 0
    for window, category, volume in rows:
        for plugin, counted in zip(plugins, sums, strict=True):
            seconds = int(plugin.interval.total_seconds())
            counted[(window // seconds * seconds, category)] += volume
        written += 1
    with engine.begin() as connection:
        for plugin, counted in zip(plugins, sums, strict=True):
            batch = [
                {"timestamp": datetime.fromtimestamp(window, tz=UTC), "category": category, "volume": volume}
                for (window, category), volume in counted.items()
            ]
            for i in range(0, len(batch), 50_000):
                connection.execute(insert(plugin.model), batch[i : i + 50_000])
    schema.prepare(engine, plugins)
    engine.dispose()
    return written


def rollup_case(workdir: Path, rows: int, requests: int) -> None:
    uri = f"sqlite:///{workdir / 'rollup.sqlite'}"
    plugins = family(VolumeByCategory, [3600, 86400])
    categories = [f"category-{i:02d}" for i in range(40)]
    first = int(START.timestamp())

    def generated() -> Iterator[tuple[int, str, int]]:
        for i in range(rows):
            hour, category = divmod(i, len(categories))
            yield first + hour * 3600, categories[category], 1 + i % 97

    began = time.perf_counter()
    fill_family(uri, plugins, generated())
    last = first + (rows // len(categories)) * 3600
    year = {"start": last - 365 * 86400, "stop": last}
    filled = time.perf_counter() - began
    print(f"\nrollup: volume-by-category-1h, {rows:,} rows (and its -1d), filled in {filled:.1f} s")
    client = create_app(Config(sqlalchemy_uri=uri), plugins=plugins).test_client()
    url = "/api/volume-by-category-1h"
    page = timed(client, url, {**year, "interval": "1w"}, requests)
    whole = timed(client, url, {**year, "interval": "1w", "stream": 1}, max(20, requests // 5))
    epoch = "CAST(strftime('%s', timestamp) AS INTEGER)"
    week = f"({epoch} - 345600) / 604800"
    grouped = (
        f"SELECT {week}, category, SUM(volume) FROM {{table}} WHERE timestamp >= :low AND timestamp < :high "
        "GROUP BY 1, 2"
    )
    bounds = {
        "low": datetime.fromtimestamp(year["start"], tz=UTC).strftime("%Y-%m-%d %H:%M:%S.%f"),
        "high": datetime.fromtimestamp(year["stop"], tz=UTC).strftime("%Y-%m-%d %H:%M:%S.%f"),
    }
    from_days = timed_sql(uri, grouped.format(table="volume_by_category_1d"), bounds, max(10, requests // 10))
    from_hours = timed_sql(uri, grouped.format(table="volume_by_category_1h"), bounds, max(5, requests // 60))
    print("  one year as ?interval=1w (p50 / p95 in ms):")
    print(f"    first 100-row page, from the week sums     {page[0]:8.2f} / {page[1]:6.2f}")
    print(f"    all 2,120 rows streamed, from the sums     {whole[0]:8.2f} / {whole[1]:6.2f}")
    print(f"    GROUP BY over the year's -1d rows          {from_days[0]:8.2f} / {from_days[1]:6.2f}")
    print(f"    GROUP BY over the year's -1h rows          {from_hours[0]:8.2f} / {from_hours[1]:6.2f}")


def top_case(workdir: Path, rows: int, requests: int) -> None:
    uri = f"sqlite:///{workdir / 'top.sqlite'}"
    plugins = family(VolumeByUser, [86400])
    chance = random.Random(2015)
    population = [f"user-{i:05d}" for i in range(20_000)]
    weights = list(itertools.accumulate(1 / (rank + 1) ** 1.05 for rank in range(len(population))))
    per_day = 2_740
    days = max(1, rows // per_day)
    first = int(START.timestamp())

    def generated() -> Iterator[tuple[int, str, int]]:
        for day in range(days):
            active: set[str] = set()
            while len(active) < per_day:
                active.update(chance.choices(population, cum_weights=weights, k=per_day - len(active)))
            for user in active:
                rank = int(user[5:])
                yield first + day * 86400, user, 1 + int(chance.expovariate(1.0) * 400 / (rank + 1) ** 0.8)

    began = time.perf_counter()
    written = fill_family(uri, plugins, generated())
    print(f"\ntop: volume-by-user-1d, {written:,} rows over {days} days, filled in {time.perf_counter() - began:.1f} s")
    client = create_app(Config(sqlalchemy_uri=uri), plugins=plugins).test_client()
    url = "/api/volume-by-user-1d/top"
    whole_year = {"start": first, "stop": first + days * 86400, "n": 10}
    shifted = {"start": first + 15 * 86400 + 43200, "stop": first + 15 * 86400 + 43200 + (days - 30) * 86400, "n": 10}
    aligned = timed(client, url, whole_year, requests)
    cut = timed(client, url, shifted, requests)
    statement = (
        "SELECT category, SUM(volume) AS total FROM volume_by_user_1d WHERE timestamp >= :low AND timestamp < :high "
        "GROUP BY category ORDER BY total DESC, category LIMIT 10"
    )
    bounds = {
        "low": datetime.fromtimestamp(first, tz=UTC).strftime("%Y-%m-%d %H:%M:%S.%f"),
        "high": datetime.fromtimestamp(first + days * 86400, tz=UTC).strftime("%Y-%m-%d %H:%M:%S.%f"),
    }
    grouped = timed_sql(uri, statement, bounds, max(5, requests // 60))
    print("  top 10 users (p50 / p95 in ms):")
    print(f"    over the whole year                        {aligned[0]:8.2f} / {aligned[1]:6.2f}")
    print(f"    over a year from the middle of a month     {cut[0]:8.2f} / {cut[1]:6.2f}")
    print(f"    GROUP BY over the year's rows              {grouped[0]:8.2f} / {grouped[1]:6.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows in the table (default 1,000,000)")
    parser.add_argument("--requests", type=int, default=300, help="requests per case (default 300)")
    parser.add_argument("--deep-page", type=int, default=5000, help="the deep page (default 5,000)")
    parser.add_argument("--only", choices=["pages", "rollup", "top"], help="one case alone")
    parser.add_argument("--export-only", metavar="URI", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.export_only:
        export(args.export_only)
        return
    if args.only in ("rollup", "top"):
        with tempfile.TemporaryDirectory(prefix="bench-api-") as workdir:
            case = rollup_case if args.only == "rollup" else top_case
            case(Path(workdir), args.rows, args.requests)
        return
    with tempfile.TemporaryDirectory(prefix="bench-api-") as workdir:
        if args.only is None:
            rollup_case(Path(workdir), args.rows, args.requests)
            top_case(Path(workdir), args.rows, args.requests)
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
