"""Rows already in a database (written by an older statscache, or by hand) that the API must still serve.

A row dated 9999-12-31 once turned the default, newest-first listing of every
volume plugin into a permanent 500 (``year 10002 is out of range``): the end of
its tally bucket lies past what Python's datetime holds. And links stored
before they were checked may be ``javascript:`` URLs or point at any host.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert

from statscache.config import Config
from statscache.ingest.pipeline import Pipeline
from statscache.plugins import registry
from statscache.plugins.builtin.releng import RelengDashboard
from statscache.plugins.links import safe_link
from statscache.store import tally
from statscache.store.upsert import add_counts
from statscache.web import create_app
from tests.fakes.support import BUILTIN_IDENTS, recorded_envelopes, recount

EPOCH = datetime(2015, 1, 1, tzinfo=UTC)
#: Extreme times a database may hold, each with a volume of its own.
EXTREMES = {
    datetime(9999, 12, 31, tzinfo=UTC): 7,
    datetime(9999, 12, 31, 23, 59, tzinfo=UTC): 5,
    datetime(1, 1, 1, tzinfo=UTC): 3,
    datetime(1, 1, 1, 0, 1, tzinfo=UTC): 2,
}
#: Links of the kind a message could once plant in the latest-event tables, and what is served for each.
STORED_LINKS = {
    "javascript:alert(document.domain)": None,
    "JaVaScRiPt:alert(1)": None,
    "data:text/html,<script>alert(1)</script>": None,
    "https://x/../../evil.example#.koji.fedoraproject.org/koji/buildinfo?buildID=1": None,
    "https://evil.example/koji/buildinfo?buildID=1": None,
    "https://koji.fedoraproject.org@evil.example/": None,
    "https://evil.example\\@koji.fedoraproject.org/": None,  # a browser reads the backslash as a slash
    "https://koji.fedoraproject.org:8443/koji/": None,
    "//evil.example/": None,
    "https://koji.fedoraproject.org\t.evil.example/": None,
    "https://koji.fedoraproject.org/koji/buildinfo?buildID=7": "https://koji.fedoraproject.org/koji/buildinfo?buildID=7",
    "https://s390.koji.fedoraproject.org/koji/buildinfo?buildID=8": (
        "https://s390.koji.fedoraproject.org/koji/buildinfo?buildID=8"
    ),
}


def fill(url):
    """A database with the recorded stream, plus counts at extreme times and links stored behind the daemon's back."""
    config = Config(sqlalchemy_uri=url, consumer_epoch=EPOCH)
    plugins = registry.load(config)
    pipeline = Pipeline.open(config, plugins)
    envelopes = recorded_envelopes()
    for envelope in envelopes:
        pipeline.handle(envelope)
    assert pipeline.flush()
    by_ident = {plugin.ident: plugin for plugin in plugins}
    with pipeline.session_factory() as session, session.begin():
        # Counts at the ends of time, added as the daemon adds counts (which also tallies them).
        for ident in BUILTIN_IDENTS:
            plugin = by_ident[ident]
            counts = {
                (int(moment.timestamp()), "autocloud") if ident.startswith("volume-by-") else int(moment.timestamp()): n
                for moment, n in EXTREMES.items()
            }
            add_counts(session, plugin.model, tally.counts_statement(plugin), counts)
    with pipeline.engine.begin() as connection:
        for ident in ("latest-builds", "releng-dashboard"):
            connection.execute(
                insert(by_ident[ident].model),
                [
                    {"category": f"planted/{i}", "timestamp": EPOCH + timedelta(seconds=i), "msg_id": f"m{i}"}
                    | {"status": "x", "link": link}
                    | ({"phase": "succeeded"} if ident == "releng-dashboard" else {})
                    for i, link in enumerate(STORED_LINKS)
                ],
            )
    app = create_app(config, plugins=plugins, engine=pipeline.engine)
    return app.test_client(), envelopes, pipeline.engine.dispose


@pytest.fixture(scope="module")
def filled(tmp_path_factory):
    client, envelopes, dispose = fill(f"sqlite:///{tmp_path_factory.mktemp('extreme') / 'stats.sqlite'}")
    yield client, envelopes
    dispose()


