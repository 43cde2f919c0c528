"""The web app only reads: it creates no database, writes nothing, and serves the daemon's database once it appears."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import exc, text

from statscache.config import Config
from statscache.ingest.pipeline import Pipeline
from statscache.plugins.builtin.volume import Volume, VolumeByCategory
from statscache.web import create_app
from tests.fakes.support import EPOCH, recorded_envelopes, recount

IDENT = "volume-by-category-1d"


def plugins():
    return [Volume(timedelta(hours=1)), VolumeByCategory(timedelta(days=1))]


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)])
def database_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'db' / 'stats.sqlite'}"
    return request.getfixturevalue("postgres_url")


def served_counts(client) -> dict:
    rows = client.get(f"/api/{IDENT}", query_string={"rows_per_page": 100}).get_json()
    return {(row["timestamp"], row["category"]): row["volume"] for row in rows}


def test_nothing_is_created_before_the_daemon_and_its_data_is_served_once_there(database_url, tmp_path):
    (tmp_path / "db").mkdir()
    config = Config(sqlalchemy_uri=database_url, consumer_epoch=EPOCH)
    app = create_app(config, plugins=plugins())
    client = app.test_client()
    try:
        # No data yet: the same answers as a database without statistics, never a 500.
        listed = client.get("/api/")
        assert listed.status_code == 200
        assert [(item["ident"], item["latest"]) for item in listed.get_json()] == [
            ("volume-1h", None),
            (IDENT, None),
        ]
        empty = client.get(f"/api/{IDENT}")
        assert empty.status_code == 200 and empty.get_json() == [] and empty.headers["X-Total-Count"] == "0"
        assert client.get(f"/api/{IDENT}?format=csv&stream=1").get_data(as_text=True) == (
            "timestamp,category,volume\r\n"
        )
        coverage = client.get(f"/api/{IDENT}/coverage")
        assert coverage.status_code == 200 and coverage.get_json()["complete"] == []
        assert client.get("/api/openapi.json").status_code == 200
        if database_url.startswith("sqlite"):
            assert list((tmp_path / "db").iterdir()) == []  # not even an empty file, or its -wal and -shm

        # The daemon starts and counts: the running app serves it, without a restart.
        envelopes = recorded_envelopes()
        pipeline = Pipeline.open(config, plugins())
        for envelope in envelopes:
            pipeline.handle(envelope)
        assert pipeline.flush()
        pipeline.engine.dispose()
        assert served_counts(client) == recount(envelopes, IDENT)
        assert client.get("/api/").get_json()[1]["latest"] == max(e["timestamp"] for e in envelopes)
    finally:
        app.extensions["statscache"].engine.dispose()


@pytest.mark.parametrize(
    "statement",
    [
        "CREATE TABLE intruder (a INTEGER)",
        "DELETE FROM volume_by_category_1d",
        "UPDATE volume_by_category_1d SET volume = 0",
    ],
)
def test_the_app_cannot_write_to_the_database(database_url, tmp_path, statement):
    (tmp_path / "db").mkdir()
    config = Config(sqlalchemy_uri=database_url, consumer_epoch=EPOCH)
    envelopes = recorded_envelopes()
    pipeline = Pipeline.open(config, plugins())
    for envelope in envelopes:
        pipeline.handle(envelope)
    assert pipeline.flush()
    app = create_app(config, plugins=plugins())
    client = app.test_client()
    engine = app.extensions["statscache"].engine
    try:
        assert served_counts(client) == recount(envelopes, IDENT)
        with pytest.raises(exc.DBAPIError, match="readonly|read-only"), engine.begin() as connection:
            connection.execute(text(statement))
        with pytest.raises(exc.DBAPIError, match="readonly|read-only"), engine.connect() as connection:
            connection.execute(text(statement))  # outside an explicit transaction too
            connection.commit()
        assert served_counts(client) == recount(envelopes, IDENT)
    finally:
        engine.dispose()
        pipeline.engine.dispose()


def test_a_database_that_cannot_be_opened_gets_a_json_503(tmp_path):
    (tmp_path / "stats.sqlite").mkdir()  # there, but not a database: sqlite cannot open it
    app = create_app(Config(sqlalchemy_uri=f"sqlite:///{tmp_path / 'stats.sqlite'}"), plugins=plugins())
    client = app.test_client()
    for url in ("/api/", f"/api/{IDENT}", f"/api/{IDENT}/coverage"):
        response = client.get(url)
        assert response.status_code == 503, url
        assert response.get_json()["error"] == "database unavailable" and response.headers["Retry-After"] == "10"
    app.extensions["statscache"].engine.dispose()
