import threading
from collections import Counter
from datetime import timedelta

import pytest

from statscache.message import parse_envelope
from statscache.plugins import InvalidKey
from statscache.plugins.volume import Volume, VolumeByCategory
from tests.unit.sample_plugins import ByTopic

MINUTE = timedelta(minutes=1)


def message(n, topic="org.fedoraproject.prod.buildsys.build", timestamp=1444368907.0, **msg):
    return parse_envelope({"topic": topic, "msg": msg, "msg_id": f"2015-{n}", "timestamp": timestamp})


def test_ident_and_table_name():
    plugin = VolumeByCategory(timedelta(hours=1))
    assert plugin.ident == "volume-by-category-1h"
    assert plugin.model.__tablename__ == "volume_by_category_1h"
    assert [c["name"] for c in plugin.model.columns()] == ["timestamp", "category", "volume"]


def test_windowed_plugins_need_an_interval():
    with pytest.raises(TypeError):
        Volume()


def test_counts_by_window_and_key():
    plugin = VolumeByCategory(MINUTE)
    plugin.process(message(1, timestamp=60.0))
    plugin.process(message(2, timestamp=119.9))
    plugin.process(message(3, timestamp=120.0, topic="org.fedoraproject.prod.bodhi.update"))
    assert plugin.tally(plugin.drain()) == Counter({(60, "buildsys"): 2, (120, "bodhi"): 1})


def test_a_message_cached_twice_counts_once():
    plugin = Volume(MINUTE)
    plugin.process(message(1))
    plugin.process(message(1))
    assert len(plugin.drain()) == 1


def test_drain_empties_the_cache_and_restore_puts_it_back_first():
    plugin = Volume(MINUTE)
    plugin.process(message(1, timestamp=60.0))
    batch = plugin.drain()
    assert plugin.pending() == 0
    plugin.process(message(1, timestamp=60.0))  # the same message, again, while the batch was out
    plugin.process(message(2, timestamp=60.0))
    plugin.restore(batch)
    assert set(plugin.drain()) == {"2015-1", "2015-2"}


def test_a_message_without_keys_is_still_recorded_as_seen():
    plugin = VolumeByCategory(MINUTE)
    plugin.process(message(1, topic="short.topic"))
    batch = plugin.drain()
    assert batch == {"2015-1": (1444368907.0, None)}
    assert plugin.tally(batch) == Counter()


@pytest.mark.parametrize("bad", ["", "x" * 256, "a\x00b", 42])
def test_keys_that_cannot_be_stored_are_refused(bad):
    class Bad(ByTopic):
        def keys(self, message):
            return (bad,)

    with pytest.raises(InvalidKey):
        Bad(MINUTE).process(message(1))


def test_repeated_keys_of_one_message_count_once():
    class Twice(ByTopic):
        def keys(self, message):
            return ("a", "a", "b")

    plugin = Twice(MINUTE)
    plugin.process(message(1, timestamp=0.0))
    assert plugin.tally(plugin.drain()) == Counter({(0, "a"): 1, (0, "b"): 1})


def test_concurrent_process_and_drain_lose_nothing():
    plugin = VolumeByCategory(MINUTE)
    writers, per_writer = 4, 5000
    drained = Counter()
    done = threading.Event()

    def write(w):
        for i in range(per_writer):
            plugin.process(message(f"{w}-{i}", timestamp=float(i % 180)))

    def drain():
        while not done.is_set():
            drained.update(plugin.tally(plugin.drain()))
        drained.update(plugin.tally(plugin.drain()))

    drainer = threading.Thread(target=drain)
    drainer.start()
    threads = [threading.Thread(target=write, args=(w,)) for w in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    done.set()
    drainer.join()
    assert sum(drained.values()) == writers * per_writer
    expected = Counter()
    for w in range(writers):
        for i in range(per_writer):
            expected[(i % 180 // 60 * 60, "buildsys")] += 1
    assert drained == expected
