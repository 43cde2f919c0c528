"""/api/<ident>/series: a chart's points, each the exact sum of what the plugin counted in its step."""

from __future__ import annotations

from collections import Counter

import pytest

from tests.fakes.support import get_json, recorded_envelopes, recount
from tests.fakes.webapp import make_client

WEEK = 7 * 86400


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    made, dispose = make_client(tmp_path_factory.mktemp("series") / "stats.sqlite")
    yield made
    dispose()


def expected_points(ident, start, stop, step, key=lambda category: category):
    """Recounted from the envelopes: messages per step from start, per line (key of a category)."""
    points: Counter = Counter()
    for (window, category), volume in recount(recorded_envelopes(), ident).items():
        if start <= window < stop:
            points[(start + (window - start) // step * step, key(category))] += volume
    return points


def as_points(body):
    return Counter(
        {
            (time, line["name"]): value
            for line in body["lines"]
            for time, value in zip(body["times"], line["values"], strict=True)
            if value
        }
    )


@pytest.mark.parametrize("ident", ["volume-1m", "volume-1h", "volume-1d"])
def test_every_point_is_the_recount_of_its_step(client, ident):
    body = get_json(client, f"/api/{ident}/series?last={4 * WEEK}&points=50")
    assert body["step"] % {"1m": 60, "1h": 3600, "1d": 86400}[ident[-2:]] == 0
    assert len(body["times"]) <= 50 and body["times"] == sorted(body["times"])
    assert body["stop"] > max(envelope["timestamp"] for envelope in recorded_envelopes())  # up to the newest data
    expected = expected_points(ident, body["times"][0], body["stop"], body["step"], key=lambda _: "volume")
    assert as_points(body) == expected and sum(expected.values()) > 0


def test_top_lines_and_other_add_up_to_the_total(client):
    ident = "volume-by-category-1h"
    body = get_json(client, f"/api/{ident}/series?last={4 * WEEK}&top=1")
    named = [line for line in body["lines"] if not line["other"]]
    assert len(named) == 1
    total = get_json(client, f"/api/{ident}/series?last={4 * WEEK}&top=0")
    summed = [sum(values) for values in zip(*(line["values"] for line in body["lines"]), strict=True)]
    assert summed == total["lines"][0]["values"]
    counts = recount(recorded_envelopes(), ident)
    biggest = Counter()
    for (window, category), volume in counts.items():
        if window >= body["times"][0]:
            biggest[category] += volume
    assert named[0]["name"] == biggest.most_common(1)[0][0]


def test_a_start_and_stop_choose_the_range(client):
    stop = max(envelope["timestamp"] for envelope in recorded_envelopes())
    start = stop - 86400
    body = get_json(client, f"/api/volume-1h/series?start={start}&stop={stop}&points=1000")
    # Widened to whole steps: every point sums whole windows, and the first starts at start.
    assert body["start"] == start // 3600 * 3600 == body["times"][0] and body["step"] == body["window"] == 3600
    assert body["stop"] == -(-stop // 3600) * 3600 == body["times"][-1] + 3600
    one = get_json(client, f"/api/volume-1h/series?start={start}&stop={stop}&points=1")
    assert one["times"] == [one["start"]] and one["start"] <= start and one["stop"] >= stop
    assert sum(one["lines"][0]["values"]) == sum(body["lines"][0]["values"])
    empty = get_json(client, f"/api/volume-1h/series?start={start // 3600 * 3600}&stop={start // 3600 * 3600}")
    assert empty["times"] == [] and empty["lines"][0]["values"] == []


@pytest.mark.parametrize(
    "query, parameter",
    [("top=99", "top"), ("points=0", "points"), ("last=x", "last"), ("start=2&last=5", "last"), ("x=1", "x")],
)
def test_bad_parameters_get_400(client, query, parameter):
    response = client.get(f"/api/volume-1h/series?{query}")
    assert response.status_code == 400 and repr(parameter) in response.get_json()["detail"]


def test_an_unknown_plugin_gets_404(client):
    assert client.get("/api/nope/series").status_code == 404
