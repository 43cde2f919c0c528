"""Rollups (``?interval=``) and top lists (``/api/<ident>/top``) against sums of the plugins' own rows.

Over a database the real pipeline filled with real messages spread over six
years (tests/data/fedora-examples.jsonl, 85 topics, dozens of users) and the
recorded autocloud month. For any range, window and statistic, a rollup must
equal the plugin's rows summed into the windows it names, and a top list the
sorted recount of them: whichever tables, sums and shortcuts answered.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from statscache.config import Config
from statscache.ingest.pipeline import Pipeline
from statscache.plugins import registry
from statscache.web import create_app, top
from tests.fakes import families
from tests.fakes.support import fedora_examples, get_json, recorded_envelopes, recounted_levels

EPOCH = datetime(2012, 1, 1, tzinfo=UTC)
DAY, WEEK = 86400, 7 * 86400
FAMILIES = ("volume", "volume-by-category", "volume-by-user")
IDENTS = [f"{family}-{suffix}" for family in FAMILIES for suffix in ("1m", "1h", "1d")]
RANKED = [ident for ident in IDENTS if ident.startswith("volume-by-")]
ROLLUPS = ["2m", "1h", "90m", "6h", "1d", "2d", "1w", "2w", "month", "30d"]
#: Where the data lies: from the first example (2012) to after the autocloud month (2015-10).
FIRST, LAST = datetime(2012, 6, 1, tzinfo=UTC).timestamp(), datetime(2019, 1, 1, tzinfo=UTC).timestamp()


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    config = Config(
        sqlalchemy_uri=f"sqlite:///{tmp_path_factory.mktemp('rollups') / 'stats.sqlite'}",
        consumer_epoch=EPOCH,
        plugins_enabled=("volume", "volume-by-category", "volume-by-user"),
    )
    pipeline = Pipeline.open(config, registry.load(config))
    for envelope in fedora_examples() + recorded_envelopes():
        pipeline.handle(envelope)
    assert pipeline.flush()
    application = create_app(config, plugins=pipeline.plugins, engine=pipeline.engine)
    yield application, pipeline
    pipeline.close()


@pytest.fixture(scope="module")
def client(app):
    return app[0].test_client()


@pytest.fixture(scope="module")
def own_rows(app):
    """Each statistic's rows as stored: {ident: [(window start, category or None, volume)]}."""
    pipeline = app[1]
    found = {}
    with pipeline.engine.connect() as connection:
        for ident in IDENTS:
            table = ident.replace("-", "_")
            category = "category" if ident.startswith("volume-by-") else "NULL"
            rows = connection.execute(text(f"SELECT timestamp, {category}, volume FROM {table}"))
            found[ident] = [(_epoch(moment), key, volume) for moment, key, volume in rows]
    return found


def _epoch(moment) -> int:
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return int(moment.replace(tzinfo=UTC).timestamp())


