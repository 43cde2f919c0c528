"""An AMQP delivery becomes the envelope every path checks, read as its datagrepper copy is."""

from __future__ import annotations

import json

import pytest

from statscache.amqp.envelope import envelope_of
from statscache.exceptions import MalformedMessage
from statscache.testing import from_envelope

TOPIC = "org.fedoraproject.prod.bodhi.update.comment"
SENT_AT = "2026-11-30T12:00:07+00:00"
COMMENT = {
    "comment": {
        "karma": 1,
        "text": "works for me",
        "timestamp": "2026-11-30 12:00:06",
        "update": {
            "alias": "FEDORA-2026-0123456789",
            "builds": [{"nvr": "kernel-6.11.5-300.fc41"}, {"nvr": "kernel-headers-6.11.5-300.fc41"}],
            "release": {"name": "F41"},
            "request": None,
            "status": "testing",
            "user": {"name": "alice"},
            "title": "kernel-6.11.5-300.fc41",
        },
        "user": {"name": "bob"},
    },
    "agent": "bob",
}


def headers(schema="bodhi.update.comment.v1", **extra):
    return {"fedora_messaging_schema": schema, "fedora_messaging_severity": 20, "sent-at": SENT_AT, **extra}


def delivery(body=COMMENT, message_id="2026-5f3c", topic=TOPIC, **header_values):
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return envelope_of(topic, message_id, headers(**header_values), raw)


def test_a_delivery_becomes_the_envelope_datagrepper_would_serve():
    message = from_envelope(delivery())
    assert (message.msg_id, message.topic, message.msg) == ("2026-5f3c", TOPIC, COMMENT)
    assert message.timestamp == 1_796_040_007.0  # sent-at, as UTC epoch seconds
    assert message.category == "bodhi"


def test_an_installed_schema_names_the_users_and_packages():
    message = from_envelope(delivery())
    assert message.users == ("alice", "bob")
    assert message.packages == ("kernel", "kernel-headers")  # from the builds, as bodhi's schema reads them


def test_without_the_schema_the_headers_name_them():
    message = from_envelope(
        delivery(
            schema="not.installed.v1",
            fedora_messaging_user_carol=True,
            fedora_messaging_user_dan=True,
            fedora_messaging_rpm_firefox=True,
        )
    )
    assert message.users == ("carol", "dan") and message.packages == ("firefox",)


def test_an_installed_schema_that_names_nothing_is_an_answer():
    # bodhi's compose messages name no package: a header claiming one is not read, and fedmsg.meta is not asked.
    compose = delivery(body={"agent": "bodhi"}, schema="bodhi.compose.start.v1", fedora_messaging_rpm_x=True)
    message = from_envelope({**compose, "topic": "org.fedoraproject.prod.bodhi.compose.start"})
    assert message.packages == () and message.users == ("bodhi",)


def test_its_datagrepper_copy_is_read_alike():
    live = from_envelope(delivery())
    archived = from_envelope({**delivery(), "timestamp": 1_796_040_007.0, "users": ["someone-else"], "packages": []})
    assert (archived.msg_id, archived.timestamp, archived.users, archived.packages) == (
        live.msg_id,
        live.timestamp,
        live.users,
        live.packages,
    )


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"body": b"{not json"}, "not-json"),
        ({"body": b"\xff\xfe"}, "not-json"),
        ({"message_id": None}, "no-msg-id"),
        ({"message_id": ""}, "no-msg-id"),
        ({"body": [1, 2]}, "msg-not-object"),
        ({"topic": ""}, "no-topic"),
    ],
)
def test_a_delivery_that_cannot_be_read_is_refused_with_a_reason(changes, reason):
    with pytest.raises(MalformedMessage) as refused:
        from_envelope(delivery(**changes))
    assert refused.value.reason == reason


@pytest.mark.parametrize(("sent_at", "reason"), [(None, "bad-timestamp"), ("yesterday", "bad-timestamp")])
def test_a_delivery_without_a_usable_time_is_refused(sent_at, reason):
    envelope = envelope_of(TOPIC, "m", {"fedora_messaging_schema": "base.message", "sent-at": sent_at}, b"{}")
    with pytest.raises(MalformedMessage) as refused:
        from_envelope(envelope)
    assert refused.value.reason == reason


def test_a_schema_that_fails_on_its_body_is_a_meta_error_for_that_message():
    from statscache.exceptions import MetaError

    message = from_envelope(delivery(body={"comment": {}}))
    with pytest.raises(MetaError, match="bodhi.update.comment.v1"):
        _ = message.users


KOJI = {
    "name": "ansible",
    "owner": "kevin",
    "new": 1,
    "old": 0,
    "build_id": 1,
    "instance": "primary",
    "version": "1.8.3",
    "release": "1.el7",
    "attribute": "state",
    "task_id": 2,
}


def test_headers_that_name_someone_answer_for_both_lists():
    # A schema not installed here named a user and no package when it was sent: no package is an answer.
    message = from_envelope(delivery(schema="not.installed.v1", fedora_messaging_user_carol=True))
    assert message.users == ("carol",) and message.packages == ()


def test_the_base_schema_with_no_names_is_read_as_fedmsg_messages_are():
    """fedmsg's messages bridged to the bus, or archived by datanommer, carry the base schema and no names."""
    bridged = {
        **delivery(body=KOJI, schema="base.message"),
        "topic": "org.fedoraproject.prod.buildsys.build.state.change",
    }
    live = from_envelope(bridged)
    assert (live.users, live.packages) == (("kevin",), ("ansible",))  # fedmsg.meta's answer
    archived = from_envelope({**bridged, "users": [], "packages": []})  # datanommer's lists from the base class
    assert (archived.users, archived.packages) == (live.users, live.packages)
