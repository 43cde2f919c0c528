"""Rollups, top lists and the sums behind them on a real PostgreSQL: the same answers as a recount of the rows.

PostgreSQL computes the calendar (``date_trunc``), sums into ``numeric`` and
takes its parameters as ``%s``: each of those is a way for the SQL that SQLite
runs to go wrong there, so the same questions are asked of both.
"""

from __future__ import annotations

import random

import pytest

from statscache.config import Config
from statscache.web import create_app, top
from tests.fakes import families
from tests.fakes.support import recounted_levels
from tests.unit.web.test_rollups import (
    ROLLUPS,
    expected_rollup,
    expected_top,
    rolls_up_to,
    rollup_of,
    top_of,
    window_bounds,
)

pytestmark = pytest.mark.integration

IDENTS = ["volume-by-user-1m", "volume-by-user-1h", "volume-by-user-1d"]


@pytest.fixture
def dense(postgres_url):
    plugins, rows, engine = families.dense_users(postgres_url, messages=12_000)
    client = create_app(Config(sqlalchemy_uri=postgres_url), plugins=plugins, engine=engine).test_client()
    yield client, rows, engine
    engine.dispose()


def cases(seed: int, count: int) -> list[tuple[str, int, int]]:
    chance = random.Random(seed)
    first, last = families.FIRST - 20 * families.DAY, families.FIRST + (families.DAYS + 20) * families.DAY
    return [
        (chance.choice(IDENTS), start, start + chance.randrange(0, 460 * families.DAY))
        for start in (chance.randrange(first, last) for _ in range(count))
    ]


def test_the_sums_rollups_and_top_lists_equal_a_recount(dense, monkeypatch):
    client, rows, engine = dense
    held, wanted = recounted_levels(engine)
    assert held == wanted and len(held) > 1000
    for ident, start, stop in cases(seed=5, count=40):
        for interval in ROLLUPS:
            if rolls_up_to(ident, interval):
                found = rollup_of(client, ident, interval, start, stop)
                assert found == expected_rollup(rows[ident], interval, start, stop), (ident, interval, start, stop)
    monkeypatch.setattr(top, "FIRST_DEPTH", 1)  # rounds of the threshold algorithm, its bound deciding
    for ident, start, stop in cases(seed=6, count=60):
        for n in (1, 10):
            assert top_of(client, ident, start, stop + 1, n) == expected_top(
                rows[ident], *window_bounds(ident, start, stop + 1), n
            ), (ident, start, stop, n)
