"""The bounds backfill keeps whatever datagrepper says: rows held per window, redirects, the configured page cap."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from statscache.config import Config
from statscache.history import backfill as backfill_module
from statscache.history import fill
from statscache.history.backfill import Backfill
from statscache.history.client import History
from statscache.history.transfer import Endpoint
from statscache.ingest.pipeline import Pipeline
from statscache.plugins import registry
from statscache.span import Span
from statscache.store import coverage
from tests.fakes.fakegrepper import FakeDatagrepper, RawArchive
from tests.fakes.support import BUILTIN_IDENTS, recount, stored

EPOCH = datetime(2015, 10, 1, tzinfo=UTC)
UNTIL = datetime(2015, 11, 1, tzinfo=UTC).timestamp()
#: A page of 100 recorded envelopes is about 285 kB.
PAGE = 300_000


def make_pipeline(tmp_path, **settings):
    config = Config(
        sqlalchemy_uri=f"sqlite:///{tmp_path / 'stats.sqlite'}",
        consumer_epoch=EPOCH,
        datagrepper_endpoint="http://127.0.0.1:9/",
        datagrepper_lag=timedelta(seconds=5),
        plugins_enabled=("volume", "volume-by-category"),
        **settings,
    )
    return Pipeline.open(config, registry.load(config))


def test_a_bulky_window_is_fetched_again_a_page_at_a_time(tmp_path, envelopes, monkeypatch):
    # A window may hold one page's worth of bytes: every window of more pages is cut into one-page pieces.
    monkeypatch.setattr(backfill_module, "MAX_WINDOW_BYTES", PAGE)
    pipeline = make_pipeline(tmp_path)
    with FakeDatagrepper(RawArchive(envelopes)) as server:
        history = History(server.url, timedelta(seconds=5), retries=1, backoff=0.01, max_page_bytes=PAGE)
        runner = Backfill(history, pipeline, frozenset(p.ident for p in pipeline.plugins), concurrency=4, lag=0)
        assert runner.run(fill.plan(pipeline, UNTIL))
    assert pipeline.flush()
    # Held at once: the pages of at most a few windows, each under its cap.
    assert 0 < runner.progress.held_peak <= 3 * PAGE
    for ident in BUILTIN_IDENTS:
        assert stored(pipeline.engine, ident) == recount(envelopes, ident), ident
        with pipeline.session_factory() as session:
            assert coverage.covered(session, ident) == [Span(EPOCH.timestamp(), UNTIL)]
    pipeline.engine.dispose()


def test_times_cut_to_the_second_are_history_of_the_window_they_begin(tmp_path):
    # A window starting at .1 s gets a message sent at .25 s, shown at .0 s: it is that window's, not junk.
    base = EPOCH.timestamp() + 86400
    messages = [
        {
            "msg_id": f"2015-{i}",
            "topic": "org.fedoraproject.prod.bodhi.update.comment",
            "timestamp": base + i + 0.25,
            "msg": {},
        }
        for i in range(300)
    ]
    pipeline = make_pipeline(tmp_path)
    with FakeDatagrepper(RawArchive(messages, whole_seconds=True)) as server:
        history = History(server.url, timedelta(seconds=5), retries=1, backoff=0.01)
        runner = Backfill(history, pipeline, frozenset(p.ident for p in pipeline.plugins), concurrency=4, lag=0)
        assert runner.run(fill.plan(pipeline, UNTIL, since=base + 0.1))
    assert pipeline.flush()
    shown = [dict(m, timestamp=float(int(m["timestamp"]))) for m in messages]
    assert stored(pipeline.engine, "volume-1m") == recount(shown, "volume-1m")
    assert pipeline.metrics.value("statscache_history_requests", result="refused") == 0
    pipeline.engine.dispose()


def test_the_page_cap_is_configured(tmp_path):
    pipeline = make_pipeline(tmp_path, datagrepper_max_page_bytes=PAGE)
    assert fill.history_of(pipeline).max_page_bytes == PAGE
    pipeline.engine.dispose()


@pytest.mark.parametrize(
    ("url", "held"),
    [
        ("https://apps.example.org/datagrepper/raw?page=2", True),
        ("https://apps.example.org:443/datagrepper/raw", True),
        ("https://APPS.example.org/datagrepper/raw/", True),
        ("http://apps.example.org/datagrepper/raw", False),  # another scheme
        ("https://apps.example.org:8443/datagrepper/raw", False),  # another port
        ("https://evil.example/datagrepper/raw", False),
        ("https://apps.example.org@evil.example/datagrepper/raw", False),  # a user name, then the host
        ("https://apps.example.org.evil.example/datagrepper/raw", False),
        ("https://apps.example.org/datagrepperX/raw", False),  # the path prefix, not a folder of it
        ("https://apps.example.org/raw", False),
        ("https://apps.example.org/datagrepper/../raw", False),
    ],
)
def test_what_lies_under_an_endpoint(url, held):
    assert Endpoint("https://apps.example.org/datagrepper").holds(url) is held
