"""Continuity: a real fedmsg-hub killed with SIGKILL, history only in a real datagrepper, and a restart.

Each scenario publishes part of a stream live, kills the hub (``kill -9``) at
some point of a one-minute window, archives more messages in datagrepper
alone (as if sent while the hub was down), restarts the hub and publishes the
rest live. Once the hub says its history is complete, every table of every
plugin must equal, row for row, what one uninterrupted run over the whole
stream writes.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.orm import Session

from statscache.config import Config
from statscache.plugins import registry
from statscache.store import coverage
from statscache.web import create_app
from tests.fakes.faultproxy import FaultProxy, on, reset, status, timeout, truncate
from tests.fakes.support import fedora_examples, recorded_envelopes, uninterrupted
from tests.services.hub import Bus, Hub

pytestmark = pytest.mark.integration

LAG = timedelta(seconds=2)


def stream(count: int) -> list[dict]:
    """Real messages of every kind a built-in plugin counts, with msg_ids of their own."""
    kinds = fedora_examples() + recorded_envelopes()[:200]
    return [dict(kinds[i % len(kinds)], msg_id=f"continuity-{i}") for i in range(count)]


class Scenario:
    """The stream, sent in phases: live to the hub and archived in datagrepper, or archived alone."""

    def __init__(self, bus: Bus, datagrepper, messages: list[dict]) -> None:
        self.bus = bus
        self.datagrepper = datagrepper
        self.messages = iter(messages)
        self.sent: list[dict] = []

    def _take(self, count: int, since: float | None, spacing: float) -> list[dict]:
        # Stamped as a bus stamps them (to the microsecond), a millisecond or more apart: datagrepper
        # then orders them one way only; it has no order for equal times.
        start = time.time() if since is None else since
        taken = [dict(next(self.messages), timestamp=start + i * spacing) for i in range(count)]
        self.sent += taken
        return taken

    def live(self, count: int) -> list[dict]:
        taken = self._take(count, None, 0.001)
        self.bus.publish(json.dumps(envelope) for envelope in taken)
        self.datagrepper.load(taken)  # datanommer archives what the bus carries
        return taken

    def history_only(self, count: int, since: float | None = None, spacing: float = 0.001) -> list[dict]:
        taken = self._take(count, since, spacing)
        self.datagrepper.load(taken)
        return taken


def settings(epoch: datetime, endpoint: str) -> dict:
    return {
        "statscache.consumer.epoch": epoch,
        "statscache.producer.frequency": timedelta(milliseconds=300),
        "statscache.datagrepper.endpoint": endpoint,
        "statscache.datagrepper.lag": LAG,
        "statscache.datagrepper.retries": 3,
        "statscache.datagrepper.timeout": timedelta(seconds=2),
        "statscache.datagrepper.retry_interval": timedelta(seconds=3),
    }


def start(tmp_path, bus, **overrides) -> Hub:
    hub = Hub(tmp_path, bus, **overrides).start()
    hub.wait_ready()
    return hub


def complete_until(hub: Hub, moment: float, epoch: datetime, timeout: float = 90) -> None:
    """Wait until every plugin's coverage is one stretch from the epoch past ``moment``."""
    engine = hub.engine()

    def complete() -> bool:
        with engine.connect() as connection:
            if not inspect(connection).has_table("statscache_coverage"):
                return False
            rows = connection.execute(text('SELECT ident, start, "end" FROM statscache_coverage')).all()
        by_ident: dict[str, list] = {}
        for ident, start, end in rows:
            by_ident.setdefault(ident, []).append((start, end))
        return len(by_ident) == len(reference_idents()) and all(
            len(stretches) == 1 and stretches[0][0] <= epoch.timestamp() and stretches[0][1] >= moment
            for stretches in by_ident.values()
        )

    try:
        hub.wait_until(complete, timeout, f"every plugin complete up to {moment}")
    finally:
        engine.dispose()


def reference_idents() -> list[str]:
    return [plugin.ident for plugin in registry.load(Config())]


