"""The dialects seam: each statement a dialect gives does its job on its database.

SQLite here; tests/integration/store/test_postgres_dialects.py runs the same tests on PostgreSQL.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, delete, insert, make_url, select, update
from sqlalchemy.exc import DBAPIError

from statscache.exceptions import DatabaseMissing, DatabaseUnavailable, UnsupportedDatabase
from statscache.store import dialects
from statscache.store.base import UTCDateTime
from statscache.store.engine import DatabaseFile, make_engine, make_reader_engine, snapshot, writing

METADATA = MetaData()
COUNTS = Table("counts", METADATA, Column("key", String, primary_key=True), Column("volume", Integer, nullable=False))
EVENTS = Table(
    "events",
    METADATA,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("timestamp", UTCDateTime, nullable=False),
    Column("category", String),
)
#: What the triggers under test write: one row per adjustment, in order.
ADJUSTMENTS = Table(
    "adjustments",
    METADATA,
    Column("n", Integer, primary_key=True),
    Column("delta", Integer, nullable=False),
    Column("category", String),
)


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """Where the engines connect: a SQLite file here (tests/integration/store/test_postgres_dialects.py: PostgreSQL)."""
    return f"sqlite:///{tmp_path / 'dialect.sqlite'}"


@pytest.fixture
def engine(database_url: str):
    engine = make_engine(database_url)
    METADATA.create_all(engine)
    yield engine
    engine.dispose()


def test_an_engine_its_connections_and_its_url_have_the_same_dialect(engine):
    dialect = dialects.of(engine)
    with engine.connect() as connection:
        assert dialects.of(connection) is dialect
    assert dialects.of(engine.url) is dialect
    assert dialect.name == engine.dialect.name


def test_the_placeholder_binds_parameters_sent_straight_to_the_driver(engine):
    mark = dialects.of(engine).placeholder
    with engine.connect() as connection:
        assert connection.exec_driver_sql(f"SELECT {mark} + {mark}", (40, 2)).scalar() == 42


def test_an_upsert_adds_to_the_rows_already_there(engine):
    dialect = dialects.of(engine)
    with engine.begin() as connection:
        for rows in ([{"key": "a", "volume": 1}, {"key": "b", "volume": 2}], [{"key": "a", "volume": 10}]):
            statement = dialect.insert(COUNTS)
            connection.execute(
                statement.on_conflict_do_update(
                    index_elements=["key"], set_={"volume": COUNTS.c.volume + statement.excluded.volume}
                ),
                rows,
            )
        assert dict(connection.execute(select(COUNTS.c.key, COUNTS.c.volume)).tuples().all()) == {"a": 11, "b": 2}


def test_an_upsert_replaces_only_where_its_condition_holds(engine):
    dialect = dialects.of(engine)
    with engine.begin() as connection:
        for volume in (5, 3, 7):
            statement = dialect.insert(COUNTS)
            connection.execute(
                statement.on_conflict_do_update(
                    index_elements=["key"],
                    set_={"volume": statement.excluded.volume},
                    where=statement.excluded.volume > COUNTS.c.volume,
                ),
                [{"key": "a", "volume": volume}],
            )
        assert connection.execute(select(COUNTS.c.volume)).scalar_one() == 7


def test_code_point_order_is_pythons_whatever_the_collation(engine):
    dialect = dialects.of(engine)
    words = ["a", "B", "z", "é", "Z"]
    with engine.begin() as connection:
        if dialect.name == "postgresql":  # a locale's collation, where "a" sorts before "B" and "é" before "z"
            connection.exec_driver_sql('ALTER TABLE counts ALTER COLUMN key TYPE varchar COLLATE "en-x-icu"')
        connection.execute(insert(COUNTS), [{"key": word, "volume": 0} for word in words])
        collated = connection.scalars(select(COUNTS.c.key).order_by(COUNTS.c.key)).all()
        ordered = connection.scalars(select(COUNTS.c.key).order_by(dialect.code_point_order(COUNTS.c.key))).all()
    assert ordered == sorted(words)
    assert (collated == ordered) == (dialect.name == "sqlite")  # the test's collation does differ there


def test_the_probe_sees_the_database_end_the_transaction(engine):
    with engine.connect() as connection, connection.begin():
        alive = dialects.of(connection).transaction_probe(connection)
        connection.execute(select(COUNTS))
        assert alive()
        # What the database does on its own after some errors (SQLite: a full disk, an I/O error).
        connection.exec_driver_sql("ROLLBACK")
        assert not alive()


def test_a_reader_reads_and_refuses_every_write(database_url, engine):
    with engine.begin() as connection:
        connection.execute(insert(COUNTS), [{"key": "a", "volume": 1}])
    reader = make_reader_engine(database_url)
    try:
        with reader.connect() as connection:
            assert connection.execute(select(COUNTS.c.key)).scalars().all() == ["a"]
        for write in (insert(COUNTS).values(key="b", volume=1), update(COUNTS).values(volume=2), delete(COUNTS)):
            with pytest.raises(DBAPIError), reader.begin() as connection:
                connection.execute(write)
    finally:
        reader.dispose()
    with engine.connect() as connection:
        assert connection.execute(select(COUNTS.c.key, COUNTS.c.volume)).tuples().all() == [("a", 1)]


def test_a_snapshot_reads_one_moment_while_another_connection_commits(engine):
    with engine.begin() as connection:
        connection.execute(insert(COUNTS), [{"key": "a", "volume": 1}])
    with snapshot(engine) as connection:
        assert connection.execute(select(COUNTS.c.key)).scalars().all() == ["a"]
        with engine.begin() as writer:
            writer.execute(insert(COUNTS), [{"key": "b", "volume": 1}])
        assert connection.execute(select(COUNTS.c.key)).scalars().all() == ["a"]
    with snapshot(engine) as connection:
        assert sorted(connection.execute(select(COUNTS.c.key)).scalars().all()) == ["a", "b"]


@pytest.mark.parametrize("inserts", [True, False])
def test_triggers_run_the_adjusting_statement_for_each_row_written(engine, inserts):
    dialect = dialects.of(engine)
    moment = datetime(2015, 11, 13, tzinfo=UTC)

    def adjust(row: str, delta: int) -> str:
        return f"INSERT INTO adjustments (delta, category) VALUES ({delta}, {row}.category);"

    with engine.begin() as connection:
        assert dialect.trigger_names(connection, "events") == set()
        for statement in dialect.triggers("events_log", "events", "category", adjust, inserts):
            connection.exec_driver_sql(statement)
        made = {"events_log_delete", "events_log_update"} | ({"events_log_insert"} if inserts else set())
        assert dialect.trigger_names(connection, "events") == made
        assert dialect.has_trigger(connection, "events_log_delete")
        assert not dialect.has_trigger(connection, "counts_log_delete")
        connection.execute(insert(EVENTS), [{"id": 1, "timestamp": moment, "category": "a"}])
        connection.execute(update(EVENTS).values(category="b"))
        connection.execute(update(EVENTS).values(timestamp=moment + timedelta(days=1)))  # not a column watched
        connection.execute(delete(EVENTS))
        logged = connection.execute(select(ADJUSTMENTS.c.delta, ADJUSTMENTS.c.category).order_by(ADJUSTMENTS.c.n))
        inserted = [(1, "a")] if inserts else []
        assert logged.tuples().all() == [*inserted, (-1, "a"), (1, "b"), (-1, "b")]
        for name in made:
            for statement in dialect.drop_trigger(name, "events"):
                connection.exec_driver_sql(statement)
        assert dialect.trigger_names(connection, "events") == set()


@pytest.mark.parametrize("span", [60, 3600, 7 * 86400])
def test_a_bucket_starts_at_the_multiple_of_its_span_at_or_before_the_row(engine, span):
    dialect = dialects.of(engine)
    # A thousandth of a second before a new hour: rounding instead of flooring would give the next bucket.
    moment = datetime(2015, 11, 13, 10, 59, 59, 999000, tzinfo=UTC)
    with engine.begin() as connection:
        connection.execute(insert(EVENTS), [{"id": 1, "timestamp": moment, "category": None}])
        bucket = connection.exec_driver_sql(f"SELECT {dialect.bucket('rows', span)} FROM events AS rows").scalar()
    assert bucket == int(moment.timestamp()) // span * span


# SQLite alone.


def test_another_database_is_refused_by_name():
    url = make_url("mysql://user@127.0.0.1/stats")
    with pytest.raises(UnsupportedDatabase, match="supports SQLite and PostgreSQL, not 'mysql'"):
        dialects.of(url)
    with pytest.raises(DatabaseUnavailable, match="not 'mysql'"):  # the web app stops at start, saying why
        make_reader_engine(str(url))


def test_a_sqlite_engine_writes_ahead_and_waits_for_locks(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'tuned.sqlite'}")
    try:
        with engine.connect() as connection:
            pragma = connection.exec_driver_sql
            assert pragma("PRAGMA journal_mode").scalar() == "wal"
            assert pragma("PRAGMA synchronous").scalar() == 1  # NORMAL
            assert pragma("PRAGMA busy_timeout").scalar() == 10000
    finally:
        engine.dispose()


def test_a_writing_transaction_holds_the_write_lock_from_its_start(tmp_path):
    path = tmp_path / "locks.sqlite"
    engine = make_engine(f"sqlite:///{path}")
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        with (
            writing(engine).connect() as connection,
            connection.begin(),
            pytest.raises(sqlite3.OperationalError, match="locked"),
        ):
            other.execute("BEGIN IMMEDIATE")
        with engine.connect() as connection, connection.begin():  # a reading transaction takes no lock first
            other.execute("BEGIN IMMEDIATE")
            other.execute("ROLLBACK")
    finally:
        other.close()
        engine.dispose()


def test_a_sqlite_reader_creates_no_file_and_says_the_daemon_will(tmp_path):
    path = tmp_path / "none.sqlite"
    reader = make_reader_engine(f"sqlite:///{path}")
    try:
        with pytest.raises(DatabaseMissing, match="the statscache daemon creates it"):
            reader.connect()
    finally:
        reader.dispose()
    assert list(tmp_path.iterdir()) == []


def test_only_a_sqlite_file_is_a_database_file(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'file.sqlite'}")
    memory = make_engine("sqlite://")
    try:
        with engine.connect():
            pass
        found = DatabaseFile.of(engine)
        assert found is not None and found.path == (tmp_path / "file.sqlite").resolve() and not found.replaced()
        assert DatabaseFile.of(memory) is None
        server = make_url("postgresql+psycopg://user@127.0.0.1/stats")
        assert dialects.of(server).database_file(server) is None
    finally:
        engine.dispose()
        memory.dispose()
