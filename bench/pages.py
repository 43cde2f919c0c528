#!/usr/bin/env python3
"""Pages benchmark: the overview (``/``) of every built-in plugin over tables of 1,000,000 rows each, on SQLite.

    python bench/pages.py [--rows 1000000] [--requests 20] [--database PATH] [--rebuild] [--breakdown] [--browser]

Builds a database the way the daemon prepares one (its tables, indexes, tally
and triggers: ``statscache.store.schema.prepare``) holding ROWS rows in each of
the 29 tables of the built-in plugins with the default configuration, filled
with realistic data ending at a fixed time (2025-01-01 UTC):

* a volume table: one row per window (plugin.interval), going back from the end
  (but not before 1970: a day table holds 55 years of days, ~20,000 rows);
* a categorized table: 20 to 50 categories each window (more where ROWS would
  not fit since 1970), drawn from a pool of a few hundred names;
* a latest-event table: ROWS distinct categories, their times spread over the
  year before the end.

Each table is loaded in one transaction of big ``executemany`` batches, then
the schema is prepared as the daemon does, which installs the tally triggers
and counts the rows already there (the same tally the triggers would have
kept). Every plugin gets its ledger state (newest time counted) and a covered
stretch, so every card is full. The database is kept in ``.cache/bench-pages/``
(or ``--database``) and reused while its parameters match (``--rebuild``
forces a new one).

Then the real web app (``create_app`` with ``registry.load``) answers, through
Flask's test client and through a real HTTP server (waitress, as
``statscache-web`` runs it, on a free localhost port, with ``requests``):

* ``GET /`` as a browser asks for it (``Accept: text/html``): the target is a
  p50 under 1 s;
* one plugin page, ``/plugins/volume-by-topic-1h``;
* the week chart that page asks for, ``/api/volume-by-topic-1h/series?last=604800``.

After a few warm-up requests, REQUESTS timed requests of each; prints p50, p95
and max in ms and the response size. ``--breakdown`` also times the overview's
two queries per plugin (newest row, sparkline) on their own.

``--browser`` also measures what a reader waits for: the overview rendered by a
real headless Chromium (Debian's ``chromium`` and ``chromedriver``, driven by
selenium as the browser tests do, ``tests/services/browser.py``: a fresh
profile, nothing but 127.0.0.1 resolves) from the same HTTP server. After a few
warm-up loads, REQUESTS fresh navigations (``about:blank`` between them; the
static files stay in the browser's cache, as on a reader's second visit), each
timed in ms since navigation began, from the page's Navigation Timing entry:

* first byte (``responseStart``) and the page received (``responseEnd``);
* ``domContentLoadedEventEnd`` (the charts are built in its handler) and
  ``loadEventEnd``;
* all charts drawn: ``performance.now()`` once every sparkline (``.spark
  .chart``) has its canvas and uPlot has drawn them (read right after its
  drawing microtasks; each canvas is then checked to hold a drawing), noted by
  a watcher the browser runs before the page's own scripts;
* charts seen by webdriver: ``performance.now()`` when selenium, polling after
  the load event, sees as many ``.spark canvas`` as ``.spark .chart`` (an upper
  bound that includes selenium's own round trips).

The target: all charts drawn at a p50 under 1 s. The browser's console must
stay free of errors (SEVERE entries): any are printed.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # statscache from this checkout, and tests.services.browser for --browser
CACHE = ROOT / ".cache" / "bench-pages"
#: Bump when the data the script builds changes: older cached databases are then rebuilt.
FORMAT = 1
END = datetime(2025, 1, 1, tzinfo=UTC)
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
SEED = 20250101
BATCH = 50_000
WARM_UP = 3
TARGET_MS = 1000.0
PLUGIN = "volume-by-topic-1h"
URLS = ("/", f"/plugins/{PLUGIN}", f"/api/{PLUGIN}/series?last=604800")
STATUSES = ("complete", "failed", "running", "canceled", "queued")


def stamp(moment: datetime) -> str:
    """How SQLAlchemy's DateTime stores a (naive UTC) time on SQLite."""
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f")


