"""Finds plugins: every one, built-in or not, comes from the ``statscache.plugin`` entry point group."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from importlib.metadata import EntryPoint, entry_points

from statscache.config import Config
from statscache.exceptions import ConfigError, PluginLoadError
from statscache.plugins import BasePlugin

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "statscache.plugin"
REQUIRED_TEXT = ("name", "summary", "description")


def discover(found: Iterable[EntryPoint] | None = None) -> dict[str, type[BasePlugin]]:
    """Load and check every plugin class of the entry point group, by entry point name."""
    if found is None:
        found = entry_points(group=ENTRY_POINT_GROUP)
    classes: dict[str, type[BasePlugin]] = {}
    for entry_point in found:
        where = f"plugin entry point {entry_point.name!r} ({entry_point.value})"
        try:
            plugin_class = entry_point.load()
        except Exception as e:
            raise PluginLoadError(f"{where} failed to load: {e!r}") from e
        if not (isinstance(plugin_class, type) and issubclass(plugin_class, BasePlugin)):
            raise PluginLoadError(f"{where} is not a statscache.plugins.BasePlugin subclass")
        missing = [attr for attr in REQUIRED_TEXT if not _is_text(getattr(plugin_class, attr, None))]
        if missing:
            raise PluginLoadError(f"{where} is refused: it lacks {', '.join(missing)} (non-empty strings)")
        if entry_point.name in classes:
            raise PluginLoadError(f"{where}: two plugins are installed under that name")
        classes[entry_point.name] = plugin_class
    return classes


def _is_text(value: object) -> bool:
    return isinstance(value, str) and bool(value.strip())


def instantiate(classes: dict[str, type[BasePlugin]], config: Config) -> list[BasePlugin]:
    """The enabled plugins, one instance per window length for windowed ones."""
    names = set(classes)
    for key, chosen in (("enabled", config.plugins_enabled), ("disabled", config.plugins_disabled)):
        unknown = sorted(set(chosen or ()) - names)
        if unknown:
            raise ConfigError(
                f"statscache.plugins.{key} names plugins that are not installed: {', '.join(unknown)}; "
                f"installed: {', '.join(sorted(names)) or 'none'}"
            )
    enabled = names if config.plugins_enabled is None else set(config.plugins_enabled)
    enabled -= set(config.plugins_disabled)
    plugins: list[BasePlugin] = []
    for name in sorted(enabled):
        plugin_class = classes[name]
        try:
            if plugin_class.windowed:
                plugins.extend(plugin_class(interval) for interval in config.plugins_intervals)
            else:
                plugins.append(plugin_class())
        except Exception as e:
            raise PluginLoadError(f"plugin {name!r} could not be set up: {e!r}") from e
    for plugin in plugins:
        if "timestamp" not in plugin.model.column_names():
            raise PluginLoadError(f"plugin {plugin.ident!r}: its model has no 'timestamp' column")
    idents = [plugin.ident for plugin in plugins]
    clashes = sorted({ident for ident in idents if idents.count(ident) > 1})
    if clashes:
        raise PluginLoadError(f"several plugins share the ident(s) {', '.join(clashes)}")
    log.info("statscache plugins: %s", ", ".join(idents) or "none")
    return plugins


def load(config: Config) -> list[BasePlugin]:
    """Discover the installed plugins and set up the enabled ones."""
    return instantiate(discover(), config)
