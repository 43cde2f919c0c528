"""Fixtures shared by the unit tests."""

from __future__ import annotations

import pytest

from tests.fakes.support import EPOCH, pipelines


@pytest.fixture
def volume_pipelines(tmp_path):
    """A maker of pipelines of the volume plugins (BUILTIN_IDENTS) on one SQLite file."""
    with pipelines(
        sqlalchemy_uri=f"sqlite:///{tmp_path / 'stats.sqlite'}",
        consumer_epoch=EPOCH,
        plugins_enabled=("volume", "volume-by-category"),
    ) as make:
        yield make
