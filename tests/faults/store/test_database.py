"""A real fedmsg-hub whose SQLite database fills its disk, turns read-only, or is deleted: exact once it recovers.

The database lives on a small tmpfs of the test's own (mounting needs root:
the tests skip, saying why, where mount is refused).
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import subprocess
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.fakes.support import recorded_envelopes
from tests.services.hub import Bus, Hub

pytestmark = pytest.mark.integration

EPOCH = datetime(2015, 1, 1, tzinfo=UTC)
PLUGINS = ["volume", "volume-by-category"]


class Tmpfs:
    """A tmpfs mounted on ``path``, resized or made read-only on demand."""

    def __init__(self, path: Path, size: str) -> None:
        self.path = path
        path.mkdir()
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], capture_output=True)
        if done.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")

    def remount(self, options: str) -> None:
        subprocess.run(["mount", "-o", f"remount,{options}", str(self.path)], check=True)

    def unmount(self) -> None:
        subprocess.run(["umount", "-l", str(self.path)], check=False)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Tmpfs]:
    disk = Tmpfs(tmp_path / "disk", "1m")  # fills up within 40,000 messages
    yield disk
    disk.unmount()


def distinct_messages(count: int) -> list[dict]:
    """``count`` messages of the recorded kinds, each with a msg_id and a second of its own."""
    recorded = recorded_envelopes()
    start = recorded[0]["timestamp"]
    return [
        {**recorded[i % len(recorded)], "msg_id": f"2015-{uuid.UUID(int=i)}", "timestamp": start + i}
        for i in range(count)
    ]


def make_hub(workdir: Path, bus: Bus, database: Path) -> Hub:
    """A hub in ``workdir`` (its configuration and log) writing ``database``, not started."""
    workdir.mkdir(exist_ok=True)
    settings = {
        "statscache.consumer.epoch": EPOCH,
        "statscache.plugins.enabled": PLUGINS,
        "statscache.sqlalchemy.uri": f"sqlite:///{database}",
    }
    hub = Hub(workdir, bus, **settings)
    hub.database = database
    return hub


def start_hub(workdir: Path, bus: Bus, database: Path) -> Hub:
    hub = make_hub(workdir, bus, database).start()
    hub.wait_ready()
    return hub


def publish(bus: Bus, messages: list[dict]) -> None:
    bus.publish(json.dumps(message) for message in messages)


def ledger_rows(database: Path) -> int:
    """Messages the ledger holds (-1 while there is no ledger); read-only: never makes the file."""
    try:
        with contextlib.closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=30)) as connection:
            return connection.execute("SELECT count(*) FROM statscache_ledger").fetchone()[0]
    except sqlite3.OperationalError:
        return -1


def assert_exact(hub: Hub, messages: list[dict]) -> None:
    hub.assert_exact(messages)
    assert ledger_rows(hub.database) == len(messages)


def test_a_full_disk_loses_nothing_once_space_is_freed(small_disk: Tmpfs, bus: Bus, tmp_path: Path) -> None:
    messages = distinct_messages(40_000)
    hub = start_hub(tmp_path / "hub", bus, small_disk.path / "statscache.sqlite")
    try:
        publish(bus, messages)
        hub.wait_until(lambda: hub.metric("statscache_flushes", result="failed") >= 1, 120, "a flush to fail")
        hub.wait_handled(len(messages), timeout=120)
        assert "database or disk is full" in hub.log
        small_disk.remount("size=64m")
        hub.wait_until(lambda: ledger_rows(hub.database) == len(messages), 120, "every message written")
        hub.stop()
    finally:
        hub.kill()
    assert "no such savepoint" not in hub.log
    assert_exact(hub, messages)


def test_a_database_read_only_at_start_up_stops_the_hub_with_a_reason(small_disk: Tmpfs, bus: Bus, tmp_path: Path):
    messages = distinct_messages(600)
    database = small_disk.path / "statscache.sqlite"
    first = start_hub(tmp_path / "hub", bus, database)  # makes the database
    publish(bus, messages[:300])
    first.wait_until(lambda: ledger_rows(database) == 300, 60, "the first messages written")
    first.stop()
    small_disk.remount("ro")
    refused = make_hub(tmp_path / "hub", bus, database).start()
    try:
        status = refused.process.wait(60)
    except subprocess.TimeoutExpired:
        refused.kill()
        pytest.fail(f"a hub on a read-only database kept running:\n{refused.log}")
    assert status != 0  # not a hub that says "ready" and counts nothing
    assert "DatabaseUnavailable: it cannot be written" in refused.log
    small_disk.remount("rw")
    hub = start_hub(tmp_path / "hub", bus, database)
    try:
        publish(bus, messages[300:])
        hub.wait_until(lambda: ledger_rows(database) == len(messages), 60, "every message written")
        hub.stop()
    finally:
        hub.kill()
    assert_exact(hub, messages)


def test_a_database_deleted_under_the_hub_is_made_anew(tmp_path: Path, bus: Bus) -> None:
    messages = distinct_messages(2000)
    hub = start_hub(tmp_path / "hub", bus, tmp_path / "statscache.sqlite")
    try:
        publish(bus, messages[:1000])
        hub.wait_until(lambda: ledger_rows(hub.database) == 1000, 60, "the first messages written")
        for suffix in ("", "-wal", "-shm"):
            Path(f"{hub.database}{suffix}").unlink(missing_ok=True)
        publish(bus, messages[1000:])
        hub.wait_until(lambda: hub.metric("statscache_database_resets") == 1, 60, "the database made anew")
        hub.wait_until(lambda: ledger_rows(hub.database) == 1000, 60, "the later messages written")
        hub.stop()
    finally:
        hub.kill()
    assert_exact(hub, messages[1000:])  # the deleted file took the first thousand with it
