import csv
import io
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from statscache.plugins.models import CategorizedVolumeModel, LatestEventModel, VolumeModel, concrete_model
from statscache.store.engine import create_tables, make_engine, make_session_factory

UTC = UTC


@pytest.fixture
def session(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'models.sqlite'}")
    model = concrete_model(CategorizedVolumeModel, "models_test_counts")
    create_tables(engine, [model.__table__])
    with make_session_factory(engine)() as session:
        yield session, model
    engine.dispose()


def test_concrete_models_are_made_once_per_table():
    assert concrete_model(VolumeModel, "models_test_once") is concrete_model(VolumeModel, "models_test_once")


def test_columns_describe_name_type_and_meaning():
    model = concrete_model(LatestEventModel, "models_test_latest")
    columns = {c["name"]: c for c in model.columns()}
    assert list(columns) == ["category", "timestamp", "msg_id", "status", "link"]
    assert columns["timestamp"]["type"] == "timestamp"
    assert columns["category"]["type"] == "str"
    assert columns["msg_id"]["description"] == "the message that announced it"


def test_timestamps_round_trip_as_aware_utc_and_serialize_as_epoch_seconds(session):
    session, model = session
    moment = datetime(2015, 10, 9, 7, 35, tzinfo=timezone(timedelta(hours=2)))
    session.add(model(timestamp=moment, category="autocloud", volume=3))
    session.commit()
    row = session.scalars(select(model)).one()
    assert row.timestamp == moment and row.timestamp.tzinfo is UTC
    assert row.to_json() == {"timestamp": 1444368900, "category": "autocloud", "volume": 3}


def test_naive_datetimes_are_refused(session):
    session, model = session
    session.add(model(timestamp=datetime(2015, 10, 9), category="x", volume=1))
    with pytest.raises(Exception, match="naive"):
        session.commit()


def test_csv_quotes_what_needs_quoting(session):
    session, model = session
    tricky = 'a "quoted", comma\nand newline'
    session.add_all(
        [
            model(timestamp=datetime(2015, 10, 9, tzinfo=UTC), category=tricky, volume=2),
            model(timestamp=datetime(2015, 10, 10, tzinfo=UTC), category="plain", volume=5),
        ]
    )
    session.commit()
    out = io.StringIO()
    model.to_csv(session.scalars(select(model).order_by(model.timestamp)), out)
    assert out.getvalue().startswith("timestamp,category,volume\r\n")
    parsed = list(csv.reader(io.StringIO(out.getvalue())))
    assert parsed == [["timestamp", "category", "volume"], ["1444348800", tricky, "2"], ["1444435200", "plain", "5"]]
