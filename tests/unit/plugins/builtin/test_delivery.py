"""Every built-in plugin, table-driven: a stream fed twice, shuffled, or split across a restart
leaves exactly the rows one clean pass leaves."""

from __future__ import annotations

import random

import pytest
from sqlalchemy import select

from statscache.config import Config
from statscache.ingest.pipeline import Pipeline
from statscache.plugins import registry
from tests.fakes.support import EPOCH, fedora_examples, feed, recorded_envelopes


@pytest.fixture(scope="module")
def stream():
    """Real traffic of every kind the built-ins count: the autocloud sample and the collected examples.

    The sample's two pairs of twins share a msg_id but not a topic (one says failed, the
    other success): which one counts depends on which comes first, so only the first is kept.
    """
    return list(
        {envelope["msg_id"]: envelope for envelope in reversed(recorded_envelopes() + fedora_examples())}.values()
    )[::-1]


def snapshot(pipeline):
    """Every row of every plugin, in key order."""
    rows = {}
    with pipeline.session_factory() as session:
        for plugin in pipeline.plugins:
            model = plugin.model
            keys = list(model.__table__.primary_key.columns)
            rows[plugin.ident] = [row.to_json() for row in session.scalars(select(model).order_by(*keys))]
    return rows


def run(tmp_path, name, batches, restart_between=False):
    """Feed each batch then flush; with ``restart_between`` a new pipeline (same database) takes each batch."""
    config = Config(sqlalchemy_uri=f"sqlite:///{tmp_path / name}.sqlite", consumer_epoch=EPOCH)
    pipeline = Pipeline.open(config, registry.load(config))
    for batch in batches:
        feed(pipeline, batch)
        assert pipeline.flush()
        if restart_between:
            pipeline.close()
            pipeline = Pipeline.open(config, registry.load(config))
    result = snapshot(pipeline)
    pipeline.close()
    return result


def shuffled(envelopes, seed):
    copy = list(envelopes)
    random.Random(seed).shuffle(copy)
    return copy


SCENARIOS = {
    "twice": lambda s: [s, s],
    "twice in one flush": lambda s: [s + s],
    "shuffled": lambda s: [shuffled(s, 1)],
    "shuffled, in ten flushes": lambda s: [shuffled(s, 2)[i::10] for i in range(10)],
    "reversed, then replayed": lambda s: [s[::-1], s[: len(s) // 2]],
}


@pytest.fixture(scope="module")
def clean(tmp_path_factory, stream):
    return run(tmp_path_factory.mktemp("clean"), "clean", [stream])


def test_the_clean_pass_counts_something_in_every_plugin(clean):
    assert set(clean) >= {"volume-1d", "volume-by-user-1d", "releng-dashboard", "build-outcomes-1d"}
    empty = [ident for ident, rows in clean.items() if not rows]
    assert not empty, f"no real message exercises {empty}"


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_any_delivery_gives_the_rows_of_one_clean_pass(tmp_path, stream, clean, scenario):
    assert run(tmp_path, "scenario", SCENARIOS[scenario](stream)) == clean


def test_split_across_restarts_gives_the_rows_of_one_clean_pass(tmp_path, stream, clean):
    mixed = shuffled(stream, 3)
    batches = [mixed[:400], mixed[300:900], mixed[800:], stream]
    assert run(tmp_path, "restarts", batches, restart_between=True) == clean
