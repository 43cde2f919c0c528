"""user-activity, user-activity-by-category, latest-by-topic and latest-by-category on real messages, row for row.

The messages are those of fedmsg_meta_fedora_infrastructure's own test suite
(tests/data/fedora-examples.jsonl); the users fedmsg.meta finds in each were
computed apart from statscache (tests/data/fedora-examples-meta.json). Every
statistic is recounted here the obvious way, and must equal what statscache
wrote after every message came twice, in shuffled order, across a restart.
"""

from __future__ import annotations

import fnmatch
import json
import random
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from statscache.config import Config
from statscache.ingest.pipeline import Pipeline
from statscache.plugins import registry
from tests.fakes.support import fedora_examples, fedora_examples_meta

IDENTS = ("user-activity", "user-activity-by-category", "latest-by-topic", "latest-by-category")
BOTS = frozenset({"ralph", "pingou"})
NOISE = ("*.buildsys.build.state.change", "org.fedoraproject.prod.bodhi.*")


def counted_examples() -> list[tuple[dict[str, Any], list[str]]]:
    """Each example statscache counts (it has a timestamp) with the users fedmsg.meta names in it."""
    reference = fedora_examples_meta()
    found = []
    for line, example in enumerate(fedora_examples(), start=1):
        users = reference[line]["users"]
        if example.get("timestamp") is not None:
            found.append((example, sorted(set(users or ()))))
    return found


def category_of(topic: str) -> str:
    parts = topic.split(".")
    return parts[3] if len(parts) > 3 else ""


def recount(
    examples: Iterable[tuple[dict[str, Any], list[str]]],
    bots: frozenset[str] = frozenset(),
    noise: tuple[str, ...] = (),
) -> dict[str, list[tuple[Any, ...]]]:
    """Every row the four plugins must hold, as sorted tuples of their stored columns."""
    distinct = {example["msg_id"]: (example, users) for example, users in examples}
    by_topic: dict[tuple[str, str], list[float]] = {}
    by_category: dict[tuple[str, str], list[float]] = {}
    newest_topic: dict[str, tuple[float, str, list[str]]] = {}
    newest_category: dict[str, tuple[float, str, list[str]]] = {}
    for msg_id, (example, users) in distinct.items():
        topic, second = example["topic"], float(int(example["timestamp"]))  # event times are whole seconds
        if any(fnmatch.fnmatchcase(topic, pattern) for pattern in noise):
            users = []
        users = [user for user in users if user not in bots]
        category = category_of(topic)
        for user in users:
            by_topic.setdefault((user, topic), []).append(second)
            if category:
                by_category.setdefault((user, category), []).append(second)
        newest_topic[topic] = max(newest_topic.get(topic, (-1.0, "", [])), (second, msg_id, users))
        if category:
            newest_category[category] = max(newest_category.get(category, (-1.0, "", [])), (second, msg_id, users))
    return {
        "user-activity": sorted(
            (user, topic, category_of(topic), len(times), min(times), max(times))
            for (user, topic), times in by_topic.items()
        ),
        "user-activity-by-category": sorted(
            (user, category, len(times), min(times), max(times)) for (user, category), times in by_category.items()
        ),
        "latest-by-topic": sorted(
            (topic, category_of(topic), second, msg_id, users)
            for topic, (second, msg_id, users) in newest_topic.items()
        ),
        "latest-by-category": sorted(
            (category, second, msg_id, users) for category, (second, msg_id, users) in newest_category.items()
        ),
    }


def stored(pipeline: Pipeline) -> dict[str, list[tuple[Any, ...]]]:
    found = {}
    for plugin in pipeline.plugins:
        if plugin.ident in IDENTS:
            model = plugin.model
            with pipeline.session_factory() as session:
                rows = [row.to_json() for row in session.scalars(select(model))]
            names = model.column_names()
            found[plugin.ident] = sorted(tuple(_decoded(name, row[name]) for name in names) for row in rows)
    return found


def stored_rows(database: Path) -> dict[str, list[tuple[Any, ...]]]:
    """What the four plugins' tables in the SQLite file ``database`` hold, as :func:`recount` gives it."""
    config = Config(sqlalchemy_uri=f"sqlite:///{database}", plugins_enabled=IDENTS)
    pipeline = Pipeline.open(config, registry.load(config))
    try:
        return stored(pipeline)
    finally:
        pipeline.engine.dispose()


def _decoded(name: str, value: Any) -> Any:
    return json.loads(value) if name == "users" else value


def run(tmp_path, deliveries: list[dict[str, Any]], **settings: Any) -> dict[str, list[tuple[Any, ...]]]:
    """Count ``deliveries`` with the four plugins, closing and reopening the pipeline half-way (a restart)."""
    config = Config(
        sqlalchemy_uri=f"sqlite:///{tmp_path / 'stats.sqlite'}",
        consumer_epoch=datetime(2012, 1, 1, tzinfo=UTC),
        plugins_enabled=IDENTS,
        **settings,
    )
    half = len(deliveries) // 2
    for part in (deliveries[:half], deliveries[half:]):
        pipeline = Pipeline.open(config, registry.load(config))
        for envelope in part:
            pipeline.handle(envelope)
        pipeline.close()
    pipeline = Pipeline.open(config, registry.load(config))
    try:
        return stored(pipeline)
    finally:
        pipeline.close()


@pytest.fixture(scope="module")
def examples():
    return counted_examples()


def shuffled_twice(examples, seed: int) -> list[dict[str, Any]]:
    """Every example twice, in a random order: duplicates, and newer messages before older ones."""
    deliveries = [dict(example) for example, _ in examples] * 2
    random.Random(seed).shuffle(deliveries)
    return deliveries


@pytest.mark.parametrize("seed", [1, 2])
def test_each_row_equals_a_recount_whatever_the_order_duplicates_and_a_restart(tmp_path, examples, seed):
    expected = recount(examples)
    assert run(tmp_path, shuffled_twice(examples, seed)) == expected
    # The recount is not trivial: many users, several topics each, ties on time among the latest.
    assert len(expected["user-activity"]) > 50
    assert len({row[0] for row in expected["user-activity"]}) > 20
    assert any(first < last for *_, first, last in expected["user-activity-by-category"])


def test_bots_and_noisy_topics_are_left_out(tmp_path, examples):
    expected = recount(examples, BOTS, NOISE)
    found = run(tmp_path, shuffled_twice(examples, 3), exclude_users=BOTS, exclude_topics=NOISE)
    assert found == expected
    assert not any(row[0] in BOTS for row in found["user-activity"])
    assert found != recount(examples)  # the exclusions changed something
