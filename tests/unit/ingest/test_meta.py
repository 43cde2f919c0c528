"""Users and packages of a message: a datagrepper record's own lists first, else fedmsg.meta's processors."""

from __future__ import annotations

import logging

import pytest

from statscache.exceptions import MetaError
from statscache.ingest import meta
from statscache.ingest.envelope import parse_envelope
from statscache.testing import from_envelope
from tests.fakes.support import fedora_examples, fedora_examples_meta

KOJI = {
    "topic": "org.fedoraproject.prod.buildsys.build.state.change",
    "msg_id": "2015-1",
    "timestamp": 1424216566.0,
    "msg": {
        "name": "ansible",
        "owner": "kevin",
        "new": 1,
        "build_id": 1,
        "instance": "primary",
        "version": "1.8.3",
        "release": "1.el7",
        "attribute": "state",
        "old": 0,
        "task_id": 2,
    },
}


def test_live_messages_are_read_by_fedmsg_meta():
    message = from_envelope(KOJI)
    assert message.users == ("kevin",)
    assert message.packages == ("ansible",)


def test_a_datagrepper_record_s_own_lists_win():
    record = from_envelope({**KOJI, "users": ["b", "a", "b"], "packages": ["x"]})
    assert record.users == ("a", "b")
    assert record.packages == ("x",)


def test_an_empty_recorded_list_is_read_as_live_messages_are():
    # datanommer records [] for messages it has no schema for: the counts must
    # not depend on whether a message came live or through backfill.
    live = from_envelope(KOJI)
    record = from_envelope({**KOJI, "users": [], "packages": []})
    assert live.users and live.packages
    assert (record.users, record.packages) == (live.users, live.packages)


def test_a_processor_missing_a_field_means_none():
    broken = from_envelope({**KOJI, "msg": {"new": 1}})  # the koji processor expects owner and name
    assert broken.users == () and broken.packages == ()


def test_a_processor_that_declines_a_topic_names_none():
    # koschei's packages() raises NotImplementedError for collection.state.change.
    koschei = next(e for e in fedora_examples() if e["topic"].endswith("koschei.collection.state.change"))
    assert from_envelope(koschei).packages == ()


def test_a_processor_that_raises_otherwise_is_a_meta_error(monkeypatch):
    from fedmsg_meta_fedora_infrastructure.koschei import KoscheiProcessor

    def broken(self, msg, **config):
        raise ValueError("a processor's own bug")

    monkeypatch.setattr(KoscheiProcessor, "packages", broken)
    koschei = next(e for e in fedora_examples() if ".koschei." in e["topic"])
    with pytest.raises(MetaError, match="koschei"):
        _ = from_envelope(koschei).packages


def test_taskotron_is_not_asked_for_packages_over_the_network(monkeypatch):
    taskotron = next(e for e in fedora_examples() if ".taskotron." in e["topic"])

    def no_network(*args, **kwargs):
        raise AssertionError("fedmsg.meta went to the network")

    monkeypatch.setattr("socket.create_connection", no_network)
    assert from_envelope(taskotron).packages == ()


def test_without_fas_credentials_names_stand_for_themselves_and_fas_is_not_asked_again(caplog, monkeypatch):
    from fedmsg_meta_fedora_infrastructure import fasshim

    monkeypatch.setattr(fasshim, "_fas_cache", {})  # as in a fresh process
    monkeypatch.setattr(meta._fas_warnings, "_seen", set())
    rebuilds = []
    rebuild = fasshim.make_fas_cache
    # fasshim asks for its cache on every lookup; it rebuilds it when it finds it empty.
    monkeypatch.setattr(
        fasshim, "make_fas_cache", lambda **config: rebuilds.append(not fasshim._fas_cache) or rebuild(**config)
    )
    reference = fedora_examples_meta()
    examples = fedora_examples()
    # A push that names only an email, which fedmsg.meta asks FAS about.
    number, push = next(
        (n, e) for n, e in enumerate(examples, 1) if any("@redhat.com" in user for user in reference[n]["users"])
    )
    reader = meta.MetaReader()
    for copy in range(5):
        message = parse_envelope({**push, "msg_id": f"push-{copy}"}, reader)
        assert list(message.users) == sorted(set(reference[number]["users"]))
    assert rebuilds and not any(rebuilds)
    said = [record.getMessage() for record in caplog.records if "FAS" in record.getMessage()]
    assert said == ["no FAS credentials (fas_credentials): nicknames and emails are taken as FAS usernames"]


