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
3. otherwise, if the schema is fedora-messaging's base class (:data:`BASE_SCHEMA`,
   which names nobody whatever the body), there is no answer here: such messages
   are fedmsg's, bridged to the bus or archived through datanommer, and are read as
   fedmsg's era reads them (:mod:`statscache.ingest.meta`);
4. otherwise the message's own schema, not installed here, named nobody when it
   was sent (:data:`SILENT`): a datagrepper record's lists may still tell (datanommer
   reads them with the schema installed), but fedmsg.meta is not asked. Its
   processors were written for fedmsg's bodies, not for the schema's: bugzilla's
   reads a bug's ``component`` and ``assigned_to`` as strings, and fails on the
   objects bugzilla2fedmsg sends today.

Whether a schema is installed is read from the ``fedora.messages`` entry points
(as fedora-messaging's registry is), without asking fedora-messaging's registry:
that warns of every schema it lacks, and statscache lacks most of them by design.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from importlib.metadata import EntryPoint, entry_points
from typing import Any, Final

from statscache.exceptions import MetaError

#: The header naming a message's schema class.
SCHEMA_HEADER = "fedora_messaging_schema"
#: The entry-point group of fedora-messaging's schemas.
GROUP = "fedora.messages"
#: fedora-messaging's base class (``fedora_messaging.message:Message``): no schema of its own, names nobody.
BASE_SCHEMA = "base.message"
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


class _Silent(frozenset[str]):
    """No names, from a schema that is not installed here: an answer unless a datagrepper record tells more."""


#: The answer for a message whose own schema, not installed here, named nobody when it was sent.
SILENT: Final = _Silent()

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

    def names(self, envelope: Mapping[str, Any], field: str) -> set[str] | frozenset[str] | None:
        """The ``field`` ("users" or "packages") an envelope with a schema header names.

        None: no answer here (the base schema, silent). :data:`SILENT` (empty; ``is SILENT``): the message's
        own schema is not installed here and named nobody when it was sent.
        """
        headers = envelope["headers"]
        name = headers[SCHEMA_HEADER]
        schema = self._class_of(name)
        if schema is None:
            named = [key for key in headers if isinstance(key, str) and key.startswith(NAMING)]
            if not named:
                return None if name == BASE_SCHEMA else SILENT
            prefix = PREFIXES[field]
            return {key[len(prefix) :] for key in named if key.startswith(prefix) and len(key) > len(prefix)}
        try:
            message = schema(body=envelope.get("msg"), headers=dict(headers), topic=envelope.get("topic"))
            found = message.usernames if field == "users" else message.packages
            return {name for name in found if isinstance(name, str) and name}
        except Exception as error:  # schemas are third-party code, and the body comes from the bus
            raise MetaError(f"schema {name!r} could not read the {field}: {error!r}"[:300]) from error

    def _class_of(self, name: str) -> type[Any] | None:
        if name in self._classes:
            return self._classes[name]
        found = None
        point = _entry_points().get(name)
        if point is not None and name != BASE_SCHEMA:  # the base class names nobody, whatever the message
            try:
                found = point.load()
            except Exception as error:  # an installed schema package that cannot be imported is not installed
                log.warning("schema %r cannot be loaded (%r): its messages are read from their headers", name, error)
        with self._lock:
            if len(self._classes) >= MAX_SCHEMAS:  # schema names come from the bus: bounded
                self._classes = {}
            self._classes[name] = found
        return found


_points: dict[str, EntryPoint] | None = None


def _entry_points() -> dict[str, EntryPoint]:
    """The installed schemas by name (read once: installing one takes a restart, as for fedora-messaging)."""
    global _points
    if _points is None:
        _points = {point.name: point for point in entry_points(group=GROUP)}
    return _points
