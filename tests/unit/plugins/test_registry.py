from datetime import timedelta
from importlib.metadata import EntryPoint

import pytest

from statscache.config import Config
from statscache.exceptions import ConfigError, PluginLoadError
from statscache.plugins import registry
from statscache.plugins.builtin.volume import Volume, VolumeByCategory


def entry(name, target):
    return EntryPoint(name=name, value=target, group=registry.ENTRY_POINT_GROUP)


def test_built_ins_are_installed_through_the_same_entry_point_group():
    classes = registry.discover()
    assert classes["volume"] is Volume
    assert classes["volume-by-category"] is VolumeByCategory


BUILTINS = {
    "volume": True,
    "volume-by-category": True,
    "volume-by-topic": True,
    "volume-by-user": True,
    "volume-by-package": True,
    "build-outcomes": True,
    "latest-builds": False,
    "pagure-contributions": True,
    "pagure-contributions-by-user": True,
    "pagure-contributions-by-project": True,
    "releng-dashboard": False,
    "user-activity": False,
    "user-activity-by-category": False,
    "latest-by-topic": False,
    "latest-by-category": False,
}


def test_default_config_runs_each_windowed_plugin_at_each_interval():
    idents = [plugin.ident for plugin in registry.load(Config())]
    expected = [
        ident
        for name, windowed in sorted(BUILTINS.items())
        for ident in ([f"{name}-1m", f"{name}-1h", f"{name}-1d"] if windowed else [name])
    ]
    assert idents == expected  # the entry point's name is the ident's stem: one name for one plugin


def test_enabled_and_disabled_select_plugins():
    classes = registry.discover()
    only = registry.instantiate(classes, Config(plugins_enabled=("volume",)))
    assert [p.ident for p in only] == ["volume-1m", "volume-1h", "volume-1d"]
    without = registry.instantiate(classes, Config(plugins_disabled=("volume",)))
    assert {p.ident for p in without} == {p.ident for p in registry.instantiate(classes, Config())} - {
        "volume-1m",
        "volume-1h",
        "volume-1d",
    }


@pytest.mark.parametrize("key", ["enabled", "disabled"])
def test_naming_a_plugin_that_is_not_installed_is_a_config_error(key):
    with pytest.raises(
        ConfigError, match=rf"statscache\.plugins\.{key} .*volum\b.*installed: .*volume, volume-by-category"
    ):
        registry.instantiate(registry.discover(), Config(**{f"plugins_{key}": ("volum",)}))


def test_two_plugins_with_one_ident_are_refused():
    twins = [entry(name, "tests.fakes.sample_plugins:ByTopic") for name in ("a", "b")]
    classes = registry.discover(twins)
    with pytest.raises(PluginLoadError, match="by-topic-1m"):
        registry.instantiate(classes, Config())


def test_third_party_plugin_is_loaded_by_entry_point():
    classes = registry.discover([entry("by-topic", "tests.fakes.sample_plugins:ByTopic")])
    plugins = registry.instantiate(classes, Config(plugins_intervals=(timedelta(minutes=5),)))
    assert [p.ident for p in plugins] == ["by-topic-5m"]
    assert plugins[0].model.__tablename__ == "by_topic_5m"


def test_unwindowed_plugin_has_a_plain_ident():
    classes = registry.discover([entry("statuses", "tests.fakes.sample_plugins:Statuses")])
    assert [p.ident for p in registry.instantiate(classes, Config())] == ["statuses"]


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("tests.fakes.sample_plugins:NoDescription", "lacks description"),
        ("tests.fakes.sample_plugins:BlankSummary", "lacks summary"),
        ("tests.fakes.sample_plugins:NotAPlugin", "not a statscache.plugins.BasePlugin subclass"),
        ("tests.fakes.broken_plugin:Anything", "failed to load: ImportError"),
        ("tests.fakes.sample_plugins:Missing", "failed to load: AttributeError"),
    ],
)
def test_bad_plugins_are_refused_with_their_entry_point_name(target, message):
    with pytest.raises(PluginLoadError) as caught:
        registry.discover([entry("the-bad-one", target)])
    assert "'the-bad-one'" in str(caught.value)
    assert message in str(caught.value)
