"""Upgrading a database of the previous release (0.1.0) on SQLite and PostgreSQL: refused until upgraded,
every row kept by ``statscache db upgrade``, and counting goes on from there exactly.

The database is the previous release's own: its schema as 0.1.0 made it
(``tests/data/schema/0.1.0.<database>.sql``), and the rows 0.1.0 wrote
counting real traffic (``0.1.0.rows.sql``), both recorded from that release.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy import Engine, MetaData, inspect, select

from statscache.config import Config
from statscache.exceptions import DatabaseBehind
from statscache.ingest.pipeline import Pipeline
from statscache.plugins import registry
from statscache.store import revisions
from statscache.store.engine import make_engine
from tests.fakes.support import (
    BUILTIN_IDENTS,
    EPOCH,
    fedora_examples,
    feed,
    recorded_envelopes,
    recount,
    recounted_levels,
    stored,
)
from tests.unit.store.test_revisions import statscache

pytestmark = pytest.mark.integration

SCHEMAS = Path(__file__).resolve().parents[2] / "data" / "schema"
#: What 0.1.0 counted to make the rows (see the file's first lines).
COUNTED = 150


@pytest.fixture(params=["sqlite", "postgresql"])
def old_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database as 0.1.0 left it: its schema, and its rows."""
    rows = (SCHEMAS / "0.1.0.rows.sql").read_text(encoding="utf-8")
    if request.param == "sqlite":
        path = tmp_path / "old.sqlite"
        with sqlite3.connect(path) as connection:
            connection.executescript((SCHEMAS / "0.1.0.sqlite.sql").read_text(encoding="utf-8"))
            connection.executescript(rows)
        yield f"sqlite:///{path}"
        return
    url = request.getfixturevalue("postgres_url")
    with psycopg.connect(url.replace("postgresql+psycopg", "postgresql"), autocommit=True) as connection:
        connection.execute((SCHEMAS / "0.1.0.postgresql.sql").read_text(encoding="utf-8"))
        connection.execute(rows)
        # The rows name their ids: the sequences go on after them, as they did in 0.1.0's database.
        for table in ("statscache_plugin_set", "statscache_failed_stretch"):
            connection.execute(
                f"SELECT setval(pg_get_serial_sequence('public.{table}', 'id'), (SELECT max(id) FROM public.{table}))"
            )
    yield url


