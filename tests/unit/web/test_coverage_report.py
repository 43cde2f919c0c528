"""``/api/<ident>/coverage`` and the coverage of each plugin in ``/api/``: complete stretches, gaps and why."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy.orm import Session

from statscache.config import Config
from statscache.ingest.pipeline import Pipeline
from statscache.plugins.builtin.volume import Volume
from statscache.store import coverage
from statscache.store.engine import create_tables, make_engine
from statscache.web import coverage_report, create_app
from tests.fakes.sample_plugins import Statuses
from tests.fakes.support import EPOCH, get_json

NOW = datetime(2015, 10, 30, tzinfo=UTC).timestamp()


def at(day: int, hour: int = 0) -> float:
    return datetime(2015, 10, day, hour, tzinfo=UTC).timestamp()


def iso(day: int, hour: int = 0) -> str:
    return f"2015-10-{day:02d}T{hour:02d}:00:00+00:00"


class Recent(Statuses):
    """A plugin for which only the last ten days of history are worth having."""

    name = "Recent"
    backlog_delta = timedelta(days=10)


@pytest.fixture(autouse=True)
def _clock(monkeypatch):
    monkeypatch.setattr(coverage_report, "clock", lambda: NOW)


@pytest.fixture
def pipeline(tmp_path):
    config = Config(sqlalchemy_uri=f"sqlite:///{tmp_path / 'coverage.sqlite'}", consumer_epoch=EPOCH)
    made = Pipeline.open(config, [Volume(timedelta(hours=1)), Statuses(), Recent()])
    yield made
    made.engine.dispose()


@pytest.fixture
def client(pipeline):
    return create_app(pipeline.config, plugins=pipeline.plugins, engine=pipeline.engine).test_client()


def record(pipeline, ident, complete=(), failed=()):
    """Complete stretches ``(start, end)`` and failures ``(start, end, reason, noted_at)`` of one plugin."""
    with pipeline.session_factory() as session, session.begin():
        for start, end in complete:
            coverage.add(session, [ident], start, end)
        for start, end, reason, noted_at in failed:
            with pytest.MonkeyPatch.context() as patch:
                patch.setattr(coverage, "time", SimpleNamespace(time=lambda noted_at=noted_at: noted_at))
                coverage.note_failure(session, [ident], start, end, reason)


def test_gaps_between_complete_stretches_carry_the_latest_failure_there(pipeline, client):
    record(
        pipeline,
        "volume-1h",
        complete=[(at(10), at(12)), (at(20), at(25))],
        failed=[
            (at(1), at(2), "datagrepper answered 502", at(26)),
            (at(12), at(15), "timed out", at(26)),
            (at(14), at(20), "datagrepper answered 500", at(27)),  # the latest here: this one is the reason
            (at(25), at(26), "after the last complete stretch: no gap of its", at(28)),
        ],
    )
    assert get_json(client, "/api/volume-1h/coverage") == {
        "ident": "volume-1h",
        "wanted_since": "2015-01-01T00:00:00+00:00",
        "complete": [{"start": iso(10), "end": iso(12)}, {"start": iso(20), "end": iso(25)}],
        "complete_until": iso(25),
        "gaps": [
            {
                "start": "2015-01-01T00:00:00+00:00",
                "end": iso(10),
                "reason": "datagrepper answered 502",
                "noted_at": iso(26),
            },
            {"start": iso(12), "end": iso(20), "reason": "datagrepper answered 500", "noted_at": iso(27)},
        ],
        "backlog_delta_seconds": None,
        "quarantined": 0,
        "quarantined_recent": [],
    }


def test_a_gap_nothing_failed_in_has_no_reason_and_a_failure_touching_it_is_not_one(pipeline, client):
    record(
        pipeline,
        "volume-1h",
        complete=[(at(1), at(12)), (at(20), at(25))],
        failed=[(at(1), at(12), "touches both gaps, overlaps neither", at(13))],
    )
    record(pipeline, "statuses", failed=[(at(15), at(16), "another plugin's", at(13))])
    assert get_json(client, "/api/volume-1h/coverage")["gaps"] == [
        {"start": "2015-01-01T00:00:00+00:00", "end": iso(1), "reason": None, "noted_at": None},
        {"start": iso(12), "end": iso(20), "reason": None, "noted_at": None},
    ]


def test_wanted_since_honours_backlog_delta(pipeline, client):
    record(pipeline, "recent", complete=[(at(1), at(22)), (at(24), at(28))])
    body = get_json(client, "/api/recent/coverage")
    assert body["wanted_since"] == iso(20) and body["backlog_delta_seconds"] == 10 * 86400
    # The stretches are as recorded; only what is missing since wanted_since is a gap.
    assert body["complete"] == [{"start": iso(1), "end": iso(22)}, {"start": iso(24), "end": iso(28)}]
    assert body["gaps"] == [{"start": iso(22), "end": iso(24), "reason": None, "noted_at": None}]


def test_with_nothing_complete_everything_since_wanted_since_up_to_now_is_one_gap(pipeline, client):
    record(pipeline, "recent", failed=[(at(21), at(22), "datagrepper answered 503", at(23))])
    body = get_json(client, "/api/recent/coverage")
    assert body["complete"] == [] and body["complete_until"] is None
    assert body["gaps"] == [
        {"start": iso(20), "end": iso(30), "reason": "datagrepper answered 503", "noted_at": iso(23)}
    ]


def test_the_listing_gives_each_plugin_its_last_complete_stretch_and_gap_count(pipeline, client):
    record(pipeline, "volume-1h", complete=[(at(10), at(12)), (at(20), at(25))])
    record(pipeline, "recent", complete=[(at(20), at(29))])
    listed = {item["ident"]: item["coverage"] for item in get_json(client, "/api/")}
    assert listed == {
        "volume-1h": {"complete_since": iso(20), "complete_until": iso(25), "gaps": 2},
        "statuses": {"complete_since": None, "complete_until": None, "gaps": 1},
        "recent": {"complete_since": iso(20), "complete_until": iso(29), "gaps": 0},
    }
    as_csv = client.get("/api/", headers={"Accept": "text/csv"}).get_data(as_text=True)
    row = next(csv.DictReader(io.StringIO(as_csv)))
    assert row["coverage_complete_since"] == iso(20) and row["coverage_gaps"] == "2" and "coverage" not in row


def test_an_unknown_ident_gets_a_json_404_with_cors(client):
    response = client.get("/api/volume-1y/coverage")
    assert response.status_code == 404 and response.get_json()["error"] == "unknown plugin"
    assert "volume-1h" in response.get_json()["detail"]
    assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_coverage_is_json_whatever_the_accept_header_like_layout(client):
    response = client.get("/api/volume-1h/coverage", headers={"Accept": "text/csv"})
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_before_the_daemon_has_created_the_coverage_tables(tmp_path):
    config = Config(sqlalchemy_uri=f"sqlite:///{tmp_path / 'empty.sqlite'}", consumer_epoch=EPOCH)
    plugin = Volume(timedelta(hours=1))
    app = create_app(config, plugins=[plugin])
    client = app.test_client()
    body = get_json(client, "/api/volume-1h/coverage")
    assert body["complete"] == [] and body["complete_until"] is None
    assert body["gaps"] == [{"start": "2015-01-01T00:00:00+00:00", "end": iso(30), "reason": None, "noted_at": None}]
    assert get_json(client, "/api/")[0]["coverage"] == {"complete_since": None, "complete_until": None, "gaps": 1}
    # Once the daemon creates them, the app reads them: a missing table is not remembered.
    engine = make_engine(config.sqlalchemy_uri)  # the daemon's: the app's own cannot write
    create_tables(engine, coverage.COVERAGE_TABLES)
    pipeline = SimpleNamespace(session_factory=lambda: Session(engine))
    record(pipeline, "volume-1h", complete=[(at(1), at(2))])
    assert get_json(client, "/api/volume-1h/coverage")["complete_until"] == iso(2)
    engine.dispose()
    app.extensions["statscache"].engine.dispose()
