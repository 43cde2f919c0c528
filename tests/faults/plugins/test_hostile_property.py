"""Every plugin against hostile envelopes: huge strings, deep nesting, odd types, extreme times, odd unicode.

Each message either gives a storable contribution or raises what the pipeline
counts as a plugin error (:class:`~statscache.plugins.InvalidKey` or
:class:`~statscache.ingest.MetaError`), within a time and memory bound per
message. The bounds are generous complexity checks, not benchmarks: linear
work on a 100 KB field takes well under a millisecond, backtracking seconds.
Then hostile and good envelopes go through a real pipeline on SQLite, and the
tables must equal the recount of what should count.
"""

from __future__ import annotations

import os
import random as random_module
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from statscache.config import Config
from statscache.exceptions import MalformedMessage, MetaError
from statscache.ingest.envelope import MAX_TIMESTAMP
from statscache.ingest.pipeline import Pipeline
from statscache.plugins import (
    MAX_KEY_LENGTH,
    MAX_KEYS,
    ActivityPlugin,
    CountingPlugin,
    Event,
    InvalidKey,
    LatestEventPlugin,
    LatestMessagePlugin,
    Milestone,
    MilestonePlugin,
    registry,
)
from statscache.plugins.links import safe_link
from statscache.plugins.milestones import MAX_DETAIL_BYTES, MAX_MILESTONES, PHASES
from statscache.store.text import is_storable
from statscache.testing import from_envelope
from tests.fakes.hostile import FIELDS, SHAPES, TOPICS, nested, systematic
from tests.fakes.support import BUILTIN_IDENTS, recorded_envelopes, recount, stored

EPOCH = datetime(2012, 1, 1, tzinfo=UTC)
#: Per message and plugin: generous, so that a noisy machine never fails them; quadratic work on the
#: strings below takes seconds and megabytes.
MAX_SECONDS = 1.0
MAX_BYTES = 4_000_000

odd_text = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["", "\x00", "a\x00b", "\ud800", "x\udfff", "\u202e", "\ufeff", "é", "🎉", "-1", "javascript:x"]),
    st.sampled_from(["https://kojipkgs.fedoraproject.org/compose/", "https://x/../../evil.example#"]),
)


def _huge(unit: str) -> st.SearchStrategy[str]:
    return st.integers(1_000, 50_000).map(lambda count: unit * count)


huge_text = st.one_of(*(_huge(unit) for unit in ("a", "-1", "a-1", "-1.x86_64", ".", "\n", "é", "\x00", "a/")))


deep = st.builds(nested, st.integers(50, 5_000), st.sampled_from(["list", "dict"]))
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.sampled_from([2**63, -(2**63), 10**400]),
    st.integers(4_400, 6_000).map(lambda digits: 10**digits),  # too long for str() (Python's 4,300 digits)
    st.floats(allow_nan=True, allow_infinity=True),
    odd_text,
    huge_text,
)
values = (
    st.recursive(
        scalars,
        lambda inner: st.one_of(
            st.lists(inner, max_size=5),
            st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=5), inner, max_size=5),
        ),
        max_leaves=20,
    )
    | deep
)
plausible = st.one_of(st.sampled_from(["fedora", "rpms", "Fedora-Cloud-Base-24-20160710.x86_64", "FINISHED"]), odd_text)


def _shaped(template: Any) -> st.SearchStrategy[Any]:
    if isinstance(template, dict):
        return st.fixed_dictionaries({key: _shaped(value) for key, value in template.items()})
    if template == "G":
        return plausible
    if template == "V":
        return values
    return st.just(template)


bodies = st.one_of(st.dictionaries(st.sampled_from(FIELDS), values, max_size=8), *map(_shaped, SHAPES))
name_lists = st.one_of(
    st.lists(odd_text, max_size=5),
    st.lists(huge_text, max_size=2),
    st.integers(0, 10_000).map(lambda count: [f"user{i}" for i in range(count)]),
    values,
)
good_times = st.integers(1_330_000_000, 1_500_000_000).map(float)  # after EPOCH (2012)
extreme_times = st.one_of(
    st.sampled_from([1e12, 1e20, 1e300, 10**400, -1, MAX_TIMESTAMP, 253402300799, "9999-12-31T23:59:59-23:59"]),
    st.floats(),
    values,
)


