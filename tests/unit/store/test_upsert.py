"""add_counts and replace_if_newer send rows to the driver themselves: what they store must be what
SQLAlchemy would have stored, so that their rows and any other writer's meet on the same keys."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import create_engine, insert, select
from sqlalchemy.orm import Session

from statscache.plugins.builtin.builds import LatestBuilds
from statscache.plugins.builtin.volume import VolumeByCategory
from statscache.store import schema, tally
from statscache.store.upsert import add_counts, replace_if_newer

WINDOW = datetime(2015, 10, 28, 12, 0, tzinfo=UTC)


def test_counts_add_to_a_row_sqlalchemy_wrote_and_to_their_own(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'stats.sqlite'}")
    plugin = VolumeByCategory(timedelta(hours=1))
    schema.prepare(engine, [plugin])
    table = plugin.model.__table__
    with Session(engine) as session, session.begin():
        session.execute(insert(table), [{"timestamp": WINDOW, "category": "bodhi", "volume": 2}])  # SQLAlchemy's way
        window = int(WINDOW.timestamp())
        statement = tally.counts_statement(plugin)
        add_counts(session, plugin.model, statement, {(window, "bodhi"): 3, (window + 3600, "bodhi"): 1})
        add_counts(session, plugin.model, statement, {(window, "bodhi"): 4})
    with engine.connect() as connection:
        rows = connection.execute(select(table).order_by(table.c.timestamp)).all()
    assert [(row.timestamp, row.category, row.volume) for row in rows] == [
        (WINDOW, "bodhi", 9),
        (WINDOW + timedelta(hours=1), "bodhi", 1),
    ]
    engine.dispose()


def test_a_newer_event_replaces_a_row_sqlalchemy_wrote_and_an_older_one_does_not(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'stats.sqlite'}")
    plugin = LatestBuilds()
    schema.prepare(engine, [plugin])
    table = plugin.model.__table__
    row = {"category": "compose/f23/x86_64", "timestamp": WINDOW, "msg_id": "b", "status": "STARTED", "link": None}
    with Session(engine) as session, session.begin():
        session.execute(insert(table), [row])
        replace_if_newer(session, plugin.model, ("category",), [{**row, "msg_id": "a", "status": "older id"}])
        replace_if_newer(session, plugin.model, ("category",), [{**row, "msg_id": "c", "status": "FINISHED"}])
        older = {**row, "timestamp": WINDOW - timedelta(minutes=1), "msg_id": "z", "status": "earlier"}
        replace_if_newer(session, plugin.model, ("category",), [older])
    with engine.connect() as connection:
        stored = connection.execute(select(table.c.category, table.c.msg_id, table.c.status)).all()
    assert stored == [("compose/f23/x86_64", "c", "FINISHED")]
    engine.dispose()
