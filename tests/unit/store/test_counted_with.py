"""The daemon says when the exclusions it counts with differ from those the database's statistics were counted with."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from statscache.config import Config
from statscache.ingest.pipeline import Pipeline


def opened(tmp_path, **settings):
    database = f"sqlite:///{tmp_path / 'stats.sqlite'}"
    config = Config(sqlalchemy_uri=database, consumer_epoch=datetime(2012, 1, 1, tzinfo=UTC), **settings)
    pipeline = Pipeline.open(config, [])
    pipeline.engine.dispose()


def warnings(caplog):
    return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING and "exclude" in r.getMessage()]


def test_changed_exclusions_are_told_once_with_the_command_that_applies_them(tmp_path, caplog):
    caplog.set_level(logging.WARNING)
    opened(tmp_path)  # a new database: recorded, nothing to tell
    opened(tmp_path)
    assert warnings(caplog) == []
    opened(tmp_path, exclude_users=frozenset({"bodhi"}), exclude_topics=("*.buildsys.tag",))
    (told,) = warnings(caplog)
    assert "['bodhi']" in told and "*.buildsys.tag" in told and "statscache rebuild 'volume-by-user-*'" in told
    opened(tmp_path, exclude_users=frozenset({"bodhi"}), exclude_topics=("*.buildsys.tag",))  # recorded: once
    assert len(warnings(caplog)) == 1
    opened(tmp_path)  # back to none: a change too
    assert len(warnings(caplog)) == 2


def test_the_command_names_every_built_in_statistic_that_reads_users_or_packages():
    from statscache.store.counted_with import REBUILD_NAMES

    for family in ("volume-by-user", "volume-by-package", "user-activity", "latest-by", "pagure-contributions-by-user"):
        assert f"'{family}" in REBUILD_NAMES
