"""The web app reads while the daemon writes, on SQLite (WAL) and PostgreSQL: every answer is whole and consistent."""

from __future__ import annotations

import threading
import time

import pytest

from statscache.config import Config
from statscache.ingest.pipeline import Pipeline
from statscache.plugins import registry
from statscache.web import create_app
from tests.fakes.support import EPOCH, recorded_envelopes

pytestmark = pytest.mark.integration


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'stats.sqlite'}"
    return request.getfixturevalue("postgres_url")


def test_pages_are_consistent_while_the_pipeline_flushes(database_url):
    envelopes = recorded_envelopes()
    config = Config(sqlalchemy_uri=database_url, consumer_epoch=EPOCH)
    pipeline = Pipeline.open(config, registry.load(config))
    client = create_app(config).test_client()  # an engine of its own, as in its own process
    done = threading.Event()

    def write():
        for start in range(0, len(envelopes), 50):
            for envelope in envelopes[start : start + 50]:
                pipeline.handle(envelope)
            assert pipeline.flush()
        done.set()

    writer = threading.Thread(target=write)
    writer.start()
    seen: list[int] = []

    def read():
        # One page holds every daily row: its sum is what was counted at one moment.
        response = client.get("/api/volume-1d", query_string={"rows_per_page": 100})
        assert response.status_code == 200, response.get_data(as_text=True)
        rows = response.get_json()
        assert len(rows) == int(response.headers["X-Total-Count"])  # count and rows from one snapshot
        seen.append(sum(row["volume"] for row in rows))
        assert client.get("/api/volume-by-category-1h", query_string={"page": 2}).status_code == 200

    try:
        while not done.is_set():
            read()
            time.sleep(0.005)  # leave the writer room: the point is overlap, not load
        writer.join()
        read()
    finally:
        writer.join()
        pipeline.engine.dispose()
        client.application.extensions["statscache"].engine.dispose()
    assert seen == sorted(seen), "a read went back in time"
    assert seen[-1] == 1300 and len(set(seen)) > 2  # reads happened along the way, and saw the end
