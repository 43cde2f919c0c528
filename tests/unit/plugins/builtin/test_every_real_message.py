"""Every real message the tests ship, through every built-in plugin: nothing warns, nothing fails, all is counted.

The messages, of both eras of Fedora's bus:

- fedmsg's (tests/data/fedora-examples.jsonl): the examples of
  fedmsg_meta_fedora_infrastructure 0.31.0's test suite, each naming its ``source``; four
  have no timestamp, and are rejected (``bad-timestamp``);
- today's, fedora-messaging's (tests/data/fedora-messaging-examples.jsonl): bodies from
  the test suites of the schema packages Fedora's applications publish with
  (bodhi-messages 26.4.0, koji-fedoramessaging-messages 1.3.0, bugzilla2fedmsg-schema
  1.1.0, fedora-image-uploader-messages 1.2.0, copr-messaging 1.3, pagure-messages
  1.3.3, anitya-schema 2.3.0, noggin-messages 1.1.0, ... each line names its package,
  version, file and line), koschei's from koschei-messages' and koschei's repositories,
  and pungi's from its notifier's tests; with the headers fedora-messaging sets when it
  publishes them (schema, naming headers, ``sent-at``). scripts/fedora_messaging_examples.py
  made the file, and makes it again.

Any log record at WARNING or above fails the test, except the four rejections and
fedmsg.meta's one notice that there are no FAS credentials. Then the counts are
recounted from the messages themselves.
"""

from __future__ import annotations

import logging
from collections import Counter
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from statscache.config import Config
from statscache.ingest.pipeline import Pipeline
from statscache.ingest.schemas import BASE_SCHEMA, NAMING, PREFIXES, SCHEMA_HEADER
from statscache.plugins import registry
from tests.fakes.support import fedora_examples, fedora_examples_meta, fedora_messaging_examples

DAY = 86400
#: The one warning expected besides the rejections (statscache.ingest.meta, once a process).
FAS_NOTICE = "no FAS credentials (fas_credentials): nicknames and emails are taken as FAS usernames"


@pytest.fixture(scope="module")
def examples():
    return fedora_examples() + fedora_messaging_examples()


@pytest.fixture(scope="module")
def run(tmp_path_factory, examples):
    """Every example through a pipeline of every built-in plugin, flushed; with every log record it made."""
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    keep = Keep(level=logging.WARNING)
    root = logging.getLogger()
    root.addHandler(keep)
    config = Config(
        sqlalchemy_uri=f"sqlite:///{tmp_path_factory.mktemp('every') / 'stats.sqlite'}",
        consumer_epoch=datetime(2012, 1, 1, tzinfo=UTC),
    )
    try:
        pipeline = Pipeline.open(config, registry.load(config))
        for example in examples:
            pipeline.handle(example)
        assert pipeline.flush()
    finally:
        root.removeHandler(keep)
    yield pipeline, records
    pipeline.close()


def untimed(examples):
    return [example for example in examples if example.get("timestamp") is None]


def accepted(examples):
    return [example for example in examples if example.get("timestamp") is not None]


def rows(pipeline, ident, *columns):
    plugin = next(plugin for plugin in pipeline.plugins if plugin.ident == ident)
    with pipeline.session_factory() as session:
        return [tuple(row.to_json()[column] for column in columns) for row in session.scalars(select(plugin.model))]


def test_both_eras_are_there(examples):
    modern = [example for example in examples if SCHEMA_HEADER in example.get("headers", {})]
    assert len(modern) > 150 and len(examples) - len(modern) == 136
    topics = {example["topic"] for example in modern}
    for wanted in ("bugzilla.bug.new", "koschei.collection.state.change", "buildsys.tag", "bodhi.compose.start"):
        assert f"org.fedoraproject.prod.{wanted}" in topics
    assert len({example["msg_id"] for example in examples}) == len(examples)