@st.composite
def body_hostile(draw: st.DrawFn, index: int) -> dict[str, Any]:
    """A well-formed envelope (it counts in the volumes) whose body is hostile."""
    envelope = {
        "topic": draw(st.sampled_from(TOPICS)),
        "msg_id": f"hostile-body-{index}",
        "timestamp": draw(good_times),
        "msg": draw(bodies),
    }
    for field in ("users", "packages"):
        if draw(st.booleans()):
            envelope[field] = draw(name_lists)
    return envelope


@st.composite
def envelope_hostile(draw: st.DrawFn, index: int) -> dict[str, Any]:
    """An envelope the checks must refuse: one part of it is broken beyond use."""
    envelope: dict[str, Any] = {
        "topic": draw(st.sampled_from(TOPICS)),
        "msg_id": f"hostile-envelope-{index}",
        "timestamp": draw(good_times),
        "msg": draw(bodies),
    }
    broken = draw(st.sampled_from(["timestamp", "topic", "msg_id", "msg"]))
    if broken == "timestamp":
        envelope["timestamp"] = draw(
            st.sampled_from([1e12, 1e20, 1e300, 10**400, -1, MAX_TIMESTAMP, "9999-12-31T23:59:59-23:59", None])
        )
    elif broken == "topic":
        envelope["topic"] = draw(st.one_of(huge_text, st.sampled_from(["", "a.\x00", "a.\ud800"]), deep))
    elif broken == "msg_id":
        envelope["msg_id"] = draw(st.one_of(huge_text, st.sampled_from(["", "\x00", "\ud800"]), deep, st.integers()))
    else:
        envelope["msg"] = draw(st.one_of(st.lists(scalars, max_size=3), scalars))
    return envelope


def families() -> list[Any]:
    """One plugin of each built-in class (a family shares its contribution)."""
    config = Config(sqlalchemy_uri="sqlite://", consumer_epoch=EPOCH)
    return list({type(plugin): plugin for plugin in registry.load(config)}.values())


FAMILIES = families()


def setup_module() -> None:
    """Build fedmsg.meta's processors now: that takes seconds, once, and is no message's doing."""
    _ = from_envelope({"topic": TOPICS[0], "msg_id": "warm", "timestamp": 1.4e9, "msg": {}}).users


def assert_storable(plugin: Any, contribution: Any) -> None:
    """What a plugin returned can be written by its update."""
    if contribution is None:
        return
    if isinstance(plugin, CountingPlugin):
        assert type(contribution) is tuple and 0 < len(contribution) <= MAX_KEYS
        for key in contribution:
            assert type(key) is str and 0 < len(key) <= MAX_KEY_LENGTH and is_storable(key), repr(key)[:100]
    elif isinstance(plugin, LatestEventPlugin):
        msg_id, event = contribution
        assert type(event) is Event and is_storable(event.category) and is_storable(event.status)
        assert event.link is None or safe_link(event.link, plugin.link_hosts) == event.link
    elif isinstance(plugin, ActivityPlugin):
        users, subject = contribution
        assert users
        assert all(type(user) is str and 0 < len(user) <= MAX_KEY_LENGTH and is_storable(user) for user in users)
        assert type(subject) is tuple and all(type(value) is str and is_storable(value) for value in subject)
    elif isinstance(plugin, LatestMessagePlugin):
        msg_id, subject, users = contribution
        assert type(msg_id) is str and subject[0] and all(is_storable(value) for value in subject)
        assert all(type(user) is str and is_storable(user) for user in users)
    elif isinstance(plugin, MilestonePlugin):
        msg_id, milestones = contribution
        assert type(msg_id) is str and 0 < len(milestones) <= MAX_MILESTONES
        for milestone in milestones:
            assert type(milestone) is Milestone and is_storable(milestone.cell) and is_storable(milestone.status)
            assert milestone.phase in PHASES and "" not in milestone.cell.split("/")
            assert milestone.run is None or 0 < len(milestone.run) <= MAX_KEY_LENGTH and is_storable(milestone.run)
            assert milestone.link is None or safe_link(milestone.link, plugin.link_hosts) == milestone.link
            assert milestone.detail is None or len(orjson.dumps(milestone.detail)) <= MAX_DETAIL_BYTES
    else:
        assert contribution is True