def every_row(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every table's rows, sorted, but the schema's revision."""
    tables = MetaData()
    tables.reflect(engine)
    with engine.connect() as connection:
        return {
            name: sorted(connection.execute(select(table)).all(), key=repr)
            for name, table in tables.tables.items()
            if name != "alembic_version"
        }


#: The plugins 0.1.0 had (those since are new to its database, and count what they are handed).
RELEASED_PLUGINS = (
    "volume",
    "volume-by-category",
    "volume-by-topic",
    "volume-by-user",
    "volume-by-package",
    "build-outcomes",
    "latest-builds",
    "pagure-contributions",
    "pagure-contributions-by-user",
    "pagure-contributions-by-project",
    "releng-dashboard",
)


#: The tables the releases since 0.1.0 add.
ADDED = ("statscache_heartbeat", "statscache_levels", "statscache_levels_kept", "statscache_counted_with")
#: The plugin whose table 0004 replaces: its rows, tally, coverage and mark go, and the ledger forgets it counted.
REBUILT = "releng-dashboard"
#: Where rows name a plugin (by ident, or by its table's name).
NAMING = {"statscache_coverage": "ident", "statscache_failed_stretch": "ident", "statscache_plugin_state": "ident"}


def counted_by(rows: dict[str, list[Any]]) -> dict[str, tuple[Any, ...]]:
    """The ledger's records as msg_id -> (hour, time, the idents that counted it): set ids differ between
    databases, what they name does not."""
    sets = {row.id: frozenset(row.idents.split("\n")) - {""} for row in rows["statscache_plugin_set"]}
    return {row.msg_id: (row.hour, row.timestamp, sets[row.plugin_set_id]) for row in rows["statscache_ledger"]}


def as_upgraded(rows: dict[str, list[Any]]) -> dict[str, Any]:
    """Every row as the upgrade must leave it: the rebuilt plugin's table and tally gone, and every row that says
    it counted, but the rest as it was."""
    kept: dict[str, Any] = {name: found for name, found in rows.items() if name != REBUILT.replace("-", "_")}
    for name, column in NAMING.items():
        kept[name] = [row for row in rows[name] if getattr(row, column) != REBUILT]
    kept["statscache_tally"] = [row for row in rows["statscache_tally"] if row.table_name != REBUILT.replace("-", "_")]
    ledger = counted_by(rows)
    kept["statscache_ledger"] = {
        msg_id: (hour, at, idents - {REBUILT}) for msg_id, (hour, at, idents) in ledger.items()
    }
    del kept["statscache_plugin_set"]
    return kept


def semantic(rows: dict[str, list[Any]]) -> dict[str, Any]:
    """Every row, the ledger's records read through their sets."""
    found: dict[str, Any] = {name: value for name, value in rows.items() if name != "statscache_plugin_set"}
    found["statscache_ledger"] = counted_by(rows)
    return found


def settings(url: str, **more: Any) -> Config:
    return Config(sqlalchemy_uri=url, consumer_epoch=EPOCH, plugins_enabled=RELEASED_PLUGINS, **more)


def test_the_previous_release_is_upgraded_keeping_every_row_and_counts_on_exactly(
    old_database: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = make_engine(old_database)
    before = every_row(engine)
    assert sum(len(rows) for rows in before.values()) > 2000 and before["statscache_failed_stretch"]

    # The daemon refuses it, and says what to do.
    config = settings(old_database)
    with pytest.raises(DatabaseBehind, match="statscache db upgrade"):
        Pipeline.open(config, registry.load(config))
    assert statscache(capsys, monkeypatch, old_database, "db", "current")[0] == 1

    status, printed = statscache(capsys, monkeypatch, old_database, "db", "upgrade")
    assert status == 0 and f"to {revisions.head()}" in printed
    after = every_row(engine)
    for added in ADDED:
        assert after.pop(added) == []  # the tables the releases since add, empty
    assert semantic(after) == as_upgraded(before)  # every row of every table, as it was, but the rebuilt plugin's
    assert any(REBUILT in idents for *_, idents in counted_by(before).values())
    status, printed = statscache(capsys, monkeypatch, old_database, "db", "current")
    assert (status, printed.strip().endswith("up to date")) == (0, True)
    assert statscache(capsys, monkeypatch, old_database, "db", "upgrade")[0] == 0  # twice: nothing to do

    # The daemon counts on: what 0.1.0 counted is not counted again, the rest is.
    pipeline = Pipeline.open(config, registry.load(config))
    counted = recorded_envelopes()[:COUNTED]
    feed(pipeline, counted + fedora_examples())
    assert pipeline.flush()
    made = dict.fromkeys(ADDED, [])
    table = REBUILT.replace("-", "_")
    now = semantic(every_row(engine))
    rebuilt_rows = now.pop(table)
    for name, column in NAMING.items():
        now[name] = [row for row in now[name] if getattr(row, column) != REBUILT]
    now["statscache_ledger"] = {
        msg_id: (h, at, idents - {REBUILT}) for msg_id, (h, at, idents) in now["statscache_ledger"].items()
    }
    assert now | made == semantic(after) | made  # the rest as it was: counted once
    assert rebuilt_rows == fresh_board(counted + fedora_examples())  # the board counted again, exactly
    held, wanted = recounted_levels(engine)  # the day, week and month sums computed at start, from the rows
    assert held == wanted and len(held) > 100
    kept = {ident: stored(engine, ident) for ident in BUILTIN_IDENTS}
    more = recorded_envelopes()[COUNTED : COUNTED + 300]
    feed(pipeline, more)
    assert pipeline.flush()
    for ident in BUILTIN_IDENTS:  # what 0.1.0 counted, and the new messages recounted
        assert stored(engine, ident) == kept[ident] + recount(more, ident), ident
    held, wanted = recounted_levels(engine)  # and kept by the flushes since
    assert held == wanted
    # volume-1d counts every message once: one per record of 0.1.0's ledger, and one per new message.
    assert sum(stored(engine, "volume-1d").values()) == len(before["statscache_ledger"]) + len(more)
    pipeline.close()
    engine.dispose()


def fresh_board(envelopes: list[dict[str, Any]]) -> list[Any]:
    """The rebuilt plugin's rows after a clean pass over ``envelopes``."""
    config = Config(sqlalchemy_uri="sqlite://", consumer_epoch=EPOCH, plugins_enabled=(REBUILT,))
    pipeline = Pipeline.open(config, registry.load(config))
    feed(pipeline, envelopes)
    assert pipeline.flush()
    rows = every_row(pipeline.engine)[REBUILT.replace("-", "_")]
    pipeline.close()
    return rows


def test_auto_upgrade_upgrades_at_start(old_database: str) -> None:
    engine = make_engine(old_database)
    kept = {ident: stored(engine, ident) for ident in BUILTIN_IDENTS}
    config = settings(old_database, sqlalchemy_auto_upgrade=True)
    pipeline = Pipeline.open(config, registry.load(config))
    with pipeline.engine.connect() as connection:
        assert revisions.status(connection).current == revisions.head()
    assert "statscache_heartbeat" in inspect(pipeline.engine).get_table_names()
    feed(pipeline, recorded_envelopes()[: COUNTED + 100])  # 0.1.0 counted the first ones: not again
    assert pipeline.flush()
    for ident in BUILTIN_IDENTS:
        assert stored(engine, ident) == kept[ident] + recount(recorded_envelopes()[COUNTED : COUNTED + 100], ident)
    pipeline.close()
    engine.dispose()
