"""The API of the statistics people ask the archive for: who was active where, and what happened last.

Over a database the real pipeline filled with real messages of many kinds
(tests/data/fedora-examples.jsonl), checked against the recount of
tests/unit/plugins/builtin/test_activity.py.
"""

from __future__ import annotations

import csv
import io
import time
from datetime import UTC, datetime

import pytest

from statscache.config import Config
from statscache.ingest.pipeline import Pipeline
from statscache.plugins import registry
from statscache.web import create_app
from statscache.web.formats import inert_cell
from tests.fakes.support import get_json
from tests.unit.plugins.builtin.test_activity import IDENTS, counted_examples, recount

DATAGREPPER = "https://apps.fedoraproject.org/datagrepper/"


@pytest.fixture(scope="module")
def expected():
    return recount(counted_examples())


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    config = Config(
        sqlalchemy_uri=f"sqlite:///{tmp_path_factory.mktemp('people') / 'stats.sqlite'}",
        consumer_epoch=datetime(2012, 1, 1, tzinfo=UTC),
        plugins_enabled=(*IDENTS, "volume"),
        datagrepper_endpoint=DATAGREPPER,
    )
    pipeline = Pipeline.open(config, registry.load(config))
    for example, _ in counted_examples():
        pipeline.handle(example)
    assert pipeline.flush()
    app = create_app(config, plugins=pipeline.plugins, engine=pipeline.engine)
    yield app.test_client()
    pipeline.close()


def test_a_persons_topics_most_active_first(client, expected):
    person = "pingou"
    rows = get_json(client, "/api/user-activity", query_string={"user": person})
    mine = [row for row in expected["user-activity"] if row[0] == person]
    assert len(rows) == len(mine) > 3
    assert [(r["user"], r["topic"], r["category"], r["volume"], r["first_seen"], r["timestamp"]) for r in rows] == (
        sorted(mine, key=lambda row: (row[3], row[5], row[1]), reverse=True)
    )


def test_the_people_on_a_topic_ordered_by_count(client, expected):
    counts = {}
    for _user, topic, *_ in expected["user-activity"]:
        counts[topic] = counts.get(topic, 0) + 1
    topic = max(counts, key=lambda name: (counts[name], name))
    response = client.get("/api/user-activity", query_string={"topic": topic})
    rows = response.get_json()
    assert int(response.headers["X-Total-Count"]) == counts[topic] > 1
    volumes = [row["volume"] for row in rows]
    assert volumes == sorted(volumes, reverse=True)
    assert {row["user"] for row in rows} == {row[0] for row in expected["user-activity"] if row[1] == topic}


def test_filters_combine_and_repeat(client, expected):
    rows = get_json(client, "/api/user-activity-by-category", query_string=[("user", "pingou"), ("user", "ralph")])
    assert sorted((r["user"], r["category"], r["volume"]) for r in rows) == sorted(
        (user, category, volume)
        for user, category, volume, *_ in expected["user-activity-by-category"]
        if user in ("pingou", "ralph")
    )
    rows = get_json(client, "/api/user-activity", query_string={"user": "pingou", "category": "pagure"})
    assert rows and all(row["category"] == "pagure" and row["user"] == "pingou" for row in rows)


def test_latest_message_of_each_topic_with_its_link_and_age(client, expected):
    before = time.time()
    rows = get_json(client, "/api/latest-by-topic", query_string={"rows_per_page": 100, "sort": "topic"})
    after = time.time()
    assert len(rows) == len(expected["latest-by-topic"])
    by_topic = {row["topic"]: row for row in rows}
    for topic, category, second, msg_id, users in expected["latest-by-topic"][:100]:
        row = by_topic[topic]
        assert (row["category"], row["timestamp"], row["msg_id"], row["users"]) == (category, second, msg_id, users)
        assert row["link"] == f"https://apps.fedoraproject.org/datagrepper/id?id={msg_id}".replace("+", "%2B")
        assert before - second - 1 <= row["age_seconds"] <= after - second + 1


def test_latest_of_each_category_as_csv_names_users_with_spaces(client, expected):
    response = client.get("/api/latest-by-category", query_string={"format": "csv", "sort": "category", "order": "asc"})
    records = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert list(records[0]) == ["category", "timestamp", "msg_id", "users", "link", "age_seconds"]
    # A cell that a spreadsheet would run as a formula ("@python ...", a copr group) gets a leading quote.
    assert [(r["category"], r["msg_id"], r["users"]) for r in records] == [
        (category, msg_id, inert_cell(" ".join(users))) for category, _, msg_id, users in expected["latest-by-category"]
    ]
    assert any(r["users"].startswith("'@") for r in records)


def test_a_filter_or_sort_the_statistic_has_not_is_refused(client):
    for url, params, named in (
        ("/api/volume-1h", {"user": "pingou"}, "user"),
        ("/api/latest-by-category", {"topic": "x"}, "topic"),
        ("/api/latest-by-topic", {"sort": "age_seconds"}, "sort"),
        ("/api/user-activity", {"user": ""}, "user"),
    ):
        response = client.get(url, query_string=params)
        assert response.status_code == 400, url
        assert response.get_json()["error"] == "bad parameter" and named in response.get_json()["detail"]


def test_the_index_describes_computed_columns_as_not_sortable(client):
    described = {item["ident"]: item for item in get_json(client, "/api/")}
    columns = {column["name"]: column for column in described["latest-by-topic"]["columns"]}
    assert columns["age_seconds"]["sortable"] is False and columns["timestamp"]["sortable"] is True
    assert columns["users"]["type"] == "list"