def process_within_bounds(plugin: Any, message: Any) -> None:
    """``plugin.process(message)``: storable, or a counted plugin error, within the bounds."""
    tracemalloc.start()
    started = time.perf_counter()
    try:
        contribution = plugin.process(message)
    except (InvalidKey, MetaError):
        contribution = None
    finally:
        elapsed = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert elapsed < MAX_SECONDS, f"{plugin.ident} took {elapsed:.2f} s on {message.msg_id}"
    assert peak < MAX_BYTES, f"{plugin.ident} took {peak} bytes on {message.msg_id}"
    assert_storable(plugin, contribution)


@settings(
    max_examples=int(os.environ.get("HOSTILE_EXAMPLES", "150")),  # more for a longer hunt
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
@given(st.integers(0, 10**6).flatmap(lambda i: st.one_of(body_hostile(i), envelope_hostile(i))))
def test_every_plugin_takes_any_envelope_within_bounds(envelope):
    started = time.perf_counter()
    try:
        message = from_envelope(envelope)
    except MalformedMessage:
        assert time.perf_counter() - started < MAX_SECONDS
        return
    for plugin in FAMILIES:
        if plugin.accepts(message.topic):
            process_within_bounds(plugin, message)


@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    st.lists(st.integers(0, 10**6), min_size=5, max_size=25, unique=True).flatmap(
        lambda ids: st.tuples(
            st.tuples(*(body_hostile(i) for i in ids)), st.tuples(*(envelope_hostile(i) for i in ids))
        )
    ),
    st.randoms(use_true_random=False),
)
def test_hostile_and_good_envelopes_through_a_pipeline_count_exactly(drawn, random):
    bodies_hostile, envelopes_hostile = (list(part) for part in drawn)
    with tempfile.TemporaryDirectory() as folder:
        count_exactly(f"sqlite:///{Path(folder) / 'stats.sqlite'}", bodies_hostile, envelopes_hostile, random)


def test_every_shape_with_every_hostile_value_counts_exactly(tmp_path):
    count_exactly(f"sqlite:///{tmp_path / 'stats.sqlite'}", *systematic(), random_module.Random(5))


@pytest.mark.integration
def test_every_shape_with_every_hostile_value_counts_exactly_on_postgresql(postgres_url):
    # PostgreSQL refuses more than SQLite does (NUL in text, invalid UTF-8): what reaches it must be storable.
    count_exactly(postgres_url, *systematic(), random_module.Random(5))


def count_exactly(url: str, bodies_hostile: list[Any], envelopes_hostile: list[Any], random: Any) -> None:
    """Hostile and good envelopes, shuffled, half live and half through backfill: the tables equal the recount."""
    good = recorded_envelopes()[:200]
    mixed = good + bodies_hostile + envelopes_hostile
    random.shuffle(mixed)
    config = Config(sqlalchemy_uri=url, consumer_epoch=EPOCH)
    plugins = registry.load(config)
    pipeline = Pipeline.open(config, plugins)
    try:
        half = len(mixed) // 2
        for envelope in mixed[:half]:
            pipeline.handle(envelope)
        assert pipeline.flush()
        for envelope in mixed[half:]:
            pipeline.handle_history(envelope)
        assert pipeline.flush()
        # The volumes read no body: every well-formed envelope counts, hostile body or not.
        counted = good + bodies_hostile
        for ident in BUILTIN_IDENTS:
            assert stored(pipeline.engine, ident) == recount(counted, ident), ident
        metrics = pipeline.metrics
        assert metrics.value("statscache_messages", outcome="rejected") == len(envelopes_hostile)
        assert metrics.value("statscache_flushes", result="failed") == 0
        for plugin in plugins:
            assert metrics.value("statscache_plugin_errors", plugin=plugin.ident, stage="update") == 0
            assert_rows_storable(pipeline, plugin)
    finally:
        pipeline.engine.dispose()


def assert_rows_storable(pipeline: Pipeline, plugin: Any) -> None:
    with pipeline.session_factory() as session:
        for row in session.scalars(select(plugin.model)):
            if isinstance(plugin, LatestEventPlugin):
                assert row.link is None or safe_link(row.link, plugin.link_hosts) == row.link
            category = getattr(row, "category", None)
            assert category is None or 0 < len(category) <= MAX_KEY_LENGTH
