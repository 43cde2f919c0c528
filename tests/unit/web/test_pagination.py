"""Pagination on SQLite: for any rows and any request, the pages concatenated are exactly the result."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings

from statscache.store import tally
from statscache.store.engine import create_tables, make_engine
from tests.fakes import pagination


@pytest.fixture(scope="module", params=["tallied", "plain"])
def engine(request, tmp_path_factory):
    """A table with its tally, in buckets of 4 windows (so that pages cross many), or without."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(tally, "WINDOWS_PER_BUCKET", 4)
        engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('pages') / 'pages.sqlite'}")
        plugin = pagination.plugin()
        create_tables(engine, [plugin.model.__table__])
        if request.param == "tallied":
            tally.install(engine, [plugin])
        yield engine
        engine.dispose()


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=pagination.rows_strategy, request=pagination.request_strategy)
def test_pages_concatenate_to_the_whole_result(engine, rows, request):
    pagination.check(engine, rows, request)