def expected(envelopes, ident):
    counts = {timestamp: volume for (timestamp, _), volume in recount(envelopes, ident).items()}
    for moment, volume in EXTREMES.items():
        counts[int(moment.timestamp())] = volume
    return counts


def paged(client, ident, **params):
    """Every row, page by page, asserting each answer is a 200."""
    rows, page = [], 1
    while True:
        response = client.get(f"/api/{ident}", query_string={"rows_per_page": 50, "page": page, **params})
        assert response.status_code == 200, response.get_data(as_text=True)
        found = response.get_json()
        if not found:
            assert len(rows) == int(response.headers["X-Total-Count"])
            return rows
        rows += found
        page += 1


@pytest.mark.parametrize("ident", BUILTIN_IDENTS)
@pytest.mark.parametrize("order", ["desc", "asc"])
def test_extreme_stored_dates_are_listed_in_either_order(filled, ident, order):
    client, envelopes = filled
    rows = paged(client, ident, order=order)
    assert {row["timestamp"]: row["volume"] for row in rows} == expected(envelopes, ident)
    times = [row["timestamp"] for row in rows]
    assert times == sorted(times, reverse=order == "desc")


@pytest.mark.parametrize("ident", ["volume-1m", "volume-by-category-1d"])
def test_extreme_stored_dates_with_filters_and_streams(filled, ident):
    client, envelopes = filled
    late = paged(client, ident, start="9999-12-30T00:00:00")
    assert {row["timestamp"] for row in late} == {int(m.timestamp()) for m in EXTREMES if m.year == 9999}
    early = paged(client, ident, stop="1970-01-01T00:00:00", order="asc")
    assert {row["timestamp"] for row in early} == {int(m.timestamp()) for m in EXTREMES if m.year == 1}
    streamed = client.get(f"/api/{ident}", query_string={"stream": 1, "format": "ndjson"})
    assert streamed.status_code == 200
    lines = [json.loads(line) for line in streamed.get_data(as_text=True).splitlines()]
    assert {row["timestamp"]: row["volume"] for row in lines} == expected(envelopes, ident)


def test_the_index_and_coverage_still_answer(filled):
    client, _ = filled
    assert client.get("/api/").status_code == 200
    assert client.get("/api/volume-1m/coverage").status_code == 200


@pytest.mark.parametrize("ident", ["latest-builds", "releng-dashboard"])
def test_stored_links_are_served_only_when_safe(filled, ident):
    client, _ = filled
    served = {row["category"]: row["link"] for row in paged(client, ident) if row["category"].startswith("planted/")}
    wanted = {f"planted/{i}": safe for i, safe in enumerate(STORED_LINKS.values())}
    if ident == "releng-dashboard":  # its links go to release engineering's hosts (koji's, not s390's)
        wanted = {f"planted/{i}": safe_link(link, RelengDashboard.link_hosts) for i, link in enumerate(STORED_LINKS)}
        assert list(wanted.values()).count(None) == len(wanted) - 1
    assert served == wanted
    text = client.get(f"/api/{ident}", query_string={"format": "csv", "rows_per_page": 100}).get_data(as_text=True)
    in_csv = {row["category"]: row["link"] or None for row in csv.DictReader(io.StringIO(text, newline=""))}
    assert {key: in_csv[key] for key in wanted} == wanted
    streamed = client.get(f"/api/{ident}", query_string={"stream": 1, "format": "ndjson"}).get_data(as_text=True)
    in_stream = {row["category"]: row["link"] for row in map(json.loads, streamed.splitlines())}
    assert {key: in_stream[key] for key in wanted} == wanted


@pytest.mark.integration
def test_extreme_stored_dates_on_postgresql(postgres_url):
    # PostgreSQL's tally rounds times before 1970 down, SQLite's towards zero: both must list every row.
    client, envelopes, dispose = fill(postgres_url)
    try:
        for ident in ("volume-1m", "volume-by-category-1d"):
            for order in ("desc", "asc"):
                rows = paged(client, ident, order=order)
                assert {row["timestamp"]: row["volume"] for row in rows} == expected(envelopes, ident)
            early = paged(client, ident, stop="1970-01-01T00:00:00", order="asc")
            assert {row["timestamp"] for row in early} == {int(m.timestamp()) for m in EXTREMES if m.year == 1}
    finally:
        dispose()