def window_start(moment: int, interval: str) -> int:
    """The rollup window holding ``moment``, by the calendar (the obvious way, apart from statscache's)."""
    day = datetime.fromtimestamp(moment, tz=UTC)
    if interval == "month":
        return int(day.replace(day=1, hour=0, minute=0, second=0).timestamp())
    number, unit = int(interval[:-1]), interval[-1]
    seconds = number * {"m": 60, "h": 3600, "d": DAY, "w": WEEK}[unit]
    if seconds % WEEK == 0:  # whole weeks from Monday
        monday = (day - timedelta(days=day.weekday())).replace(hour=0, minute=0, second=0)
        weeks = (monday - datetime(1970, 1, 5, tzinfo=UTC)) // timedelta(weeks=1)
        return int((datetime(1970, 1, 5, tzinfo=UTC) + timedelta(weeks=weeks - weeks % (seconds // WEEK))).timestamp())
    return moment // seconds * seconds


def seconds_of(interval: str) -> int | None:
    """The interval's length (None: a month)."""
    if interval == "month":
        return None
    return int(interval[:-1]) * {"m": 60, "h": 3600, "d": DAY, "w": WEEK}[interval[-1]]


def own_window(ident: str) -> int:
    return {"1m": 60, "1h": 3600, "1d": DAY}[ident.rsplit("-", 1)[1]]


def rolls_up_to(ident: str, interval: str) -> bool:
    seconds = seconds_of(interval)
    return seconds is None or seconds % own_window(ident) == 0


def next_window(window: int, interval: str) -> int:
    if interval == "month":
        return window_start(window + 32 * DAY, interval)
    return window + seconds_of(interval)


def expected_rollup(rows, interval, start, stop):
    """The rows summed into the interval's windows, the range widened to whole windows."""
    low = None if start is None else window_start(start, interval)
    high = None
    if stop is not None:
        high = window_start(stop, interval)
        if high != stop:
            high = next_window(high, interval)
    sums = Counter()
    for moment, key, volume in rows:
        window = window_start(moment, interval)
        if (low is None or window >= low) and (high is None or window < high):
            sums[(window, key)] += volume
    return sums


def rollup_of(client, ident, interval, start=None, stop=None, **more):
    params = {"interval": interval, "stream": 1, **more}
    if start is not None:
        params["start"] = start
    if stop is not None:
        params["stop"] = stop
    response = client.get(f"/api/{ident}", query_string=params)
    assert response.status_code == 200, response.get_data(as_text=True)
    return Counter({(row["timestamp"], row.get("category")): row["volume"] for row in response.get_json()})


def test_the_sums_kept_equal_a_recount_of_the_rows(app):
    held, wanted = recounted_levels(app[1].engine)
    assert held == wanted
    # One table per family keeps them: the one with the longest window that divides a day.
    assert {table for table, *_ in held} == {"volume_1d", "volume_by_category_1d", "volume_by_user_1d"}


@pytest.mark.parametrize("interval", ROLLUPS)
def test_a_rollup_of_everything_sums_every_row(client, own_rows, interval):
    for ident in IDENTS:
        if not rolls_up_to(ident, interval):
            continue
        found = rollup_of(client, ident, interval)
        assert found == expected_rollup(own_rows[ident], interval, None, None), (ident, interval)
        assert sum(found.values()) == sum(volume for *_, volume in own_rows[ident])


@settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    ident=st.sampled_from(IDENTS),
    interval=st.sampled_from(ROLLUPS),
    start=st.integers(int(FIRST), int(LAST)),
    length=st.integers(0, 3 * 366 * DAY),
    category=st.sampled_from([None, "bodhi", "autocloud", "buildsys", "ralph", "pingou"]),
)
def test_any_rollup_of_any_range_sums_the_rows_it_covers(client, own_rows, ident, interval, start, length, category):
    if not rolls_up_to(ident, interval):
        response = client.get(f"/api/{ident}", query_string={"interval": interval})
        assert response.status_code == 400 and "whole multiple" in response.get_json()["detail"]
        return
    rows = own_rows[ident]
    filters = {}
    if category is not None and ident.startswith("volume-by-"):
        filters["category"] = category
        rows = [row for row in rows if row[1] == category]
    found = rollup_of(client, ident, interval, start, start + length, **filters)
    assert found == expected_rollup(rows, interval, start, start + length)


def test_a_rollup_is_paged_and_ordered_like_rows(client, own_rows):
    expected = expected_rollup(own_rows["volume-by-category-1h"], "1w", None, None)
    ordered = sorted(expected.items(), key=lambda item: (item[0][0], item[0][1]), reverse=True)
    response = client.get("/api/volume-by-category-1h", query_string={"interval": "1w", "rows_per_page": 7, "page": 2})
    assert int(response.headers["X-Total-Count"]) == len(expected) > 14
    assert [((r["timestamp"], r["category"]), r["volume"]) for r in response.get_json()] == ordered[7:14]
    by_volume = get_json(client, "/api/volume-by-category-1h", query_string={"interval": "month", "sort": "volume"})
    volumes = [row["volume"] for row in by_volume]
    assert volumes == sorted(volumes, reverse=True)
    iso = get_json(client, "/api/volume-1m", query_string={"interval": "1w", "time_format": "iso", "order": "asc"})
    assert iso[0]["timestamp"].endswith("Z") and datetime.fromisoformat(iso[0]["timestamp"]).weekday() == 0


def expected_top(rows, start, stop, n):
    totals = Counter()
    for moment, key, volume in rows:
        if start <= moment < stop:
            totals[key] += volume
    ranked = sorted(totals.items(), key=lambda item: (-item[1], item[0]))[:n]
    whole = sum(totals.values())
    return [{"category": key, "volume": volume, "share": round(volume / whole, 6)} for key, volume in ranked]


def top_of(client, ident, start, stop, n):
    response = client.get(f"/api/{ident}/top", query_string={"start": start, "stop": stop, "n": n})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def window_bounds(ident, start, stop):
    own = own_window(ident)
    return -(-start // own) * own, -(-stop // own) * own


@pytest.fixture(scope="module")
def dense(tmp_path_factory):
    """A family of volume-by-user at 1m, 1h and 1d, filled by hand with many users (tests/fakes/families.py);
    a test client over it, and each table's rows."""
    uri = f"sqlite:///{tmp_path_factory.mktemp('dense') / 'stats.sqlite'}"
    plugins, rows, engine = families.dense_users(uri, messages=40_000)
    client = create_app(Config(sqlalchemy_uri=uri), plugins=plugins, engine=engine).test_client()
    yield client, rows
    engine.dispose()


DENSE_FIRST, DENSE_LAST = datetime(2015, 3, 1, tzinfo=UTC).timestamp(), datetime(2016, 6, 1, tzinfo=UTC).timestamp()


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    ident=st.sampled_from(["volume-by-user-1m", "volume-by-user-1h", "volume-by-user-1d"]),
    start=st.integers(int(DENSE_FIRST), int(DENSE_LAST)),
    length=st.integers(1, 460 * DAY),
    n=st.integers(1, 15),
    depth=st.sampled_from([1, 4]),
    months=st.sampled_from([1, 5, 120]),
)
def test_any_top_list_of_many_users_is_the_sorted_recount(dense, monkeypatch, ident, start, length, n, depth, months):
    # Shallow first reads make the threshold algorithm take rounds, and its bound decide; the months' lists
    # are read a statement for a few months at a time as for a long history.
    monkeypatch.setattr(top, "FIRST_DEPTH", depth)
    monkeypatch.setattr(top, "MONTHS_A_STATEMENT", months)
    client, rows = dense
    found = top_of(client, ident, start, start + length, n)
    assert found == expected_top(rows[ident], *window_bounds(ident, start, start + length), n)


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    ident=st.sampled_from(["volume-by-user-1m", "volume-by-user-1h", "volume-by-user-1d"]),
    interval=st.sampled_from(ROLLUPS),
    start=st.integers(int(DENSE_FIRST), int(DENSE_LAST)),
    length=st.integers(0, 460 * DAY),
    user=st.sampled_from([None, "user-000", "user-007", "user-123"]),
)
def test_any_rollup_of_dense_rows_sums_the_rows_it_covers(dense, ident, interval, start, length, user):
    client, rows = dense
    if not rolls_up_to(ident, interval):
        return
    chosen = rows[ident] if user is None else [row for row in rows[ident] if row[1] == user]
    filters = {} if user is None else {"category": user}
    found = rollup_of(client, ident, interval, start, start + length, **filters)
    assert found == expected_rollup(chosen, interval, start, start + length)


@settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    ident=st.sampled_from(RANKED),
    start=st.integers(int(FIRST), int(LAST)),
    length=st.integers(1, 3 * 366 * DAY),
    n=st.integers(1, 12),
    depth=st.sampled_from([1, 2, 32]),
)
def test_any_top_list_is_the_sorted_recount(client, own_rows, monkeypatch, ident, start, length, n, depth):
    # Shallow first reads make the threshold algorithm take several rounds, and bound its answer for real.
    monkeypatch.setattr(top, "FIRST_DEPTH", depth)
    found = top_of(client, ident, start, start + length, n)
    low, high = window_bounds(ident, start, start + length)
    assert found == expected_top(own_rows[ident], low, high, n)


def test_a_top_list_too_deep_to_bound_is_summed_whole(client, own_rows, monkeypatch):
    monkeypatch.setattr(top, "FIRST_DEPTH", 1)
    monkeypatch.setattr(top, "MAX_DEPTH", 1)
    start, stop = int(FIRST), int(LAST)
    assert top_of(client, "volume-by-user-1h", start, stop, 5) == expected_top(
        own_rows["volume-by-user-1h"], *window_bounds("volume-by-user-1h", start, stop), 5
    )


def test_a_top_list_over_centuries_ranks_the_data_within(dense):
    client, rows = dense
    found = get_json(client, "/api/volume-by-user-1m/top", query_string={"from": "-1e-38", "stop": "4047-04-24"})
    assert found == expected_top(rows["volume-by-user-1m"], 0, 2**40, 10)


def test_a_top_list_over_everything_and_in_csv(client, own_rows):
    everything = get_json(client, "/api/volume-by-category-1d/top", query_string={"n": 3})
    assert everything == expected_top(own_rows["volume-by-category-1d"], 0, 2**40, 3)
    assert everything[0]["category"] == "autocloud"
    response = client.get("/api/volume-by-user-1d/top", query_string={"format": "csv", "n": 2})
    assert response.get_data(as_text=True).splitlines()[0] == "category,volume,share"


@pytest.mark.parametrize(
    ("url", "params", "status", "named"),
    [
        ("/api/volume-1m", {"interval": "90s"}, 400, "interval"),
        ("/api/volume-1h", {"interval": "30m"}, 400, "interval"),
        ("/api/volume-1h", {"interval": "367d"}, 400, "interval"),
        ("/api/volume-1h", {"interval": "1y"}, 400, "interval"),
        ("/api/volume-1h/top", {}, 404, "no top list"),
        ("/api/volume-by-user-1h/top", {"n": "0"}, 400, "n"),
        ("/api/volume-by-user-1h/top", {"start": "2015-01-02", "stop": "2015-01-01"}, 400, "stop"),
    ],
)
def test_bad_rollups_and_top_lists_are_refused(client, url, params, status, named):
    response = client.get(url, query_string=params)
    assert response.status_code == status
    body = response.get_json()
    assert named in body["detail"] or named in body["error"]


@pytest.fixture
def statements(app):
    """The SQL statements the web app runs while the test runs."""
    from sqlalchemy import event

    seen: list[str] = []

    def record(connection, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    engine = app[0].extensions["statscache"].engine
    event.listen(engine, "before_cursor_execute", record)
    yield seen
    event.remove(engine, "before_cursor_execute", record)


def test_week_and_month_rollups_and_long_top_lists_read_the_kept_sums(client, statements):
    for interval in ("1w", "month", "2w"):
        statements.clear()
        get_json(client, "/api/volume-by-category-1h", query_string={"interval": interval})
        assert any("statscache_levels" in sql for sql in statements), interval
        assert not any("FROM volume_by_category_1h" in sql for sql in statements), interval
    statements.clear()
    get_json(client, "/api/volume-by-category-1h", query_string={"interval": "1d"})  # the -1d rows, as they are
    assert any("FROM volume_by_category_1d" in sql for sql in statements)
    assert not any("sum(volume_by_category" in sql for sql in statements)  # nothing summed
    statements.clear()
    year = {"start": "2015-01-01T00:30:00", "stop": "2016-01-01T12:00:00", "n": 3}
    get_json(client, "/api/volume-by-user-1m/top", query_string=year)
    # Whole months from the sums, the ends from -1d, -1h and -1m: each read for the candidates only.
    read = " ".join(statements).replace('"', "")
    assert "level" in read and "FROM volume_by_user_1d" in read and "FROM volume_by_user_1m" in read
