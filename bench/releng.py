#!/usr/bin/env python3
"""The release-engineering dashboard: one view of the old page (its 14 datagrepper requests) against
statscache's board (one request), on the same messages, side by side.

    python bench/releng.py [--count 500000] [--days 41] [--rounds 5] [--requests 50]

A private PostgreSQL holds datanommer's schema, filled (COPY, as bench/archive_db.py does) with COUNT
messages over DAYS days ending now: a generated stretch of release engineering's traffic
(tests/fakes/releng_traffic.py: composes with every stage, syncs, masher's tasks, image builds and
uploads) and, for the rest, the ``fedora`` mix of bench/mix.py (its compose, pungi, fedimg and
autocloud examples left out: the generated ones stand for them). A real datagrepper 1.1.0 serves it
(tests/services/datagrepper.py).

statscache's ``releng-dashboard`` counts the same messages (through the pipeline, as the daemon
would), and ``statscache-web`` serves its SQLite database over HTTP.

Then, alternating for ROUNDS rounds:

* **the old dashboard**: one view, its 14 ``/raw`` requests and its display rules
  (tests/fakes/releng_dash.py) one after another, then 6 at a time as a browser makes them;
  the AMI request asks 32 weeks, the most datagrepper 1.1.0 answers with ``contains=`` (the page
  asked a year, which it refuses at once);
* **statscache**: REQUESTS requests of ``/api/releng-dashboard/board`` (the whole board and its
  layout), and as many of ``/api/releng-dashboard`` (every row, one page: the server allows pages of
  1,000 rows here, ``statscache.app.maximum_rows_per_page``).

It prints each one's median and p95 over the rounds, and the ratios of the medians: the target is
the board answering at least 100 times faster than the dashboard's view.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import archive_db  # noqa: E402
import mix  # noqa: E402

from statscache.config import Config  # noqa: E402
from statscache.ingest.pipeline import Pipeline  # noqa: E402
from statscache.plugins import registry  # noqa: E402
from tests.fakes import releng_dash as dash  # noqa: E402
from tests.fakes.releng_traffic import month  # noqa: E402
from tests.services.hub import free_port, wait_for, write_config  # noqa: E402

IDENT = "releng-dashboard"
STATSCACHE_WEB = str(Path(sys.executable).with_name("statscache-web"))
COLLECTIONS = dash.Collections.of("24", fedora=("23", "22"), epel=("7", "6", "5"))
#: Categories of the mix the generated traffic stands for.
GENERATED = frozenset({"compose", "pungi", "fedimg", "autocloud"})


def traffic(count: int, days: int, now: float) -> list[dict[str, Any]]:
    """COUNT messages over DAYS days ending at ``now``: the generated release engineering, then the mix."""
    releng = month(now, seed=2016, branched="24", days=days)
    wanted = max(0, count - len(releng))
    made = mix.made("fedora", wanted + wanted // 5)  # a fifth more: the generated categories are left out
    ordinary = [e for e in made if mix.category(e["topic"]) not in GENERATED][:wanted]
    step = days * 86400 / max(1, len(ordinary))
    start = now - days * 86400
    for i, envelope in enumerate(ordinary):
        envelope["timestamp"] = round(start + i * step, 6)
    return sorted(releng + ordinary, key=lambda envelope: envelope["timestamp"])


def counted(envelopes: list[dict[str, Any]], database: str, now: float) -> int:
    """Count the messages into ``releng-dashboard`` at ``database``; how many rows it holds."""
    epoch = datetime.fromtimestamp(now - 400 * 86400, tz=UTC)
    config = Config(sqlalchemy_uri=database, consumer_epoch=epoch, plugins_enabled=(IDENT,))
    pipeline = Pipeline.open(config, registry.load(config))
    for start in range(0, len(envelopes), 20_000):
        for envelope in envelopes[start : start + 20_000]:
            pipeline.handle(envelope)
        assert pipeline.flush()
    with pipeline.engine.connect() as connection:
        rows = connection.exec_driver_sql("SELECT count(*) FROM releng_dashboard").scalar_one()
    pipeline.close()
    return int(rows)


@contextlib.contextmanager
def statscache_web(database: str, workdir: Path) -> Iterator[str]:
    settings = {
        "statscache.sqlalchemy.uri": database,
        "statscache.plugins.enabled": [IDENT],
        "statscache.app.maximum_rows_per_page": 1000,  # every row of the table in one page
    }
    write_config(workdir, settings)
    port = free_port()
    server = subprocess.Popen(
        [STATSCACHE_WEB, "--port", str(port)], cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: requests.get(f"{url}/api/", timeout=5).ok, 20, "statscache-web", server)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)


def timed(call: Callable[[], Any]) -> float:
    began = time.perf_counter()
    call()
    return time.perf_counter() - began


def p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20)[-1] if len(samples) > 1 else samples[0]


def compare(datagrepper: str, statscache: str, now: float, rounds: int, requests_each: int) -> None:
    samples: dict[str, list[float]] = {"sequential": [], "parallel": [], "board": [], "rows": []}
    session = requests.Session()
    session.trust_env = False
    rows_url = f"{statscache}/api/{IDENT}?rows_per_page=1000"
    board_url = f"{statscache}/api/{IDENT}/board"
    shown = dash.view(datagrepper, now, COLLECTIONS, ami_delta=dash.AMI_DELTA_ACCEPTED)
    assert not shown["errors"], shown["errors"]
    total = int(session.get(rows_url).headers["X-Total-Count"])
    assert total <= 1000, f"{total} rows: more than one page"
    for _ in range(rounds):
        for workers, name in ((1, "sequential"), (6, "parallel")):
            view = functools.partial(
                dash.view,
                datagrepper,
                now,
                COLLECTIONS,
                fetch=dash.http_fetch(requests.Session()),
                ami_delta=dash.AMI_DELTA_ACCEPTED,
                workers=workers,
            )
            samples[name].append(timed(view))
        for _ in range(requests_each):
            samples["board"].append(timed(lambda: session.get(board_url).raise_for_status()))
            samples["rows"].append(timed(lambda: session.get(rows_url).raise_for_status()))
    cells = sum(1 for value in shown["cells"].values() if value)
    body = session.get(board_url).json()
    tiles = sum(len(group["tiles"]) for group in body["groups"])
    print(f"  the dashboard fills {cells} cells; the board has {tiles} tiles from {total} rows")
    lines = [
        ("dashboard view, 14 requests in turn", "sequential"),
        ("dashboard view, 6 requests at a time", "parallel"),
        (f"statscache {board_url.removeprefix(statscache)}", "board"),
        (f"statscache {rows_url.removeprefix(statscache)}", "rows"),
    ]
    print(f"  {'':52} {'median':>10} {'p95':>10}")
    for label, name in lines:
        print(f"  {label:52} {statistics.median(samples[name]) * 1000:8.2f} ms {p95(samples[name]) * 1000:8.2f} ms")
    for label, name in lines[2:]:
        mine = statistics.median(samples[name])
        in_turn, at_once = (statistics.median(samples[view]) / mine for view in ("sequential", "parallel"))
        print(f"  {label}: {in_turn:,.0f}x faster than the view in turn, {at_once:,.0f}x than 6 at a time")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=500_000, help="messages in the archive (default 500,000)")
    parser.add_argument("--days", type=int, default=41, help="days they span, ending now (default 41)")
    parser.add_argument("--rounds", type=int, default=5, help="rounds of the comparison (default 5)")
    parser.add_argument("--requests", type=int, default=50, help="statscache requests of each kind a round")
    args = parser.parse_args()
    from tests.services.datagrepper import Datagrepper
    from tests.services.postgres import PostgresServer

    now = time.time()
    with PostgresServer() as postgres, Datagrepper(postgres) as datagrepper, tempfile.TemporaryDirectory() as tmp:
        began = time.perf_counter()
        envelopes = traffic(args.count, args.days, now)
        archive_db.load(datagrepper.database_url, envelopes)
        print(f"{len(envelopes):,} messages over {args.days} days in a real datagrepper 1.1.0", end="")
        print(f" (loaded in {time.perf_counter() - began:.0f} s)")
        database = f"sqlite:///{Path(tmp) / 'statscache.sqlite'}"
        began = time.perf_counter()
        rows = counted(envelopes, database, now)
        print(f"statscache counted them in {time.perf_counter() - began:.0f} s: {rows} rows")
        del envelopes
        with statscache_web(database, Path(tmp)) as statscache:
            compare(datagrepper.url, statscache, now, args.rounds, args.requests)


if __name__ == "__main__":
    main()
