"""Each topic goes to one worker, the least loaded one when the topic first comes."""

from __future__ import annotations

import pytest

from statscache.pool import routing
from statscache.pool.routing import TopicRouter


def test_a_topic_stays_with_the_worker_it_was_given():
    router = TopicRouter(3)
    first = [router.worker_for(topic) for topic in ("a", "b", "c")]
    assert sorted(first) == [0, 1, 2]
    assert [router.worker_for(topic) for topic in ("a", "b", "c", "a")] == [*first, first[0]]


def test_a_new_topic_goes_to_the_worker_that_took_the_fewest_messages():
    router = TopicRouter(2)
    busy = router.worker_for("busy")
    for _ in range(10):
        router.worker_for("busy")
    quiet = router.worker_for("quiet")
    assert quiet != busy
    assert router.worker_for("new") == quiet  # 11 messages against 1
    assert router.load[busy] == 11 and router.load[quiet] == 2


def test_remembered_topics_are_bounded(monkeypatch):
    monkeypatch.setattr(routing, "MAX_TOPICS", 5)
    router = TopicRouter(2)
    for number in range(12):
        router.worker_for(f"topic-{number}")
    assert len(router._worker_of) <= 5
    assert sum(router.load) == 12


def test_a_router_needs_a_worker():
    with pytest.raises(ValueError, match="at least one worker"):
        TopicRouter(0)
