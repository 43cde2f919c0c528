"""The whole path of a message, on a real SQLite file: exact counts, whatever happens."""

import random
import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from statscache.config import Config
from statscache.ingest.pipeline import Pipeline
from statscache.plugins import registry
from statscache.plugins.builtin.volume import VolumeByCategory
from tests.fakes.sample_plugins import Exploding, Statuses
from tests.fakes.support import BUILTIN_IDENTS, EPOCH, assert_exact, feed, recount, run_in_threads, stored, table_away


@pytest.fixture
def make_pipeline(tmp_path):
    made = []

    def make(plugins=None, **settings):
        config = Config(sqlalchemy_uri=f"sqlite:///{tmp_path / 'stats.sqlite'}", consumer_epoch=EPOCH, **settings)
        pipeline = Pipeline.open(config, registry.load(config) if plugins is None else plugins)
        made.append(pipeline)
        return pipeline

    yield make
    for pipeline in made:
        pipeline.engine.dispose()


def test_recorded_stream_is_counted_exactly(make_pipeline, envelopes):
    pipeline = make_pipeline()
    feed(pipeline, envelopes)
    assert pipeline.flush()
    assert_exact(pipeline, envelopes)
    assert sum(recount(envelopes, "volume-1d").values()) == 1300
    assert pipeline.metrics.value("statscache_messages", outcome="duplicate") == 2  # the two recorded twins
    assert pipeline.metrics.value("statscache_messages", outcome="cached") == 1302
    assert pipeline.metrics.value("statscache_counted_messages", plugin="volume-1m") == 1300
    assert pipeline.metrics.value("statscache_duplicates", plugin="volume-1m") == 0


def test_stream_twice_shuffled_and_across_a_restart_changes_nothing(make_pipeline, envelopes):
    first = make_pipeline()
    feed(first, envelopes[:700])
    assert first.flush()
    feed(first, envelopes[:400])  # replayed while running
    first.close()
    again = make_pipeline()  # a restart on the same database
    shuffled = envelopes[:]
    random.Random(7).shuffle(shuffled)
    feed(again, shuffled[:650])
    assert again.flush()
    feed(again, shuffled[650:])
    assert again.flush()
    feed(again, envelopes)
    assert again.flush()
    assert_exact(again, envelopes)
    for ident in BUILTIN_IDENTS:
        counted = [p.metrics.value("statscache_counted_messages", plugin=ident) for p in (first, again)]
        assert counted == [len({e["msg_id"] for e in envelopes[:700]}), 1300 - counted[0]]
    handled = sum(again.metrics.value("statscache_messages", outcome=o) for o in ("cached",))
    assert handled == 2 * 1302


def test_a_plugin_installed_later_counts_old_messages_once(make_pipeline, envelopes):
    old = make_pipeline(plugins=[VolumeByCategory(timedelta(hours=1))])
    feed(old, envelopes)
    old.close()
    both = make_pipeline()  # all built-ins: volume-* is new, volume-by-category-1h is not
    feed(both, envelopes)
    assert both.flush()
    feed(both, envelopes)
    assert both.flush()
    assert_exact(both, envelopes)
    assert both.metrics.value("statscache_duplicates", plugin="volume-by-category-1h") == 2 * 1300
    assert both.metrics.value("statscache_counted_messages", plugin="volume-1h") == 1300


def test_messages_before_the_epoch_are_skipped_and_counted(make_pipeline, envelopes):
    pipeline = make_pipeline(plugins=None)
    pipeline._epoch = envelopes[100]["timestamp"]
    feed(pipeline, envelopes)
    assert pipeline.flush()
    kept = [e for e in envelopes if e["timestamp"] >= envelopes[100]["timestamp"]]
    assert_exact(pipeline, kept)
    assert pipeline.metrics.value("statscache_messages", outcome="before_epoch") == len(envelopes) - len(kept)


def test_malformed_envelopes_are_counted_by_reason_and_harm_nothing(make_pipeline, envelopes):
    pipeline = make_pipeline()
    bad = ["not json", {"topic": "a.b.c.d", "msg": "text", "msg_id": "x", "timestamp": 1}, {"msg": {}}, None]
    feed(pipeline, bad[:2] + envelopes + bad[2:])
    assert pipeline.flush()
    assert_exact(pipeline, envelopes)
    value = pipeline.metrics.value
    assert value("statscache_messages", outcome="rejected") == 4
    assert value("statscache_rejected_messages", reason="not-json") == 1
    assert value("statscache_rejected_messages", reason="msg-not-object") == 1
    assert value("statscache_rejected_messages", reason="no-topic") == 1
    assert value("statscache_rejected_messages", reason="not-an-object") == 1


