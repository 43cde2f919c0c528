"""Helpers shared by unit and integration tests: the recorded data and an independent recount."""

from __future__ import annotations

import contextlib
import gzip
import json
import sqlite3
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, inspect, text

from statscache.config import Config
from statscache.demo import SAMPLE
from statscache.ingest.pipeline import Pipeline
from statscache.plugins import registry

DATA = SAMPLE
BUILTIN_IDENTS = [f"{family}-{suffix}" for family in ("volume", "volume-by-category") for suffix in ("1m", "1h", "1d")]


def recorded_lines() -> list[str]:
    """The 1,302 recorded envelopes, one JSON document per line, in recorded order."""
    with gzip.open(DATA, "rt", encoding="utf-8") as lines:
        return [line.rstrip("\n") for line in lines if line.strip()]


def recorded_envelopes() -> list[dict[str, Any]]:
    return [json.loads(line) for line in recorded_lines()]


EXAMPLES = Path(__file__).resolve().parents[1] / "data" / "fedora-examples.jsonl"


def fedora_examples() -> list[dict[str, Any]]:
    """Real messages of many kinds, from the test suite of fedmsg_meta_fedora_infrastructure 0.31.0
    (each names its ``source``). Test suites drop or reuse msg_ids, which on a bus name one
    message each: a line without one gets ``example-<line>``, a reused one gets ``-line<line>``."""
    with EXAMPLES.open(encoding="utf-8") as lines:
        examples = [json.loads(line) for line in lines if line.strip()]
    seen = Counter(example.get("msg_id") for example in examples)
    for number, example in enumerate(examples, start=1):
        msg_id = example.get("msg_id")
        if not msg_id:
            example["msg_id"] = f"example-{number}"
        elif seen[msg_id] > 1:
            example["msg_id"] = f"{msg_id}-line{number}"
    return examples


MESSAGING_EXAMPLES = EXAMPLES.parent / "fedora-messaging-examples.jsonl"


def fedora_messaging_examples() -> list[dict[str, Any]]:
    """Real messages of today's bus (fedora-messaging), from the test suites of the schema packages their
    applications publish with (bodhi-messages, koji-fedoramessaging-messages, bugzilla2fedmsg-schema,
    pagure-messages, ...), as statscache receives them: each with its headers, a msg_id and a time of its
    own, and its ``source`` (package, version, file and line). Made by scripts/fedora_messaging_examples.py."""
    with MESSAGING_EXAMPLES.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def fedora_examples_meta() -> dict[int, dict[str, Any]]:
    """fedmsg.meta's users and packages of each example, by line (computed offline, beside the examples)."""
    reference = json.loads((EXAMPLES.parent / "fedora-examples-meta.json").read_text(encoding="utf-8"))
    return {entry["line"]: entry for entry in reference.values()}


_TRUNCATE = {
    "1m": dict(second=0, microsecond=0),
    "1h": dict(minute=0, second=0, microsecond=0),
    "1d": dict(hour=0, minute=0, second=0, microsecond=0),
}


def recount(envelopes: Iterable[dict[str, Any]], ident: str) -> Counter[tuple[int, str | None]]:
    """What a built-in plugin must hold, computed the slow, obvious way (calendar truncation)."""
    family, _, suffix = ident.rpartition("-")
    distinct = {envelope["msg_id"]: envelope for envelope in envelopes}
    counts: Counter[tuple[int, str | None]] = Counter()
    for envelope in distinct.values():
        moment = datetime.fromtimestamp(envelope["timestamp"], tz=UTC).replace(**_TRUNCATE[suffix])
        key = envelope["topic"].split(".")[3] if family == "volume-by-category" else None
        counts[(int(moment.timestamp()), key)] += 1
    return counts


def stored(engine: Engine, ident: str) -> Counter[tuple[int, str | None]]:
    """What a built-in plugin's table holds, in the shape :func:`recount` returns."""
    table = ident.replace("-", "_")
    keyed = ident.startswith("volume-by-")
    columns = "timestamp, category, volume" if keyed else "timestamp, NULL, volume"
    counts: Counter[tuple[int, str | None]] = Counter()
    with engine.connect() as connection:
        for moment, key, volume in connection.execute(text(f"SELECT {columns} FROM {table}")):
            if isinstance(moment, str):
                moment = datetime.fromisoformat(moment)
            counts[(int(moment.replace(tzinfo=UTC).timestamp()), key)] = volume
    return counts


