"""A real hub on a database of the previous release: it refuses to start and says which command upgrades it;
after ``statscache db upgrade`` (the real command, where the hub runs) it counts on exactly."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from statscache.store import revisions
from tests.fakes.support import BUILTIN_IDENTS, recorded_envelopes, recorded_lines, recount, stored
from tests.integration.hub.test_hub import EPOCH, SHUTDOWN_BUDGET
from tests.services.hub import Hub

pytestmark = pytest.mark.integration

SCHEMAS = Path(__file__).resolve().parents[2] / "data" / "schema"
STATSCACHE = str(Path(sys.executable).with_name("statscache"))
#: The recorded messages 0.1.0 counted to make its rows (tests/data/schema/0.1.0.rows.sql).
COUNTED = 150


def test_the_hub_refuses_an_earlier_schema_until_statscache_db_upgrade(tmp_path, bus):
    hub = Hub(tmp_path, bus, **{"statscache.consumer.epoch": EPOCH})
    with sqlite3.connect(hub.database) as connection:
        connection.executescript((SCHEMAS / "0.1.0.sqlite.sql").read_text(encoding="utf-8"))
        connection.executescript((SCHEMAS / "0.1.0.rows.sql").read_text(encoding="utf-8"))
    engine = hub.engine()
    kept = {ident: stored(engine, ident) for ident in BUILTIN_IDENTS}

    hub.start()
    assert hub.process is not None and hub.process.wait(60) == 1
    assert "statscache cannot start" in hub.log and "run `statscache db upgrade`" in hub.log

    upgraded = subprocess.run([STATSCACHE, "db", "upgrade"], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert upgraded.returncode == 0, upgraded.stderr
    assert f"to {revisions.head()}" in upgraded.stdout
    assert {ident: stored(engine, ident) for ident in BUILTIN_IDENTS} == kept

    hub = Hub(tmp_path, bus, **{"statscache.consumer.epoch": EPOCH}).start()
    try:
        hub.wait_ready()
        lines = recorded_lines()[: COUNTED + 200]  # what 0.1.0 counted, again, and more
        bus.publish(lines)
        hub.wait_handled(len(lines))
        assert hub.stop(signal.SIGTERM) < SHUTDOWN_BUDGET
        new = recorded_envelopes()[COUNTED : COUNTED + 200]
        for ident in BUILTIN_IDENTS:
            assert stored(engine, ident) == kept[ident] + recount(new, ident), ident
        assert sum(stored(engine, "volume-1d").values()) == sum(Counter(kept["volume-1d"]).values()) + len(new)
    finally:
        hub.kill()
        engine.dispose()