def test_a_failing_plugin_is_counted_and_the_others_still_count(make_pipeline, envelopes):
    exploding = Exploding(timedelta(days=1))
    pipeline = make_pipeline(plugins=[exploding, *registry.load(Config())])
    poisoned = [dict(e, msg=dict(e["msg"], explode=True)) if i % 10 == 0 else e for i, e in enumerate(envelopes)]
    feed(pipeline, poisoned)
    assert pipeline.flush()
    assert_exact(pipeline, poisoned)
    assert pipeline.metrics.value("statscache_plugin_errors", plugin="exploding-1d", stage="process") == 131
    # The copy that reaches the cache first is the one counted: a failure on it is final for that plugin.
    first_copies = {}
    for i, envelope in enumerate(poisoned):
        first_copies.setdefault(envelope["msg_id"], i)
    healthy = [msg_id for msg_id, i in first_copies.items() if i % 10 != 0]
    assert sum(stored(pipeline.engine, "exploding-1d").values()) == len(healthy)


def test_a_plugin_whose_table_fails_keeps_its_batch_and_the_others_commit(make_pipeline, envelopes, tmp_path):
    pipeline = make_pipeline()
    feed(pipeline, envelopes[:600])
    with table_away(tmp_path / "stats.sqlite", "volume_1h"):
        assert not pipeline.flush()
        assert pipeline.metrics.value("statscache_plugin_errors", plugin="volume-1h", stage="update") == 1
        assert_exact(pipeline, envelopes[:600], [i for i in BUILTIN_IDENTS if i != "volume-1h"])
        feed(pipeline, envelopes[300:])
    assert pipeline.flush()
    assert_exact(pipeline, envelopes)


def test_a_failed_transaction_loses_nothing_and_is_retried(make_pipeline, envelopes, tmp_path):
    pipeline = make_pipeline()
    feed(pipeline, envelopes[:500])
    with table_away(tmp_path / "stats.sqlite", "statscache_ledger"):
        assert pipeline.flush() is False  # never raises
        assert pipeline.metrics.value("statscache_flushes", result="failed") == 1
        assert stored(pipeline.engine, "volume-1m") == {}
        feed(pipeline, envelopes[250:])
    assert pipeline.flush()
    assert_exact(pipeline, envelopes)


def test_handling_and_flushing_concurrently_is_exact(make_pipeline, envelopes):
    pipeline = make_pipeline()
    stop = threading.Event()

    def flush_continuously():
        while not stop.is_set():
            pipeline.flush()

    flusher = threading.Thread(target=flush_continuously)
    flusher.start()
    halves = [envelopes[::2] + envelopes, envelopes[1::2] + envelopes[::-1]]
    run_in_threads([lambda half=half: feed(pipeline, half) for half in halves])
    stop.set()
    flusher.join()
    assert pipeline.flush()
    assert_exact(pipeline, envelopes)


def test_latest_event_keeps_the_newest_per_category_whatever_the_order(make_pipeline, envelopes):
    plugin = Statuses()
    pipeline = make_pipeline(plugins=[plugin])
    reordered = envelopes[::-1]
    feed(pipeline, reordered[:500])
    assert pipeline.flush()
    feed(pipeline, reordered)
    assert pipeline.flush()
    newest = max(envelopes, key=lambda e: (e["timestamp"], e["msg_id"]))
    with pipeline.session_factory() as session:
        rows = session.scalars(select(plugin.model)).all()
        assert [row.to_json() for row in rows] == [
            {
                "category": "autocloud",
                "timestamp": int(newest["timestamp"]),
                "msg_id": newest["msg_id"],
                "status": newest["msg"]["status"],
                "link": None,
            }
        ]
        assert plugin.latest(session) == datetime.fromtimestamp(newest["timestamp"], tz=UTC)


def copy_at(envelope, timestamp):
    return {**envelope, "timestamp": timestamp}


@pytest.mark.parametrize("flush_between", [False, True])
def test_a_copy_with_a_rounded_timestamp_is_still_a_duplicate(make_pipeline, envelopes, flush_between):
    # Live copies carry fractions of a second, datagrepper's whole seconds: here
    # the two sit on either side of an hour (the ledger's clustering unit).
    hour_end = 1444352400.0  # 2015-10-09 01:00 UTC
    live = [copy_at(e, hour_end - 0.4) for e in envelopes[:50]]
    archived = [copy_at(e, hour_end) for e in envelopes[:50]]
    pipeline = make_pipeline(plugins=[VolumeByCategory(timedelta(hours=1))])
    feed(pipeline, live)
    if flush_between:
        assert pipeline.flush()
    feed(pipeline, archived)
    assert pipeline.flush()
    assert_exact(pipeline, live, idents=["volume-by-category-1h"])
    if flush_between:
        assert pipeline.metrics.value("statscache_duplicates", plugin="volume-by-category-1h") == 50
    else:
        assert pipeline.metrics.value("statscache_messages", outcome="duplicate") == 50