def run_in_threads(targets: Iterable[Callable[[], object]]) -> None:
    """Run each target in a thread of its own, all at once, and wait for them all."""
    threads = [threading.Thread(target=target) for target in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


EPOCH = datetime(2015, 1, 1, tzinfo=UTC)


def assert_exact(pipeline, envelopes, idents=BUILTIN_IDENTS):
    for ident in idents:
        assert stored(pipeline.engine, ident) == recount(envelopes, ident), ident


def feed(pipeline, envelopes):
    for envelope in envelopes:
        pipeline.handle(envelope)


def stored_by_category(engine, ident):
    """What a per-category plugin's table holds, in the shape :func:`recount` returns."""
    counts = Counter()
    with engine.connect() as connection:
        for moment, key, volume in connection.exec_driver_sql(
            f"SELECT timestamp, category, volume FROM {ident.replace('-', '_')}"
        ):
            if isinstance(moment, str):
                moment = datetime.fromisoformat(moment)
            counts[(int(moment.replace(tzinfo=UTC).timestamp()), key)] = volume
    return counts


def ledger_size(pipeline):
    with pipeline.engine.connect() as connection:
        return connection.exec_driver_sql("SELECT count(*) FROM statscache_ledger").scalar()


def poisoned_copy(envelope, number):
    topic = envelope["topic"].split(".")
    topic[3] = "poison"
    return {**envelope, "topic": ".".join(topic), "msg_id": f"poison-{number}"}


def get_json(client, url, **kwargs):
    response = client.get(url, **kwargs)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


@contextlib.contextmanager
def table_away(database, table):
    """Rename ``table`` from another connection, so statscache's writes to it fail, then put it back."""
    outside = sqlite3.connect(database)
    try:
        outside.execute(f"ALTER TABLE {table} RENAME TO {table}_away")
        outside.commit()
        yield
        outside.execute(f"ALTER TABLE {table}_away RENAME TO {table}")
        outside.commit()
    finally:
        outside.close()


@contextlib.contextmanager
def pipelines(**base: Any) -> Iterator[Callable[..., Any]]:
    """A maker of pipelines on ``Config(**base, **settings)`` with the plugins it enables; their engines are
    disposed of at the end."""
    from statscache.config import Config
    from statscache.ingest.pipeline import Pipeline
    from statscache.plugins import registry

    made: list[Pipeline] = []

    def make(**settings: Any) -> Pipeline:
        config = Config(**{**base, **settings})
        pipeline = Pipeline.open(config, registry.load(config))
        made.append(pipeline)
        return pipeline

    try:
        yield make
    finally:
        for pipeline in made:
            pipeline.engine.dispose()


def uninterrupted(tmp_path: Path, messages: Iterable[dict[str, Any]], epoch: datetime) -> str:
    """The database (its URL) one run that took every message live, as the hub hands them in, would have written."""
    url = f"sqlite:///{tmp_path / 'uninterrupted.sqlite'}"
    config = Config(sqlalchemy_uri=url, consumer_epoch=epoch)
    pipeline = Pipeline.open(config, registry.load(config))
    for envelope in messages:
        pipeline.handle(envelope)
    pipeline.close()
    return url


LevelSums = dict[tuple[str, str, int, str], int]


def recounted_levels(engine: Engine) -> tuple[LevelSums, LevelSums]:
    """(what statscache_levels holds, what it must hold) for every table whose levels are kept: the sums per
    UTC day (total only), ISO week and calendar month, recounted from the table's rows with the calendar."""
    held: dict[tuple[str, str, int, str], int] = {}
    wanted: Counter[tuple[str, str, int, str]] = Counter()
    with engine.connect() as connection:
        kept = [name for (name,) in connection.exec_driver_sql("SELECT table_name FROM statscache_levels_kept")]
        for table, level, period, category, volume in connection.exec_driver_sql(
            "SELECT table_name, level, period, category, volume FROM statscache_levels"
        ):
            held[(table, level, int(period), category)] = volume
        for table in kept:
            columns = [column["name"] for column in inspect(engine).get_columns(table)]
            category = "category" if "category" in columns else "''"
            for moment, key, volume in connection.exec_driver_sql(f"SELECT timestamp, {category}, volume FROM {table}"):
                if isinstance(moment, str):
                    moment = datetime.fromisoformat(moment)
                day = moment.replace(tzinfo=UTC, hour=0, minute=0, second=0, microsecond=0)
                week = day - timedelta(days=day.weekday())
                month = day.replace(day=1)
                for level, start in (("day", day), ("week", week), ("month", month)):
                    wanted[(table, level, int(start.timestamp()), "")] += volume
                    if key and level != "day":
                        wanted[(table, level, int(start.timestamp()), key)] += volume
    return held, {key: volume for key, volume in wanted.items() if volume}
