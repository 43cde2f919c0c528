import threading

from statscache.ingest.cache import Entry, MessageCache
from tests.fakes.support import run_in_threads


def test_copies_of_a_message_merge_into_the_first():
    cache = MessageCache()
    cache.add(Entry("m1", 1.0, ("first",)))
    cache.add(Entry("m1", 1.0, ("second",)))
    cache.add(Entry("m2", 2.0, ()))
    assert cache.cached == 3 and len(cache) == 3
    assert cache.drain() == ({"m1": ("m1", 1.0, ("first",)), "m2": ("m2", 2.0, ())}, {})
    assert (cache.cached, cache.duplicates, len(cache)) == (3, 1, 0)


def test_restored_entries_come_back_first():
    cache = MessageCache()
    cache.add(Entry("m1", 1.0, ("old",)))
    drained, audiences = cache.drain()
    cache.add(Entry("m1", 1.0, ("new",)))  # the same message again, while the batch was out
    cache.add(Entry("m2", 2.0, ()))
    cache.restore(drained, audiences)
    assert cache.drain() == ({"m1": ("m1", 1.0, ("old",)), "m2": ("m2", 2.0, ())}, {})
    assert cache.duplicates == 1


def test_concurrent_adds_and_drains_lose_nothing():
    cache = MessageCache()
    writers, per_writer = 4, 20000
    drained: dict[str, tuple] = {}
    done = threading.Event()

    def write(w):
        for i in range(per_writer):
            cache.add(Entry(f"{w}-{i}", float(i), ()))

    def drain():
        while not done.is_set():
            drained.update(cache.drain()[0])
        drained.update(cache.drain()[0])

    drainer = threading.Thread(target=drain)
    drainer.start()
    run_in_threads([lambda w=w: write(w) for w in range(writers)])
    done.set()
    drainer.join()
    assert len(drained) == writers * per_writer == cache.cached


def test_entries_for_some_plugins_carry_their_audience():
    cache = MessageCache()
    cache.add_for(Entry("m1", 1.0, ("c",)), frozenset({"a"}))
    cache.add_for(Entry("m1", 1.0, ("c",)), frozenset({"b"}))  # fetched again for another plugin
    cache.add_for(Entry("m2", 2.0, ("c",)), frozenset({"a"}))
    cache.add(Entry("m3", 3.0, ("c",)))
    entries, audiences = cache.drain()
    assert set(entries) == {"m1", "m2", "m3"}
    assert audiences == {"m1": frozenset({"a", "b"}), "m2": frozenset({"a"})}
    assert cache.duplicates == 1


def test_a_copy_for_every_plugin_lifts_the_restriction():
    cache = MessageCache()
    cache.add_for(Entry("m1", 1.0, ("c",)), frozenset({"a"}))
    cache.add(Entry("m1", 1.0, ("c",)))  # the same message live
    cache.add_for(Entry("m2", 2.0, ("c",)), frozenset({"a"}))
    entries, audiences = cache.drain()
    assert set(entries) == {"m1", "m2"} and audiences == {"m2": frozenset({"a"})}
    cache.restore(entries, audiences)
    cache.add(Entry("m2", 2.0, ("c",)))
    assert cache.drain() == (entries, {})
