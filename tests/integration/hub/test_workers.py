"""statscache's workers (``statscache.consumer.workers``) inside a real fedmsg-hub: exact, covered, stoppable."""

from __future__ import annotations

import os
import re
import signal
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from statscache.store.coverage import covered
from tests.fakes.support import recorded_envelopes, recorded_lines
from tests.integration.hub.test_hub import EPOCH, SHUTDOWN_BUDGET, stopped_summary, total
from tests.services.hub import BUILTIN_IDENTS, Hub

pytestmark = pytest.mark.integration

WORKERS = {
    "statscache.consumer.workers": 2,
    "statscache.consumer.epoch": EPOCH,
    "statscache.producer.frequency": timedelta(milliseconds=300),
}


def workers_of(hub: Hub) -> list[int]:
    assert hub.process is not None
    listed = Path(f"/proc/{hub.process.pid}/task/{hub.process.pid}/children").read_text()
    return [int(pid) for pid in listed.split()]


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] != "Z"


def test_workers_count_exactly_claim_coverage_and_stop_with_the_hub(tmp_path, bus):
    lines, envelopes = recorded_lines(), recorded_envelopes()
    started = time.time()
    hub = Hub(tmp_path, bus, **WORKERS).start()
    try:
        hub.wait_ready()
        workers = workers_of(hub)
        assert len(workers) == 2
        bus.publish(lines)
        bus.publish(lines)  # a replay: every message twice, each copy through the same worker as its first
        hub.wait_handled(2 * 1302)
        hub.wait_until(lambda: total(hub) == 1300, 30, "the workers' flushes")
        hub.assert_exact(envelopes)
        # The recorded messages are of 2015: once the bus is quiet, live coverage runs from the start to now.
        engine = hub.engine()
        with engine.connect() as connection:
            assert connection.execute(text("SELECT COUNT(*) FROM statscache_ledger")).scalar() == 1300
        hub.wait_until(lambda: _covered_since(hub, started), 30, "live coverage of every plugin")
        assert hub.stop(signal.SIGTERM) < SHUTDOWN_BUDGET
        assert hub.process is not None and hub.process.returncode == 0, hub.log
        hub.assert_exact(envelopes)
        summary = stopped_summary(hub)
        assert summary["cached"] == 2 * 1302 and summary["received"] >= 2 * 1302
        assert not any(alive(pid) for pid in workers)
        engine.dispose()
    finally:
        hub.kill()


def test_a_worker_that_dies_stops_the_hub_and_a_restart_counts_everything_once(tmp_path, bus):
    lines, envelopes = recorded_lines(), recorded_envelopes()
    # No periodic flush: what the dead worker held is lost, and must come back through a replay.
    settings = {**WORKERS, "statscache.producer.frequency": timedelta(hours=1)}
    hub = Hub(tmp_path, bus, **settings).start()
    try:
        hub.wait_ready()
        bus.publish(lines)
        hub.wait_handled(1302)
        victim = workers_of(hub)[1]
        os.kill(victim, signal.SIGKILL)
        assert hub.process is not None
        assert hub.process.wait(30) == 1
        assert re.search(rf"statscache worker 1 \(process {victim}\) ended unexpectedly", hub.log), hub.log
        counted = total(hub)
        assert 0 < counted < 1300  # the other worker's final flush was written, the dead one's was not
    finally:
        hub.kill()
    hub = Hub(tmp_path, bus, **WORKERS).start()
    try:
        hub.wait_ready()
        bus.publish(lines)
        hub.wait_handled(1302)
        hub.wait_until(lambda: total(hub) == 1300, 30, "the workers' flushes")
        assert hub.stop(signal.SIGTERM) < SHUTDOWN_BUDGET
        hub.assert_exact(envelopes)
    finally:
        hub.kill()


def _covered_since(hub: Hub, started: float) -> bool:
    engine = hub.engine()
    try:
        from sqlalchemy.orm import Session

        with Session(engine) as session:
            for ident in BUILTIN_IDENTS:
                stretches = covered(session, ident)
                if not any(s.start <= started + 30 and s.end > started for s in stretches):
                    return False
        return True
    finally:
        engine.dispose()
