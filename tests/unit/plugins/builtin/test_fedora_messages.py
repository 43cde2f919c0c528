"""The built-in plugins on real messages of every kind they count, row for row.

The messages are those of fedmsg_meta_fedora_infrastructure's own test suite
(tests/data/fedora-examples.jsonl); the users and packages fedmsg.meta finds in
each were computed apart from statscache (tests/data/fedora-examples-meta.json).
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from statscache.config import Config
from statscache.ingest.pipeline import Pipeline
from statscache.plugins import registry
from tests.fakes.support import fedora_examples, fedora_examples_meta

DAY = 86400


@pytest.fixture(scope="module")
def examples():
    return fedora_examples()


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory, examples):
    config = Config(
        sqlalchemy_uri=f"sqlite:///{tmp_path_factory.mktemp('fedora') / 'stats.sqlite'}",
        consumer_epoch=datetime(2012, 1, 1, tzinfo=UTC),
    )
    pipeline = Pipeline.open(config, registry.load(config))
    for example in examples:
        pipeline.handle(example)
    assert pipeline.flush()
    yield pipeline
    pipeline.close()


def rows(pipeline, ident, *columns):
    plugin = next(plugin for plugin in pipeline.plugins if plugin.ident == ident)
    with pipeline.session_factory() as session:
        found = [row.to_json() for row in session.scalars(select(plugin.model))]
    return sorted(tuple(row[column] for column in columns) for row in found)


def test_messages_without_a_timestamp_are_rejected_and_the_rest_cached(pipeline, examples):
    untimed = sum(1 for example in examples if example.get("timestamp") is None)
    assert untimed == 4
    assert pipeline.metrics.value("statscache_rejected_messages", reason="bad-timestamp") == untimed
    assert pipeline.metrics.value("statscache_messages", outcome="cached") == len(examples) - untimed


def test_build_outcomes_per_day(pipeline):
    assert rows(pipeline, "build-outcomes-1d", "timestamp", "category", "volume") == [
        (1424131200, "completed", 1),  # ansible-1.8.3-1.el7, 2015-02-17
        (1424736000, "canceled", 1),  # plasma-systemsettings, 2015-02-24
        (1424736000, "failed", 1),  # 64tass on the s390 koji, 2015-02-24
    ]


def test_latest_build_of_each_package(pipeline):
    assert rows(pipeline, "latest-builds", "category", "status", "link") == [
        ("64tass", "failed", "https://s390.koji.fedoraproject.org/koji/buildinfo?buildID=288888"),
        ("ansible", "completed", "https://koji.fedoraproject.org/koji/buildinfo?buildID=612324"),
        ("eclipse-ptp", "building", "https://koji.fedoraproject.org/koji/buildinfo?buildID=12345"),
        ("plasma-systemsettings", "canceled", "https://koji.fedoraproject.org/koji/buildinfo?buildID=614503"),
    ]


KOJI = "https://kojipkgs.fedoraproject.org/compose/"
BODHI = "https://bodhi.fedoraproject.org"
PUNGI_24 = "http://kojipkgs.fedoraproject.org/compose//rawhide/Fedora-24-20151208.n.7/compose"
LAUNCH = "https://redirect.fedoraproject.org/console.aws.amazon.com/ec2/v2/home?region={}#LaunchInstanceWizard:ami={}"


def test_the_release_engineering_board(pipeline):
    # The newest start, success and failure of each cell. Several examples share one timestamp (test
    # fixtures): ties go to the larger msg_id. compose.28.complete names two composes of branch 28.
    base_24, atomic_27 = "Fedora-Cloud-Base-24-20160710.0.x86_64", "Fedora-Atomic-27-20180507.0.x86_64"
    assert rows(pipeline, "releng-dashboard", "category", "phase", "status", "run", "link") == sorted(
        [
            ("compose/18/arm/compose", "started", "start", None, KOJI),
            ("compose/18/arm/compose", "succeeded", "complete", None, KOJI),
            ("compose/18/primary/compose", "started", "start", None, KOJI),
            ("compose/18/primary/compose", "succeeded", "complete", None, KOJI),
            ("compose/23/primary/compose", "succeeded", "complete", None, KOJI),
            ("compose/28/primary/compose", "started", "start", None, KOJI),
            (
                "compose/28/primary/compose",
                "succeeded",
                "complete",
                "Fedora-Modular-28-20180126.n.0",
                KOJI + "Fedora-Modular-28-20180126.n.0",
            ),
            ("compose/Fedora-24/all/compose", "failed", "TERMINATED", "Fedora-24-20151208.n.7", PUNGI_24),
            ("compose/Fedora-24/all/compose", "started", "STARTED", "Fedora-24-20151208.n.7", PUNGI_24),
            ("compose/Fedora-24/all/compose", "succeeded", "FINISHED", "Fedora-24-20151208.n.7", PUNGI_24),
            ("compose/Fedora-24/all/createrepo", "started", "start", "Fedora-24-20151208.n.7", PUNGI_24),
            (
                "compose/Modular-Rawhide/primary/compose",
                "succeeded",
                "complete",
                "Fedora-Modular-Rawhide-20170821.n.0",
                KOJI,
            ),
            ("compose/bikeshed/primary/compose", "started", "start", None, KOJI),
            ("compose/bikeshed/primary/compose", "succeeded", "complete", "Fedora-Modular-Bikeshed-20171208.n.0", KOJI),
            ("compose/epelbeta/primary/compose", "started", "start", None, KOJI),
            ("compose/epelbeta/primary/compose", "succeeded", "complete", None, KOJI),
            ("compose/rawhide/arm/compose", "started", "start", None, KOJI),
            ("compose/rawhide/arm/compose", "succeeded", "complete", None, KOJI),
            ("compose/rawhide/primary/compose", "started", "start", None, KOJI),
            (
                "compose/rawhide/primary/compose",
                "succeeded",
                "complete",
                "Fedora-Rawhide-20180126.n.0",
                "https://dl.fedoraproject.org/pub/fedora/linux/development/rawhide",
            ),
            ("image-test/Fedora-Cloud-Base/24", "failed", "failed", "Fedora-Cloud-Base-24-20160420.n.0", None),
            ("image-test/Fedora-Cloud-Base/24", "started", "running", "Fedora-Cloud-Base-24-20160420.n.0", None),
            ("image-test/Fedora-Cloud-Base/24", "succeeded", "success", "Fedora-Cloud-Base-24-20160420.n.0", None),
            (
                "image-test/fedora-cloud-base/rawhide",
                "started",
                "started",
                "fedora-cloud-base-rawhide-20140604.x86_64",
                "https://kojipkgs.fedoraproject.org//work/tasks/5144/6925144/fedora-cloud-base-rawhide-20140604.x86_64.raw.xz",
            ),
            (
                "image-upload/Fedora-Atomic/27/x86_64/eu-west-2",
                "succeeded",
                "published",
                atomic_27,
                LAUNCH.format("eu-west-2", "ami-d813f1bf"),
            ),
            (
                "image-upload/Fedora-Atomic/27/x86_64/us-west-2",
                "succeeded",
                "copied",
                atomic_27,
                LAUNCH.format("us-west-2", "ami-2e80f656"),
            ),
            ("image-upload/Fedora-Cloud-Base/24/x86_64/eu-west-1", "started", "started", base_24, None),
            (
                "image-upload/Fedora-Cloud-Base/24/x86_64/eu-west-1",
                "succeeded",
                "completed",
                base_24,
                LAUNCH.format("eu-west-1", "ami-1234fda"),
            ),
            (
                "image-upload/fedora-cloud-base/rawhide/x86_64/eu-west-1",
                "started",
                "started",
                "fedora-cloud-base-rawhide-20140604.x86_64",
                None,
            ),
            (
                "image-upload/fedora-cloud-base/rawhide/x86_64/eu-west-1",
                "succeeded",
                "completed",
                "fedora-cloud-base-rawhide-20140604.x86_64",
                LAUNCH.format("eu-west-1", "ami-1234fda"),
            ),
            (
                "ostree/fedora-atomic/25/x86_64/docker-host",
                "succeeded",
                "committed f99114401ffc",
                "Fedora-25-20161002.n.0",
                None,
            ),
            ("updates/all/push", "started", "start", None, BODHI),
            ("updates/dist-6E-epel-testing/push", "started", "composing", None, BODHI),
            ("updates/dist-6E-epel-testing/sync", "started", "waiting for the mirrors", None, BODHI),
            ("updates/dist-6E-epel-testing/sync", "succeeded", "synced", None, BODHI),
            ("updates/epel7-testing/sync", "succeeded", "synced", None, BODHI),  # 2015: (epel, 7, epel-testing)
            ("updates/f29-modular-updates-testing/push", "started", "mashing", None, BODHI),
            ("updates/f29-updates-testing/push", "succeeded", "complete", None, BODHI),
            ("updates/f29-updates-testing/repo", "succeeded", "written", None, BODHI),
            (
                "updates/f29-updates-testing/sync",
                "succeeded",
                "synced",
                None,
                BODHI,
            ),  # 2015: (fedora, 29, updates-testing)
        ]
    )


def test_the_dashboard_has_a_layout_covering_every_category(pipeline):
    plugin = next(plugin for plugin in pipeline.plugins if plugin.ident == "releng-dashboard")
    groups = [(group["prefix"], len(group["parts"])) for group in plugin.layout["groups"]]
    for (category,) in rows(pipeline, "releng-dashboard", "category"):
        assert any(category.startswith(prefix) and category.count("/") == parts for prefix, parts in groups), category


def test_pagure_contributions_per_day_user_and_project(pipeline):
    total = rows(pipeline, "pagure-contributions-1d", "timestamp", "volume")
    by_user = rows(pipeline, "pagure-contributions-by-user-1d", "timestamp", "category", "volume")
    by_project = rows(pipeline, "pagure-contributions-by-project-1d", "timestamp", "category", "volume")
    assert sum(volume for _, volume in total) == 40
    for split in (by_user, by_project):  # one actor and one project per contribution
        per_day = Counter()
        for day, _, volume in split:
            per_day[day] += volume
        assert sorted(per_day.items()) == total
    assert (1458259200, "lsedlar", 8) in by_user and (1427414400, "pingou", 6) in by_user
    assert (1458259200, "pungi", 9) in by_project and (1480896000, "Fedora-Council/tickets", 1) in by_project
    # An old push names only an email; offline, fedmsg.meta cannot map it to a FAS account.
    assert (1458259200, "rbean@redhat.com", 1) in by_user


@pytest.mark.parametrize("field", ["users", "packages"])
def test_volume_by_user_and_package_follow_fedmsg_meta(pipeline, examples, field):
    reference = fedora_examples_meta()
    expected = Counter()
    for line, example in enumerate(examples, start=1):
        names = reference[line][field]
        if example.get("timestamp") is None or names is None:  # rejected, or fedmsg.meta raised
            continue
        for name in set(names):
            expected[(int(example["timestamp"]) // DAY * DAY, name)] += 1
    ident = f"volume-by-{field[:-1]}-1d"
    assert rows(pipeline, ident, "timestamp", "category", "volume") == sorted(
        (day, name, count) for (day, name), count in expected.items()
    )
    assert len(expected) > 10  # many users and packages, some messages naming several


def test_a_processor_that_declines_a_topic_is_no_plugin_error(pipeline):
    # koschei's packages() raises NotImplementedError on collection.state.change: it names no package
    # there (counted nowhere in volume-by-package, as the test above checks), and that is no error.
    errors = pipeline.metrics.value("statscache_plugin_errors", plugin="volume-by-package-1d", stage="process")
    assert errors == 0


def test_volume_by_topic(pipeline, examples):
    expected = Counter(
        (int(example["timestamp"]) // DAY * DAY, example["topic"])
        for example in examples
        if example.get("timestamp") is not None
    )
    assert rows(pipeline, "volume-by-topic-1d", "timestamp", "category", "volume") == sorted(
        (day, topic, count) for (day, topic), count in expected.items()
    )
    assert len({topic for _, topic in expected}) == 85  # of 87 topics, two only on untimed messages
