#!/usr/bin/env python3
"""Ledger benchmark: what a flush costs per message as the ledger grows, on SQLite.

    python bench/ledger.py [--count 1000000] [--batch 20000] [--layout new|old]

Feeds COUNT distinct real-shaped messages (the recorded envelopes with fresh
UUID msg_ids, 0.6 s of event time apart) through a real Pipeline with one
cheap plugin (volume-1d), flushing every BATCH messages, and prints the flush
time per message at each tenth of the way: the ledger's inserts and lookups
are what grows. ``--layout old`` starts from the ledger layout made before
msg_ids were looked up whatever their time (keyed by hour, then msg_id), to
which statscache adds an index on msg_id. Run it with another checkout's
code first on PYTHONPATH to compare versions side by side.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sqlite3
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from statscache.config import Config
from statscache.demo import SAMPLE
from statscache.ingest.pipeline import Pipeline
from statscache.plugins.builtin.volume import Volume

START = 1444348800.0  # 2015-10-09 00:00 UTC
STEP = 0.6


def recorded_envelopes() -> list[dict[str, object]]:
    """The shipped sample of real bus traffic, one envelope per line."""
    with gzip.open(SAMPLE, "rt", encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def old_layout(database: Path) -> None:
    with sqlite3.connect(database) as connection:
        connection.execute(
            "CREATE TABLE statscache_ledger (hour INTEGER NOT NULL, msg_id VARCHAR NOT NULL, "
            "timestamp FLOAT NOT NULL, plugin_set_id INTEGER NOT NULL, PRIMARY KEY (hour, msg_id)) WITHOUT ROWID"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=20_000)
    parser.add_argument("--layout", choices=("new", "old"), default="new")
    args = parser.parse_args()
    recorded = recorded_envelopes()
    with tempfile.TemporaryDirectory() as workdir:
        database = Path(workdir) / "ledger.sqlite"
        if args.layout == "old":
            old_layout(database)
        config = Config(sqlalchemy_uri=f"sqlite:///{database}", consumer_epoch=datetime(2015, 1, 1, tzinfo=UTC))
        pipeline = Pipeline.open(config, [Volume(timedelta(days=1))])
        pipeline.max_cached = pipeline._flush_at = args.batch + 1  # only the flushes timed here
        report_every = max(args.batch, args.count // 10 // args.batch * args.batch)
        spent = 0.0
        flushed = 0
        for start in range(0, args.count, args.batch):
            for i in range(start, min(args.count, start + args.batch)):
                envelope = recorded[i % len(recorded)]
                pipeline.handle({**envelope, "msg_id": f"2015-{uuid.uuid4()}", "timestamp": START + i * STEP})
            began = time.perf_counter()
            assert pipeline.flush()
            spent += time.perf_counter() - began
            flushed += args.batch
            if flushed % report_every == 0:
                print(f"{flushed:>9,} messages: {spent / report_every * 1e6:6.2f} us/msg flushed", flush=True)
                spent = 0.0
        pipeline.close()


if __name__ == "__main__":
    main()
