"""History read straight from datanommer's database (``statscache backfill --source``): a real datanommer
1.5.0 schema on PostgreSQL, loaded through datanommer's own consumer, counted table for table as datagrepper's
``/raw`` gives it."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text

from statscache.config import Config
from statscache.plugins import registry
from tests.fakes.support import fedora_examples, recorded_envelopes, recount, stored
from tests.services.hub import write_config

pytestmark = pytest.mark.integration

STATSCACHE = str(Path(sys.executable).with_name("statscache"))
EPOCH = datetime(2012, 1, 1, tzinfo=UTC)


def workdir(base: Path, name: str, endpoint: str | None) -> Path:
    directory = base / name
    directory.mkdir()
    settings = {
        "statscache.sqlalchemy.uri": f"sqlite:///{directory / 'statscache.sqlite'}",
        "statscache.consumer.epoch": EPOCH,
    }
    if endpoint is not None:
        settings["statscache.datagrepper.endpoint"] = endpoint
    write_config(directory, settings)
    return directory


def statscache(directory: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([STATSCACHE, "--quiet", *args], cwd=directory, capture_output=True, text=True, timeout=600)


def every_table(url: str) -> dict[str, list[tuple]]:
    engine = create_engine(url)
    try:
        tables = {}
        with engine.connect() as connection:
            for plugin in registry.load(Config()):
                table = plugin.model.__tablename__
                columns = len(inspect(engine).get_columns(table))
                order = ", ".join(str(n) for n in range(1, columns + 1))
                tables[plugin.ident] = connection.execute(text(f"SELECT * FROM {table} ORDER BY {order}")).all()
        return tables
    finally:
        engine.dispose()


def test_the_archive_database_gives_the_same_statistics_as_datagrepper(tmp_path, empty_datagrepper):
    envelopes = recorded_envelopes() + [e for e in fedora_examples() if isinstance(e.get("timestamp"), (int, float))]
    loaded = empty_datagrepper.load(envelopes)
    assert loaded.stored > 1300
    until = str(int(max(e["timestamp"] for e in envelopes)) + 1)
    source = empty_datagrepper.database_url.replace("postgresql://", "postgresql+psycopg://")

    through_raw = workdir(tmp_path, "raw", empty_datagrepper.url)
    fetched = statscache(through_raw, "backfill", "--since", "2012-01-01", "--until", until)
    assert fetched.returncode == 0, fetched.stderr
    from_database = workdir(tmp_path, "database", None)
    read = statscache(from_database, "backfill", "--source", source, "--since", "2012-01-01", "--until", until)
    assert read.returncode == 0, read.stderr
    assert "from the archive's database" in read.stderr

    expected = every_table(f"sqlite:///{through_raw / 'statscache.sqlite'}")
    got = every_table(f"sqlite:///{from_database / 'statscache.sqlite'}")
    assert sum(len(rows) for rows in expected.values()) > 1000
    assert got == expected  # table for table, every built-in plugin
    engine = create_engine(f"sqlite:///{from_database / 'statscache.sqlite'}")
    assert stored(engine, "volume-1h") == recount(recorded_envelopes(), "volume-1h") + recount(
        [e for e in envelopes if e not in recorded_envelopes()], "volume-1h"
    )
    engine.dispose()

    # The stretch is recorded as covered: a second run has nothing to read, and changes nothing.
    again = statscache(from_database, "backfill", "--source", source, "--since", "2012-01-01", "--until", until)
    assert again.returncode == 0 and "nothing to fetch" in again.stderr
    assert every_table(f"sqlite:///{from_database / 'statscache.sqlite'}") == expected

    # A rebuild from the database drops one plugin's statistics and reads them again, the same.
    rebuilt = statscache(from_database, "rebuild", "volume-by-category-1h", "--source", source, "--since", "2012-01-01")
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert every_table(f"sqlite:///{from_database / 'statscache.sqlite'}") == expected


def test_an_unreachable_archive_says_so(tmp_path):
    directory = workdir(tmp_path, "nowhere", None)
    result = statscache(
        directory, "backfill", "--source", "postgresql+psycopg://nobody@127.0.0.1:1/datanommer", "--since", "1d"
    )
    assert result.returncode != 0
    assert "the archive's database at postgresql+psycopg://nobody@127.0.0.1:1/datanommer" in result.stderr
