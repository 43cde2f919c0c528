"""Preparing a database: what an older statscache made is brought up to today's layout, its rows kept."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import create_engine, insert, inspect, select, text

from statscache.plugins.builtin.builds import LatestBuilds
from statscache.store import schema


def test_a_missing_index_is_added_to_a_table_an_older_statscache_made(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'old.sqlite'}")
    plugin = LatestBuilds()
    table = plugin.model.__table__
    schema.prepare(engine, [plugin])
    with engine.begin() as connection:
        for index in table.indexes:  # as the table was before the pages needed its times indexed
            connection.execute(text(f'DROP INDEX "{index.name}"'))
        connection.execute(
            insert(table).values(category="compose/f42/all", timestamp=datetime(2025, 5, 1, tzinfo=UTC), msg_id="a")
        )
    assert not inspect(engine).get_indexes(table.name)
    schema.prepare(engine, [plugin])
    assert [index["column_names"] for index in inspect(engine).get_indexes(table.name)] == [["timestamp"]]
    with engine.connect() as connection:
        assert connection.execute(select(table.c.category, table.c.msg_id)).all() == [("compose/f42/all", "a")]
    schema.prepare(engine, [plugin])  # and again: nothing more to do
    engine.dispose()
