"""The schema's revision on SQLite: a new database is stamped with the head, a newer statscache's database is
refused, and ``statscache db`` says where a database stands (the upgrade itself: tests/integration/store)."""

from __future__ import annotations

import sqlite3

import pytest

from statscache.cli import maintenance
from statscache.config import Config
from statscache.exceptions import DatabaseAhead
from statscache.ingest.pipeline import Pipeline
from statscache.plugins import registry
from statscache.store import revisions
from tests.fakes.support import BUILTIN_IDENTS, EPOCH, assert_exact, feed


def statscache(capsys, monkeypatch, url, *argv):
    """``statscache ARGV`` against the database at ``url``; its exit status and what it printed."""
    monkeypatch.setattr(maintenance.database, "raw_settings", lambda conf: {"statscache.sqlalchemy.uri": url})
    with pytest.raises(SystemExit) as ended:
        maintenance.main(list(argv))
    return int(ended.value.code or 0), capsys.readouterr().out


def opened(url):
    config = Config(sqlalchemy_uri=url, consumer_epoch=EPOCH, plugins_enabled=("volume", "volume-by-category"))
    return Pipeline.open(config, registry.load(config))


def test_a_new_database_is_made_at_the_head(tmp_path, capsys, monkeypatch, envelopes):
    url = f"sqlite:///{tmp_path / 'new.sqlite'}"
    assert statscache(capsys, monkeypatch, url, "db", "current") == (
        0,
        f"{url}: no database yet; statscache makes it at revision {revisions.head()}\n",
    )
    assert not (tmp_path / "new.sqlite").exists()  # asking creates nothing
    pipeline = opened(url)
    with sqlite3.connect(tmp_path / "new.sqlite") as connection:
        assert connection.execute("SELECT version_num FROM alembic_version").fetchall() == [(revisions.head(),)]
    assert statscache(capsys, monkeypatch, url, "db", "current") == (
        0,
        f"{url}: revision {revisions.head()} (head): up to date\n",
    )
    assert statscache(capsys, monkeypatch, url, "db", "upgrade")[0] == 0  # nothing to do
    feed(pipeline, envelopes)
    assert pipeline.flush()
    pipeline.close()
    again = opened(url)  # a restart: nothing to upgrade, counting goes on
    feed(again, envelopes)
    assert again.flush()
    assert_exact(again, envelopes, BUILTIN_IDENTS)
    again.close()


def test_an_empty_database_file_is_new_too(tmp_path, capsys, monkeypatch):
    sqlite3.connect(tmp_path / "empty.sqlite").close()
    url = f"sqlite:///{tmp_path / 'empty.sqlite'}"
    status, printed = statscache(capsys, monkeypatch, url, "db", "upgrade")
    assert status == 0 and "no statscache tables yet" in printed
    with sqlite3.connect(tmp_path / "empty.sqlite") as connection:
        assert connection.execute("SELECT name FROM sqlite_master").fetchall() == []


def test_a_database_of_a_newer_statscache_is_refused(tmp_path, capsys, monkeypatch, envelopes):
    url = f"sqlite:///{tmp_path / 'newer.sqlite'}"
    pipeline = opened(url)
    feed(pipeline, envelopes[:50])
    assert pipeline.flush()
    pipeline.close()
    with sqlite3.connect(tmp_path / "newer.sqlite") as connection:
        connection.execute("UPDATE alembic_version SET version_num = '0099_from_the_future'")
    with pytest.raises(DatabaseAhead, match="0099_from_the_future"):
        opened(url)
    with pytest.raises(DatabaseAhead):  # not even when told to upgrade
        config = Config(sqlalchemy_uri=url, consumer_epoch=EPOCH, sqlalchemy_auto_upgrade=True)
        Pipeline.open(config, registry.load(config))
    status, printed = statscache(capsys, monkeypatch, url, "db", "current")
    assert status == 1 and "unknown to this statscache" in printed
    with pytest.raises(SystemExit, match="a newer statscache wrote it"):
        maintenance.main(["db", "upgrade"])
    with sqlite3.connect(tmp_path / "newer.sqlite") as connection:  # left as it was
        assert connection.execute("SELECT version_num FROM alembic_version").fetchall() == [("0099_from_the_future",)]
    with sqlite3.connect(tmp_path / "newer.sqlite") as connection:
        connection.execute(f"UPDATE alembic_version SET version_num = '{revisions.head()}'")
    assert_exact(opened(url), envelopes[:50], BUILTIN_IDENTS)


def test_the_revisions_are_a_single_line_from_the_baseline():
    scripts = revisions._scripts()
    assert [script.revision for script in scripts.walk_revisions()][::-1][0] == "0001_baseline"
    assert len(scripts.get_heads()) == 1  # never two heads: every release upgrades in one way
