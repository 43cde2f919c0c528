"""Who and what a message of today's bus (fedora-messaging, AMQP) names: its schema's answer, or its headers.

A fedora-messaging publisher names the schema class of each message in the
``fedora_messaging_schema`` header, and puts one header per user
(``fedora_messaging_user_<name>``) and per package (``fedora_messaging_rpm_<name>``),
computed by that schema when the message was sent. datagrepper keeps those headers
with each message it archives, so the same rule reads a live message and its copy
from history alike:

1. if the schema is installed here (a ``fedora.messages`` entry point), its
   ``usernames`` and ``packages`` are the answer, an empty list included: the
   schema knows its messages, and fedmsg.meta does not know today's topics;
2. otherwise the headers are (none: the message names nobody).

Messages without a schema header (fedmsg's era) are read by fedmsg.meta instead
(:mod:`statscache.ingest.meta`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from typing import Any

from statscache.exceptions import MetaError

#: The header naming a message's schema class.
SCHEMA_HEADER = "fedora_messaging_schema"
#: Header prefixes of the users and the packages a message names.
PREFIXES = {"users": "fedora_messaging_user_", "packages": "fedora_messaging_rpm_"}
#: Schema names whose class is remembered at most (Fedora has a few hundred).
MAX_SCHEMAS = 4096

log = logging.getLogger(__name__)


def has_schema(envelope: Mapping[str, Any]) -> bool:
    """Whether an envelope comes from fedora-messaging (its headers name a schema)."""
    headers = envelope.get("headers")
    return isinstance(headers, Mapping) and isinstance(headers.get(SCHEMA_HEADER), str)


class SchemaReader:
    """Reads names through the installed ``fedora.messages`` schemas; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        #: schema name -> its class, or None when it is not installed here
        self._classes: dict[str, type[Any] | None] = {}

    def names(self, envelope: Mapping[str, Any], field: str) -> set[str]:
        """The ``field`` ("users" or "packages") an envelope with a schema header names."""
        headers = envelope["headers"]
        schema = self._class_of(headers[SCHEMA_HEADER])
        if schema is None:
            prefix = PREFIXES[field]
            return {name[len(prefix) :] for name in headers if isinstance(name, str) and name.startswith(prefix)}
        try:
            message = schema(body=envelope.get("msg"), headers=dict(headers), topic=envelope.get("topic"))
            found = message.usernames if field == "users" else message.packages
            return {name for name in found if isinstance(name, str) and name}
        except Exception as error:  # schemas are third-party code, and the body comes from the bus
            raise MetaError(f"schema {headers[SCHEMA_HEADER]!r} could not read the {field}: {error!r}"[:300]) from error

    def _class_of(self, name: str) -> type[Any] | None:
        if name in self._classes:
            return self._classes[name]
        from fedora_messaging import message

        # An unknown schema comes back as the base class (with a warning, once per name here): its messages
        # name nobody, and their headers, computed by the same base class when sent, agree.
        schema = message.get_class(name)
        found = None if schema is message.Message else schema
        with self._lock:
            if len(self._classes) >= MAX_SCHEMAS:  # schema names come from the bus: bounded
                self._classes = {}
            self._classes[name] = found
        return found
