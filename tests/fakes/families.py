"""Families of counting plugins filled by hand (as bench/api.py does) with dense, skewed traffic: many users,
a few very active (Zipf), over more than a year; for rollups and top lists on SQLite and PostgreSQL."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, insert

from statscache.plugins.builtin.volume import VolumeByUser
from statscache.store import schema
from statscache.store.engine import create_tables, make_engine

DAY = 86400
#: Where the messages fall: 425 days from 2015-03-17 05:00 UTC (mid-month, mid-day, mid-week).
FIRST = int(datetime(2015, 3, 17, 5, tzinfo=UTC).timestamp())
DAYS = 425

Rows = dict[str, list[tuple[int, str, int]]]


def dense_users(uri: str, messages: int, seed: int = 17) -> tuple[list[Any], Rows, Engine]:
    """``volume-by-user`` at 1m, 1h and 1d over ``messages`` messages of 300 users, written into the database at
    ``uri``, which is then made ready as the daemon does (the tally and the day, week and month sums, from the
    rows). Returns the plugins, each one's rows (window start, user, volume), and the engine."""
    plugins = [VolumeByUser(timedelta(seconds=seconds)) for seconds in (60, 3600, DAY)]
    engine = make_engine(uri)
    create_tables(engine, [plugin.model.__table__ for plugin in plugins])
    chance = random.Random(seed)
    users = [f"user-{i:03d}" for i in range(300)]
    weights = [1 / (rank + 1) ** 1.1 for rank in range(len(users))]
    counts: dict[str, Counter[tuple[int, str]]] = {plugin.ident: Counter() for plugin in plugins}
    for _ in range(messages):
        moment = FIRST + chance.randrange(DAYS * DAY)
        user = chance.choices(users, weights)[0]
        for plugin in plugins:
            seconds = int(plugin.interval.total_seconds())
            counts[plugin.ident][(moment // seconds * seconds, user)] += 1
    with engine.begin() as connection:
        for plugin in plugins:
            rows = [
                {"timestamp": datetime.fromtimestamp(window, tz=UTC), "category": user, "volume": volume}
                for (window, user), volume in counts[plugin.ident].items()
            ]
            connection.execute(insert(plugin.model), rows)
    schema.prepare(engine, plugins)
    found = {ident: [(*key, volume) for key, volume in counted.items()] for ident, counted in counts.items()}
    return plugins, found, engine
