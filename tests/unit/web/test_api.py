"""The web API through Flask's test client, over a database the real pipeline filled."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from statscache.config import Config
from statscache.ingest.pipeline import Pipeline
from statscache.plugins.builtin.volume import Volume, VolumeByCategory
from statscache.span import iso
from statscache.store import tally
from statscache.store.upsert import add_counts
from statscache.web import create_app
from tests.fakes.support import BUILTIN_IDENTS, EPOCH, get_json, recount
from tests.fakes.webapp import Dashboard, make_client


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    client, dispose = make_client(tmp_path_factory.mktemp("web") / "stats.sqlite")
    yield client
    dispose()


@pytest.fixture(scope="module")
def client(made):
    return made


@pytest.fixture(scope="module")
def config(made):
    return made.application.extensions["statscache"].config


@pytest.fixture(scope="module")
def plugins(made):
    return list(made.application.extensions["statscache"].plugins.values())


def all_rows(client, ident, **params):
    """Every row, following the Link header's next page from page 1."""
    rows, url, seen = [], f"/api/{ident}", 0
    query = {"rows_per_page": 7, **params}
    response = client.get(url, query_string=query)
    while True:
        assert response.status_code == 200, response.get_data(as_text=True)
        rows += response.get_json()
        seen += 1
        links = parse_links(response.headers["Link"])
        if "next" not in links:
            break
        response = client.get(links["next"])
    assert len(rows) == int(response.headers["X-Total-Count"])
    return rows


def parse_links(header):
    links = {}
    for part in header.split(", "):
        url, rel = part.split("; ")
        links[rel.removeprefix('rel="').removesuffix('"')] = url.strip("<>")
    return links


def as_counts(rows):
    return {(row["timestamp"], row.get("category")): row["volume"] for row in rows}


# -- /api/ ------------------------------------------------------------------------


def test_the_index_lists_every_plugin_with_what_it_is(client, plugins, envelopes):
    listed = get_json(client, "/api/")
    assert [item["ident"] for item in listed] == [plugin.ident for plugin in plugins]
    by_ident = {item["ident"]: item for item in listed}
    volume = by_ident["volume-1h"]
    assert volume["name"] == "Volume" and volume["summary"] and volume["description"]
    assert volume["interval"] == 3600 and by_ident["volume-1d"]["interval"] == 86400
    assert by_ident["statuses"]["interval"] is None
    assert [column["name"] for column in volume["columns"]] == ["timestamp", "volume"]
    assert volume["latest"] == max(envelope["timestamp"] for envelope in envelopes)
    assert volume["url"] == "/api/volume-1h"  # relative: the Host header is the client's to choose
    first, last = (iso(f(envelope["timestamp"] for envelope in envelopes)) for f in (min, max))
    assert volume["coverage"] == {"complete_since": first, "complete_until": last, "gaps": 1}
    expected = {"ident", "name", "summary", "description", "interval", "columns", "latest", "url", "coverage"}
    assert set(volume) == expected


def test_the_index_as_csv_has_a_row_per_plugin(client, plugins):
    response = client.get("/api/", headers={"Accept": "text/csv"})
    assert response.status_code == 200 and response.mimetype == "text/csv"
    records = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [record["ident"] for record in records] == [plugin.ident for plugin in plugins]
    assert {record["ident"]: record["columns"] for record in records}["volume-1m"] == "timestamp volume"


def test_root_leads_a_client_that_asks_for_json_to_the_api(client):
    response = client.get("/", headers={"Accept": "application/json"})
    assert response.status_code in (301, 302, 308) and response.headers["Location"].endswith("/api/")
    assert client.get("/", headers={"Accept": "text/html"}).mimetype == "text/html"


# -- /api/<ident> ------------------------------------------------------------------


@pytest.mark.parametrize("ident", BUILTIN_IDENTS)
@pytest.mark.parametrize("order", ["asc", "desc"])
def test_pages_hold_exactly_the_recount_in_order(client, envelopes, ident, order):
    rows = all_rows(client, ident, order=order)
    expected = {
        key if ident.startswith("volume-by-") else (key[0], None): v for key, v in recount(envelopes, ident).items()
    }
    assert as_counts(rows) == expected
    keys = [(row["timestamp"], row.get("category", "")) for row in rows]
    assert keys == sorted(keys, reverse=order == "desc")
    assert len(set(keys)) == len(keys)


def test_default_order_is_newest_first_and_default_page_size_applies(client):
    response = client.get("/api/volume-1m")
    rows = response.get_json()
    assert len(rows) == 100 and int(response.headers["X-Total-Count"]) > 100
    assert rows[0]["timestamp"] > rows[-1]["timestamp"]


