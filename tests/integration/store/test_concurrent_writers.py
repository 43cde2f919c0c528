"""Two processes' worth of pipelines flushing into one PostgreSQL database at the same moments, on the same rows.

What competing consumers do at worst: the same messages reach both (redeliveries), so
their flushes fight over the same ledger keys and the same count rows. Whatever fails
(a duplicate key, a deadlock, a record moved under a flush) is rolled back and tried
again; the counts end exact.
"""

from __future__ import annotations

import threading

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
