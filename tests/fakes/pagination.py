"""A property shared by the SQLite and PostgreSQL tests: the pages of any query, concatenated, are the query.

Hypothesis draws the table's rows and the request (filters, order, page size);
the expected result is computed in Python, the obvious way.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import strategies as st
from sqlalchemy import Engine, delete
from sqlalchemy.orm import Session

from statscache.config import Config
from statscache.plugins.builtin.volume import VolumeByCategory
from statscache.store import tally
from statscache.store.upsert import add_counts
from statscache.web import create_app

BASE = 1444348800  # 2015-10-09 00:00 UTC
HOUR = 3600
CATEGORIES = ["a", "b", "c", "d"]

rows_strategy = st.dictionaries(
    keys=st.tuples(st.integers(0, 30), st.sampled_from(CATEGORIES)),
    values=st.integers(1, 10**12),
    max_size=60,
)
request_strategy = st.fixed_dictionaries(
    {},
    optional={
        "start": st.integers(-2, 32).map(lambda hour: str(BASE + hour * HOUR)),
        "stop": st.integers(-2, 32).map(lambda hour: datetime.fromtimestamp(BASE + hour * HOUR, tz=UTC).isoformat()),
        "order": st.sampled_from(["asc", "desc"]),
        "rows_per_page": st.integers(1, 12),
        "category": st.lists(st.sampled_from([*CATEGORIES, "z"]), min_size=1, max_size=3, unique=True),
    },
)


def plugin() -> VolumeByCategory:
    return VolumeByCategory(timedelta(hours=1))


def fill(engine: Engine, stats: VolumeByCategory, rows: dict[tuple[int, str], int]) -> None:
    """The table holds exactly ``rows``, written as a flush writes them (the tally counts them as it does)."""
    with Session(engine) as session, session.begin():
        session.execute(delete(stats.model))
        counts = {(BASE + hour * HOUR, category): volume for (hour, category), volume in rows.items()}
        statement = tally.counts_statement(stats)
        if not tally.has_tally(session.connection(), tally.tallied(stats)):  # a table without one
            statement = statement._replace(tallies=False)
        add_counts(session, stats.model, statement, counts)


def expected(rows: dict[tuple[int, str], int], request: dict[str, Any]) -> list[dict[str, Any]]:
    start = int(request.get("start", -(10**9)))
    stop = _stop(request) if "stop" in request else 10**12
    chosen = set(request.get("category", CATEGORIES))
    selected = [
        {"timestamp": BASE + hour * HOUR, "category": category, "volume": volume}
        for (hour, category), volume in rows.items()
        if start <= BASE + hour * HOUR < stop and category in chosen
    ]
    selected.sort(key=lambda row: (row["timestamp"], row["category"]), reverse=request.get("order") != "asc")
    return selected


def pages(client: Any, ident: str, request: dict[str, Any]) -> tuple[list[dict[str, Any]], int]:
    """Every page from 1 until a page is empty; also checks the total and page count headers agree."""
    collected: list[dict[str, Any]] = []
    page = 1
    while True:
        response = client.get(f"/api/{ident}", query_string={**request, "page": page})
        assert response.status_code == 200, response.get_data(as_text=True)
        rows = response.get_json()
        total = int(response.headers["X-Total-Count"])
        if not rows:
            return collected, total
        assert len(rows) <= request.get("rows_per_page", 100)
        collected += rows
        page += 1


def check(engine: Engine, rows: dict[tuple[int, str], int], request: dict[str, Any]) -> None:
    stats = plugin()
    fill(engine, stats, rows)
    app = create_app(Config(consumer_epoch=datetime(2015, 1, 1, tzinfo=UTC)), plugins=[stats], engine=engine)
    client = app.test_client()
    if "stop" in request and "start" in request and _stop(request) < int(request["start"]):
        refused = client.get(f"/api/{stats.ident}", query_string=request)
        assert refused.status_code == 400 and "'stop'" in refused.get_json()["detail"]
        return
    collected, total = pages(client, stats.ident, request)
    want = expected(rows, request)
    assert collected == want
    assert total == len(want)


def _stop(request: dict[str, Any]) -> float:
    return datetime.fromisoformat(request["stop"]).timestamp()
