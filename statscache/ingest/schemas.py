"""Who and what a message of today's bus (fedora-messaging, AMQP) names: its schema's answer, or its headers.

A fedora-messaging publisher names the schema class of each message in the
``fedora_messaging_schema`` header, and puts one header per user
(``fedora_messaging_user_<name>``), package (``fedora_messaging_rpm_<name>``),
group, container, module and flatpak, computed by that schema when the message
was sent. datagrepper keeps those headers with each message it archives, so the
same rule reads a live message and its copy from history alike:

1. if the schema is installed here (a ``fedora.messages`` entry point), its
   ``usernames`` and ``packages`` are the answer, an empty list included: the
   schema knows its messages;
2. otherwise, if the headers name anyone or anything, they are the answer (the
   publisher's schema computed them; a list it left empty is an answer too);
3. otherwise there is no answer here: the schema is fedora-messaging's base
   class, or unknown and silent (fedmsg's messages bridged to the bus, or archived
   through datanommer, are such), and the message is read as one of fedmsg's era
   is (:mod:`statscache.ingest.meta`).
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
#: Header prefixes of everything a publisher's schema names: any one of them says the headers were computed.
NAMING = (
    "fedora_messaging_user_",
    "fedora_messaging_rpm_",
    "fedora_messaging_group_",
    "fedora_messaging_container_",
    "fedora_messaging_module_",
    "fedora_messaging_flatpak_",
)
#: Schema names whose class is remembered at most (Fedora has a few hundred).
MAX_SCHEMAS = 4096

log = logging.getLogger(__name__)


def has_schema(envelope: Mapping[str, Any]) -> bool:
    """Whether an envelope comes from fedora-messaging (its headers name a schema)."""
    headers = envelope.get("headers")
    if type(headers) is dict:  # as JSON gives them: no Mapping ABC check (this is asked twice a message)
        return isinstance(headers.get(SCHEMA_HEADER), str)
    return isinstance(headers, Mapping) and isinstance(headers.get(SCHEMA_HEADER), str)


class SchemaReader:
    """Reads names through the installed ``fedora.messages`` schemas; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        #: schema name -> its class, or None when it is not installed here
        self._classes: dict[str, type[Any] | None] = {}

    def names(self, envelope: Mapping[str, Any], field: str) -> set[str] | None:
        """The ``field`` ("users" or "packages") an envelope with a schema header names; None: no answer here."""
        headers = envelope["headers"]
        schema = self._class_of(headers[SCHEMA_HEADER])
        if schema is None:
            named = [name for name in headers if isinstance(name, str) and name.startswith(NAMING)]
            if not named:
                return None
            prefix = PREFIXES[field]
            return {name[len(prefix) :] for name in named if name.startswith(prefix) and len(name) > len(prefix)}
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

        # An unknown schema comes back as the base class (with a warning, once per name here): the base
        # class names nobody, whatever the message; it is no answer.
        schema = message.get_class(name)
        found = None if schema is message.Message else schema
        with self._lock:
            if len(self._classes) >= MAX_SCHEMAS:  # schema names come from the bus: bounded
                self._classes = {}
            self._classes[name] = found
        return found
