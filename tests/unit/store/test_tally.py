"""The per-bucket row counts stay exact however rows are written, moved or removed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, insert, text, update
from sqlalchemy.orm import Session

from statscache.plugins.builtin.volume import Volume, VolumeByCategory
from statscache.store import tally
from statscache.store.engine import create_tables, make_engine
from statscache.store.upsert import add_counts
from tests.fakes.sample_plugins import Statuses

T0 = datetime(2015, 10, 9, tzinfo=UTC)


def recounted(engine, plugin):
    """What the tally must say, by a GROUP BY over the table itself."""
    span = tally.tallied(plugin).span
    category = "category" if "category" in plugin.model.column_names() else "''"
    with engine.connect() as connection:
        rows = connection.execute(text(f"SELECT timestamp, {category} FROM {plugin.table_name}")).all()
    counts = {}
    for moment, key in rows:
        moment = datetime.fromisoformat(str(moment)).replace(tzinfo=UTC) if not isinstance(moment, datetime) else moment
        bucket = int(moment.replace(tzinfo=UTC).timestamp()) // span * span
        counts[(bucket, key)] = counts.get((bucket, key), 0) + 1
    return counts


def tallied(engine, plugin):
    with engine.connect() as connection:
        rows = connection.execute(
            text("SELECT bucket, category, row_count FROM statscache_tally WHERE table_name = :t AND row_count <> 0"),
            {"t": plugin.table_name},
        ).all()
    return {(bucket, category): count for bucket, category, count in rows}


def exercise(engine):
    """Inserts, upserts, moves and deletes on three kinds of table; the tally must follow each step."""
    by_category, volume, statuses = VolumeByCategory(timedelta(hours=1)), Volume(timedelta(minutes=1)), Statuses()
    plugins = [by_category, volume, statuses]
    create_tables(engine, [plugin.model.__table__ for plugin in plugins])
    with engine.begin() as connection:  # rows written before the tally exists are counted at install
        connection.execute(
            insert(volume.model), [{"timestamp": T0 + timedelta(minutes=i), "volume": 1} for i in range(5)]
        )
    tally.install(engine, plugins)
    tally.install(engine, plugins)  # again: changes nothing
    with engine.begin() as connection:
        rows = [
            {"timestamp": T0 + timedelta(hours=h), "category": c, "volume": 1} for h in range(0, 3000, 7) for c in "ab"
        ]
        connection.execute(insert(by_category.model), rows)
    with Session(engine) as session, session.begin():  # counts added to existing rows and new ones
        add_counts(
            session,
            by_category.model,
            ("timestamp", "category"),
            [{"timestamp": T0, "category": "a", "volume": 5}, {"timestamp": T0, "category": "z", "volume": 1}],
        )
        add_counts(session, volume.model, ("timestamp",), [{"timestamp": T0 + timedelta(days=9), "volume": 2}])
    with engine.begin() as connection:
        model = by_category.model
        connection.execute(update(model).where(model.category == "b").values(category="c"))
        for hours in (7, 14, 700):  # across buckets
            moved = model.timestamp == T0 + timedelta(hours=hours)
            connection.execute(
                update(model).where(moved, model.category == "c").values(timestamp=T0 + timedelta(days=400 + hours))
            )
        connection.execute(delete(model).where(model.timestamp > T0 + timedelta(days=100), model.category == "a"))
        connection.execute(insert(statuses.model), [{"category": "x", "timestamp": T0, "msg_id": "1", "status": "s"}])
        connection.execute(update(statuses.model).values(timestamp=T0 + timedelta(days=30)))
    return plugins


@pytest.fixture
def engine(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'tally.sqlite'}")
    yield engine
    engine.dispose()


def test_the_tally_follows_every_write(engine):
    for plugin in exercise(engine):
        assert tallied(engine, plugin) == recounted(engine, plugin), plugin.ident
