"""Hostile strings in message fields: parsed in linear time, never cached without bound, never linked to.

A 60 KB ``image_name`` on a fedimg topic once stalled all ingestion for 38 s
(a backtracking pattern), and a cache keyed by image names kept 800 MB of them
alive. The time bounds below are generous complexity checks (the fixed code
takes microseconds; the old one seconds), not benchmarks.
"""

from __future__ import annotations

import gc
import time
import tracemalloc
from datetime import UTC, datetime, timedelta

import pytest

from statscache.config import Config
from statscache.exceptions import MetaError
from statscache.ingest import meta
from statscache.ingest.envelope import parse_envelope
from statscache.ingest.pipeline import Pipeline
from statscache.plugins import InvalidKey, Milestone
from statscache.plugins.builtin.builds import LatestBuilds
from statscache.plugins.builtin.releng import RelengDashboard
from statscache.plugins.builtin.releng.images import MAX_IMAGE_NAME, ImageName, image_name, parse_image
from statscache.plugins.builtin.volume import VolumeByUser
from statscache.testing import from_envelope
from tests.fakes.support import recorded_envelopes

#: Names that made the old pattern backtrack over every dash-digit, up to a line break.
SLOW_NAMES = {
    "dash-digits": lambda size: "-1" * (size // 2) + "\nx",
    "words": lambda size: "a-1" * (size // 3) + "\n\n",
    "dots": lambda size: "Fedora-2" + ".x86_6" * (size // 6) + "\n.",
}


@pytest.mark.parametrize("shape", SLOW_NAMES)
@pytest.mark.parametrize("size", [16_000, 64_000])
def test_image_names_are_read_in_time_linear_in_the_name(shape, size):
    name = SLOW_NAMES[shape](size)
    started = time.perf_counter()
    parse_image(name)
    assert time.perf_counter() - started < 1.0  # the backtracking pattern: 2.7 s at 16 KB, 38 s at 60 KB
    with pytest.raises(InvalidKey, match="longer than 255"):
        image_name(name)  # and what is remembered is short


def test_image_names_up_to_the_cap():
    assert image_name("Fedora-Cloud-Base-22-20151009.x86_64") == ImageName("Fedora-Cloud-Base", "22", "x86_64")
    longest = "F" * (MAX_IMAGE_NAME - 11) + "-1.ppc64le"
    assert image_name(longest) == ImageName("F" * (MAX_IMAGE_NAME - 11), "1", "ppc64le")
    with pytest.raises(InvalidKey, match="longer than 255"):
        image_name(longest + "xy")


def fedimg(name, msg_id="2016-1"):
    return from_envelope(
        {
            "topic": "org.fedoraproject.prod.fedimg.image.upload",
            "msg_id": msg_id,
            "timestamp": 1468000000.0,
            "msg": {"image_name": name, "status": "started", "destination": "EC2"},
        }
    )


def test_a_huge_image_name_is_refused_quickly_and_clearly():
    started = time.perf_counter()
    with pytest.raises(InvalidKey, match="longer than 255"):
        RelengDashboard().process(fedimg("Fedora-Cloud" * 5_000 + "-1" * 1_000 + "\nx"))
    assert time.perf_counter() - started < 1.0


def test_image_names_from_the_bus_are_not_kept_alive():
    plugin = RelengDashboard()
    messages = [fedimg(f"{i}" * 100_000 + f"-{i}.x86_64", f"2016-{i}") for i in range(100)]
    gc.collect()
    tracemalloc.start()
    try:
        before, _ = tracemalloc.get_traced_memory()
        for message in messages:
            with pytest.raises(InvalidKey):
                plugin.process(message)
        gc.collect()
        after, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert after - before < 1_000_000  # an lru_cache of these names kept 10 MB (800 MB in the wild)


def test_the_families_remembered_take_a_few_megabytes_at_most():
    names = [f"{i:0>{MAX_IMAGE_NAME - 2}}-1" for i in range(10_000)]  # distinct, each as long as accepted
    gc.collect()
    tracemalloc.start()
    try:
        before, _ = tracemalloc.get_traced_memory()
        for name in names:
            image_name(name)
        gc.collect()
        after, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert after - before < 5_000_000


def test_fedmsg_meta_remembers_a_bounded_number_of_topics(monkeypatch):
    monkeypatch.setattr(meta, "MAX_TOPICS", 50)
    reader = meta.MetaReader()
    for i in range(400):
        envelope = {"topic": f"org.fedoraproject.prod.bogus{i}.x", "msg_id": f"m{i}", "timestamp": 1.0e9, "msg": {}}
        assert reader.users(parse_envelope(envelope, reader)) == ()
    assert len(reader._by_topic) <= 50


def test_fedmsg_meta_names_are_bounded():
    names = [f"user{i}" for i in range(meta.MAX_NAMES + 1)]
    record = from_envelope(
        {"topic": "org.fedoraproject.prod.x.y", "msg_id": "m", "timestamp": 1.0e9, "msg": {}, "users": names}
    )
    with pytest.raises(MetaError, match="more than"):
        _ = record.users


@pytest.mark.parametrize(
    ("instance", "link"),
    [
        ("primary", "https://koji.fedoraproject.org/koji/buildinfo?buildID=7"),
        (None, "https://koji.fedoraproject.org/koji/buildinfo?buildID=7"),
        ("s390", "https://s390.koji.fedoraproject.org/koji/buildinfo?buildID=7"),
        ("x/../../evil.example#", None),
        ("evil.example/", None),
        ("evil.example?", None),
        ("a" * 100, None),
        (["s390"], None),
        ({"host": "evil"}, None),
        (7, None),
    ],
)
def test_a_koji_instance_cannot_choose_the_host_of_a_link(instance, link):
    message = from_envelope(
        {
            "topic": "org.fedoraproject.prod.buildsys.build.state.change",
            "msg_id": "2015-7",
            "timestamp": 1.0e9,
            "msg": {"name": "kernel", "new": 1, "build_id": 7, "instance": instance},
        }
    )
    assert LatestBuilds().process(message) == ("2015-7", ("kernel", "completed", link))


@pytest.mark.parametrize(
    "location",
    [
        "javascript:alert(document.cookie)",
        " javascript:alert(1)",
        "https://evil.example/compose",
        "https://kojipkgs.fedoraproject.org.evil.example/",
        "https://kojipkgs.fedoraproject.org@evil.example/",
    ],
)
def test_releng_links_go_only_to_release_engineering_hosts(location):
    message = from_envelope(
        {
            "topic": "org.fedoraproject.prod.pungi.compose.status.change",
            "msg_id": "2017-1",
            "timestamp": 1.5e9,
            "msg": {"status": "FINISHED", "release_short": "Fedora", "release_version": "27", "location": location},
        }
    )
    cell = Milestone("compose/Fedora-27/all/compose", "succeeded", "FINISHED", None, None)
    assert RelengDashboard().process(message) == ("2017-1", (cell,))


def test_a_lone_surrogate_key_is_refused_at_process_and_the_flush_keeps_working(tmp_path):
    # json.loads lets "\ud800" through; no database can encode it, so one such key failed every flush.
    config = Config(
        sqlalchemy_uri=f"sqlite:///{tmp_path / 's.sqlite'}", consumer_epoch=datetime(2015, 1, 1, tzinfo=UTC)
    )
    plugin = VolumeByUser(timedelta(days=1))
    pipeline = Pipeline.open(config, [plugin])
    good = recorded_envelopes()[:50]
    poisoned = {**good[0], "msg_id": "poisoned", "users": ["ok", "bad\ud800"]}
    for envelope in [poisoned, *good]:
        pipeline.handle(envelope)
    assert pipeline.flush()
    assert pipeline.metrics.value("statscache_plugin_errors", plugin=plugin.ident, stage="process") == 1
    pipeline.engine.dispose()