def test_nothing_warns_but_the_expected_rejections(run, examples):
    _, records = run
    rejected = [r for r in records if r.getMessage().startswith("rejected a malformed envelope")]
    unexpected = [r for r in records if r not in rejected and r.getMessage() != FAS_NOTICE]
    assert unexpected == [], "\n".join(f"{r.levelname} {r.name}: {r.getMessage()}"[:400] for r in unexpected)
    assert len(rejected) == len(untimed(examples)) == 4
    assert all("bad-timestamp" in r.getMessage() for r in rejected)


def test_only_the_untimed_examples_are_rejected_and_no_plugin_fails(run, examples):
    pipeline, _ = run
    metrics = pipeline.metrics
    assert metrics.value("statscache_rejected_messages", reason="bad-timestamp") == 4
    rejected = {
        sample.labels["reason"]: sample.value
        for family in metrics.registry.collect()
        if family.name == "statscache_rejected_messages"
        for sample in family.samples
        if sample.name.endswith("_total") and sample.value
    }
    assert rejected == {"bad-timestamp": 4.0}
    for plugin in pipeline.plugins:
        for stage in ("process", "flush"):
            assert metrics.value("statscache_plugin_errors", plugin=plugin.ident, stage=stage) == 0, plugin.ident
    assert metrics.value("statscache_messages", outcome="cached") == len(accepted(examples))
    assert metrics.value("statscache_messages", outcome="duplicate") == 0
    assert metrics.value("statscache_messages", outcome="before_epoch") == 0


def test_the_volumes_recount(run, examples):
    pipeline, _ = run
    counted = accepted(examples)
    assert len({example["msg_id"] for example in counted}) == len(counted)
    by_topic = Counter((int(e["timestamp"]) // DAY * DAY, e["topic"]) for e in counted)
    assert sorted(rows(pipeline, "volume-by-topic-1d", "timestamp", "category", "volume")) == sorted(
        (day, topic, count) for (day, topic), count in by_topic.items()
    )
    assert sum(volume for (volume,) in rows(pipeline, "volume-by-topic-1h", "volume")) == len(counted)
    assert sum(volume for (volume,) in rows(pipeline, "volume-1m", "volume")) == len(counted)
    assert sum(volume for (volume,) in rows(pipeline, "volume-by-category-1d", "volume")) == len(counted)


def named(example, field, reference, lines):
    """What a message names, found apart from statscache's reader: fedmsg.meta's answers computed offline for
    fedmsg's era; for today's, the publisher's naming headers (bodhi's schema, installed here, gives the same:
    the headers were made with it), nobody for a schema that named nobody, and fedmsg.meta's processors
    (which name nobody in pungi's messages, the base schema's here) for the base schema."""
    headers = example.get("headers", {})
    if SCHEMA_HEADER not in headers:
        return set(reference[lines[example["msg_id"]]][field] or ())  # None: fedmsg.meta raised, or was not asked
    if headers[SCHEMA_HEADER] == BASE_SCHEMA:
        assert not any(key.startswith(NAMING) for key in headers)
        return set()
    prefix = PREFIXES[field]
    return {key.removeprefix(prefix) for key in headers if key.startswith(prefix)}


@pytest.mark.parametrize("field", ["users", "packages"])
def test_volume_by_user_and_package_recount(run, examples, field):
    pipeline, _ = run
    reference = fedora_examples_meta()
    lines = {example["msg_id"]: line for line, example in enumerate(fedora_examples(), start=1)}
    expected = Counter()
    for example in accepted(examples):
        for name in named(example, field, reference, lines):
            expected[(int(example["timestamp"]) // DAY * DAY, name)] += 1
    ident = f"volume-by-{field[:-1]}-1d"
    assert sorted(rows(pipeline, ident, "timestamp", "category", "volume")) == sorted(
        (day, name, count) for (day, name), count in expected.items()
    )
    modern = [e for e in accepted(examples) if SCHEMA_HEADER in e.get("headers", {})]
    assert sum(1 for e in modern if named(e, field, reference, lines)) > 30
