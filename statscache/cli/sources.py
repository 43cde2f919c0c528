"""Where a command finds statscache's settings: one fedora-messaging file (``--conf``), or ``fedmsg.d/``.

A deployment on today's bus keeps them under ``[consumer_config]`` of the file its
``statscache consume`` reads; one on the legacy bus, in ``fedmsg.d/`` in the
working directory, as ``fedmsg-hub`` reads them. The gunicorn app
(``statscache.app:app``) takes the file from ``$STATSCACHE_CONF``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from statscache.amqp import conffile

#: Names the fedora-messaging file a web app started by gunicorn reads its settings from.
CONF_VARIABLE = "STATSCACHE_CONF"


def raw_settings(conf: str | None) -> Mapping[str, Any]:
    """The raw ``statscache.*`` settings: the file's ``[consumer_config]`` when one is named, else ``fedmsg.d/``."""
    if conf:
        return dict(conffile.read(conf)[1]["consumer_config"])
    import fedmsg.config

    return dict(fedmsg.config.load_config())


def conf_of_environment() -> str | None:
    """The fedora-messaging file named by ``$STATSCACHE_CONF``, if any."""
    return os.environ.get(CONF_VARIABLE) or None
