"""Two processes' worth of pipelines flushing into one PostgreSQL database at the same moments, on the same rows.

What competing consumers do at worst: the same messages reach both (redeliveries), so
their flushes fight over the same ledger keys and the same count rows. Whatever fails
(a duplicate key, a deadlock, a record moved under a flush) is rolled back and tried
again; the counts end exact.
"""

from __future__ import annotations

import threading
import time

import pytest

from statscache.config import Config
from statscache.ingest.pipeline import Pipeline
from statscache.plugins import registry
from tests.fakes.support import EPOCH, assert_exact, feed

pytestmark = pytest.mark.integration

ROUNDS = 20


def test_two_writers_of_the_same_messages_count_each_once(postgres_url, envelopes):
    config = Config(sqlalchemy_uri=postgres_url, consumer_epoch=EPOCH)
    first, second = (Pipeline.open(config, registry.load(config)) for _ in range(2))
    size = -(-len(envelopes) // ROUNDS)
    barrier = threading.Barrier(2)

    def write(pipeline: Pipeline, order: int) -> None:
        for start in range(0, len(envelopes), size):
            part = envelopes[start : start + size]
            feed(pipeline, part if order == 0 else list(reversed(part)))
            barrier.wait()  # both flush at once, over the same messages and rows
            pipeline.flush()  # may fail on the other's keys or locks: kept, and tried again below
        for _ in range(20):  # what failed is tried again, as the next flush would
            if pipeline.flush() and pipeline.pending() == 0:
                return
        raise AssertionError("a writer never managed to write its messages")

    threads = [threading.Thread(target=write, args=(pipeline, n)) for n, pipeline in enumerate((first, second))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(300)
    try:
        assert_exact(first, envelopes)
    finally:
        first.engine.dispose()
        second.engine.dispose()


def test_a_flush_chosen_as_a_deadlocks_victim_keeps_its_messages_and_counts_them_next(postgres_url, envelopes):
    """Another writer takes the count rows in the other order: PostgreSQL aborts the flush, which is tried again."""
    from datetime import timedelta

    from sqlalchemy import create_engine, text

    from statscache.plugins.builtin.volume import Volume

    config = Config(sqlalchemy_uri=postgres_url, consumer_epoch=EPOCH)
    pipeline = Pipeline.open(config, [Volume(timedelta(days=1))])
    days = sorted({int(e["timestamp"] // 86400) for e in envelopes})
    first_day = [e for e in envelopes if int(e["timestamp"] // 86400) == days[0]]
    second_day = [e for e in envelopes if int(e["timestamp"] // 86400) == days[1]]
    half = len(first_day) // 2, len(second_day) // 2
    feed(pipeline, first_day[: half[0]] + second_day[: half[1]])
    assert pipeline.flush()  # both days' rows exist: the next flush updates them, locking each in turn
    feed(pipeline, first_day[half[0] :] + second_day[half[1] :])  # day one's row first, then day two's
    other = create_engine(postgres_url).connect()
    try:
        other.execute(text("SET deadlock_timeout = '10s'"))  # the flush, at the default 1 s, is the one aborted
        other.execute(text("UPDATE volume_1d SET volume = volume WHERE timestamp = :day"), {"day": _day(days[1])})
        result = []
        flushing = threading.Thread(target=lambda: result.append(pipeline.flush()))
        flushing.start()
        time.sleep(0.5)  # the flush holds day one's row and waits for day two's
        other.execute(text("UPDATE volume_1d SET volume = volume WHERE timestamp = :day"), {"day": _day(days[0])})
        flushing.join(30)
        other.commit()
    finally:
        other.close()
    assert result == [False]  # aborted: nothing of it counted, every message kept
    assert pipeline.flush()
    try:
        assert_exact(pipeline, first_day + second_day, idents=["volume-1d"])
    finally:
        pipeline.engine.dispose()


def _day(index: int):
    from datetime import UTC, datetime

    return datetime.fromtimestamp(index * 86400, tz=UTC).replace(tzinfo=None)