@pytest.mark.parametrize(
    ("start", "stop"),
    [
        ("1444608000", "1444953600"),
        ("2015-10-12T00:00:00", "2015-10-16T00:00:00"),  # naive is UTC
        ("2015-10-12T02:00:00+02:00", "2015-10-16 00:00:00+00:00"),
        ("1444608000.0", "2015-10-16"),
    ],
)
def test_start_is_inclusive_and_stop_exclusive_in_any_notation(client, envelopes, start, stop):
    rows = all_rows(client, "volume-1d", start=start, stop=stop, order="asc")
    assert [row["timestamp"] for row in rows] == [1444608000, 1444694400, 1444780800, 1444867200]
    expected = recount([e for e in envelopes if 1444608000 <= e["timestamp"] < 1444953600], "volume-1d")
    assert as_counts(rows) == {(moment, None): volume for (moment, _), volume in expected.items()}


def test_categories_filter_and_repeat(client, envelopes):
    rows = all_rows(client, "volume-by-category-1d", category=["autocloud", "nothing-like-it"])
    assert rows and {row["category"] for row in rows} == {"autocloud"}
    assert all_rows(client, "volume-by-category-1d", category="nothing-like-it") == []


def test_links_keep_every_other_parameter_and_a_page_past_the_end_is_empty(client):
    params = {"rows_per_page": 3, "order": "asc", "start": "2015-10-10", "category": "autocloud", "page": 2}
    response = client.get("/api/volume-by-category-1d", query_string=params)
    links = parse_links(response.headers["Link"])
    total = int(response.headers["X-Total-Count"])
    assert set(links) == {"first", "prev", "next", "last"}
    for rel, page in (("first", 1), ("prev", 1), ("next", 3), ("last", -(-total // 3))):
        query = parse_qs(urlsplit(links[rel]).query)
        assert query == {**{k: [str(v)] for k, v in params.items()}, "page": [str(page)]}, rel
    beyond = client.get("/api/volume-by-category-1d", query_string={**params, "page": 10_000})
    assert beyond.status_code == 200 and beyond.get_json() == []
    assert beyond.headers["X-Total-Count"] == str(total)
    assert "next" not in parse_links(beyond.headers["Link"])


def test_page_size_follows_the_configuration(config, plugins, client):
    small = Config(**{**config.__dict__, "app_default_rows_per_page": 5, "app_maximum_rows_per_page": 8})
    app = create_app(small, plugins=plugins)
    tight = app.test_client()
    assert len(get_json(tight, "/api/volume-1h")) == 5
    assert len(get_json(tight, "/api/volume-1h?rows_per_page=8")) == 8
    refused = tight.get("/api/volume-1h?rows_per_page=9")
    assert refused.status_code == 400 and "from 1 to 8" in refused.get_json()["detail"]
    app.extensions["statscache"].engine.dispose()


# -- formats ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, "application/json"),
        ("*/*", "application/json"),
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "application/json"),
        ("text/csv", "text/csv"),
        ("text/*", "text/csv"),
        ("application/x-ndjson", "application/x-ndjson"),
        ("application/ndjson", "application/x-ndjson"),
        ("text/csv;q=0.5, application/json", "application/json"),
    ],
)
def test_content_negotiation(client, accept, expected):
    headers = {} if accept is None else {"Accept": accept}
    response = client.get("/api/volume-1d", headers=headers)
    assert response.status_code == 200 and response.mimetype == expected


@pytest.mark.parametrize("accept", ["text/html", "image/png", "application/xml"])
def test_an_unsupported_accept_gets_406_naming_the_supported_types(client, accept):
    response = client.get("/api/volume-1d", headers={"Accept": accept})
    assert response.status_code == 406
    body = response.get_json()
    assert body["error"] == "not acceptable" and "text/csv" in body["detail"] and "application/json" in body["detail"]


def test_format_overrides_accept(client):
    response = client.get("/api/volume-1d?format=csv", headers={"Accept": "application/json"})
    assert response.mimetype == "text/csv"
    response = client.get("/api/volume-1d?format=json", headers={"Accept": "text/html"})
    assert response.status_code == 200 and response.mimetype == "application/json"


