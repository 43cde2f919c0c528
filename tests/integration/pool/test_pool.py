"""A pool of real worker processes, fed directly (no hub), on SQLite and on PostgreSQL.

Copies of one message under different topics reach different workers, whose
flushes race for the same ledger keys and count rows; live coverage is claimed
no further than every worker has written.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session

from statscache.config import Config
from statscache.ingest.meta import FEDORA_BUS
from statscache.plugins import registry
from statscache.pool.pool import WorkerPool
from statscache.store import heartbeat
from statscache.store.coverage import covered
from statscache.store.engine import make_engine
from statscache.store.heartbeat import Daemon
from tests.fakes.support import EPOCH, recount, stored

pytestmark = pytest.mark.integration

IDENTS = ["volume-1m", "volume-1d", "volume-by-category-1h"]


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'pool.sqlite'}"
    else:
        yield request.getfixturevalue("postgres_url")


def open_pool(url: str, workers: int = 2, daemon: Daemon | None = None) -> WorkerPool:
    config = Config(
        sqlalchemy_uri=url,
        consumer_epoch=EPOCH,
        consumer_workers=workers,
        plugins_enabled=("volume", "volume-by-category"),
        producer_frequency=timedelta(milliseconds=200),
    )
    return WorkerPool(config, dict(FEDORA_BUS), registry.load(config), daemon)


def now_envelopes(count: int, start: float) -> list[dict[str, Any]]:
    """Messages of two categories sent from ``start`` on, a millisecond apart."""
    return [
        {
            "topic": f"org.fedoraproject.prod.{'buildsys' if n % 3 else 'bodhi'}.thing.{n % 7}",
            "msg_id": f"pool-{n}",
            "timestamp": start + n / 1000,
            "msg": {"n": n},
        }
        for n in range(count)
    ]


def test_copies_through_two_workers_count_once_and_coverage_waits_for_both(database: str) -> None:
    started = time.time()
    envelopes = now_envelopes(3000, started)
    pool = open_pool(database)
    pool.go_live(started)
    for envelope in envelopes:
        pool.handle(envelope["topic"], json.dumps(envelope))
    # The same messages again, under other topics: other workers, racing the first ones for the same rows.
    for envelope in envelopes:
        copy = {**envelope, "topic": envelope["topic"] + ".copy"}
        pool.handle(copy["topic"], json.dumps(copy))
    assert pool._router.load[0] > 0 and pool._router.load[1] > 0
    assert pool.close()
    engine = make_engine(database)
    try:
        assert sum(stored(engine, "volume-1d").values()) == len(envelopes)
        assert stored(engine, "volume-1m") == recount(envelopes, "volume-1m")
        with Session(engine) as session:
            for ident in IDENTS:
                stretches = covered(session, ident)
                assert len(stretches) == 1, ident
                # From going live to no further than the newest message written plus the lag (all are written).
                assert stretches[0].start == started and stretches[0].end > started
    finally:
        engine.dispose()


def test_coverage_passes_a_message_only_once_it_is_written_and_a_quiet_worker_holds_nothing_back(
    database: str,
) -> None:
    started = time.time()
    pool = open_pool(database)
    pool.go_live(started)
    envelope = now_envelopes(1, started)[0]
    pool.handle(envelope["topic"], json.dumps(envelope))  # one worker has one message, the other none
    deadline = time.monotonic() + 20
    engine = make_engine(database)
    try:
        while time.monotonic() < deadline:
            with Session(engine) as session:
                stretches = covered(session, "volume-1d")
            if stretches and stretches[0].end > envelope["timestamp"]:
                break
            time.sleep(0.1)
        else:
            raise AssertionError("live coverage never passed the message")
        assert sum(stored(engine, "volume-1d").values()) == 1  # claimed past it: it was written first
        assert pool.close()
    finally:
        engine.dispose()


def test_the_pools_claims_are_the_hubs_heartbeat(database: str) -> None:
    started = time.time()
    envelopes = now_envelopes(500, started)
    daemon = Daemon.here(
        "hub", ["volume-1m", "volume-1h", "volume-1d"] + [f"volume-by-category-{s}" for s in ("1m", "1h", "1d")]
    )
    pool = open_pool(database, daemon=daemon)
    assert not pool.readiness().ok  # not live yet: no flush of its counts committed
    pool.go_live(started)
    for envelope in envelopes:
        pool.handle(envelope["topic"], json.dumps(envelope))
    deadline = time.monotonic() + 20
    while not pool.readiness().ok:
        assert time.monotonic() < deadline, pool.readiness().body()
        time.sleep(0.1)
    engine = make_engine(database)
    try:
        with engine.connect() as connection:
            [beat] = heartbeat.read(connection)
        assert beat.daemon == daemon.name and beat.live_until > started
        assert pool.close()
        assert stored(engine, "volume-1m") == recount(envelopes, "volume-1m")
    finally:
        engine.dispose()
