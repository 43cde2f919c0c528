"""The web app under hostile requests and hostile bus strings: formula cells, Host, oversized parameters, headers."""

from __future__ import annotations

import csv
import io
import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert

from statscache.config import Config
from statscache.ingest.pipeline import Pipeline
from statscache.plugins.builtin.volume import Volume, VolumeByCategory
from statscache.web import create_app
from statscache.web.params import MAX_REPEATED
from tests.fakes.support import recount

EPOCH = datetime(2015, 1, 1, tzinfo=UTC)
#: Categories a sender picks (the fourth part of the topic): each would run as a formula in a spreadsheet.
FORMULAS = ["=cmd|' /C calc'!A0", "@SUM(1+1)", "+1+1", "-2+3", "\tHYPERLINK(x)", "\r=1+1"]
PLAIN = ["autocloud", "it's-fine=ok", "a-b"]
MOMENTS = [datetime(2015, 10, 11, 8, tzinfo=UTC).timestamp(), datetime(2015, 10, 12, 8, tzinfo=UTC).timestamp()]
#: A row from before 1970 (stored directly: the daemon takes no such message): its epoch seconds are negative.
BEFORE_1970 = {"timestamp": datetime(1969, 12, 31, tzinfo=UTC), "category": "-1", "volume": 7}


def envelopes() -> list[dict]:
    published = []
    for category in FORMULAS + PLAIN:
        for moment in MOMENTS:
            topic = f"org.fedoraproject.prod.{category}.thing.happened"
            published.append({"topic": topic, "msg": {}, "msg_id": f"2015-{uuid.uuid4()}", "timestamp": moment})
    return published


@pytest.fixture(scope="module")
def published():
    return envelopes()


@pytest.fixture(scope="module")
def app(tmp_path_factory, published):
    database = tmp_path_factory.mktemp("hostile") / "stats.sqlite"
    config = Config(sqlalchemy_uri=f"sqlite:///{database}", consumer_epoch=EPOCH)
    plugins = [VolumeByCategory(timedelta(days=1)), Volume(timedelta(days=1))]
    pipeline = Pipeline.open(config, plugins)
    for envelope in published:
        pipeline.handle(envelope)
    assert pipeline.flush()
    with pipeline.engine.begin() as connection:
        connection.execute(insert(plugins[0].model), [BEFORE_1970])
    pipeline.engine.dispose()
    app = create_app(config, plugins=plugins)
    yield app
    app.extensions["statscache"].engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


def unneutralised(cell: str) -> str:
    """What a cell held before the app defused it (OWASP: a leading single quote)."""
    return cell[1:] if cell[:2] in {f"'{c}" for c in "=+-@\t\r"} else cell


def as_counts(records) -> dict:
    """The served counts, without the row from before 1970."""
    counts = {(int(r["timestamp"]), unneutralised(r["category"])): int(r["volume"]) for r in records}
    counts.pop((-86400, "-1"), None)
    return counts


# -- CSV formula injection ---------------------------------------------------------------


@pytest.mark.parametrize("stream", [False, True])
def test_csv_cells_that_start_a_formula_are_defused_and_numbers_stay_numbers(client, published, stream):
    query = {"format": "csv", "order": "asc", **({"stream": 1} if stream else {"rows_per_page": 100})}
    text = client.get("/api/volume-by-category-1d", query_string=query).get_data(as_text=True)
    records = list(csv.DictReader(io.StringIO(text, newline="")))
    for record in records:
        assert record["category"][:1] not in {"=", "+", "-", "@", "\t", "\r"}, record
    served = {record["category"] for record in records}
    assert served - {"'-1"} == {f"'{category}" for category in FORMULAS} | set(PLAIN)
    if stream:  # (pages use the tally, whose SQLite buckets put rows before 1970 in the wrong place: not ours)
        # The window before 1970 is a negative number of seconds: a number, left as it is.
        assert records[0]["timestamp"] == "-86400" and records[0]["category"] == "'-1"
    assert as_counts(records) == recount(published, "volume-by-category-1d")


