"""``statscache plugins`` and ``statscache check-config``: what would run, and with which settings, before it does.

Both read the settings as the daemon would (``fedmsg.d/``, or ``--conf`` a
fedora-messaging file) and change nothing.
"""

from __future__ import annotations

import json
import os
import runpy
from collections.abc import Mapping
from dataclasses import fields
from datetime import timedelta
from typing import Any

from statscache import config as config_module
from statscache.cli.sources import raw_settings
from statscache.exceptions import StatscacheError
from statscache.plugins import ActivityPlugin, BasePlugin, LatestMessagePlugin, MilestonePlugin, registry
from statscache.plugins.kinds import CountingPlugin, LatestEventPlugin, VolumePlugin
from statscache.windows import interval_suffix


def plugins(conf: str | None, as_json: bool = False) -> int:
    """Print every installed plugin: whether it runs here, and each statistic it keeps (ident, window, table)."""
    settings = config_module.load(raw_settings(conf))
    classes = registry.discover()
    running: dict[str, list[BasePlugin]] = {}
    for plugin in registry.instantiate(classes, settings):
        name = next(name for name, cls in classes.items() if type(plugin) is cls)
        running.setdefault(name, []).append(plugin)
    listed: list[dict[str, Any]] = []
    for name, cls in sorted(classes.items()):
        statistics = running.get(name, [])
        listed.append(
            {
                "name": name,
                "enabled": bool(statistics),
                "kind": _kind(cls),
                "summary": cls.summary,
                "statistics": [
                    {
                        "ident": plugin.ident,
                        "interval": None if plugin.interval is None else interval_suffix(plugin.interval),
                        "table": plugin.model.__tablename__,
                    }
                    for plugin in statistics
                ],
            }
        )
    if as_json:
        print(json.dumps(listed, indent=2))
        return 0
    for entry in listed:
        state = "enabled" if entry["enabled"] else "disabled"
        print(f"{entry['name']}  ({entry['kind']}, {state}): {entry['summary']}")
        for statistic in entry["statistics"]:
            window = statistic["interval"] or "-"
            print(f"    {statistic['ident']:<40} window {window:<4} table {statistic['table']}")
    statistics_run = sum(len(entry["statistics"]) for entry in listed)
    print(f"{statistics_run} statistics of {sum(1 for entry in listed if entry['enabled'])} plugins run")
    return 0


#: The kinds of plugin ``statscache plugins`` names (another is "its own").
KINDS: tuple[tuple[type[BasePlugin], str], ...] = (
    (CountingPlugin, "counting"),
    (VolumePlugin, "volume"),
    (LatestEventPlugin, "latest event"),
    (ActivityPlugin, "activity"),
    (LatestMessagePlugin, "latest message"),
    (MilestonePlugin, "milestones"),
)


def _kind(cls: type[BasePlugin]) -> str:
    for base, kind in KINDS:
        if issubclass(cls, base):
            return kind
    return "its own"


def check_config(conf: str | None) -> int:
    """Print every ``statscache.*`` setting with its value and where it comes from, then every problem;
    0 when there is none, 1 otherwise."""
    raw = raw_settings(conf)
    origins = _origins(conf)
    found = config_module.problems(raw)
    defaults = config_module.Config()
    for field in fields(config_module.Config):
        key = config_module.key_of(field.name)
        if key in raw:
            value, origin = raw[key], origins.get(key, "fedmsg's configuration")
        else:
            value, origin = getattr(defaults, field.name), "default"
        print(f"{key} = {_shown(value)}    ({origin})")
    for key in sorted(k for k in raw if isinstance(k, str) and k.startswith(config_module.PREFIX)):
        if key not in config_module.KEYS:
            print(f"{key} = {_shown(raw[key])}    ({origins.get(key, 'unknown origin')}; not a statscache key)")
    if found:
        print()
        for problem in found:
            print(f"error: {problem}")
        print(f"{len(found)} problem(s): statscache would not start with these settings")
        return 1
    print("\nno problems: statscache starts with these settings")
    return 0


def _origins(conf: str | None) -> dict[str, str]:
    """Which file sets each ``statscache.*`` key: the last of fedmsg's files to set it, or the ``--conf`` file."""
    if conf:
        return {key: f"{conf} [consumer_config]" for key in raw_settings(conf)}
    origins: dict[str, str] = {}
    for path in _fedmsg_files():
        try:
            found = runpy.run_path(path).get("config", {})
        except Exception as error:  # fedmsg itself would fail on it: say so beside the keys
            raise StatscacheError(f"{path} cannot be read: {error!r}") from error
        if isinstance(found, Mapping):
            origins.update({key: path for key in found if isinstance(key, str)})
    return origins


def _fedmsg_files() -> list[str]:
    """fedmsg's configuration files in the order it reads them (fedmsg 1.1.7's ``_process_config_file``): the
    ``fedmsg.d/`` folders, /etc, the home directory, the working directory (and the virtualenv's), then the
    single files."""
    import fedmsg.config

    folders = ["/etc/fedmsg.d/", os.path.expanduser("~/.fedmsg.d/"), os.getcwd() + "/fedmsg.d/"]
    if "VIRTUAL_ENV" in os.environ:
        folders.append(os.path.join(os.environ["VIRTUAL_ENV"], "etc/fedmsg.d"))
    files = [os.path.expanduser(name) for name in ("/etc/fedmsg-config.py", "~/.fedmsg-config.py")]
    files.append(os.getcwd() + "/fedmsg-config.py")
    gathered: list[str] = sum((fedmsg.config._gather_configs_in(folder) for folder in folders), [])
    return [path for path in gathered + files if os.path.isfile(path)]


def _shown(value: Any) -> str:
    if isinstance(value, timedelta):
        return f"{value.total_seconds():g} s"
    if isinstance(value, tuple):
        value = list(value)
    return repr(value)
