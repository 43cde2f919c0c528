"""SIGTERM in a flood: the hub stops without working through the backlog, and loses nothing it claims.

What the hub took off the bus and counted is in the tables, exactly; what it
left (in zeromq's buffers, or in moksha's queue) is not claimed as covered
by live coverage, so backfill fetches it again.
"""

from __future__ import annotations

import json
import re
import signal
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from statscache.hub.shutdown import DEADLINE
from tests.fakes.support import BUILTIN_IDENTS, recorded_lines, recount, stored
from tests.services.hub import Hub

pytestmark = pytest.mark.integration

FLOOD = 300_000
LAG = timedelta(seconds=1)


def flood(dated_from: float) -> list[dict]:
    """Small distinct messages, in order, dated over the second from ``dated_from``."""
    return [
        {
            "topic": f"org.fedoraproject.prod.cat{i % 5}.flood",
            "msg": {"i": i},
            "msg_id": f"flood-{i}",
            "timestamp": dated_from + i / FLOOD,
            "i": 1,
            "username": "test",
        }
        for i in range(FLOOD)
    ]


def summary(hub: Hub) -> dict[str, int]:
    found = re.findall(r"statscache stopped: received=(\d+) cached=(\d+) duplicate=\d+ rejected=(\d+)", hub.log)
    assert found, hub.log
    return dict(zip(("received", "cached", "rejected"), map(int, found[-1]), strict=True))


def run_flood(tmp_path, bus, blocking: bool, paused: bool) -> tuple[Hub, list[dict]]:
    """Flood a hub and SIGTERM it; ``paused``: the whole flood waits for it at the signal."""
    hub = Hub(
        tmp_path,
        bus,
        **{
            "statscache.consumer.epoch": datetime(2015, 1, 1, tzinfo=UTC),
            "statscache.datagrepper.lag": LAG,
            # No periodic flush: one while the bus is quiet would rightly claim coverage up to its
            # time, past the flood's first dates. Flushes come from the flood and the stop alone.
            "statscache.producer.frequency": timedelta(days=1),
            "moksha.blocking_mode": blocking,
        },
    ).start()
    try:
        hub.wait_ready()
        # Dated from now, seconds before the stop: were the hub to claim coverage up to the
        # stop, it would claim messages it never counted.
        envelopes = flood(time.time())
        frames = [[envelope["topic"].encode(), json.dumps(envelope).encode()] for envelope in envelopes]
        if paused:
            hub.process.send_signal(signal.SIGSTOP)
        for message in frames:
            bus.socket.send_multipart(message)
        # At once: the hub takes tens of thousands a second, and is far from through (asked over
        # HTTP, its metrics answer slowly in a flood: the hub would be through before they did).
        hub.process.send_signal(signal.SIGTERM)
        if paused:
            hub.process.send_signal(signal.SIGCONT)
        hub.process.wait(DEADLINE + 10)  # the hub's own deadline, and some slack
    finally:
        hub.kill()
    assert hub.process.returncode == 0, hub.log
    return hub, envelopes


@pytest.mark.parametrize("blocking", [True, False], ids=["blocking", "threaded"])
def test_sigterm_with_a_flood_waiting_stops_without_working_through_it(tmp_path, bus, blocking):
    hub, envelopes = run_flood(tmp_path, bus, blocking, paused=True)
    outcome = summary(hub)
    # The fault: every waiting message first (600,000 took 19 s). Now: a turn of reading at most.
    assert outcome["cached"] < FLOOD // 2, outcome
    assert_exact_and_unclaimed(hub, envelopes, outcome)


@pytest.mark.parametrize("blocking", [True, False], ids=["blocking", "threaded"])
def test_sigterm_in_a_flood_counts_exactly_and_claims_nothing_it_did_not_count(tmp_path, bus, blocking):
    hub, envelopes = run_flood(tmp_path, bus, blocking, paused=False)
    assert_exact_and_unclaimed(hub, envelopes, summary(hub))


def assert_exact_and_unclaimed(hub: Hub, envelopes: list[dict], outcome: dict[str, int]) -> None:
    """The tables hold exactly what the ledger says was counted; coverage claims none of the rest."""
    assert outcome["rejected"] == 0
    engine = hub.engine()
    try:
        with engine.connect() as connection:
            counted = set(connection.execute(text("SELECT msg_id FROM statscache_ledger")).scalars())
            ends = dict(
                connection.execute(text('SELECT ident, max("end") FROM statscache_coverage GROUP BY ident')).all()
            )
        # zeromq and moksha's queue keep the order: what was counted is what came first, without a hole.
        assert counted == {f"flood-{i}" for i in range(len(counted))}
        assert len(counted) == outcome["cached"]
        kept = envelopes[: len(counted)]
        for ident in BUILTIN_IDENTS:
            assert stored(engine, ident) == recount(kept, ident), ident
    finally:
        engine.dispose()
    if len(counted) == len(envelopes):
        return
    # Backfill resumes `lag` before the end of live coverage: the first message left on the bus must be after that.
    first_left = float(int(envelopes[len(counted)]["timestamp"]))
    for ident in BUILTIN_IDENTS:
        assert ends.get(ident, 0.0) - LAG.total_seconds() <= first_left, (ident, ends.get(ident), first_left)


def test_sighup_stops_the_hub_as_sigterm_does_with_the_final_flush(tmp_path, bus):
    # moksha's own SIGHUP handler would stop the hub without statscache's stop (bus gate, deadline).
    hub = Hub(
        tmp_path,
        bus,
        **{"statscache.consumer.epoch": datetime(2015, 1, 1, tzinfo=UTC), "statscache.producer.frequency": 86400},
    ).start()
    try:
        hub.wait_ready()
        lines = recorded_lines()
        bus.publish(lines)
        hub.wait_handled(len(lines))
        hub.stop(signal.SIGHUP, timeout=DEADLINE + 10)
    finally:
        hub.kill()
    assert hub.process.returncode == 0, hub.log
    assert "statscache: stopping the hub, then writing the final flush" in hub.log
    envelopes = [json.loads(line) for line in lines]
    hub.assert_exact(envelopes)
