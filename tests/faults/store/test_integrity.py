"""The database under faults: a lost transaction, copies hours apart, a poison message, a deleted or read-only file.

Each test ends by comparing the tables with a recount of what was fed.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from statscache.config import Config
from statscache.exceptions import DatabaseBehind
from statscache.plugins import Batch, VolumePlugin, registry
from statscache.plugins.builtin.volume import Volume, VolumeByCategory
from statscache.store import coverage, quarantine
from tests.fakes.support import (
    BUILTIN_IDENTS,
    assert_exact,
    feed,
    ledger_size,
    poisoned_copy,
    recount,
    stored,
    stored_by_category,
)
from tests.unit.ingest import test_pipeline

#: Pipelines on a SQLite file of the test's own (a restart is another one on the same file).
make_pipeline = test_pipeline.make_pipeline


# -- a transaction the database ends behind the flusher's back -------------------------------


class EndsTheTransaction(VolumePlugin):
    """Does what SQLite does on a full disk: rolls the whole transaction back, then raises."""

    name = "Ends the transaction"
    summary = description = "fails like a full disk"

    def __init__(self, interval):
        super().__init__(interval)
        self.failures = 1

    def update(self, session, batch):
        if self.failures:
            self.failures -= 1
            session.connection().exec_driver_sql("ROLLBACK")
            raise sqlite3.OperationalError("database or disk is full")
        super().update(session, batch)


def test_a_transaction_the_database_ended_commits_nothing_and_is_retried_whole(make_pipeline, envelopes):
    # The failing plugin comes first: the others' writes after it would each commit on their own.
    builtins = [p for p in registry.load(Config()) if p.ident in BUILTIN_IDENTS]
    plugins = [EndsTheTransaction(timedelta(days=1)), *builtins]
    pipeline = make_pipeline(plugins=plugins)
    feed(pipeline, envelopes[:700])
    assert pipeline.flush() is False
    assert ledger_size(pipeline) == 0  # no ledger row without its counts
    for ident in BUILTIN_IDENTS:
        assert stored(pipeline.engine, ident) == {}, ident
    feed(pipeline, envelopes[500:])
    assert pipeline.flush()
    assert_exact(pipeline, envelopes)
    assert stored(pipeline.engine, "ends-the-transaction-1d") == recount(envelopes, "volume-1d")
    assert ledger_size(pipeline) == 1300


# -- copies of one message with different times ---------------------------------------------------


@pytest.mark.parametrize("shift", [timedelta(minutes=59), timedelta(hours=2), timedelta(days=3), timedelta(days=400)])
@pytest.mark.parametrize("when", ["same flush", "next flush", "after a restart"])
def test_a_msg_id_counts_once_wherever_its_copies_times_fall(make_pipeline, envelopes, shift, when):
    originals = envelopes[:300]
    shifted = [{**e, "timestamp": e["timestamp"] + shift.total_seconds()} for e in originals[::3]]
    pipeline = make_pipeline()
    feed(pipeline, originals)
    if when != "same flush":
        assert pipeline.flush()
    if when == "after a restart":
        pipeline.close()
        pipeline = make_pipeline()
    feed(pipeline, shifted)
    assert pipeline.flush()
    assert_exact(pipeline, originals)  # each copy counts where the first one counted
    assert ledger_size(pipeline) == len({e["msg_id"] for e in originals})


def test_of_copies_reaching_one_flush_the_earliest_counts_whatever_their_order(make_pipeline, envelopes):
    originals = envelopes[:200]
    earlier = [{**e, "timestamp": e["timestamp"] - 7200} for e in originals]
    pipeline = make_pipeline()
    feed(pipeline, originals[:100] + earlier + originals[100:])
    assert pipeline.flush()
    assert_exact(pipeline, earlier)


def test_a_ledger_of_the_older_layout_finds_shifted_copies_too(make_pipeline, envelopes, tmp_path):
    database = tmp_path / "stats.sqlite"
    with sqlite3.connect(database) as old:  # the layout before: keyed by (hour, msg_id)
        old.execute(
            "CREATE TABLE statscache_ledger (hour INTEGER NOT NULL, msg_id VARCHAR NOT NULL, "
            "timestamp FLOAT NOT NULL, plugin_set_id INTEGER NOT NULL, PRIMARY KEY (hour, msg_id)) WITHOUT ROWID"
        )
    with pytest.raises(DatabaseBehind):  # a database of a statscache before 0.1.0
        make_pipeline()
    pipeline = make_pipeline(sqlalchemy_auto_upgrade=True)  # the first revision adds the index
    feed(pipeline, envelopes[:100])
    assert pipeline.flush()
    feed(pipeline, [{**e, "timestamp": e["timestamp"] + 86400} for e in envelopes[:100]])
    assert pipeline.flush()
    assert_exact(pipeline, envelopes[:100])
    with sqlite3.connect(database) as check:
        indexes = [row[1] for row in check.execute("PRAGMA index_list(statscache_ledger)")]
    assert "ix_statscache_ledger_msg_id" in indexes


# -- a plugin whose update raises on one message ------------------------------------------------


class Poisoned(VolumeByCategory):
    """Counts per category, but its update raises on any batch holding a message of a poisoned category."""

    name = "Poisoned"

    def __init__(self, interval, poison=("poison",), always=False):
        super().__init__(interval)
        self.poison = set(poison)
        self.always = always
        self.calls = 0

    def update(self, session, batch: Batch):
        self.calls += 1
        if self.always or any(key in self.poison for _, keys in batch for key in keys):
            raise ValueError("cannot store this")
        super().update(session, batch)


def test_a_poison_message_is_quarantined_and_the_plugin_counts_on(make_pipeline, envelopes, caplog):
    plugin = Poisoned(timedelta(days=1))
    pipeline = make_pipeline(plugins=[plugin, VolumeByCategory(timedelta(days=1))])
    poison = [poisoned_copy(envelopes[i], i) for i in (10, 400)]
    stream = envelopes[:10] + poison[:1] + envelopes[10:400] + poison[1:] + envelopes[400:800]
    with caplog.at_level(logging.ERROR, logger="statscache.ingest.writing"):
        feed(pipeline, stream)
        assert pipeline.flush()
    feed(pipeline, envelopes[800:] + poison)  # the poison comes again: not tried again
    calls = plugin.calls
    assert pipeline.flush()
    assert plugin.calls == calls + 1  # one batch, no bisection
    assert stored_by_category(pipeline.engine, "poisoned-1d") == recount(envelopes, "volume-by-category-1d")
    assert stored(pipeline.engine, "volume-by-category-1d") == recount(envelopes + poison, "volume-by-category-1d")
    assert pipeline.metrics.value("statscache_quarantined_messages", plugin="poisoned-1d") == 2
    with pipeline.session_factory() as session:
        assert quarantine.count(session, "poisoned-1d") == 2
        assert quarantine.count(session, "volume-by-category-1d") == 0
        held = session.scalars(select(quarantine.QuarantinedMessage.msg_id)).all()
    assert sorted(held) == ["poison-10", "poison-400"]
    lines = [r.getMessage() for r in caplog.records if "quarantined" in r.getMessage()]
    assert len(lines) == 2 and all("cannot store this" in line for line in lines)


def test_a_plugin_that_fails_on_everything_keeps_its_messages_and_quarantines_none(make_pipeline, envelopes):
    plugin = Poisoned(timedelta(days=1), always=True)
    pipeline = make_pipeline(plugins=[plugin, Volume(timedelta(days=1))])
    feed(pipeline, envelopes[:600])
    assert not pipeline.flush()
    assert plugin.calls < 100  # it gave up bisecting soon
    plugin.always = False
    feed(pipeline, envelopes[600:])
    assert pipeline.flush()
    assert stored_by_category(pipeline.engine, "poisoned-1d") == recount(envelopes, "volume-by-category-1d")
    assert_exact(pipeline, envelopes, ["volume-1d"])
    assert pipeline.metrics.value("statscache_quarantined_messages", plugin="poisoned-1d") == 0


# -- the database file deleted under the daemon -------------------------------------------------


def test_a_database_deleted_under_the_daemon_is_made_anew_and_counted_on(make_pipeline, envelopes, tmp_path):
    database = tmp_path / "stats.sqlite"
    pipeline = make_pipeline()
    pipeline.go_live(envelopes[0]["timestamp"])
    feed(pipeline, envelopes[:500])
    assert pipeline.flush()
    resets = []
    pipeline.on_history_lost = lambda: resets.append(True)
    for suffix in ("", "-wal", "-shm"):
        (tmp_path / f"stats.sqlite{suffix}").unlink(missing_ok=True)
    feed(pipeline, envelopes[500:])
    assert pipeline.flush()
    assert database.exists() and resets == [True]
    assert pipeline.metrics.value("statscache_database_resets") == 1
    pipeline.close()
    again = make_pipeline()  # after a restart, the new file holds what came after the deletion
    assert_exact(again, envelopes[500:])
    assert ledger_size(again) == len({e["msg_id"] for e in envelopes[500:]})


def test_the_api_says_which_messages_a_plugin_quarantined_and_why(make_pipeline, envelopes):
    from statscache.web import create_app

    plugin = Poisoned(timedelta(days=1))
    pipeline = make_pipeline(plugins=[plugin])
    poison = [poisoned_copy(envelopes[i], i) for i in (5, 50, 500)]
    feed(pipeline, envelopes[:300] + poison + envelopes[300:])
    assert pipeline.flush()
    client = create_app(pipeline.config, plugins=[plugin]).test_client()
    body = client.get("/api/poisoned-1d/coverage").get_json()
    assert body["quarantined"] == 3
    assert sorted(q["msg_id"] for q in body["quarantined_recent"]) == ["poison-5", "poison-50", "poison-500"]
    assert all("cannot store this" in q["reason"] for q in body["quarantined_recent"])
    assert stored_by_category(pipeline.engine, "poisoned-1d") == recount(envelopes, "volume-by-category-1d")


# -- a database that fails for long: memory stays bounded ------------------------------------


def test_a_database_failing_for_long_lets_messages_go_uncovered_and_backfill_brings_them_back(
    make_pipeline, envelopes, tmp_path
):
    from tests.fakes.support import table_away

    live_since = envelopes[0]["timestamp"]
    pipeline = make_pipeline()
    pipeline.go_live(live_since)
    feed(pipeline, envelopes[:300])
    assert pipeline.flush()
    pipeline.max_held = 500
    lost = []
    pipeline.on_history_lost = lambda: lost.append(True)
    with table_away(tmp_path / "stats.sqlite", "statscache_ledger"):
        feed(pipeline, envelopes[300:700])
        assert not pipeline.flush()  # 400 held: kept
        assert pipeline.pending() == 400
        feed(pipeline, envelopes[700:1000])
        assert not pipeline.flush()  # 700 held: let go
        assert pipeline.pending() == 0
    assert pipeline.metrics.value("statscache_let_go_messages") == 700
    assert lost == [True]
    feed(pipeline, envelopes[1000:])
    assert pipeline.flush()
    with pipeline.session_factory() as session:
        complete = coverage.covered(session, "volume-1m")
        failed = coverage.failures(session, "volume-1m")
    assert len(complete) == 2  # before and after the messages let go: a gap between
    assert failed and "let go while the database failed" in failed[0].reason
    counted = envelopes[:300] + envelopes[1000:]
    assert_exact(pipeline, counted)
    for envelope in envelopes[300:1000]:  # what backfill fetches for the gap
        pipeline.handle_history(envelope)
    pipeline.checkpoint(complete[0].end, complete[1].start, [p.ident for p in pipeline.plugins])
    assert pipeline.flush()
    assert_exact(pipeline, envelopes)


def test_a_backfill_running_when_messages_are_let_go_claims_nothing_it_handed_in_before(make_pipeline, envelopes):
    pipeline = make_pipeline()
    sink = pipeline.history_sink()
    for envelope in envelopes[:400]:
        sink.handle_history(envelope)
    pipeline.let_go()  # the database failed for too long meanwhile
    for envelope in envelopes[400:]:
        sink.handle_history(envelope)  # dropped: this backfill's history may be incomplete now
    sink.checkpoint(envelopes[0]["timestamp"], envelopes[-1]["timestamp"], [p.ident for p in pipeline.plugins])
    assert pipeline.flush()
    with pipeline.session_factory() as session:
        assert coverage.covered(session, "volume-1m") == []
    assert ledger_size(pipeline) == 0
    again = pipeline.history_sink()  # the backfill that starts anew
    for envelope in envelopes:
        again.handle_history(envelope)
    again.checkpoint(envelopes[0]["timestamp"], envelopes[-1]["timestamp"], [p.ident for p in pipeline.plugins])
    assert pipeline.flush()
    with pipeline.session_factory() as session:
        assert len(coverage.covered(session, "volume-1m")) == 1
    assert_exact(pipeline, envelopes)


def test_a_flush_waits_for_another_writer_instead_of_failing(make_pipeline, envelopes, tmp_path):
    # The `statscache backfill` command beside a running hub: two writers of one SQLite file.
    pipeline = make_pipeline()
    feed(pipeline, envelopes[:100])
    assert pipeline.flush()
    other = sqlite3.connect(tmp_path / "stats.sqlite", isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    other.execute("DELETE FROM statscache_plugin_state WHERE 1 = 0")

    def commit_later():
        time.sleep(1)
        other.execute("COMMIT")

    writer = threading.Thread(target=commit_later)
    writer.start()
    feed(pipeline, envelopes[100:])
    try:
        assert pipeline.flush()  # waited for the lock rather than failing at once
    finally:
        writer.join()
        other.close()
    assert pipeline.metrics.value("statscache_flushes", result="failed") == 0
    assert_exact(pipeline, envelopes)