def test_csv_and_ndjson_carry_the_same_rows_as_json(client):
    params = {"rows_per_page": 50, "order": "asc"}
    rows = get_json(client, "/api/volume-by-category-1h", query_string=params)
    as_csv = client.get("/api/volume-by-category-1h", query_string={**params, "format": "csv"})
    records = list(csv.DictReader(io.StringIO(as_csv.get_data(as_text=True))))
    assert as_csv.get_data(as_text=True).startswith("timestamp,category,volume\r\n")
    assert [{k: str(v) for k, v in row.items()} for row in rows] == records
    as_ndjson = client.get("/api/volume-by-category-1h", query_string={**params, "format": "ndjson"})
    assert [json.loads(line) for line in as_ndjson.get_data(as_text=True).splitlines()] == rows


def test_csv_quotes_what_needs_quoting(config, tmp_path):
    plugin = VolumeByCategory(timedelta(days=1))
    pipeline = Pipeline.open(
        Config(sqlalchemy_uri=f"sqlite:///{tmp_path / 'q.sqlite'}", consumer_epoch=EPOCH), [plugin]
    )
    awkward = 'comma, "quote"\nand newline'
    with pipeline.session_factory() as session, session.begin():
        add_counts(session, plugin.model, tally.counts_statement(plugin), {(int(EPOCH.timestamp()), awkward): 3})
    client = create_app(config, plugins=[plugin], engine=pipeline.engine).test_client()
    text = client.get("/api/volume-by-category-1d?format=csv").get_data(as_text=True)
    assert text == f'timestamp,category,volume\r\n{int(EPOCH.timestamp())},"comma, ""quote""\nand newline",3\r\n'
    assert next(csv.DictReader(io.StringIO(text, newline="")))["category"] == awkward
    pipeline.engine.dispose()


def test_jsonp_wraps_the_json_in_the_callback(client):
    response = client.get("/api/volume-1d?callback=charts.show_2&rows_per_page=2")
    assert response.mimetype == "application/javascript"
    body = response.get_data(as_text=True)
    assert body.startswith("/**/charts.show_2(") and body.endswith(");")
    assert json.loads(body[len("/**/charts.show_2(") : -2]) == get_json(client, "/api/volume-1d?rows_per_page=2")


# -- streamed export -----------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "ndjson", "json"])
def test_stream_exports_every_row_of_the_filtered_result(client, fmt, monkeypatch):
    # Small batches and chunks, so that the export crosses many of each.
    monkeypatch.setattr("statscache.web.formats.CHUNK_ROWS", 37)
    monkeypatch.setattr("statscache.web.rows.STREAM_BATCH", 50)
    params = {"format": fmt, "stream": 1, "start": "2015-10-12", "order": "asc"}
    response = client.get("/api/volume-by-category-1m", query_string=params)
    assert response.status_code == 200 and response.is_streamed
    assert response.headers["Content-Disposition"] == f'attachment; filename="volume_by_category_1m.{fmt}"'
    text = response.get_data(as_text=True)
    if fmt == "csv":
        records = csv.DictReader(io.StringIO(text))
        streamed = [{k: v if k == "category" else int(v) for k, v in record.items()} for record in records]
    elif fmt == "ndjson":
        streamed = [json.loads(line) for line in text.splitlines()]
    else:
        streamed = json.loads(text)
    paged = all_rows(client, "volume-by-category-1m", start="2015-10-12", order="asc")
    assert streamed == paged and len(streamed) > 10 * 50


# -- layout, openapi, CORS -------------------------------------------------------------


def test_layout_is_served_when_the_plugin_has_one(client):
    assert get_json(client, "/api/dashboard/layout") == Dashboard.layout
    response = client.get("/api/statuses/layout")
    assert response.status_code == 404 and response.get_json()["error"] == "no layout"


def test_openapi_describes_every_plugin_route_and_parameter(client, plugins):
    document = get_json(client, "/api/openapi.json")
    assert document["openapi"].startswith("3.")
    for plugin in plugins:
        operation = document["paths"][f"/api/{plugin.ident}"]["get"]
        names = {parameter["name"] for parameter in operation["parameters"]}
        expected = {"start", "stop", "from", "to", "sort", "order", "page", "rows_per_page", "format", "time_format"}
        expected |= {"stream", "callback"}
        rolls_up = plugin.interval is not None and "volume" in plugin.model.column_names()
        assert names == expected | set(plugin.model.filters) | ({"interval"} if rolls_up else set())
        assert set(plugin.model.filters) <= set(plugin.model.column_names())
    described = {"/api/", "/api/openapi.json", "/api/{ident}/layout", "/api/{ident}/coverage", "/api/{ident}/series"}
    assert described <= set(document["paths"])


