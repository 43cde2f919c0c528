"""Users and packages of today's bus: the installed schema, else the publisher's naming headers, and fedmsg.meta
only for fedmsg's own messages (fedora-messaging's base schema).

The messages are real (tests/data/fedora-messaging-examples.jsonl: bodies from the schema packages' own
test suites, with the headers their publisher sets). Of their schemas only bodhi-messages is installed here.
"""

from __future__ import annotations

import logging

import pytest

from statscache.exceptions import MetaError
from statscache.ingest import meta, schemas
from statscache.ingest.schemas import BASE_SCHEMA, NAMING, SCHEMA_HEADER
from statscache.testing import from_envelope
from tests.fakes.support import fedora_messaging_examples

EXAMPLES = fedora_messaging_examples()


def example(schema, names_someone=None, topic=None):
    """The first example of a schema (whose headers name someone or something, or nobody; on a topic)."""
    return next(
        envelope
        for envelope in EXAMPLES
        if envelope["headers"][SCHEMA_HEADER] == schema
        and (names_someone is None or any(key.startswith(NAMING) for key in envelope["headers"]) == names_someone)
        and (topic is None or envelope["topic"] == topic)
    )


def headers_named(envelope):
    """The users and the packages the publisher's headers name."""
    return tuple(
        tuple(sorted(key.removeprefix(prefix) for key in envelope["headers"] if key.startswith(prefix)))
        for prefix in (schemas.PREFIXES["users"], schemas.PREFIXES["packages"])
    )


def silent(envelope):
    """The envelope without its naming headers."""
    return {**envelope, "headers": {k: v for k, v in envelope["headers"].items() if not k.startswith(NAMING)}}


@pytest.fixture
def fedmsg_meta_not_asked(monkeypatch):
    def refuse(self, envelope):
        raise AssertionError(f"fedmsg.meta was asked about {envelope['topic']}")

    monkeypatch.setattr(meta.MetaReader, "_processor", refuse)


# A bug on bugzilla's "Package Review" component by someone without a FAS account: bugzilla2fedmsg's schema
# names no package (not one) and no user (none known), so its headers name nobody.
PACKAGE_REVIEW = example("bugzilla2fedmsg.messageV1", names_someone=False)


def test_the_package_review_bug_is_what_fedmsg_meta_fails_on():
    """Why today's bugzilla messages raised MetaError: fedmsg.meta's bugzilla processor reads fedmsg-era bodies,
    where a bug's component and assignee were strings; bugzilla2fedmsg sends objects today."""
    import fedmsg.meta

    assert PACKAGE_REVIEW["msg"]["bug"]["component"] == {"id": 18186, "name": "Package Review"}
    fedmsg.meta.make_processors(**meta.FEDORA_BUS)
    processor = fedmsg.meta.msg2processor(PACKAGE_REVIEW, **meta.FEDORA_BUS)
    assert type(processor).__name__ == "BugzillaProcessor"
    # packages(): set([msg['msg']['bug']['component']]); usernames(): users.add(bug.get('assigned_to'))
    for method in (processor.packages, processor.usernames):
        with pytest.raises(TypeError, match="unhashable type: 'dict'"):
            method(PACKAGE_REVIEW, **meta.FEDORA_BUS)


def test_a_schema_not_installed_that_named_nobody_names_nobody(fedmsg_meta_not_asked):
    message = from_envelope(PACKAGE_REVIEW)
    assert (message.users, message.packages) == ((), ())


def test_its_datagrepper_copy_reads_the_record_s_lists():
    # datanommer reads a message's names with its schema installed: a record tells what the headers may not
    # (publishers before fedora-messaging set naming headers, say).
    archived = from_envelope({**PACKAGE_REVIEW, "users": ["adamw"], "packages": ["selinux-policy"]})
    assert (archived.users, archived.packages) == (("adamw",), ("selinux-policy",))
    empty = from_envelope({**PACKAGE_REVIEW, "users": [], "packages": []})
    assert (empty.users, empty.packages) == ((), ())


def test_the_other_bugzilla_messages_are_read_from_their_headers(fedmsg_meta_not_asked):
    bugs = [envelope for envelope in EXAMPLES if ".bugzilla." in envelope["topic"] and envelope is not PACKAGE_REVIEW]
    assert len(bugs) > 4
    for envelope in bugs:
        message = from_envelope(envelope)
        assert (message.users, message.packages) == headers_named(envelope)
    modify = example("bugzilla2fedmsg.messageV1", True, "org.fedoraproject.prod.bugzilla.bug.update")
    assert from_envelope(modify).users == ("adamw", "churchyard", "upstream-release-monitoring")


def test_koschei_today_is_read_from_its_headers_and_fedmsg_meta_is_not_asked(fedmsg_meta_not_asked):
    package = from_envelope(example("koschei.package.state.change"))
    assert (package.users, package.packages) == ((), ("rust-tokio",))  # its schema names the package, and groups
    collection = from_envelope(example("koschei.collection.state.change"))
    assert (collection.users, collection.packages) == ((), ())


def test_every_message_of_a_schema_not_installed_here_is_read_without_fedmsg_meta(fedmsg_meta_not_asked):
    for envelope in EXAMPLES:
        if envelope["headers"][SCHEMA_HEADER] not in (BASE_SCHEMA,) and ".bodhi." not in envelope["topic"]:
            message = from_envelope(envelope)
            _ = message.users, message.packages


def test_the_base_schema_is_fedora_messaging_s_own():
    from fedora_messaging import message

    assert message.get_name(message.Message) == BASE_SCHEMA


def test_a_message_of_the_base_schema_is_read_by_fedmsg_meta():
    # pungi publishes with the base schema: its messages are fedmsg's, and fedmsg.meta's pungi processor reads them.
    status = example(BASE_SCHEMA, topic="org.fedoraproject.prod.pungi.compose.status.change")
    asked = []
    reader = meta.MetaReader()
    original = reader._processor
    reader._processor = lambda envelope: asked.append(envelope["topic"]) or original(envelope)
    from statscache.ingest.envelope import parse_envelope

    message = parse_envelope(status, reader)
    assert (message.users, message.packages) == ((), ())
    assert asked == [status["topic"]] * 2


def test_an_installed_schema_is_its_own_answer(fedmsg_meta_not_asked):
    comment = example("bodhi.update.comment.v1")
    named = headers_named(comment)
    message = from_envelope(silent(comment))  # no headers to read: the installed schema reads the body
    assert (message.users, message.packages) == named
    assert named == (("codeblock", "ralph", "tdawson"), ("abrt-addon-python3", "asciinema"))


def test_a_schema_not_installed_here_is_no_warning(caplog):
    """Most of the bus's schemas are not installed here, by design: fedora-messaging's registry would warn of each."""
    reader = schemas.SchemaReader()
    with caplog.at_level(logging.DEBUG):
        for envelope in EXAMPLES:
            reader.names(envelope, "users")
    assert [record for record in caplog.records if record.levelno >= logging.WARNING] == []


def test_a_message_of_the_base_schema_that_fedmsg_meta_fails_on_is_a_meta_error():
    # The same body sent without its schema (as bridges do): fedmsg.meta is asked, and fails: no silent "nobody".
    bridged = {**silent(PACKAGE_REVIEW), "headers": {**silent(PACKAGE_REVIEW)["headers"], SCHEMA_HEADER: BASE_SCHEMA}}
    message = from_envelope(bridged)
    for field in ("users", "packages"):
        with pytest.raises(MetaError, match="unhashable type"):
            getattr(message, field)