def assert_same_tables(actual_url: str, expected_url: str) -> None:
    actual, expected = create_engine(actual_url), create_engine(expected_url)
    try:
        for ident in reference_idents():
            table = ident.replace("-", "_")
            columns = [column["name"] for column in inspect(expected).get_columns(table)]
            query = text(f"SELECT * FROM {table} ORDER BY {', '.join(map(str, range(1, len(columns) + 1)))}")
            with actual.connect() as a, expected.connect() as e:
                got, wanted = a.execute(query).all(), e.execute(query).all()
            assert got == wanted, f"{ident}: {len(got)} rows, expected {len(wanted)}"
        with expected.connect() as e:  # the comparison compared something
            assert e.execute(text("SELECT sum(volume) FROM volume_1d")).scalar() > 0
    finally:
        actual.dispose()
        expected.dispose()


@pytest.mark.parametrize("kill_point", ["before any flush", "after a flush", "between two flushes"])
def test_a_killed_hub_catches_up_exactly(tmp_path, bus, empty_datagrepper, kill_point):
    epoch = datetime.now(UTC) - timedelta(hours=1)
    scenario = Scenario(bus, empty_datagrepper, stream(400))
    hub = start(tmp_path, bus, **settings(epoch, empty_datagrepper.url))
    if kill_point == "before any flush":
        scenario.live(150)
        hub.wait_handled(150)
    elif kill_point == "after a flush":
        scenario.live(150)
        hub.wait_handled(150)
        time.sleep(1.0)  # a few flushes
    else:
        scenario.live(100)
        hub.wait_handled(100)
        time.sleep(1.0)
        scenario.live(50)
        hub.wait_handled(150)
    hub.kill()  # SIGKILL: no final flush, no goodbye
    scenario.history_only(120)  # sent while the hub was down
    time.sleep(1.0)
    hub = start(tmp_path, bus, **settings(epoch, empty_datagrepper.url))
    scenario.live(130)
    hub.wait_handled(130)
    complete_until(hub, scenario.sent[-1]["timestamp"], epoch)
    hub.stop()
    assert_same_tables(f"sqlite:///{hub.database}", uninterrupted(tmp_path, scenario.sent, epoch))


def test_a_killed_hub_catches_up_from_the_archives_database(tmp_path, bus, empty_datagrepper):
    """With statscache.datanommer.uri and no datagrepper, the catch-up reads datanommer's tables directly."""
    epoch = datetime.now(UTC) - timedelta(hours=1)
    scenario = Scenario(bus, empty_datagrepper, stream(400))
    archive_url = empty_datagrepper.database_url.replace("postgresql://", "postgresql+psycopg://")
    from_archive = settings(epoch, empty_datagrepper.url)
    del from_archive["statscache.datagrepper.endpoint"]
    from_archive["statscache.datanommer.uri"] = archive_url
    scenario.history_only(100, since=time.time() - 1800, spacing=0.5)  # before the hub's first start
    hub = start(tmp_path, bus, **from_archive)
    scenario.live(100)
    hub.wait_handled(100)
    time.sleep(1.0)
    hub.kill()
    scenario.history_only(120)  # sent while the hub was down
    time.sleep(1.0)
    hub = start(tmp_path, bus, **from_archive)
    scenario.live(80)
    hub.wait_handled(80)
    complete_until(hub, scenario.sent[-1]["timestamp"], epoch)
    hub.stop()
    assert "from the archive's database" in hub.log
    assert_same_tables(f"sqlite:///{hub.database}", uninterrupted(tmp_path, scenario.sent, epoch))


def test_a_misbehaving_datagrepper_is_retried_or_the_gap_is_shown(tmp_path, bus, empty_datagrepper):
    epoch = datetime.now(UTC) - timedelta(hours=1)
    scenario = Scenario(bus, empty_datagrepper, stream(2500))
    scenario.history_only(2500, since=time.time() - 3000, spacing=1.1)  # before the hub's first start: 25 pages
    rules = [
        on(status(500), page="2", times=2),
        on(timeout(5), page="3"),
        on(truncate(), page="4"),
        on(reset(), page="5"),
        on(status(502, html=True), every=7, times=3),
    ]
    with FaultProxy(empty_datagrepper.url, rules) as proxy:
        hub = start(tmp_path, bus, **settings(epoch, proxy.url))
        complete_until(hub, max(e["timestamp"] for e in scenario.sent), epoch)
        hub.stop()
    fired = [entry.fault for entry in proxy.log if entry.fault is not None]
    assert len(fired) >= 8, proxy.log
    assert_same_tables(f"sqlite:///{hub.database}", uninterrupted(tmp_path, scenario.sent, epoch))


