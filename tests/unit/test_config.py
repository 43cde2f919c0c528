import json
import runpy
from dataclasses import fields
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from statscache import config
from statscache.exceptions import ConfigError

ROOT = Path(__file__).resolve().parents[2]


def test_defaults():
    settings = config.load({})
    assert settings.consumer_enabled is True
    assert settings.sqlalchemy_uri == "sqlite:///statscache.sqlite"
    assert settings.producer_frequency == timedelta(seconds=1)
    assert settings.plugins_intervals == (timedelta(minutes=1), timedelta(hours=1), timedelta(days=1))
    assert settings.consumer_epoch.tzinfo is not None


def test_other_keys_are_not_ours():
    assert config.load({"endpoints": {}, "statscache": 1, 42: "x"}) == config.Config()


def test_reads_every_key():
    epoch = datetime(2015, 1, 1, tzinfo=UTC)
    settings = config.load(
        {
            "statscache.consumer.enabled": False,
            "statscache.consumer.epoch": epoch,
            "statscache.sqlalchemy.uri": "sqlite://",
            "statscache.producer.frequency": 0.5,
            "statscache.plugins.enabled": ["volume"],
            "statscache.plugins.disabled": ["other"],
            "statscache.plugins.intervals": [timedelta(hours=1), timedelta(minutes=5), timedelta(hours=1)],
            "statscache.metrics.port": 9100,
        }
    )
    assert settings == config.Config(
        consumer_enabled=False,
        consumer_epoch=epoch,
        sqlalchemy_uri="sqlite://",
        producer_frequency=timedelta(seconds=0.5),
        plugins_enabled=("volume",),
        plugins_disabled=("other",),
        plugins_intervals=(timedelta(minutes=5), timedelta(hours=1)),
        metrics_port=9100,
    )


def test_unknown_key_names_it_and_suggests_the_right_one():
    with pytest.raises(ConfigError, match=r"'statscache\.producer\.frequncy'.*statscache\.producer\.frequency"):
        config.load({"statscache.producer.frequncy": 1})


def test_unknown_key_without_a_near_match_lists_the_known_ones():
    with pytest.raises(ConfigError, match="known keys: .*statscache.sqlalchemy.uri"):
        config.load({"statscache.zzz": 1})


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("statscache.consumer.enabled", "yes", "True or False"),
        ("statscache.consumer.epoch", datetime(2015, 1, 1), "timezone-aware"),
        ("statscache.consumer.epoch", "2015-01-01", "timezone-aware"),
        ("statscache.sqlalchemy.uri", None, "non-empty string"),
        ("statscache.producer.frequency", "1s", "datetime.timedelta (or a number of seconds)"),
        ("statscache.producer.frequency", timedelta(0), "from 100 ms to 1 day"),
        ("statscache.producer.frequency", True, "datetime.timedelta (or a number of seconds)"),
        ("statscache.plugins.enabled", "volume", "list of plugin names"),
        ("statscache.plugins.disabled", None, "list of plugin names"),
        ("statscache.plugins.intervals", [], "non-empty list"),
        ("statscache.plugins.intervals", [1.5], "whole number of seconds"),
        ("statscache.plugins.intervals", [float("nan")], "non-empty list"),
        ("statscache.plugins.intervals", ["an hour"], "non-empty list"),
        ("statscache.plugins.intervals", [True], "non-empty list"),
        ("statscache.plugins.intervals", [timedelta(milliseconds=10)], "whole number of seconds"),
        ("statscache.metrics.port", "9100", "TCP port"),
        ("statscache.metrics.port", 70000, "TCP port"),
        ("statscache.app.default_rows_per_page", 0, "whole number from 1 to 10000"),
        ("statscache.app.maximum_rows_per_page", "100", "whole number from 1 to 10000"),
        ("statscache.datanommer.uri", "sqlite:///datanommer.sqlite", "a PostgreSQL URL"),
        ("statscache.datanommer.uri", "not a url", "SQLAlchemy database URL"),
    ],
)
def test_mistyped_values_name_the_key_and_what_was_expected(key, value, expected):
    with pytest.raises(ConfigError) as caught:
        config.load({key: value})
    assert repr(key) in str(caught.value)
    assert expected in str(caught.value)


def test_shipped_fedmsg_d_sets_every_key_to_its_default():
    shipped = runpy.run_path(str(ROOT / "fedmsg.d" / "statscache.py"))["config"]
    keys = {key for key in shipped if key.startswith("statscache.")}
    assert keys == set(config.KEYS)
    assert config.load(shipped) == config.Config()
    # ...and works on a local bus out of the box.
    assert shipped["validate_signatures"] is False
    assert all("127.0.0.1" in endpoint for endpoints in shipped["endpoints"].values() for endpoint in endpoints)


@pytest.mark.parametrize("key", sorted(config.KEYS))
def test_every_key_is_documented(key):
    assert key in (config.__doc__ or "")
    assert key in (ROOT / "README.rst").read_text(encoding="utf-8")


def test_every_field_has_a_check():
    assert {f.name for f in fields(config.Config)} == set(config._CHECKS)


def test_default_page_size_may_not_exceed_the_maximum():
    with pytest.raises(ConfigError, match="must not exceed 'statscache.app.maximum_rows_per_page' \\(50\\)"):
        config.load({"statscache.app.default_rows_per_page": 80, "statscache.app.maximum_rows_per_page": 50})
    assert config.load({"statscache.app.maximum_rows_per_page": 500}).app_maximum_rows_per_page == 500


def test_window_lengths_may_be_written_as_a_toml_file_can():
    """A fedora-messaging file (TOML) has no timedelta: seconds and window names say the same."""
    written = config.load({"statscache.plugins.intervals": [60, "1h", timedelta(days=1), "1h"]})
    assert written.plugins_intervals == (timedelta(minutes=1), timedelta(hours=1), timedelta(days=1))


def _toml(value):
    """A value as a TOML file writes it: no timedelta there (seconds instead), nor None (the key is left out)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, timedelta):
        return _toml(value.total_seconds())
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, (set, frozenset)):
        return _toml(sorted(value))
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml(item) for item in value) + "]"
    if isinstance(value, str):
        return json.dumps(value)
    return repr(value)


def test_every_key_can_be_written_in_a_fedora_messaging_file(tmp_path):
    """[consumer_config] of a TOML file holds every key fedmsg.d/ does, and reads back to the same settings."""
    from statscache.amqp import conffile

    chosen = config.Config(
        consumer_epoch=datetime(2015, 1, 1, tzinfo=UTC),
        metrics_port=9000,
        datagrepper_endpoint="https://apps.fedoraproject.org/datagrepper/",
        datanommer_uri="postgresql+psycopg://reader@db-datanommer/datanommer",
        app_base_url="https://example.org/statscache/",
        plugins_enabled=("volume",),
        plugins_disabled=("releng-dashboard",),
        health_max_flush_age=timedelta(minutes=2),
        exclude_users=frozenset({"bodhi", "packit"}),
        exclude_topics=("*.buildsys.rpm.sign",),
    )
    lines = ["[consumer_config]"]
    for field in fields(config.Config):
        value = getattr(chosen, field.name)
        if value is not None:
            lines.append(f"{json.dumps(config.key_of(field.name))} = {_toml(value)}")
    path = tmp_path / "deployment.toml"
    path.write_text("\n".join(lines) + "\n")
    assert len(lines) - 1 == len(fields(config.Config))  # every key written, none left to its default
    assert conffile.load(str(path)).settings == chosen
