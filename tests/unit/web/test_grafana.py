"""Grafana's conventions: the range in epoch milliseconds (from/to), times written as ms or ISO 8601, and the
Infinity panel the README gives, its query run against the API as Grafana would send it."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.fakes.support import get_json, recorded_envelopes
from tests.fakes.webapp import make_client

README = Path(__file__).resolve().parents[3] / "README.rst"


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    made, dispose = make_client(tmp_path_factory.mktemp("grafana") / "stats.sqlite")
    yield made
    dispose()


@pytest.fixture(scope="module")
def span():
    times = [envelope["timestamp"] for envelope in recorded_envelopes()]
    return int(min(times)), int(max(times))


def test_from_and_to_in_milliseconds_are_start_and_stop(client, span):
    first, last = span
    middle = (first + last) // 2
    seconds = get_json(client, "/api/volume-1h", query_string={"start": first, "stop": middle, "stream": 1})
    millis = get_json(client, "/api/volume-1h", query_string={"from": first * 1000, "to": middle * 1000, "stream": 1})
    assert millis == seconds and len(seconds) > 10
    mixed = get_json(client, "/api/volume-1h", query_string={"from": first * 1000, "stop": middle, "stream": 1})
    assert mixed == seconds
    chart = get_json(client, "/api/volume-1h/series", query_string={"from": first * 1000, "to": middle * 1000})
    assert chart["start"] <= first < middle <= chart["stop"]


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"from": 1, "start": 1}, "from"),
        ({"to": 1, "stop": 1}, "to"),
        ({"from": 2000, "to": 1000}, "to"),
        ({"from": "yesterday"}, "from"),
        ({"to": "nan"}, "to"),
        ({"from": "1e300"}, "from"),
        ({"time_format": "unix"}, "time_format"),
    ],
)
def test_bad_grafana_parameters_are_refused(client, params, named):
    response = client.get("/api/volume-1h", query_string=params)
    assert response.status_code == 400
    assert response.get_json()["error"] == "bad parameter" and named in response.get_json()["detail"]


def test_times_in_milliseconds_and_iso_8601(client):
    seconds = get_json(client, "/api/volume-by-category-1h", query_string={"rows_per_page": 20})
    millis = get_json(client, "/api/volume-by-category-1h", query_string={"rows_per_page": 20, "time_format": "ms"})
    iso = get_json(client, "/api/volume-by-category-1h", query_string={"rows_per_page": 20, "time_format": "iso"})
    assert [row["timestamp"] * 1000 for row in seconds] == [row["timestamp"] for row in millis]
    assert [datetime.fromtimestamp(row["timestamp"], tz=UTC) for row in seconds] == [
        datetime.fromisoformat(row["timestamp"]) for row in iso
    ]
    assert all(row["timestamp"].endswith("Z") for row in iso)
    response = client.get("/api/volume-by-category-1h", query_string={"format": "csv", "time_format": "ms"})
    records = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert int(records[0]["timestamp"]) == millis[0]["timestamp"]


def readme_panel() -> dict:
    """The Infinity panel definition the README gives (its JSON code block)."""
    text = README.read_text(encoding="utf-8")
    start = text.index('      "type": "timeseries",') - len("    {\n")
    block = text[start : text.index("\n\n", start)]
    return json.loads("\n".join(line[4:] for line in block.splitlines()))


def test_the_readme_grafana_panel_queries_the_api_as_grafana_would(client, span):
    panel = readme_panel()
    (target,) = panel["targets"]
    assert target["datasource"]["type"] == "yesoreyeram-infinity-datasource"
    assert (target["type"], target["source"], target["url_options"]["method"]) == ("json", "url", "GET")
    first, last = span
    # Grafana fills in the dashboard's range, in milliseconds.
    fill = {"${__from}": str(first * 1000 + 123), "${__to}": str(last * 1000 + 456)}
    params = [(param["key"], fill.get(param["value"], param["value"])) for param in target["url_options"]["params"]]
    path = urlsplit(target["url"]).path
    response = client.get(path, query_string=params)
    assert response.status_code == 200 and response.mimetype == "application/json"
    rows = response.get_json()
    assert isinstance(rows, list) and rows and all(isinstance(row, dict) for row in rows)
    for column in target["columns"]:
        assert all(column["selector"] in row for row in rows)
    times = [row["timestamp"] for row in rows]
    days = {time % 86_400_000 for time in times}
    assert days == {0}  # whole days, in milliseconds
    assert min(times) <= first * 1000 + 123 and max(times) < last * 1000 + 456
    assert sum(row["volume"] for row in rows) == len({e["msg_id"] for e in recorded_envelopes()})
    assert re.fullmatch(r"/api/[a-z0-9-]+", path)
