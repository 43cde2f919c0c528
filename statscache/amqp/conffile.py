"""One fedora-messaging configuration file (TOML) configures a whole deployment.

fedora-messaging reads its own keys (``amqp_url``, ``[tls]``, ``[client_properties]``,
``[queues.NAME]``, ``[[bindings]]``, ``[qos]``, ``passive_declares``) with its own
defaults and checks; statscache's settings sit under ``[consumer_config]``, with
the keys and defaults of ``fedmsg.d/`` (``"statscache.sqlalchemy.uri"``, ...).
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from statscache import config as config_module
from statscache.config import Config
from statscache.exceptions import ConfigError

#: Where fedora-messaging looks when neither ``--conf`` nor ``$FEDORA_MESSAGING_CONF`` names a file.
SYSTEM_FILE = Path("/etc/fedora-messaging/config.toml")
#: Messages in flight when the file leaves ``[qos] prefetch_count`` at fedora-messaging's default (10): statscache
#: acknowledges once per flush, so it needs at least a flush interval's worth of messages on their way.
PREFETCH = 20_000
#: fedora-messaging's own default prefetch, meant for a consumer that acknowledges each message.
LIBRARY_PREFETCH = 10


@dataclass(frozen=True)
class Deployment:
    """What one configuration file says: where the broker is, and statscache's settings."""

    path: Path
    #: fedora-messaging's configuration, checked and completed with its defaults.
    broker: Mapping[str, Any]
    settings: Config
    #: The file's own ``[log_config]`` (None where it has none: fedora-messaging's default is not applied).
    log_config: Mapping[str, Any] | None = None

    @property
    def prefetch(self) -> int:
        """Unacknowledged deliveries the broker may send: the file's ``[qos] prefetch_count``, unless left at 10."""
        count = int(self.broker["qos"]["prefetch_count"])
        return PREFETCH if count == LIBRARY_PREFETCH else count

    @property
    def consumer_config(self) -> Mapping[str, Any]:
        """The raw ``[consumer_config]`` table: statscache's settings, as ``fedmsg.d/`` would hold them."""
        table: Mapping[str, Any] = self.broker["consumer_config"]
        return table

    @property
    def queues(self) -> list[str]:
        return list(self.broker["queues"])


def path_of(conf: str | None) -> Path:
    """The file to read: ``--conf``, else ``$FEDORA_MESSAGING_CONF``, else fedora-messaging's system file."""
    if conf:
        return Path(conf)
    from_env = os.environ.get("FEDORA_MESSAGING_CONF")
    return Path(from_env) if from_env else SYSTEM_FILE


def load(conf: str | None = None) -> Deployment:
    """Read and check the file; raises :class:`~statscache.exceptions.ConfigError` saying what is wrong."""
    path, broker, own = read(conf)
    settings = config_module.load(broker["consumer_config"])
    log_config = own.get("log_config")
    return Deployment(path, dict(broker), settings, log_config if isinstance(log_config, Mapping) else None)


def read(conf: str | None = None) -> tuple[Path, Mapping[str, Any], Mapping[str, Any]]:
    """The file's path, its settings as fedora-messaging reads them (statscache's under ``consumer_config``,
    not yet checked), and what the file itself says; raises :class:`~statscache.exceptions.ConfigError` for a
    file that cannot be read."""
    from fedora_messaging.config import LazyConfig
    from fedora_messaging.exceptions import ConfigurationException

    path = path_of(conf)
    if not path.is_file():
        raise ConfigError(f"no fedora-messaging configuration file at {path} (give one with --conf)")
    try:
        with path.open("rb") as file:
            own = tomllib.load(file)  # and a clear error for a file that is not TOML, before fedora-messaging's
        broker = LazyConfig().load_config(str(path))
    except (tomllib.TOMLDecodeError, ConfigurationException, OSError) as error:
        raise ConfigError(f"{path}: {error}") from error
    if not isinstance(broker["consumer_config"], Mapping):
        raise ConfigError(f"{path}: [consumer_config] must be a table")
    return path, broker, own
