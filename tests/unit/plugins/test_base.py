from collections import Counter
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from statscache.plugins import Batch, InvalidKey, VolumePlugin
from statscache.plugins.builtin.volume import Volume, VolumeByCategory
from statscache.plugins.links import safe_link
from statscache.testing import from_envelope
from tests.fakes.sample_plugins import ByTopic, Statuses

MINUTE, HOUR, DAY = timedelta(minutes=1), timedelta(hours=1), timedelta(days=1)


def message(n=1, topic="org.fedoraproject.prod.buildsys.build", timestamp=1444368907.0, **msg):
    return from_envelope({"topic": topic, "msg": msg, "msg_id": f"2015-{n}", "timestamp": timestamp})


def test_ident_and_table_name():
    plugin = VolumeByCategory(HOUR)
    assert plugin.ident == "volume-by-category-1h"
    assert plugin.model.__tablename__ == "volume_by_category_1h"
    assert [c["name"] for c in plugin.model.columns()] == ["timestamp", "category", "volume"]


def test_windowed_plugins_need_an_interval_and_others_refuse_one():
    with pytest.raises(TypeError):
        Volume()
    with pytest.raises(TypeError):
        Statuses(MINUTE)


def test_counting_contribution_is_the_distinct_keys():
    class Several(ByTopic):
        def keys(self, message):
            return ["a", "b", "a"]

    assert Several(MINUTE).process(message()) == ("a", "b")
    assert VolumeByCategory(MINUTE).process(message()) == ("buildsys",)


def test_a_message_without_keys_contributes_nothing():
    assert VolumeByCategory(MINUTE).process(message(topic="short.topic")) is None


@pytest.mark.parametrize("bad", ["", "x" * 256, "a\x00b", 42, None])
def test_keys_that_cannot_be_stored_are_refused(bad):
    class Bad(ByTopic):
        def keys(self, message):
            return (bad,)

    with pytest.raises(InvalidKey):
        Bad(MINUTE).process(message())


def test_volume_counts_what_matches():
    class BuildsOnly(VolumePlugin):
        name = summary = description = "builds"

        def matches(self, message):
            return message.category == "buildsys"

    plugin = BuildsOnly(MINUTE)
    assert plugin.process(message()) is True
    assert plugin.process(message(topic="org.fedoraproject.prod.bodhi.update")) is None


def test_tallies_by_utc_window_and_key():
    batch = Batch.of([(60.0, ("a",)), (119.9, ("a", "b")), (120.0, ("b",))])
    assert VolumeByCategory(MINUTE).tally(batch) == Counter({(60, "a"): 2, (60, "b"): 1, (120, "b"): 1})
    assert Volume(MINUTE).tally(Batch.of([(60.0, True), (119.9, True), (120.0, True)])) == Counter({60: 2, 120: 1})


batches = st.lists(
    st.tuples(
        st.floats(min_value=1.4e9, max_value=1.5e9, allow_nan=False),
        st.lists(st.sampled_from("abc"), min_size=1, max_size=3, unique=True).map(tuple),
    ),
    max_size=60,
)


@given(batches)
def test_a_coarse_tally_derived_from_a_finer_one_equals_counting_directly(pairs):
    shared = Batch.of(pairs)
    derived = [VolumeByCategory(interval).tally(shared) for interval in (MINUTE, HOUR, DAY)]
    direct = [VolumeByCategory(interval).tally(Batch.of(pairs)) for interval in (MINUTE, HOUR, DAY)]
    assert derived == direct
    volumes = [Volume(interval).tally(Batch.of([(t, True) for t, _ in pairs])) for interval in (MINUTE, HOUR, DAY)]
    assert [sum(v.values()) for v in volumes] == [len(pairs)] * 3
    assert volumes[2] == Volume(DAY).tally(Batch.of([(t, True) for t, _ in pairs]))


def test_derivation_needs_a_window_that_divides():
    pairs = [(0.0, ("a",)), (3600.0 * 7, ("a",))]
    shared = Batch.of(pairs)
    seven_hours, three_hours = VolumeByCategory(timedelta(hours=7)), VolumeByCategory(timedelta(hours=3))
    seven_hours.tally(shared)
    assert three_hours.tally(shared) == Counter({(0, "a"): 1, (21600, "a"): 1})


def test_latest_event_contribution_carries_the_msg_id():
    assert Statuses().process(message(7, status="success", url="https://x")) == (
        "2015-7",
        ("buildsys", "success", "https://x"),
    )
    assert Statuses().process(message(7)) is None


@pytest.mark.parametrize(
    "url",
    ["javascript:alert(1)", "https://evil.example/", "https://x@evil.example/", "https://x:99/", "http://x\\@y/", None],
)
def test_latest_event_links_only_to_the_plugins_hosts(url):
    assert Statuses().process(message(7, status="success", url=url))[1] == ("buildsys", "success", None)


def test_links_to_hosts_and_to_one_label_under_a_pattern():
    hosts = frozenset({"koji.example.org", "*.koji.example.org"})
    assert safe_link("https://koji.example.org/a?b=1", hosts) == "https://koji.example.org/a?b=1"
    assert safe_link("HTTP://S390.koji.example.org/", hosts) == "HTTP://S390.koji.example.org/"
    for refused in ("https://a.b.koji.example.org/", "https://.koji.example.org/", "https://evilkoji.example.org/"):
        assert safe_link(refused, hosts) is None, refused
    assert safe_link("https://koji.example.org/" + "a" * 3000, hosts) is None
    assert safe_link(["https://koji.example.org/"], hosts) is None
