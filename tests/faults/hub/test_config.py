"""A bad configuration stops a real fedmsg-hub at once, non-zero, saying why: never a hub that counts nothing."""

from __future__ import annotations

import socket
import subprocess

import pytest

from tests.services.hub import Hub

pytestmark = pytest.mark.integration

#: Generous, only so that a hub that keeps running fails the test instead of hanging it.
EXIT_TIMEOUT = 60


@pytest.fixture
def busy_port():
    """A port something else listens on."""
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        yield held.getsockname()[1]


def start_with(tmp_path, bus, settings: dict[str, str]) -> Hub:
    """A hub whose ``settings`` are Python source (``float('inf')`` has no repr that reads back)."""
    hub = Hub(tmp_path, bus)
    with (tmp_path / "fedmsg.d" / "statscache.py").open("a", encoding="utf-8") as config:
        for key, source in settings.items():
            config.write(f"config[{key!r}] = {source}\n")
    return hub.start()


def assert_refused(hub: Hub, *expected: str) -> None:
    try:
        status = hub.process.wait(EXIT_TIMEOUT)
    except subprocess.TimeoutExpired:
        hub.kill()
        pytest.fail(f"the hub kept running with a bad configuration:\n{hub.log}")
    log = hub.log
    assert status != 0, log
    assert "statscache cannot start" in log
    for text in expected:
        assert text in log
    assert "Failed to init" not in log  # moksha's "log it and run without the consumer"


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("float('inf')", "from 100 ms to 1 day, not inf"),
        ("10**30", "from 100 ms to 1 day, not 1000000000000000000000000000000"),
        ("datetime.timedelta(microseconds=1)", "from 100 ms to 1 day"),
    ],
)
def test_an_extreme_frequency_stops_the_hub(tmp_path, bus, source, expected):
    hub = start_with(tmp_path, bus, {"statscache.producer.frequency": source})
    assert_refused(hub, "'statscache.producer.frequency'", expected)


@pytest.mark.parametrize(
    ("key", "source", "expected"),
    [
        ("statscache.datagrepper.timeout", "float('inf')", "from 500 ms to 1 hour"),
        ("statscache.datagrepper.concurrency", "10**6", "from 1 to 32"),
        (
            "statscache.consumer.epoch",
            "datetime.datetime(2999, 1, 1, tzinfo=datetime.UTC)",
            "from 1970-01-01 UTC to now",
        ),
    ],
)
def test_other_extreme_values_stop_the_hub(tmp_path, bus, key, source, expected):
    hub = start_with(tmp_path, bus, {key: source})
    assert_refused(hub, repr(key), expected)


@pytest.mark.parametrize(
    ("endpoints", "expected"),
    [
        ("{'local': ['garbage']}", "bus: ConfigError: cannot subscribe to 'garbage'"),
        ("{}", "bus: ConfigError: cannot subscribe to ''"),
    ],
)
def test_a_bus_that_cannot_be_subscribed_to_stops_the_hub(tmp_path, bus, endpoints, expected):
    hub = start_with(tmp_path, bus, {"endpoints": endpoints})
    assert_refused(hub, expected)


def test_a_finite_high_water_mark_stops_the_hub(tmp_path, bus):
    hub = start_with(tmp_path, bus, {"high_water_mark": "1000"})
    assert_refused(hub, "'high_water_mark' must be 0 (no limit), not 1000")


def test_a_sqlite_file_in_a_missing_directory_stops_the_hub(tmp_path, bus):
    missing = tmp_path / "no" / "such" / "dir" / "stats.sqlite"
    hub = start_with(tmp_path, bus, {"statscache.sqlalchemy.uri": repr(f"sqlite:///{missing}")})
    assert_refused(hub, f"database sqlite:///{missing}: DatabaseUnavailable", "unable to open database file")


def test_a_database_driver_that_is_not_installed_stops_the_hub(tmp_path, bus):
    hub = start_with(tmp_path, bus, {"statscache.sqlalchemy.uri": "'mysql://user:secret@127.0.0.1/stats'"})
    assert_refused(hub, "database mysql://user:***@127.0.0.1/stats: ModuleNotFoundError", "MySQLdb")
    assert "secret" not in hub.log


def test_a_metrics_port_in_use_stops_the_hub(tmp_path, bus, busy_port):
    hub = start_with(tmp_path, bus, {"statscache.metrics.port": str(busy_port)})
    assert_refused(hub, f"metrics port {busy_port}: OSError", "Address already in use")
