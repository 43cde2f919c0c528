"""The per-bucket row counts stay exact however rows are written, moved or removed: count tables'
inserts counted by add_counts, everything else by triggers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, insert, text, update
from sqlalchemy.orm import Session

from statscache.plugins import Batch
from statscache.plugins.builtin.volume import Volume, VolumeByCategory
from statscache.store import dialects, tally
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


def epoch(moment: datetime) -> int:
    return int(moment.timestamp())


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
    with Session(engine) as session, session.begin():
        counts = {(epoch(T0 + timedelta(hours=h)), c): 1 for h in range(0, 3000, 7) for c in "ab"}
        add_counts(session, by_category.model, tally.counts_statement(by_category), counts)
    for _ in range(2):  # counts added to existing rows and new ones; the second time, to existing ones alone
        with Session(engine) as session, session.begin():
            by_window = {(epoch(T0), "a"): 5, (epoch(T0), "z"): 1, (epoch(T0 + timedelta(days=500)), "z"): 3}
            add_counts(session, by_category.model, tally.counts_statement(by_category), by_window)
            add_counts(session, volume.model, tally.counts_statement(volume), {epoch(T0 + timedelta(days=9)): 2})
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


def test_a_count_table_tallied_by_trigger_is_handed_to_add_counts_exactly(engine):
    check_the_upgrade_to_counting_by_add_counts(engine)


def check_the_upgrade_to_counting_by_add_counts(engine):
    """A database of an older statscache counted every insert by trigger: the upgrade drops that
    trigger and recounts, in one transaction, and add_counts counts what it inserts from then on."""
    by_category = VolumeByCategory(timedelta(hours=1))
    create_tables(engine, [by_category.model.__table__])

    class AsBefore(VolumeByCategory):
        tallied_by_writer = False  # as every plugin was

    older = AsBefore(timedelta(hours=1))
    tally.install(engine, [older])
    with engine.begin() as connection:
        rows = [{"timestamp": T0 + timedelta(hours=h), "category": "a", "volume": 1} for h in range(0, 2000, 3)]
        connection.execute(insert(by_category.model), rows)
    assert tallied(engine, by_category) == recounted(engine, by_category)
    with engine.connect() as connection:
        assert "volume_by_category_1h_tally_insert" in dialects.of(engine).trigger_names(
            connection, "volume_by_category_1h"
        )
    tally.install(engine, [by_category])
    with engine.connect() as connection:
        names = dialects.of(engine).trigger_names(connection, "volume_by_category_1h")
    assert names == {"volume_by_category_1h_tally_delete", "volume_by_category_1h_tally_update"}
    assert tallied(engine, by_category) == recounted(engine, by_category)
    with Session(engine) as session, session.begin():
        counts = {(epoch(T0 + timedelta(hours=h)), "a"): 1 for h in range(0, 4000, 2)}
        add_counts(session, by_category.model, tally.counts_statement(by_category), counts)
    assert tallied(engine, by_category) == recounted(engine, by_category)
    with Session(engine) as session:
        total = session.scalar(text("SELECT SUM(volume) FROM volume_by_category_1h"))
    assert total == len(rows) + 2000


def test_a_counting_plugin_that_writes_its_own_way_keeps_the_insert_trigger(engine):
    check_a_plugin_writing_its_own_way(engine)


def check_a_plugin_writing_its_own_way(engine):
    class ByHand(VolumeByCategory):
        name = "By hand"

        def update(self, session, batch):
            for (window, key), volume in self.tally(batch).items():
                moment = datetime.fromtimestamp(window, tz=UTC)
                session.execute(insert(self.model).values(timestamp=moment, category=key, volume=volume))

    plugin = ByHand(timedelta(hours=1))
    assert not plugin.tallied_by_writer and VolumeByCategory(timedelta(hours=1)).tallied_by_writer
    create_tables(engine, [plugin.model.__table__])
    tally.install(engine, [plugin])
    with Session(engine) as session, session.begin():
        plugin.update(session, Batch.of([(T0.timestamp(), ("a",)), (T0.timestamp() + 7200, ("a", "b"))]))
    assert (
        tallied(engine, plugin)
        == recounted(engine, plugin)
        == {(tally_bucket(plugin, T0), "a"): 2, (tally_bucket(plugin, T0), "b"): 1}
    )


def tally_bucket(plugin, moment: datetime) -> int:
    span = tally.tallied(plugin).span
    return epoch(moment) // span * span
