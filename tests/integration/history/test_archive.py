"""History read straight from datanommer's database (``statscache backfill --source``): a real datanommer
1.5.0 schema on PostgreSQL, loaded through datanommer's own consumer, counted table for table as datagrepper's
``/raw`` gives it."""

from __future__ import annotations

import contextlib
import json
import os
import random
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text

from statscache.config import Config
from statscache.plugins import registry
from tests.fakes.support import fedora_examples, recorded_envelopes, recount, stored, uninterrupted
from tests.services.hub import write_config

pytestmark = pytest.mark.integration

STATSCACHE = str(Path(sys.executable).with_name("statscache"))
EPOCH = datetime(2012, 1, 1, tzinfo=UTC)


def workdir(base: Path, name: str, endpoint: str | None, epoch: datetime = EPOCH) -> Path:
    directory = base / name
    directory.mkdir()
    settings = {
        "statscache.sqlalchemy.uri": f"sqlite:///{directory / 'statscache.sqlite'}",
        "statscache.consumer.epoch": epoch,
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


@dataclass
class Archived:
    """The recorded traffic and Fedora's examples in a real datanommer, and what datagrepper's /raw makes of them."""

    source: str
    until: str
    envelopes: list[dict]
    #: Every built-in plugin's table, from a backfill through datagrepper.
    expected: dict[str, list[tuple]]


@pytest.fixture(scope="module")
def archived(datagrepper, tmp_path_factory) -> Archived:
    datagrepper.clear()
    envelopes = recorded_envelopes() + [e for e in fedora_examples() if isinstance(e.get("timestamp"), (int, float))]
    assert datagrepper.load(envelopes).stored > 1300
    until = str(int(max(e["timestamp"] for e in envelopes)) + 1)
    through_raw = workdir(tmp_path_factory.mktemp("archive"), "raw", datagrepper.url)
    fetched = statscache(through_raw, "backfill", "--since", "2012-01-01", "--until", until)
    assert fetched.returncode == 0, fetched.stderr
    expected = every_table(f"sqlite:///{through_raw / 'statscache.sqlite'}")
    assert sum(len(rows) for rows in expected.values()) > 1000
    source = datagrepper.database_url.replace("postgresql://", "postgresql+psycopg://")
    return Archived(source, until, envelopes, expected)


def test_the_archive_database_gives_the_same_statistics_as_datagrepper(tmp_path, archived):
    source, until, expected = archived.source, archived.until, archived.expected
    from_database = workdir(tmp_path, "database", None)
    read = statscache(from_database, "backfill", "--source", source, "--since", "2012-01-01", "--until", until)
    assert read.returncode == 0, read.stderr
    assert "from the archive's database" in read.stderr

    got = every_table(f"sqlite:///{from_database / 'statscache.sqlite'}")
    assert got == expected  # table for table, every built-in plugin
    assert got == every_table(uninterrupted(tmp_path, archived.envelopes, EPOCH))  # and as counted live
    engine = create_engine(f"sqlite:///{from_database / 'statscache.sqlite'}")
    recorded = recorded_envelopes()
    assert stored(engine, "volume-1h") == recount(recorded, "volume-1h") + recount(
        [e for e in archived.envelopes if e not in recorded], "volume-1h"
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


@pytest.mark.parametrize("workers", [1, 3])
def test_any_number_of_workers_counts_the_same(tmp_path, archived, workers):
    directory = workdir(tmp_path, f"workers-{workers}", None)
    read = statscache(
        directory,
        "backfill",
        *("--source", archived.source, "--since", "2012-01-01", "--until", archived.until),
        *("--workers", str(workers), "--window-messages", "40"),
    )
    assert read.returncode == 0, read.stderr
    windows = int(re.search(r"messages there: (\d+) windows, (\d+) workers", read.stderr)[1])
    assert windows > 20  # small windows: the workers share them, finishing out of order
    assert every_table(f"sqlite:///{directory / 'statscache.sqlite'}") == archived.expected


def test_the_progress_bar_counts_messages_out_of_the_archives_total(tmp_path, archived):
    directory = workdir(tmp_path, "progress", None)
    read = subprocess.run(
        [STATSCACHE, "backfill", "--source", archived.source, "--since", "2012-01-01", "--until", archived.until],
        cwd=directory,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "COLUMNS": "160"},
    )
    assert read.returncode == 0, read.stderr
    total = int(re.search(r"the archive holds (\d+) messages there", read.stderr)[1])
    assert f" windows, {len(os.sched_getaffinity(0))} workers" in read.stderr  # by default, one a core it may use
    assert total == stored_in_archive(archived.source, archived.until)
    shown = f"{total / 1000:.2f}k"  # tqdm's scale: 1,357 is 1.36k
    last = read.stderr.replace("\r", "\n").splitlines()
    bar = [line for line in last if f"/{shown} [" in line][-1]
    assert f"{shown}/{shown}" in bar and "msg/s" in bar and "<00:00" in bar  # done of the total, elapsed<ETA, rate


def stored_in_archive(source: str, until: str) -> int:
    engine = create_engine(source)
    try:
        with engine.connect() as connection:
            query = text("SELECT count(*) FROM messages WHERE msg_id IS NOT NULL AND timestamp <= to_timestamp(:u)")
            return connection.execute(query, {"u": int(until)}).scalar_one()
    finally:
        engine.dispose()


def test_a_rebuild_killed_at_random_moments_resumes_exactly(tmp_path, archived):
    seed = random.randrange(1 << 32)
    print(f"random seed {seed}")
    chance = random.Random(seed)
    directory = workdir(tmp_path, "killed", None)
    command = [STATSCACHE, "--quiet", "backfill", "--source", archived.source, "--since", "2012-01-01"]
    command += ["--until", archived.until, "--workers", "2", "--window-messages", "20"]
    killed = 0
    for _ in range(4):
        run = subprocess.Popen(command, cwd=directory, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        time.sleep(chance.uniform(1.0, 5.0))
        workers = children(run.pid)
        run.send_signal(signal.SIGKILL)
        run.communicate(timeout=60)
        killed += run.returncode == -signal.SIGKILL
        # The workers die with it: none writes on, orphaned.
        deadline = time.monotonic() + 10
        while any(Path(f"/proc/{pid}").exists() for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not [pid for pid in workers if Path(f"/proc/{pid}").exists()]
    assert killed, "every run ended before its kill: the test killed nothing"
    resumed = subprocess.run(command, cwd=directory, capture_output=True, text=True, timeout=600)
    assert resumed.returncode == 0, resumed.stderr
    assert every_table(f"sqlite:///{directory / 'statscache.sqlite'}") == archived.expected


def test_a_worker_killed_stops_the_rebuild_which_says_so_and_resumes_exactly(tmp_path, archived):
    directory = workdir(tmp_path, "worker-killed", None)
    command = [STATSCACHE, "--quiet", "backfill", "--source", archived.source, "--since", "2012-01-01"]
    command += ["--until", archived.until, "--workers", "2", "--window-messages", "10"]
    run = subprocess.Popen(command, cwd=directory, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while len(workers := [pid for pid in children(run.pid) if is_worker(pid)]) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(2.0)  # reading by now
    os.kill(workers[0], signal.SIGKILL)
    _, stderr = run.communicate(timeout=120)
    assert run.returncode == 1, stderr
    assert "stopped short, what is read stays counted (run it again to go on)" in stderr
    resumed = subprocess.run(command, cwd=directory, capture_output=True, text=True, timeout=600)
    assert resumed.returncode == 0, resumed.stderr
    assert every_table(f"sqlite:///{directory / 'statscache.sqlite'}") == archived.expected


def is_worker(pid: int) -> bool:
    """Whether ``pid`` is a reading worker (multiprocessing also starts a resource tracker)."""
    with contextlib.suppress(OSError):
        return b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()
    return False


def children(pid: int) -> list[int]:
    """The processes ``pid`` started (Linux's /proc)."""
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(OSError):
            found += [int(child) for child in (task / "children").read_text().split()]
    return found


def test_a_row_that_is_no_message_is_refused_and_counted_and_the_rest_read(tmp_path, archived):
    """A body that is no JSON (a corrupt or hostile row) is logged and counted as rejected; the read goes on."""
    hostile = datetime(2011, 6, 1, 12, tzinfo=UTC)
    good = next(e for e in archived.envelopes if e["topic"].endswith("buildsys.build.state.change"))
    rows = [
        ("hostile-1", "org.fedoraproject.prod.buildsys.build.state.change", hostile, "{not json"),
        ("hostile-2", good["topic"], hostile.replace(minute=1), json.dumps(good["msg"])),
    ]
    engine = create_engine(archived.source)
    try:
        with engine.begin() as connection:
            for msg_id, topic, moment, body in rows:
                connection.execute(
                    text(
                        "INSERT INTO messages (msg_id, i, topic, timestamp, category, msg) "
                        "VALUES (:msg_id, 0, :topic, :moment, 'buildsys', :body)"
                    ),
                    {"msg_id": msg_id, "topic": topic, "moment": moment.replace(tzinfo=None), "body": body},
                )
        directory = workdir(tmp_path, "hostile", None, epoch=datetime(2011, 1, 1, tzinfo=UTC))
        since, until = str(hostile.timestamp() - 60), str(hostile.timestamp() + 120)
        read = statscache(directory, "backfill", "--source", archived.source, "--since", since, "--until", until)
        assert read.returncode == 0, read.stderr
        assert "rejected=1" in read.stderr
        assert "the archive's message 'hostile-1' of 2011-06-01T12:00:00+00:00: its body is not JSON" in read.stderr
        stats = create_engine(f"sqlite:///{directory / 'statscache.sqlite'}")
        assert stored(stats, "volume-1h") == {(int(hostile.timestamp()), None): 1}
        stats.dispose()
    finally:
        with engine.begin() as connection:
            connection.execute(text("DELETE FROM messages WHERE msg_id LIKE 'hostile-%'"))
        engine.dispose()


def test_an_unreachable_archive_says_so(tmp_path):
    directory = workdir(tmp_path, "nowhere", None)
    result = statscache(
        directory, "backfill", "--source", "postgresql+psycopg://nobody@127.0.0.1:1/datanommer", "--since", "1d"
    )
    assert result.returncode != 0
    assert "the archive's database at postgresql+psycopg://nobody@127.0.0.1:1/datanommer" in result.stderr
