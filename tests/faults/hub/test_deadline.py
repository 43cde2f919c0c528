"""The hub's stop ends in time and says how it went: a final flush that fails or hangs ends with status 1.

Either way nothing is half-written: the counts and their ledger rows are
committed together or not at all, and what was not written is not claimed
as covered (backfill fetches it again).
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, text

from statscache.cli import run as launcher
from statscache.hub.shutdown import BACKSTOP, DEADLINE
from tests.fakes.support import BUILTIN_IDENTS, recorded_lines, stored
from tests.services.hub import Bus, Hub


def test_statscache_run_waits_longer_than_the_hub_takes_at_most():
    assert launcher.STOP_TIMEOUT > DEADLINE + BACKSTOP


def start_and_feed(tmp_path: Any, bus: Bus, **settings: Any) -> Hub:
    """A hub that writes nothing before its final flush, holding the recorded messages."""
    hub = Hub(
        tmp_path,
        bus,
        **{
            "statscache.consumer.epoch": datetime(2015, 1, 1, tzinfo=UTC),
            "statscache.producer.frequency": timedelta(days=1),
            **settings,
        },
    ).start()
    hub.wait_ready()
    lines = recorded_lines()
    bus.publish(lines)
    hub.wait_handled(len(lines))
    return hub


def assert_nothing_written(engine: Engine) -> None:
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM statscache_ledger")).scalar() == 0
    for ident in BUILTIN_IDENTS:  # no counts without their ledger rows
        assert not stored(engine, ident), ident


@pytest.mark.integration
def test_a_final_flush_that_fails_ends_the_hub_with_status_1(tmp_path, bus):
    hub = start_and_feed(tmp_path, bus)
    lock = sqlite3.connect(hub.database, isolation_level=None)
    try:
        lock.execute("BEGIN EXCLUSIVE")  # another writer: each attempt of the final flush fails
        hub.stop(timeout=DEADLINE + 30)
    finally:
        hub.kill()
        lock.rollback()
        lock.close()
    assert hub.process.returncode == 1, hub.log
    assert "statscache could not write its final flush; 1300 messages are not stored" in hub.log
    engine = hub.engine()
    try:
        assert_nothing_written(engine)
    finally:
        engine.dispose()


@pytest.mark.integration
def test_a_final_flush_that_hangs_ends_at_the_deadline(tmp_path, bus, postgres_url):
    hub = start_and_feed(tmp_path, bus, **{"statscache.sqlalchemy.uri": postgres_url})
    engine = create_engine(postgres_url)
    try:
        with engine.connect() as holder:
            # PostgreSQL waits for a lock as long as it takes: the final flush hangs.
            holder.execute(text("LOCK TABLE statscache_ledger IN ACCESS EXCLUSIVE MODE"))
            try:
                hub.stop(timeout=DEADLINE + 30)
            finally:
                hub.kill()
            holder.rollback()
        assert hub.process.returncode == 1, hub.log
        assert f"the hub did not stop within {DEADLINE:.0f} s; exiting now" in hub.log
        assert_nothing_written(engine)
    finally:
        engine.dispose()