def test_the_plugin_listing_as_csv_is_defused_too(app, client):
    plugin = app.extensions["statscache"].plugins["volume-1d"]
    original = plugin.summary
    plugin.summary = "=HYPERLINK(evil)"  # plugins are third-party code too
    try:
        text = client.get("/api/", headers={"Accept": "text/csv"}).get_data(as_text=True)
    finally:
        plugin.summary = original
    summaries = [record["summary"] for record in csv.DictReader(io.StringIO(text, newline=""))]
    assert "'=HYPERLINK(evil)" in summaries


def test_json_and_ndjson_carry_the_strings_as_they_are(client, published):
    rows = client.get("/api/volume-by-category-1d?rows_per_page=100").get_json()
    assert {row["category"] for row in rows} == {*FORMULAS, *PLAIN, "-1"}
    ndjson = client.get("/api/volume-by-category-1d?format=ndjson&stream=1").get_data(as_text=True)
    streamed = {(r["timestamp"], r["category"]): r["volume"] for r in map(json.loads, ndjson.splitlines())}
    assert streamed.pop((-86400, "-1")) == 7
    assert streamed == recount(published, "volume-by-category-1d")


# -- Host header ---------------------------------------------------------------------------


HOSTILE = "evil.example"


def test_a_hostile_host_header_reaches_no_link_or_url(client):
    headers = {"Host": HOSTILE, "X-Forwarded-Host": HOSTILE}
    listed = client.get("/api/", headers=headers)
    assert HOSTILE not in listed.get_data(as_text=True)
    assert {item["url"] for item in listed.get_json()} >= {"/api/volume-1d", "/api/volume-by-category-1d"}
    page = client.get("/api/volume-by-category-1d?rows_per_page=2&page=2", headers=headers)
    assert HOSTILE not in page.headers["Link"]
    assert '</api/volume-by-category-1d?rows_per_page=2&page=1>; rel="first"' in page.headers["Link"]
    assert HOSTILE not in client.get("/", headers={**headers, "Accept": "application/json"}).headers["Location"]
    for page_url in ("/", "/plugins/volume-1d", "/releng", "/docs"):
        assert HOSTILE not in client.get(page_url, headers={**headers, "Accept": "text/html"}).get_data(as_text=True)


def test_a_configured_base_url_makes_the_links_absolute(app):
    settings = app.extensions["statscache"].config
    config = Config(**{**settings.__dict__, "app_base_url": "https://stats.example.org/statscache/"})
    plugins = list(app.extensions["statscache"].plugins.values())
    based = create_app(config, plugins=plugins, engine=app.extensions["statscache"].engine).test_client()
    headers = {"Host": HOSTILE}
    urls = {item["ident"]: item["url"] for item in based.get("/api/", headers=headers).get_json()}
    assert urls["volume-1d"] == "https://stats.example.org/statscache/api/volume-1d"
    link = based.get("/api/volume-1d?rows_per_page=1", headers=headers).headers["Link"]
    assert link.startswith('<https://stats.example.org/statscache/api/volume-1d?rows_per_page=1&page=1>; rel="first"')
    assert HOSTILE not in link


# -- oversized parameters and what errors echo ---------------------------------------------------------


def test_thousands_of_repeated_categories_get_a_400_naming_the_parameter(client):
    response = client.get("/api/volume-by-category-1d", query_string=[("category", f"c{i}") for i in range(10_000)])
    assert response.status_code == 400
    body = response.get_json()
    assert "parameter 'category'" in body["detail"] and f"at most {MAX_REPEATED}" in body["detail"]
    assert len(response.get_data()) < 1000


