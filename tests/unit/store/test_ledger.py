"""The ledger under several writers: a record changed by another process under a flush fails that flush."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from statscache.exceptions import LedgerConflict
from statscache.ingest.cache import Entry
from statscache.store import ledger
from statscache.store.engine import create_tables, make_engine

MESSAGE = {"m1": Entry("m1", 3600.0, ())}


@pytest.fixture
def engine(tmp_path):
    made = make_engine(f"sqlite:///{tmp_path / 'ledger.sqlite'}")
    create_tables(made, ledger.LEDGER_TABLES)
    yield made
    made.dispose()


def count(engine, ident, messages=MESSAGE):
    """Record, in a transaction of its own, that ``ident`` counted ``messages``; as one flush does."""
    book = ledger.Ledger()
    with Session(engine) as session, session.begin():
        before = book.counted_by(session, list(messages))
        book.record(session, before, {ident: messages})


def test_a_record_moved_by_another_writer_under_a_flush_fails_that_flush(engine):
    count(engine, "a")
    slow = ledger.Ledger()
    with Session(engine) as session:
        session.begin()
        before = slow.counted_by(session, ["m1"])
        assert before == {"m1": frozenset({"a"})}
        session.rollback()  # SQLite: one writer at a time; the other consumer commits meanwhile
        count(engine, "c")  # another consumer adds its plugin to the record
        with session.begin(), pytest.raises(LedgerConflict, match="1 ledger records changed"):
            slow.record(session, before, {"b": MESSAGE})  # written from a stale read: refused, not overwritten
    with Session(engine) as session:
        assert ledger.Ledger().counted_by(session, ["m1"]) == {"m1": frozenset({"a", "c"})}
    count(engine, "b")  # tried again from a fresh read: every claim is kept
    with Session(engine) as session:
        assert ledger.Ledger().counted_by(session, ["m1"]) == {"m1": frozenset({"a", "b", "c"})}


@pytest.mark.parametrize("size", [1, 4095, 4096, 10_001])
def test_a_flush_of_any_size_is_recorded_whole_and_found_again(engine, size):
    """Records go in chunks on SQLite (a full one, then powers of two), as arrays on PostgreSQL."""
    check_a_flush_of(engine, size)


def check_a_flush_of(engine, size):
    """Every message recorded once, with its time and plugin set, and found again by msg_id."""
    messages = {f"2015-{n:06d}": Entry(f"2015-{n:06d}", 3600.0 * (n % 50), ()) for n in range(size)}
    count(engine, "volume-1d", messages)
    book = ledger.Ledger()
    with Session(engine) as session:
        found = book.counted_by(session, [*messages, "never-seen"])
        times = dict(session.execute(select(ledger.LedgerEntry.msg_id, ledger.LedgerEntry.timestamp)).tuples().all())
    assert found == dict.fromkeys(messages, frozenset({"volume-1d"}))
    assert times == {msg_id: entry.time for msg_id, entry in messages.items()}
