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
