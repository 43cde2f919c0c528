"""The ``statscache`` command, as a user runs it: backfill a stretch, rebuild a plugin."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.fakes.fakegrepper import FakeDatagrepper, RawArchive
from tests.fakes.support import recount, stored
from tests.services.hub import write_config

pytestmark = pytest.mark.integration

STATSCACHE = str(Path(sys.executable).with_name("statscache"))
EPOCH = datetime(2015, 10, 1, tzinfo=UTC)


@pytest.fixture
def server(envelopes):
    with FakeDatagrepper(RawArchive(envelopes)) as server:
        yield server


@pytest.fixture
def workdir(tmp_path, server):
    write_config(
        tmp_path,
        {
            "statscache.sqlalchemy.uri": f"sqlite:///{tmp_path / 'statscache.sqlite'}",
            "statscache.consumer.epoch": EPOCH,
            "statscache.plugins.enabled": ["volume", "volume-by-category"],
            "statscache.datagrepper.endpoint": server.url,
        },
    )
    return tmp_path


def statscache(workdir, *args):
    return subprocess.run([STATSCACHE, *args], cwd=workdir, capture_output=True, text=True, timeout=120)


def engine_of(workdir):
    return create_engine(f"sqlite:///{workdir / 'statscache.sqlite'}")


def test_backfill_fetches_a_stretch_exactly_and_shows_progress(workdir, envelopes):
    result = statscache(workdir, "backfill", "--since", "2015-10-01", "--until", "2015-10-20T00:00:00Z")
    assert result.returncode == 0, result.stderr
    until = datetime(2015, 10, 20, tzinfo=UTC).timestamp()
    wanted = [e for e in envelopes if e["timestamp"] <= until]
    engine = engine_of(workdir)
    for ident in ("volume-1h", "volume-by-category-1d"):
        assert stored(engine, ident) == recount(wanted, ident)
    # The progress bar: pages done of the total (datagrepper counted them first), messages, rate.
    assert re.search(r"100%\|.*\| (\d+)/\1 \[.*page/s, [\d,]+ messages, [\d,]+ msg/s\]", result.stderr)
    # The rest of October, once asked for: only what is missing is fetched.
    again = statscache(workdir, "--quiet", "backfill", "--since", "2015-10-01", "--until", "2015-11-01")
    assert again.returncode == 0, again.stderr
    assert stored(engine, "volume-1h") == recount(envelopes, "volume-1h")


def test_backfill_of_one_plugin_leaves_the_others_alone(workdir, envelopes):
    result = statscache(workdir, "--quiet", "backfill", "--since", "2015-10-01", "--until", "2015-11-01",
                        "--plugin", "volume-1d")  # fmt: skip
    assert result.returncode == 0, result.stderr
    engine = engine_of(workdir)
    assert stored(engine, "volume-1d") == recount(envelopes, "volume-1d")
    assert stored(engine, "volume-1h") == {}


def test_rebuild_recomputes_one_plugin_from_history(workdir, envelopes):
    assert statscache(workdir, "--quiet", "backfill", "--since", "2015-10-01", "--until", "2015-11-01").returncode == 0
    engine = engine_of(workdir)
    with engine.begin() as connection:  # a plugin's table gone wrong (say, a bug since fixed)
        connection.execute(text("UPDATE volume_1h SET volume = volume + 7"))
    result = statscache(workdir, "--quiet", "rebuild", "volume-1h", "--since", "2015-10-01")
    assert result.returncode == 0, result.stderr
    assert stored(engine, "volume-1h") == recount(envelopes, "volume-1h")
    assert stored(engine, "volume-1d") == recount(envelopes, "volume-1d")
    assert "dropped" in result.stderr


def test_mistakes_get_clear_messages(workdir):
    unknown = statscache(workdir, "rebuild", "volume-7y")
    assert unknown.returncode != 0 and "no plugin 'volume-7y'" in unknown.stderr and "volume-1h" in unknown.stderr
    bad_time = statscache(workdir, "backfill", "--since", "last tuesday")
    assert bad_time.returncode == 2 and "is not a time" in bad_time.stderr


def test_without_an_endpoint_backfill_says_what_to_set(tmp_path):
    write_config(tmp_path, {"statscache.sqlalchemy.uri": f"sqlite:///{tmp_path / 's.sqlite'}"})
    result = statscache(tmp_path, "backfill", "--since", "1d")
    assert result.returncode == 1 and "statscache.datagrepper.endpoint is not set" in result.stderr


def test_relative_and_absolute_times_are_understood():
    from statscache.cli.maintenance import moment

    assert moment("2015-10-01") == EPOCH.timestamp()
    assert moment("1443657600") == EPOCH.timestamp()
    assert abs(moment("2h") - (datetime.now(UTC) - timedelta(hours=2)).timestamp()) < 5


def test_backfill_reads_a_fedora_messaging_file_with_conf(tmp_path, server, envelopes):
    """One file configures a whole deployment: the consumer, the web app and these commands read it alike."""
    conf = tmp_path / "deployment.toml"
    conf.write_text(
        'amqp_url = "amqp://guest:guest@127.0.0.1:1/%2F"\n'  # not reached: backfill needs no broker
        "[consumer_config]\n"
        f'"statscache.sqlalchemy.uri" = "sqlite:///{tmp_path / "from-toml.sqlite"}"\n'
        '"statscache.consumer.epoch" = 2015-10-01T00:00:00Z\n'
        '"statscache.plugins.enabled" = ["volume"]\n'
        f'"statscache.datagrepper.endpoint" = "{server.url}"\n'
    )
    elsewhere = tmp_path / "elsewhere"  # no fedmsg.d/ there: everything comes from the file
    elsewhere.mkdir()
    result = statscache(elsewhere, "--quiet", "backfill", "--conf", str(conf), "--since", "2015-10-01")
    assert result.returncode == 0, result.stderr
    engine = create_engine(f"sqlite:///{tmp_path / 'from-toml.sqlite'}")
    assert stored(engine, "volume-1d") == recount(envelopes, "volume-1d")
    engine.dispose()
    missing = statscache(elsewhere, "backfill", "--conf", str(tmp_path / "nope.toml"), "--since", "1d")
    assert missing.returncode != 0 and "no fedora-messaging configuration file" in missing.stderr


def test_rebuild_applies_changed_exclusions_to_history(tmp_path):
    """Bots and noisy topics configured after the fact: a rebuild of the statistics that read users (several
    idents and patterns at once) recomputes them without, and leaves the others alone."""
    from tests.unit.plugins.builtin.test_activity import BOTS, IDENTS, NOISE, counted_examples
    from tests.unit.plugins.builtin.test_activity import recount as recount_activity

    examples = counted_examples()
    envelopes = [example for example, _ in examples]
    settings = {
        "statscache.sqlalchemy.uri": f"sqlite:///{tmp_path / 'statscache.sqlite'}",
        "statscache.consumer.epoch": datetime(2012, 1, 1, tzinfo=UTC),
        "statscache.plugins.enabled": [*IDENTS, "volume"],
    }
    with FakeDatagrepper(RawArchive(envelopes)) as server:
        write_config(tmp_path, {**settings, "statscache.datagrepper.endpoint": server.url})
        first = statscache(tmp_path, "--quiet", "backfill", "--since", "2012-01-01", "--until", "2020-01-01")
        assert first.returncode == 0, first.stderr
        write_config(
            tmp_path,
            {
                **settings,
                "statscache.datagrepper.endpoint": server.url,
                "statscache.exclude.users": sorted(BOTS),
                "statscache.exclude.topics": list(NOISE),
            },
        )
        volume_before = _rows(tmp_path, "volume-1d")
        rebuilt = statscache(tmp_path, "--quiet", "rebuild", "user-activity*", "latest-by-*", "--since", "2012-01-01")
        assert rebuilt.returncode == 0, rebuilt.stderr
    from tests.unit.plugins.builtin.test_activity import stored_rows

    assert stored_rows(tmp_path / "statscache.sqlite") == recount_activity(examples, BOTS, NOISE)
    assert _rows(tmp_path, "volume-1d") == volume_before  # not named: untouched
    assert rebuilt.stderr.count("dropped") == 4


def _rows(workdir, ident):
    with engine_of(workdir).connect() as connection:
        return sorted(connection.execute(text(f"SELECT * FROM {ident.replace('-', '_')}")))
