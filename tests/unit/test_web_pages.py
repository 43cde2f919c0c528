"""Pagination on SQLite: for any rows and any request, the pages concatenated are exactly the result."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings

from statscache.database import create_tables, make_engine
from tests import pagination


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('pages') / 'pages.sqlite'}")
    create_tables(engine, [pagination.plugin().model.__table__])
    yield engine
    engine.dispose()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=pagination.rows_strategy, request=pagination.request_strategy)
def test_pages_concatenate_to_the_whole_result(engine, rows, request):
    pagination.check(engine, rows, request)