def test_a_plugin_installed_later_sees_rounded_copies_as_counted_by_the_others(make_pipeline, envelopes):
    hour_end = 1444352400.0
    old = make_pipeline(plugins=[VolumeByCategory(timedelta(hours=1))])
    feed(old, [copy_at(e, hour_end - 0.4) for e in envelopes[:50]])
    old.close()
    both = make_pipeline()
    rounded = [copy_at(e, hour_end) for e in envelopes[:50]]
    feed(both, rounded)
    assert both.flush()
    feed(both, rounded)  # now counted by every plugin: a duplicate for all
    assert both.flush()
    assert both.metrics.value("statscache_duplicates", plugin="volume-by-category-1h") == 100
    assert both.metrics.value("statscache_counted_messages", plugin="volume-1h") == 50
    assert both.metrics.value("statscache_duplicates", plugin="volume-1h") == 50


def test_envelopes_whose_signature_fails_are_rejected_and_the_rest_counted(make_pipeline, envelopes):
    forged = {e["msg_id"] for e in envelopes[::10]}
    broken = {e["msg_id"] for e in envelopes[5::10]}

    def authenticate(envelope):
        if envelope["msg_id"] in broken:
            raise ValueError("no certificate for this signer")
        return envelope["msg_id"] not in forged

    pipeline = make_pipeline()
    pipeline.authenticate = authenticate
    feed(pipeline, envelopes)
    assert pipeline.flush()
    genuine = [e for e in envelopes if e["msg_id"] not in forged | broken]
    assert_exact(pipeline, genuine)
    rejected = sum(1 for e in envelopes if e["msg_id"] in forged | broken)
    assert pipeline.metrics.value("statscache_rejected_messages", reason="bad-signature") == rejected
    assert pipeline.metrics.value("statscache_messages", outcome="rejected") == rejected


def test_plugins_are_asked_once_per_topic_whether_they_accept_it(make_pipeline, envelopes):
    asked = []

    class Picky(VolumeByCategory):
        name = "Picky"

        def accepts(self, topic):
            asked.append(topic)
            if topic.endswith(".running"):
                raise RuntimeError("cannot tell")
            return topic.endswith(".success")

    picky = Picky(timedelta(days=1))
    pipeline = make_pipeline(plugins=[picky, VolumeByCategory(timedelta(days=1))])
    feed(pipeline, envelopes)
    assert pipeline.flush()
    topics = {e["topic"] for e in envelopes}
    assert sorted(asked) == sorted(topics)  # each topic once, however many messages
    first_copies = {e["msg_id"]: e for e in reversed(envelopes)}.values()  # a message counts as it first came
    successes = [e for e in first_copies if e["topic"].endswith(".success")]
    assert sum(stored(pipeline.engine, "picky-1d").values()) == len(successes)
    assert_exact(pipeline, envelopes, idents=["volume-by-category-1d"])  # the others count everything
    assert pipeline.metrics.value("statscache_plugin_errors", plugin="picky-1d", stage="process") == 1


def test_a_full_cache_is_flushed_by_the_consumer_itself(make_pipeline, envelopes):
    pipeline = make_pipeline()
    pipeline.max_cached = pipeline._flush_at = 100  # no periodic flush at all in this test
    feed(pipeline, envelopes)
    assert len(pipeline.cache) < 100
    assert pipeline.metrics.value("statscache_flushes", result="ok") == len(envelopes) // 100
    assert pipeline.flush()
    assert_exact(pipeline, envelopes)


def test_while_the_database_fails_the_consumer_retries_only_as_the_cache_grows(make_pipeline, envelopes, tmp_path):
    pipeline = make_pipeline()
    pipeline.max_cached = pipeline._flush_at = 100
    with table_away(tmp_path / "stats.sqlite", "statscache_ledger"):
        feed(pipeline, envelopes)
        # one attempt per hundred more messages, not one per message
        assert pipeline.metrics.value("statscache_flushes", result="failed") == len(envelopes) // 100
        assert len(pipeline.cache) == len(envelopes)
    feed(pipeline, envelopes[:150])
    assert pipeline.flush()
    assert_exact(pipeline, envelopes)
