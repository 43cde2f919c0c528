"""The example plugin's own tests: no bus, no hub, no database server, only statscache.testing."""

from __future__ import annotations

from datetime import timedelta

from statscache_example import VolumeByEnvironment

from statscache.testing import counted, message

HOUR = 3600.0


def test_counts_each_message_under_its_environment():
    plugin = VolumeByEnvironment(timedelta(hours=1))
    messages = [
        message("org.fedoraproject.prod.bodhi.update.comment", timestamp=HOUR),
        message("org.fedoraproject.prod.buildsys.build.state.change", timestamp=HOUR + 60),
        message("org.fedoraproject.stg.bodhi.update.comment", timestamp=2 * HOUR),
    ]
    assert counted(plugin, messages) == [
        {"timestamp": 3600, "category": "prod", "volume": 2},
        {"timestamp": 7200, "category": "stg", "volume": 1},
    ]


def test_a_message_twice_counts_once():
    plugin = VolumeByEnvironment(timedelta(days=1))
    once = message("org.fedoraproject.prod.bodhi.update.comment", msg_id="2026-abc", timestamp=HOUR)
    assert counted(plugin, [once, once]) == [{"timestamp": 0, "category": "prod", "volume": 1}]


def test_a_topic_without_an_environment_counts_nowhere():
    plugin = VolumeByEnvironment(timedelta(minutes=1))
    assert counted(plugin, [message("short.topic")]) == []