def rows_of(plugin: Any, rows: int, rng: Any) -> tuple[str, list[str], Any, datetime, datetime]:
    """(SQL insert, columns, a generator of row tuples in key order, oldest time, newest time) of a plugin's table."""
    table = plugin.model.__table__
    names = plugin.model.column_names()
    sql = f'INSERT INTO "{table.name}" ({", ".join(names)}) VALUES ({", ".join("?" * len(names))})'
    if "volume" not in names:  # latest event per category
        year = 365 * 86400
        times = [END - timedelta(seconds=rng.randrange(year)) for _ in range(rows)]

        def events() -> Any:
            for i, moment in enumerate(times):
                yield (
                    f"{table.name}-{i:07d}",
                    stamp(moment),
                    f"2024-{i:08x}-0000-4000-a000-{rng.getrandbits(48):012x}",
                    STATUSES[rng.randrange(len(STATUSES))],
                    f"https://koji.fedoraproject.org/koji/taskinfo?taskID={i}",
                )

        return sql, names, events(), min(times), max(times)
    window = plugin.interval
    fit = int((END - EARLIEST) / window)
    if "category" not in names:
        windows = min(rows, fit)
        oldest = END - windows * window

        def volumes() -> Any:
            for i in range(windows):
                yield stamp(oldest + i * window), 1 + rng.randrange(400)

        return sql, names, volumes(), oldest, END - window
    low = max(20, -(-rows // fit))
    high = max(50, low)
    counts = []
    left = rows
    while left > 0:
        counts.append(min(left, rng.randint(low, high)))
        left -= counts[-1]
    oldest = END - len(counts) * window
    pool = [f"{table.name.rsplit('_', 1)[0]}.{i:03d}" for i in range(max(300, high))]
    weights = [1000 // (rank + 1) + 1 for rank in range(len(pool))]  # a few busy categories, a long tail

    def categorized() -> Any:
        for i, count in enumerate(counts):
            when = stamp(oldest + i * window)
            for index in sorted(rng.sample(range(len(pool)), count)):
                yield when, pool[index], 1 + rng.randrange(weights[index])

    return sql, names, categorized(), oldest, END - window


def build(path: Path, rows: int) -> dict[str, Any]:
    """Make the database at ``path`` (a new file); returns what it holds."""
    import random

    from sqlalchemy.orm import Session
    from tqdm import tqdm

    from statscache.config import Config
    from statscache.plugins import registry
    from statscache.store import coverage, schema
    from statscache.store.engine import create_tables, make_engine
    from statscache.store.ledger import PluginState

    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    uri = f"sqlite:///{path}"
    plugins = registry.load(Config(sqlalchemy_uri=uri))
    engine = make_engine(uri)
    rng = random.Random(SEED)
    began = time.perf_counter()
    # The plugins' tables with their keys and indexes; their tally triggers come with schema.prepare below,
    # which then counts the rows already there: the tally the triggers would have kept, for a fraction of the time.
    create_tables(engine, [plugin.model.__table__ for plugin in plugins])
    spans: dict[str, tuple[datetime, datetime]] = {}
    counts: dict[str, int] = {}
    progress = tqdm(total=len(plugins) * rows, unit="row", unit_scale=True, desc="filling")
    for plugin in plugins:
        sql, _names, generated, oldest, newest = rows_of(plugin, rows, rng)
        progress.set_postfix_str(plugin.ident)
        written = 0
        with engine.begin() as connection:
            batch: list[tuple[Any, ...]] = []
            for row in generated:
                batch.append(row)
                if len(batch) == BATCH:
                    connection.exec_driver_sql(sql, batch)
                    written += len(batch)
                    progress.update(len(batch))
                    batch = []
            if batch:
                connection.exec_driver_sql(sql, batch)
                written += len(batch)
                progress.update(len(batch))
        progress.update(rows - written)  # a table that holds fewer rows (a volume table since 1970)
        counts[plugin.ident] = written
        spans[plugin.ident] = (oldest, newest)
    progress.close()
    filled = time.perf_counter() - began
    schema.prepare(engine, plugins)  # what the daemon does at start: ledger, coverage, tally and its triggers
    with Session(engine) as session, session.begin():
        for plugin in plugins:
            oldest, newest = spans[plugin.ident]
            session.add(PluginState(ident=plugin.ident, latest=newest))
            coverage.add(session, [plugin.ident], oldest.timestamp(), END.timestamp())
    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return {
        "rows": rows,
        "written": sum(counts.values()),
        "tables": len(plugins),
        "fill_s": round(filled, 1),
        "build_s": round(time.perf_counter() - began, 1),
        "smallest": min(counts.items(), key=lambda item: item[1]),
    }


def percentiles(samples: list[float]) -> tuple[float, float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[max(0, int(len(ordered) * 0.95 + 0.5) - 1)], ordered[-1]


def measure(get: Any, url: str, requests: int) -> tuple[tuple[float, float, float], int]:
    """p50, p95 and max in ms of ``requests`` timed requests of ``url`` after a warm-up; and the body's size."""
    size = 0
    for _ in range(WARM_UP):
        get(url)
    samples = []
    for _ in range(requests):
        began = time.perf_counter()
        status, size = get(url)
        samples.append((time.perf_counter() - began) * 1000)
        if status != 200:
            raise SystemExit(f"GET {url}: HTTP {status}")
    return percentiles(samples), size


@contextmanager
def served(uri: str) -> Iterator[tuple[Any, str]]:
    """The web app over ``uri`` and the base URL of a real HTTP server answering for it (waitress, as
    ``statscache-web`` runs it, on a free localhost port); the server stops on leaving."""
    from statscache.config import Config
    from statscache.plugins import registry
    from statscache.web import create_app
    from statscache.web.server import create_server

    config = Config(sqlalchemy_uri=uri)
    app = create_app(config, plugins=registry.load(config))
    server = create_server(
        app, host="127.0.0.1", port=0, threads=config.app_worker_threads, connection_limit=100, channel_timeout=60
    )
    port = server.effective_port  # type: ignore[union-attr]
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield app, f"http://127.0.0.1:{port}"
    finally:
        server.task_dispatcher.shutdown()  # type: ignore[union-attr]  # its threads first: they wake the loop
        server.close()


def time_urls(app: Any, base: str, requests: int) -> dict[tuple[str, str], tuple[tuple[float, float, float], int]]:
    import requests as http

    headers = {"Accept": "text/html"}
    client = app.test_client()

    def in_process(url: str) -> tuple[int, int]:
        response = client.get(url, headers=headers)
        return response.status_code, len(response.get_data())

    session = http.Session()

    def over_http(url: str) -> tuple[int, int]:
        response = session.get(f"{base}{url}", headers=headers, timeout=60)
        return response.status_code, len(response.content)

    results = {}
    try:
        for url in URLS:
            results[(url, "test client")] = measure(in_process, url, requests)
            results[(url, "HTTP (waitress)")] = measure(over_http, url, requests)
    finally:
        session.close()
    return results


#: Run in the page before its own scripts: notes ``performance.now()`` the moment every sparkline (``.spark .chart``)
#: has its canvas and every canvas holds a drawing (uPlot draws a chart in a microtask after building it: the time is
#: read in a microtask queued after those; the pixels are checked in a later task, so as not to lengthen the page's
#: own DOMContentLoaded handling, and until every canvas holds a drawing the time is read again).
WATCH_CHARTS = """
(function () {
  var seen = false;
  function drawn(canvas) {
    var pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
    for (var i = 3; i < pixels.length; i += 4) if (pixels[i]) return true;
    return false;
  }
  function settle() {
    var now = performance.now();
    setTimeout(function () {
      if (Array.prototype.every.call(document.querySelectorAll(".spark canvas"), drawn)) {
        window.__benchChartsDrawn = now;
      } else {
        settle();
      }
    }, 0);
  }
  function check() {
    if (seen || document.readyState === "loading") return;
    var charts = document.querySelectorAll(".spark .chart").length;
    if (document.querySelectorAll(".spark canvas").length !== charts) return;
    seen = true;
    window.__benchChartsFound = performance.now();
    queueMicrotask(settle);
  }
  new MutationObserver(check).observe(document, { childList: true, subtree: true });
  document.addEventListener("DOMContentLoaded", function () { setTimeout(check, 0); });
})();
"""
#: What the page says of itself once drawn, in ms since navigation began (Navigation Timing and the watch above).
READ_TIMES = """
var nav = performance.getEntriesByType("navigation")[0];
return {
  charts: document.querySelectorAll(".spark .chart").length,
  first_byte: nav.responseStart,
  html: nav.responseEnd,
  dom: nav.domContentLoadedEventEnd,
  load: nav.loadEventEnd,
  drawn: window.__benchChartsDrawn,
  polled: performance.now(),
};
"""
#: The browser's figures, in the order printed: (key, what it is).
RENDER_ROWS = (
    ("first_byte", "first byte (responseStart)"),
    ("html", "page received (responseEnd)"),
    ("dom", "domContentLoadedEventEnd"),
    ("load", "loadEventEnd"),
    ("drawn", "all charts drawn"),
    ("polled", "charts seen by webdriver"),
)


def time_render(base: str, runs: int) -> tuple[dict[str, tuple[float, float, float]], int, list[dict[str, Any]]]:
    """The overview in a real headless Chromium: p50, p95 and max in ms since navigation began of each of
    :data:`RENDER_ROWS` over ``runs`` fresh navigations after a warm-up; the charts drawn; the console's errors."""
    from selenium.common.exceptions import TimeoutException

    from tests.services.browser import Browser

    samples: dict[str, list[float]] = {key: [] for key, _ in RENDER_ROWS}
    errors: list[dict[str, Any]] = []
    charts = 0
    with Browser() as browser:
        driver = browser.driver
        driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": WATCH_CHARTS})
        for run in range(WARM_UP + runs):
            driver.get("about:blank")  # each run a fresh navigation, nothing of the last page left
            driver.get(f"{base}/")  # returns once the page's load event has fired
            try:
                browser.wait(
                    lambda d: d.execute_script(
                        "return document.querySelectorAll('.spark canvas').length"
                        " === document.querySelectorAll('.spark .chart').length"
                        " && window.__benchChartsDrawn !== undefined"
                    ),
                    timeout=60,
                )
            except TimeoutException as timeout:
                errors.extend(browser.console_errors())
                message = f"the overview's charts were not all drawn within 60 s; console errors: {errors}"
                raise SystemExit(message) from timeout
            times = driver.execute_script(READ_TIMES)
            errors.extend(browser.console_errors())
            charts = times["charts"]
            if run >= WARM_UP:
                for key, _ in RENDER_ROWS:
                    samples[key].append(float(times[key]))
    return {key: percentiles(values) for key, values in samples.items()}, charts, errors


def breakdown(uri: str) -> list[tuple[str, float, float]]:
    """(ident, ms for the newest row, ms for the sparkline) of each plugin as the overview reads them, slowest first."""
    from statscache.config import Config
    from statscache.plugins import registry
    from statscache.store.engine import make_reader_engine
    from statscache.web.pages import SPARK_POINTS, _recent
    from statscache.web.series import newest, series

    engine = make_reader_engine(uri)
    timings = []
    with engine.connect() as connection:
        for plugin in registry.load(Config(sqlalchemy_uri=uri)):
            began = time.perf_counter()
            last = newest(connection, plugin)
            middle = time.perf_counter()
            if last is not None:
                stop, start = _recent(plugin, last)
                series(connection, plugin, start, stop, top=0, points=SPARK_POINTS)
            timings.append((plugin.ident, (middle - began) * 1000, (time.perf_counter() - middle) * 1000))
    engine.dispose()
    return sorted(timings, key=lambda timing: -(timing[1] + timing[2]))


def prepare_again(path: Path) -> None:
    """What a daemon's start does to a database an older statscache made: missing indexes and tallies added."""
    from sqlalchemy import create_engine

    from statscache.config import Config
    from statscache.plugins import registry
    from statscache.store import schema

    engine = create_engine(f"sqlite:///{path}")
    try:
        schema.prepare(engine, registry.load(Config()))
    finally:
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows per table (default 1,000,000)")
    parser.add_argument("--requests", type=int, default=20, help="timed requests per URL (default 20)")
    parser.add_argument("--database", type=Path, help="the SQLite file (default .cache/bench-pages/rows-ROWS.sqlite)")
    parser.add_argument("--rebuild", action="store_true", help="build the database anew even if it matches")
    parser.add_argument("--breakdown", action="store_true", help="also time the overview's queries per plugin")
    parser.add_argument(
        "--browser", action="store_true", help="also time the overview's render in a headless Chromium (selenium)"
    )
    args = parser.parse_args()

    path = (args.database or CACHE / f"rows-{args.rows}.sqlite").resolve()
    recipe = {"format": FORMAT, "rows": args.rows, "seed": SEED, "end": END.isoformat()}
    described = Path(f"{path}.json")
    known = json.loads(described.read_text(encoding="utf-8")) if described.exists() else {}
    if args.rebuild or not path.exists() or known.get("recipe") != recipe:
        described.unlink(missing_ok=True)
        print(f"building {path} ({args.rows:,} rows per table)")
        built = build(path, args.rows)
        known = {"recipe": recipe, "built": built}
        described.write_text(json.dumps(known, indent=2), encoding="utf-8")
    else:
        print(f"reusing {path} (--rebuild to build it anew); preparing it as a daemon's start does")
        prepare_again(path)
    built = known["built"]
    smallest, fewest = built["smallest"]
    print(
        f"database: {built['tables']} tables, {built['written']:,} rows (fewest: {fewest:,} in {smallest}), "
        f"{path.stat().st_size / 2**20:,.0f} MiB; built in {built['build_s']:.1f} s "
        f"({built['fill_s']:.1f} s filling, the rest preparing the schema and counting the tally)"
    )

    uri = f"sqlite:///{path}"
    with served(uri) as (app, base):
        results = time_urls(app, base, args.requests)
        rendered = time_render(base, args.requests) if args.browser else None
    print(f"\n{args.requests} requests each after {WARM_UP} to warm up, Accept: text/html (ms):")
    print(f"  {'URL':44} {'through':16} {'p50':>8} {'p95':>8} {'max':>8} {'bytes':>10}")
    for (url, via), ((p50, p95, worst), size) in results.items():
        print(f"  {url:44} {via:16} {p50:8.1f} {p95:8.1f} {worst:8.1f} {size:10,}")
    overview = max(results[("/", via)][0][0] for via in ("test client", "HTTP (waitress)"))
    verdict = "under" if overview < TARGET_MS else "OVER"
    print(f"\noverview p50 {overview:.0f} ms: {verdict} the {TARGET_MS:.0f} ms target")

    if rendered is not None:
        timings, charts, errors = rendered
        print(
            f"\nthe overview in headless Chromium, {args.requests} fresh navigations after {WARM_UP} to warm up,"
            f" {charts} sparklines (ms since navigation began):"
        )
        print(f"  {'when':44} {'':16} {'p50':>8} {'p95':>8} {'max':>8}")
        for key, label in RENDER_ROWS:
            p50, p95, worst = timings[key]
            print(f"  {label:44} {'':16} {p50:8.1f} {p95:8.1f} {worst:8.1f}")
        drawn = timings["drawn"][0]
        verdict = "under" if drawn < TARGET_MS else "OVER"
        print(f"\nall charts drawn p50 {drawn:.0f} ms: {verdict} the {TARGET_MS:.0f} ms target")
        if errors:
            print(f"\nthe browser's console: {len(errors)} errors")
            for entry in errors:
                print(f"  {entry['message']}")
        else:
            print("the browser's console: no errors")

    if args.breakdown:
        print("\nthe overview's queries per plugin, slowest first (ms):")
        print(f"  {'plugin':36} {'newest':>8} {'sparkline':>10}")
        for ident, last, spark in breakdown(uri):
            print(f"  {ident:36} {last:8.1f} {spark:10.1f}")


if __name__ == "__main__":
    main()