def test_history_out_of_reach_is_a_gap_shown_then_filled(tmp_path, bus, empty_datagrepper):
    epoch = datetime.now(UTC) - timedelta(hours=1)
    scenario = Scenario(bus, empty_datagrepper, stream(300))
    scenario.history_only(200, since=time.time() - 1000, spacing=3.3)
    with FaultProxy(empty_datagrepper.url, [on(status(503), times=None)]) as proxy:
        hub = start(tmp_path, bus, **settings(epoch, proxy.url))
        scenario.live(100)
        hub.wait_handled(100)
        engine = hub.engine()

        def gap_recorded() -> bool:
            with engine.connect() as connection:
                if not inspect(connection).has_table("statscache_failed_stretch"):
                    return False
                return bool(connection.execute(text("SELECT count(*) FROM statscache_failed_stretch")).scalar())

        hub.wait_until(gap_recorded, 60, "the failed stretch to be recorded")
        with Session(engine) as session:
            (failure, *_) = coverage.failures(session, "volume-1h")
        assert "503" in failure.reason
        # ... and shown: the API reports the gap, its reason, and live coverage since the start.
        api = create_app(Config(sqlalchemy_uri=f"sqlite:///{hub.database}", consumer_epoch=epoch)).test_client()
        shown = api.get("/api/volume-1h/coverage").get_json()
        assert shown["complete"] and shown["gaps"][0]["start"] == epoch.isoformat()
        assert "503" in shown["gaps"][0]["reason"]
        listed = {p["ident"]: p for p in api.get("/api/").get_json()}
        assert listed["volume-1h"]["coverage"]["gaps"] == 1
        proxy.rules.clear()  # datagrepper is back: the next retry fills the gap
        complete_until(hub, max(e["timestamp"] for e in scenario.sent), epoch)
        hub.stop()
    engine.dispose()
    assert_same_tables(f"sqlite:///{hub.database}", uninterrupted(tmp_path, scenario.sent, epoch))


def test_a_hub_stops_promptly_while_history_hangs(tmp_path, bus, empty_datagrepper):
    epoch = datetime.now(UTC) - timedelta(hours=1)
    with FaultProxy(empty_datagrepper.url, [on(timeout(30), times=None)]) as proxy:
        overrides = settings(epoch, proxy.url)
        overrides["statscache.datagrepper.timeout"] = timedelta(seconds=20)
        hub = start(tmp_path, bus, **overrides)
        hub.wait_until(lambda: len(proxy.log) > 0, 30, "the first request for history")
        Scenario(bus, empty_datagrepper, stream(50)).live(50)  # live messages still flow meanwhile
        hub.wait_handled(50)
        assert hub.stop() < 10  # seconds: SIGTERM does not wait for history
    assert "statscache stopped" in hub.log


def test_a_database_deleted_under_the_hub_is_refilled_from_history(tmp_path, bus, empty_datagrepper):
    epoch = datetime.now(UTC) - timedelta(hours=1)
    scenario = Scenario(bus, empty_datagrepper, stream(400))
    scenario.history_only(100, since=time.time() - 600, spacing=2.0)  # before the hub's start
    hub = start(tmp_path, bus, **settings(epoch, empty_datagrepper.url))
    scenario.live(150)
    hub.wait_handled(150)
    complete_until(hub, scenario.sent[-1]["timestamp"], epoch)
    for suffix in ("", "-wal", "-shm"):  # an operator's mistake: the file is gone with what it held
        (tmp_path / f"statscache.sqlite{suffix}").unlink(missing_ok=True)
    scenario.live(150)
    hub.wait_handled(300)
    hub.wait_until(lambda: hub.metric("statscache_database_resets") == 1, 30, "the database made anew")
    complete_until(hub, scenario.sent[-1]["timestamp"], epoch)  # backfill brought the rest back
    hub.stop()
    assert "backfilling again what was lost to the database" in hub.log
    assert_same_tables(f"sqlite:///{hub.database}", uninterrupted(tmp_path, scenario.sent, epoch))