def test_the_link_header_stays_small_at_the_cap(client, published):
    longest = [("category", f"{i:03d}" + "x" * 252) for i in range(MAX_REPEATED)]
    response = client.get("/api/volume-by-category-1d", query_string=[*longest, ("category", "autocloud")][1:])
    assert response.status_code == 200
    assert response.headers["X-Total-Count"] == "2"  # autocloud's two days
    assert "Link" not in response.headers  # no one link fits in 2 KiB: none is sent
    some = client.get(
        "/api/volume-by-category-1d", query_string=[*longest[:5], ("category", "autocloud"), ("rows_per_page", 1)]
    )
    assert len(some.headers["Link"]) <= 2048 and 'rel="next"' in some.headers["Link"]
    small = client.get("/api/volume-by-category-1d?category=autocloud&rows_per_page=1")
    assert 'rel="next"' in small.headers["Link"] and 'rel="last"' in small.headers["Link"]


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ({"category": "x" * 100_000}, "category"),
        ({"start": "1" * 100_000}, "start"),
        ({"stop": "2015-" + "1" * 100_000}, "stop"),
        ({"x" * 100_000: "1"}, "x" * 40),
        ({"callback": "a" * 100_000}, "callback"),
        ({"order": "<script>" * 10_000}, "order"),
        ({"page": "9" * 100_000}, "page"),
    ],
)
def test_error_bodies_do_not_echo_huge_input(client, query, parameter):
    response = client.get("/api/volume-by-category-1d", query_string=query)
    assert response.status_code == 400
    assert len(response.get_data()) < 1000
    assert response.get_json()["detail"].startswith(f"parameter {parameter!r}"[:-1])


def test_an_unknown_ident_is_not_echoed_whole(client):
    response = client.get("/api/" + "v" * 100_000)
    assert response.status_code == 404 and len(response.get_data()) < 1000
    assert "volume-1d" in response.get_json()["detail"]


def test_the_largest_page_number_is_an_empty_page_with_links_back(client):
    response = client.get("/api/volume-by-category-1d?page=2147483647&rows_per_page=100")
    assert response.status_code == 200 and response.get_json() == []
    assert '?rows_per_page=100&page=1>; rel="prev"' in response.headers["Link"]
    assert client.get("/api/volume-by-category-1d?page=2147483648").status_code == 400


def test_a_jsonp_callback_is_an_identifier_path_of_bounded_length(client):
    longest = ".".join(["a" * 64] * 8)
    assert client.get(f"/api/volume-1d?callback={longest}").status_code == 200
    for callback in (longest + ".b", "a" * 65, "x;alert(1)", "__proto__['x']", "a..b"):
        assert client.get("/api/volume-1d", query_string={"callback": callback}).status_code == 400, callback


# -- security headers ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/api/",
        "/api/?_=1",
        "/api/openapi.json",
        "/api/volume-1d",
        "/api/volume-1d?format=csv&stream=1",
        "/api/volume-1d?callback=show",
        "/api/volume-1d/coverage",
        "/api/volume-1d?page=x",
        "/api/nothing",
        "/nowhere",
    ],
)
def test_every_response_forbids_sniffing_and_loading_from_anywhere(client, url):
    response = client.get(url)
    assert response.headers["X-Content-Type-Options"] == "nosniff", url
    policy = response.headers["Content-Security-Policy"]
    if response.mimetype == "text/html":  # only the redirect's little page, today
        assert policy == "default-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'", url
    else:
        assert policy == "default-src 'none'; frame-ancestors 'none'", url


# -- exports at once -------------------------------------------------------------------------------


def test_exports_beyond_the_stream_limit_get_a_503_and_every_slot_comes_back(app, client):
    limit = app.extensions["statscache"].config.app_stream_limit
    url = "/api/volume-by-category-1d?format=csv&stream=1"
    held = [client.get(url) for _ in range(limit)]  # started, not read: each holds its slot
    assert all(response.status_code == 200 for response in held)
    refused = client.get(url)
    assert refused.status_code == 503 and refused.get_json()["error"] == "busy"
    assert refused.headers["Retry-After"] == "5"
    assert client.get("/api/volume-by-category-1d").status_code == 200  # pages are not exports
    held[0].close()  # closed unread (the generator never ran): its slot is free again
    assert client.get(url).get_data(as_text=True).startswith("timestamp,category,volume")
    for response in held[1:]:
        response.get_data()
        response.close()
    for _ in range(3 * limit):  # read to the end, one after another: none keeps a slot
        assert client.get(url).status_code == 200
