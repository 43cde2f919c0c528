"""statscache.testing: what a plugin author tests a plugin with."""

from __future__ import annotations

from datetime import timedelta

import pytest

from statscache.exceptions import MalformedMessage
from statscache.plugins.builtin.builds import LatestBuilds
from statscache.plugins.builtin.volume import Volume, VolumeByUser
from statscache.testing import batch, counted, from_envelope, message

KOJI = "org.fedoraproject.prod.buildsys.build.state.change"
BUILD = {"name": "ansible", "owner": "kevin", "new": 1, "old": 0, "build_id": 7, "instance": "primary"}
BUILD |= {"version": "1.8.3", "release": "1.el7", "attribute": "state", "task_id": 2}


def test_messages_are_checked_as_envelopes_are():
    assert message(KOJI, BUILD, timestamp=90.7).timestamp == 90.0  # cut to the whole second, as on the bus
    with pytest.raises(MalformedMessage, match="timestamp"):
        message(KOJI, BUILD, timestamp=float("nan"))
    with pytest.raises(MalformedMessage, match="not-json"):
        from_envelope("{")


def test_each_message_has_its_own_msg_id_unless_given_one():
    assert message().msg_id != message().msg_id
    assert message(msg_id="2026-x").msg_id == "2026-x"


def test_users_are_read_by_fedmsg_meta_or_taken_as_recorded():
    assert message(KOJI, BUILD).users == ("kevin",)
    assert message(KOJI, BUILD, users=["b", "a"]).users == ("a", "b")


def test_a_batch_holds_each_message_once_and_only_what_contributes():
    plugin = VolumeByUser(timedelta(hours=1))
    twice = message(KOJI, BUILD, msg_id="one", timestamp=7200.0)
    earlier = message(KOJI, BUILD, msg_id="one", timestamp=3600.0)
    nobody = message("org.fedoraproject.prod.statscache.test")
    assert list(batch(plugin, [twice, earlier, nobody])) == [(3600.0, ("kevin",))]


def test_counted_gives_the_rows_the_api_serves():
    hour = Volume(timedelta(hours=1))
    rows = counted(hour, [message(timestamp=t) for t in (0.0, 59.0, 3600.0)])
    assert rows == [{"timestamp": 0, "volume": 2}, {"timestamp": 3600, "volume": 1}]
    latest = counted(LatestBuilds(), [message(KOJI, BUILD, msg_id="b1", timestamp=5.0)])
    assert [(row["category"], row["status"], row["msg_id"]) for row in latest] == [("ansible", "completed", "b1")]