def test_fas_warnings_are_logged_once_each(caplog, monkeypatch):
    """fasshim's own warnings (with FAS credentials it cannot use, it tries again on every lookup): once each."""
    monkeypatch.setattr(meta._fas_warnings, "_seen", set())
    fasshim_log = logging.getLogger("moksha.hub")
    fasshim_log.addFilter(meta._fas_warnings)
    for _ in range(5):
        fasshim_log.warning("No previous fas cache found.  Looking to rebuild.")
        fasshim_log.warning("No fas_credentials found.  Not caching fas.")
    fasshim_log.warning("something else")
    warnings = [record.getMessage() for record in caplog.records if record.name == "moksha.hub"]
    assert warnings == [
        "No previous fas cache found.  Looking to rebuild.",
        "No fas_credentials found.  Not caching fas.",
        "something else",
    ]


def test_a_real_body_fedmsg_meta_fails_on_is_counted_as_the_readme_says(tmp_path, caplog):
    """A schema or processor that fails on a message's body refuses that message for the plugins that asked
    (logged and counted, as any plugin error); every other plugin counts it.

    The body is a real one of today's bugzilla (a "Package Review" bug, tests/data/fedora-messaging-examples.jsonl)
    sent with fedora-messaging's base schema, as a bridge would: fedmsg.meta's bugzilla processor reads it, and
    fails on its component and assignee objects (TypeError: unhashable type: 'dict').
    """
    from datetime import UTC, datetime

    from sqlalchemy import func, select

    from statscache.config import Config
    from statscache.ingest.pipeline import Pipeline
    from statscache.plugins import registry
    from tests.fakes.support import fedora_messaging_examples

    review = next(
        e
        for e in fedora_messaging_examples()
        if e["headers"]["fedora_messaging_schema"] == "bugzilla2fedmsg.messageV1"
        and not any(key.startswith("fedora_messaging_user_") for key in e["headers"])
        and not any(key.startswith("fedora_messaging_rpm_") for key in e["headers"])
    )
    sent_at = review["headers"]["sent-at"]
    bridged = {**review, "headers": {"fedora_messaging_schema": "base.message", "sent-at": sent_at}}
    database = f"sqlite:///{tmp_path / 'stats.sqlite'}"
    config = Config(sqlalchemy_uri=database, consumer_epoch=datetime(2012, 1, 1, tzinfo=UTC))
    pipeline = Pipeline.open(config, registry.load(config))
    try:
        pipeline.handle(bridged)
        assert pipeline.flush()
        failed = {
            plugin.ident
            for plugin in pipeline.plugins
            if pipeline.metrics.value("statscache_plugin_errors", plugin=plugin.ident, stage="process")
        }
        assert {"volume-by-user-1d", "volume-by-package-1m", "user-activity"} <= failed
        assert not any(ident.startswith(("volume-1", "volume-by-topic", "volume-by-category")) for ident in failed)
        for plugin in pipeline.plugins:
            if plugin.ident in ("volume-1d", "volume-by-topic-1d"):
                with pipeline.session_factory() as session:
                    assert session.scalar(select(func.sum(plugin.model.volume))) == 1
    finally:
        pipeline.close()
    logged = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert logged and all("fedmsg.meta could not read" in line and "unhashable type" in line for line in logged)
