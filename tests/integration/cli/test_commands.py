"""``statscache plugins``, ``statscache check-config`` and ``statscache replay``, as a user runs them."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import create_engine

from statscache.plugins import registry
from tests.fakes.support import recount, stored
from tests.integration.cli.test_maintenance import statscache
from tests.services.hub import write_config

pytestmark = pytest.mark.integration

EPOCH = datetime(2015, 10, 1, tzinfo=UTC)
IDENTS = ["volume-1h", "volume-by-category-1d"]


@pytest.fixture
def workdir(tmp_path):
    write_config(
        tmp_path,
        {
            "statscache.sqlalchemy.uri": f"sqlite:///{tmp_path / 'statscache.sqlite'}",
            "statscache.consumer.epoch": EPOCH,
            "statscache.plugins.enabled": ["volume", "volume-by-category"],
        },
    )
    return tmp_path


def test_plugins_lists_what_is_installed_and_what_runs(workdir):
    listed = statscache(workdir, "plugins", "--json")
    assert listed.returncode == 0, listed.stderr
    plugins = {entry["name"]: entry for entry in json.loads(listed.stdout)}
    assert set(plugins) == set(registry.discover())  # every installed one, enabled or not
    assert plugins["volume"]["enabled"] and plugins["volume"]["kind"] == "volume"
    assert plugins["volume"]["statistics"] == [
        {"ident": f"volume-{suffix}", "interval": suffix, "table": f"volume_{suffix}"} for suffix in ("1m", "1h", "1d")
    ]
    assert not plugins["releng-dashboard"]["enabled"] and plugins["releng-dashboard"]["statistics"] == []
    assert plugins["releng-dashboard"]["kind"] == "milestones" and plugins["latest-builds"]["kind"] == "latest event"
    assert plugins["user-activity"]["kind"] == "activity" and plugins["latest-by-topic"]["kind"] == "latest message"
    text = statscache(workdir, "plugins").stdout
    assert "volume-by-category  (counting, enabled)" in text and "table volume_by_category_1h" in text
    assert "releng-dashboard  (milestones, disabled)" in text
    assert text.rstrip().endswith("6 statistics of 2 plugins run")


def test_check_config_shows_each_setting_where_it_comes_from_and_every_problem(workdir):
    fine = statscache(workdir, "check-config")
    assert fine.returncode == 0, fine.stdout + fine.stderr
    lines = fine.stdout.splitlines()
    shipped = str(workdir / "fedmsg.d" / "statscache.py")
    assert f"statscache.plugins.enabled = ['volume', 'volume-by-category']    ({shipped})" in lines
    assert "no problems: statscache starts with these settings" in lines
    with (workdir / "fedmsg.d" / "zz-local.py").open("w") as local:  # read last: it wins
        local.write(
            "config = {'statscache.producer.frequncy': 5, 'statscache.app.stream_limit': 'four',\n"
            "          'statscache.metrics.port': 9300}\n"
        )
    wrong = statscache(workdir, "check-config")
    assert wrong.returncode == 1
    assert f"statscache.metrics.port = 9300    ({workdir / 'fedmsg.d' / 'zz-local.py'})" in wrong.stdout
    assert "did you mean 'statscache.producer.frequency'?" in wrong.stdout
    assert "'statscache.app.stream_limit' must be" in wrong.stdout
    assert "2 problem(s): statscache would not start with these settings" in wrong.stdout


def test_check_config_reads_a_fedora_messaging_file(tmp_path):
    conf = tmp_path / "deployment.toml"
    conf.write_text(
        'amqp_url = "amqp://guest:guest@127.0.0.1:1/%2F"\n'
        "[consumer_config]\n"
        '"statscache.consumer.workers" = 2\n'
        '"statscache.sqlalchemy.uri" = "sqlite://"\n'
    )
    result = statscache(tmp_path, "check-config", "--conf", str(conf))
    assert result.returncode == 1
    assert f"statscache.consumer.workers = 2    ({conf} [consumer_config])" in result.stdout
    assert "statscache.producer.frequency = 1 s    (default)" in result.stdout
    assert "needs a database that other processes can open" in result.stdout


def test_replay_counts_files_of_every_shape_exactly_once(workdir, envelopes):
    gzipped = workdir / "traffic.jsonl.gz"
    with gzip.open(gzipped, "wt", encoding="utf-8") as out:
        for envelope in envelopes[:600]:
            out.write(json.dumps(envelope) + "\n")
        out.write("this line is not JSON\n")
        out.write(json.dumps({"topic": "no.msg_id", "msg": {}}) + "\n")
    page = workdir / "raw-page.json"  # a saved datagrepper /raw page, as a browser saves it: pretty-printed
    page.write_text(json.dumps({"raw_messages": envelopes[500:900], "count": 400, "pages": 1}, indent=2))
    listed = workdir / "list.json"
    listed.write_text(json.dumps(envelopes[900:]))

    first = statscache(workdir, "--quiet", "replay", str(gzipped), str(page), str(listed))
    assert first.returncode == 0, first.stderr
    distinct = len({envelope["msg_id"] for envelope in envelopes})
    handed = 600 + 2 + 400 + len(envelopes) - 900
    assert first.stdout.strip() == (
        f"{handed:,} messages read from 3 file(s): {distinct:,} new, {handed - distinct - 2:,} copies or counted "
        "before, 2 rejected, 0 before the epoch"
    )
    assert "rejected a malformed envelope: not-json" in first.stderr
    engine = create_engine(f"sqlite:///{workdir / 'statscache.sqlite'}")
    for ident in IDENTS:
        assert stored(engine, ident) == recount(envelopes, ident), ident

    again = statscache(workdir, "--quiet", "replay", str(page))  # exactly once: nothing new
    assert again.returncode == 0 and " 0 new, 400 copies or counted before" in again.stdout
    for ident in IDENTS:
        assert stored(engine, ident) == recount(envelopes, ident), ident
    engine.dispose()


def test_replay_says_which_file_is_missing(workdir):
    result = statscache(workdir, "replay", str(workdir / "nowhere.jsonl"))
    assert result.returncode != 0 and "no such file" in result.stderr and "nowhere.jsonl" in result.stderr