def test_api_routes_send_cors_headers(client):
    for url in ("/api/", "/api/volume-1d", "/api/nope", "/api/volume-1d?page=x"):
        response = client.get(url)
        assert response.headers["Access-Control-Allow-Origin"] == "*", url
        assert "X-Total-Count" in response.headers["Access-Control-Expose-Headers"]
    preflight = client.options(
        "/api/volume-1d", headers={"Origin": "https://x", "Access-Control-Request-Method": "GET"}
    )
    assert preflight.status_code == 200 and preflight.headers["Access-Control-Allow-Origin"] == "*"


# -- errors ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "parameter", "says"),
    [
        ("start=yesterday", "start", "epoch seconds or an ISO 8601"),
        ("start=nan", "start", "epoch seconds"),
        ("start=1e300", "start", "years 1 to 9999"),
        ("stop=2015-13-01", "stop", "ISO 8601"),
        ("stop=9999-12-31T23:00:00-05:00", "stop", "years 1 to 9999 in UTC"),
        ("start=0001-01-01T00:00:00%2B05:00", "start", "years 1 to 9999 in UTC"),
        ("start=2015-10-12&stop=2015-10-11", "stop", "at or after start"),
        ("order=up", "order", "'asc' or 'desc'"),
        ("page=0", "page", "from 1 to"),
        ("page=-1", "page", "from 1 to"),
        ("page=1.5", "page", "whole number"),
        ("page=99999999999999999999", "page", "whole number"),
        ("rows_per_page=101", "rows_per_page", "from 1 to 100"),
        ("rows_per_page=", "rows_per_page", "whole number"),
        ("format=xml", "format", "'json' or 'csv' or 'ndjson'"),
        ("callback=alert(1)", "callback", "identifier"),
        ("callback=x&format=csv", "callback", "JSON only"),
        ("stream=yes", "stream", "'0' or '1'"),
        ("stream=1&callback=f", "stream", "callback"),
        ("stream=1&format=csv&page=2", "page", "stream=1"),
        ("order=asc&order=desc", "order", "given once"),
        ("sort=nope", "sort", "'timestamp'"),
        ("category=", "category", "non-empty"),
        ("category=a%00b", "category", "non-empty"),
    ],
)
def test_a_bad_parameter_gets_400_naming_it(client, query, parameter, says):
    response = client.get(f"/api/volume-by-category-1h?{query}")
    assert response.status_code == 400, response.get_data(as_text=True)
    body = response.get_json()
    assert body["error"] == "bad parameter"
    assert f"parameter {parameter!r}" in body["detail"] and says in body["detail"]


def test_the_extremes_of_time_are_accepted(client):
    for query in ("start=0001-01-01", "stop=9999-12-31T23:59:59.999999", "start=-62135596800&stop=253402300799"):
        response = client.get(f"/api/volume-by-category-1h?{query}&rows_per_page=1")
        assert response.status_code == 200, (query, response.get_data(as_text=True))
        assert response.headers["X-Total-Count"] == "74", query


def test_category_on_a_statistic_without_one_is_refused(client):
    response = client.get("/api/volume-1h?category=autocloud")
    assert response.status_code == 400 and "no category column" in response.get_json()["detail"]


def test_jquerys_cache_buster_is_ignored(client):
    assert client.get("/api/volume-1h?_=1446033600123").status_code == 200


def test_an_unknown_ident_gets_404_listing_the_known_ones(client):
    response = client.get("/api/volume-1y")
    assert response.status_code == 404
    assert "volume-1h" in response.get_json()["detail"] and "statuses" in response.get_json()["detail"]


def test_other_methods_get_a_json_405(client):
    response = client.post("/api/volume-1h")
    assert response.status_code == 405 and response.get_json()["error"] == "method not allowed"
    assert "GET" in response.headers["Allow"]


def test_before_the_daemon_has_written_anything(tmp_path):
    fresh = Config(sqlalchemy_uri=f"sqlite:///{tmp_path / 'empty.sqlite'}", consumer_epoch=EPOCH)
    app = create_app(fresh, plugins=[Volume(timedelta(hours=1))])
    client = app.test_client()
    assert get_json(client, "/api/")[0]["latest"] is None
    response = client.get("/api/volume-1h")
    assert response.get_json() == [] and response.headers["X-Total-Count"] == "0"
    assert client.get("/api/volume-1h?format=csv&stream=1").get_data(as_text=True) == "timestamp,volume\r\n"
    assert client.get("/api/volume-1h?format=json&stream=1").get_json() == []
    app.extensions["statscache"].engine.dispose()
