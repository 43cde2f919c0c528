"""statscache-web's settings: the statscache.app.* keys, and the flags that override them."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta

import pytest

from statscache import config
from statscache.cli import web as cli
from statscache.exceptions import ConfigError


@pytest.fixture
def fedmsg_config(monkeypatch):
    """What fedmsg.config.load_config() returns, for the test to fill."""
    raw: dict = {}
    monkeypatch.setattr("fedmsg.config.load_config", lambda: dict(raw))
    return raw


def test_the_configuration_gives_the_server_settings_and_flags_override_them(fedmsg_config):
    fedmsg_config.update({"statscache.app.worker_threads": 6, "statscache.app.channel_timeout": timedelta(seconds=9)})
    settings = cli.settings(cli.parse_args([]))
    assert (settings.app_worker_threads, settings.app_connection_limit) == (6, 1000)
    assert settings.app_channel_timeout == timedelta(seconds=9)
    flagged = cli.settings(cli.parse_args(["--threads", "12", "--connection-limit", "50", "--channel-timeout", "5"]))
    assert (flagged.app_worker_threads, flagged.app_connection_limit) == (12, 50)
    assert flagged.app_channel_timeout == timedelta(seconds=5)


@pytest.mark.parametrize("flag", ["--threads", "--connection-limit", "--channel-timeout"])
@pytest.mark.parametrize("value", ["0", "-3", "1.5", "many"])
def test_flags_take_whole_numbers_of_at_least_one(flag, value, capsys):
    with pytest.raises(SystemExit):
        cli.parse_args([flag, value])
    assert "a whole number of at least 1" in capsys.readouterr().err


def test_exports_must_leave_a_thread_for_everything_else(fedmsg_config):
    with pytest.raises(ConfigError, match="'statscache.app.stream_limit' \\(4\\) must be below"):
        cli.settings(cli.parse_args(["--threads", "4"]))
    fedmsg_config["statscache.app.stream_limit"] = 1
    assert cli.settings(cli.parse_args(["--threads", "2"])).app_stream_limit == 1


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("statscache.app.base_url", "stats.example.org", "an http\\(s\\) URL"),
        ("statscache.app.base_url", "javascript:alert(1)//", "an http\\(s\\) URL"),
        ("statscache.app.base_url", "https:///path", "with a host"),
        ("statscache.app.base_url", "https://x.org/?a=1", "no query"),
        ("statscache.app.base_url", "https://x.org/#top", "no query or fragment"),
        ("statscache.app.worker_threads", 0, "from 1 to 256"),
        ("statscache.app.connection_limit", "1000", "from 1 to 100000"),
        ("statscache.app.channel_timeout", 0, "from 1 s to 1 hour"),
        ("statscache.app.stream_limit", 0, "from 1 to 256"),
    ],
)
def test_bad_web_settings_name_the_key(key, value, expected):
    with pytest.raises(ConfigError, match=expected):
        config.load({key: value})


def test_a_base_url_ends_with_a_slash():
    assert config.load({"statscache.app.base_url": "https://x.org/stats"}).app_base_url == "https://x.org/stats/"


def test_a_bad_configuration_stops_statscache_web_with_its_reason(fedmsg_config):
    fedmsg_config["statscache.app.stream_limit"] = 8
    with pytest.raises(SystemExit, match="statscache-web cannot start: .*stream_limit"):
        cli.main(["--port", "1"])


def test_conf_reads_the_settings_of_a_fedora_messaging_file(tmp_path, fedmsg_config):
    fedmsg_config["statscache.app.worker_threads"] = 3  # fedmsg.d/ is not read when a file is named
    conf = tmp_path / "deployment.toml"
    conf.write_text('[consumer_config]\n"statscache.app.worker_threads" = 7\n"statscache.app.stream_limit" = 2\n')
    settings = cli.settings(cli.parse_args(["--conf", str(conf)]))
    assert (settings.app_worker_threads, settings.app_stream_limit) == (7, 2)
    assert cli.settings(cli.parse_args(["--conf", str(conf), "--threads", "9"])).app_worker_threads == 9


def test_a_bad_conf_file_is_a_config_error(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("amqp_url = [unclosed\n")
    with pytest.raises(ConfigError, match="bad.toml"):
        cli.settings(cli.parse_args(["--conf", str(bad)]))
    unknown = tmp_path / "unknown.toml"
    unknown.write_text('no_such_key = 1\n[consumer_config]\n"statscache.app.worker_threads" = 2\n')
    with pytest.raises(ConfigError, match="no_such_key"):
        cli.settings(cli.parse_args(["--conf", str(unknown)]))
    wrong = tmp_path / "wrong.toml"
    wrong.write_text('[consumer_config]\n"statscache.app.worker_threads" = "many"\n')
    with pytest.raises(ConfigError, match="worker_threads"):
        cli.settings(cli.parse_args(["--conf", str(wrong)]))


def test_the_gunicorn_app_reads_the_file_statscache_conf_names(tmp_path):
    conf = tmp_path / "deployment.toml"
    conf.write_text(f'[consumer_config]\n"statscache.sqlalchemy.uri" = "sqlite:///{tmp_path / "s.sqlite"}"\n')
    probe = "from statscache.app import app; print(app.extensions['statscache'].config.sqlalchemy_uri)"
    done = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=tmp_path,  # no fedmsg.d/ here
        env={**os.environ, "STATSCACHE_CONF": str(conf)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"sqlite:///{tmp_path / 's.sqlite'}"
