import threading

from statscache.cache import MessageCache


def test_a_message_is_cached_once():
    cache = MessageCache()
    assert cache.add("m1", (1.0, ()))
    assert not cache.add("m1", (1.0, ()))
    assert (len(cache), cache.added, cache.duplicates) == (1, 1, 1)


def test_drain_empties_and_restore_puts_back():
    cache = MessageCache()
    cache.add("m1", (1.0, ()))
    drained = cache.drain()
    assert drained == {"m1": (1.0, ())} and len(cache) == 0
    cache.add("m1", (1.0, ()))  # the same message again, while the batch was out
    cache.add("m2", (2.0, ()))
    cache.restore(drained)
    assert set(cache.drain()) == {"m1", "m2"}


def test_concurrent_adds_and_drains_lose_nothing():
    cache = MessageCache()
    writers, per_writer = 4, 20000
    drained: dict[str, tuple] = {}
    done = threading.Event()

    def write(w):
        for i in range(per_writer):
            cache.add(f"{w}-{i}", (float(i), ()))

    def drain():
        while not done.is_set():
            drained.update(cache.drain())
        drained.update(cache.drain())

    drainer = threading.Thread(target=drain)
    drainer.start()
    threads = [threading.Thread(target=write, args=(w,)) for w in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    done.set()
    drainer.join()
    assert len(drained) == writers * per_writer == cache.added
