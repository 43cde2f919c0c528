"""Who and what a message is about: its users and packages.

A message of today's bus (its headers name a fedora-messaging schema) is read by
its schema, or its headers (:mod:`statscache.ingest.schemas`), live or from
history alike; one whose own schema, not installed here, named nobody is read
from a datagrepper record's lists at most, never by fedmsg.meta. For a message
of fedmsg's era (fedora-messaging's base schema, or no schema), a datagrepper record carries
them already (``users``, ``packages``, computed by datanommer with the same
processors), unless it has none to tell; a live
message is read by fedmsg.meta's processors for Fedora's topics
(``fedmsg_meta_fedora_infrastructure``).
Finding a message's processor means trying each one's topic pattern in turn,
so the processor is remembered per topic: the patterns match topics alone.
Topics come from the bus, so that memory is bounded: at most
:data:`MAX_TOPICS` topics of at most 255 characters (the envelope refuses
longer ones), a few megabytes, then it starts afresh.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from collections.abc import Set as AbstractSet
from itertools import islice
from typing import Any

from statscache.exceptions import MetaError
from statscache.ingest.schemas import SILENT, SchemaReader, has_schema
from statscache.plugins.message import Message

#: Processors whose packages() asks a web service (taskotron asks bodhi, with no timeout):
#: on the consumer thread that would stall the bus, so they are taken to name no package.
NETWORK_PACKAGES = frozenset({"TaskotronProcessor"})
#: Topics whose processor is remembered at most (Fedora's bus has a few thousand).
MAX_TOPICS = 8192
#: Most users or packages one message may name (a record's list, or a processor's answer).
MAX_NAMES = 4096


#: The fedmsg settings fedmsg.meta's processors need, as Fedora's bus has them: what a reader uses
#: unless given the hub's own (nothing is read from the working directory).
FEDORA_BUS: Mapping[str, Any] = {
    "topic_prefix": "org.fedoraproject",
    "topic_prefix_re": r"org\.fedoraproject\.[^\W\d_]+",
}


class _OnlyOnce(logging.Filter):
    """Lets fedmsg.meta's FAS warnings through once each.

    Without FAS credentials, the FAS lookup behind every email or nickname
    (pagure pushes without an agent, bugzilla, meetbot) warns twice that it has
    no cache: once says it all, thousands bury everything else in the log.
    """

    MESSAGES = ("No previous fas cache found", "No fas_credentials found")

    def __init__(self) -> None:
        super().__init__()
        self._seen: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        if not text.startswith(self.MESSAGES):
            return True
        # Remembered by the kind of warning, not its text: a text naming a user would grow this without end.
        kind = next(prefix for prefix in self.MESSAGES if text.startswith(prefix))
        if kind in self._seen:
            return False
        self._seen.add(kind)
        return True


_fas_warnings = _OnlyOnce()


class _NoAccounts(dict[str, str]):
    """fasshim's FAS cache when there is no FAS to ask: empty, yet taken as built.

    fasshim rebuilds an empty (falsy) cache on every lookup of a nickname or
    email: two warnings and a failed import each time, a tenth of the
    consumer's time on pagure and meetbot traffic. Each name stands for
    itself, as it does with the empty cache, without the rebuilding.
    """

    def __bool__(self) -> bool:
        return True


def _settle_fas_cache(config: Mapping[str, Any]) -> None:
    """Without FAS credentials, give fasshim a cache that it does not try to rebuild (see :class:`_NoAccounts`)."""
    if "fas_credentials" in config or config.get("fasjson"):
        return
    try:
        from fedmsg_meta_fedora_infrastructure import fasshim
    except ImportError:
        return
    with fasshim._fas_cache_lock:
        if not fasshim._fas_cache:
            logging.getLogger(__name__).warning(
                "no FAS credentials (fas_credentials): nicknames and emails are taken as FAS usernames"
            )
            fasshim._fas_cache = _NoAccounts()


class MetaReader:
    """Reads a message's users and packages with fedmsg.meta, configured with ``fedmsg_config``
    (the hub's; by default :data:`FEDORA_BUS`). One per pipeline; thread-safe.

    fedmsg.meta keeps its processors in a global list, so the last reader set up
    decides which settings they were built with: one process runs one bus.
    """

    def __init__(self, fedmsg_config: Mapping[str, Any] = FEDORA_BUS) -> None:
        self._lock = threading.Lock()
        self._config = dict(fedmsg_config)
        self._ready = False
        self._schemas = SchemaReader()
        #: topic -> (processor, whether it reads users, whether it reads packages)
        self._by_topic: dict[str, tuple[Any, bool, bool]] = {}

    def users(self, message: Message) -> tuple[str, ...]:
        """The users a message names (FAS usernames), sorted, without duplicates."""
        return self._read(message, "users")

    def packages(self, message: Message) -> tuple[str, ...]:
        """The packages a message names, sorted, without duplicates."""
        return self._read(message, "packages")

    def _processor(self, envelope: Mapping[str, Any]) -> tuple[tuple[Any, bool, bool], dict[str, Any]]:
        found = self._by_topic.get(envelope["topic"])
        if found is not None:  # the hot path: a topic seen before
            return found, self._config
        import fedmsg.meta
        from fedmsg.meta.base import BaseProcessor

        with self._lock:
            if not self._ready:
                # fedmsg_meta_fedora_infrastructure's fasshim logs on moksha's logger (added once).
                logging.getLogger("moksha.hub").addFilter(_fas_warnings)
                fedmsg.meta.make_processors(**self._config)
                _settle_fas_cache(self._config)
                self._ready = True
        config = self._config
        topic = envelope["topic"]
        found = self._by_topic.get(topic)
        if found is None:
            processor = fedmsg.meta.msg2processor(envelope, **config)
            # A processor that keeps the base class's method finds nothing: the call is skipped,
            # as it alone costs microseconds (the whole fedmsg configuration passed as keywords).
            kind = type(processor)
            reads_packages = kind.packages is not BaseProcessor.packages and kind.__name__ not in NETWORK_PACKAGES
            found = (processor, kind.usernames is not BaseProcessor.usernames, reads_packages)
            with self._lock:
                if len(self._by_topic) >= MAX_TOPICS:  # a bus of ever-new topics must not grow this without end
                    self._by_topic = {}
                self._by_topic[topic] = found
        return found, config

    def _read(self, message: Message, field: str) -> tuple[str, ...]:
        named = None
        if has_schema(message.envelope):  # today's bus, live or from history: one rule (statscache.ingest.schemas)
            named = self._schemas.names(message.envelope, field)
            if named is not None and named is not SILENT:
                return _bounded(named, message, field)
        recorded = message.envelope.get(field)
        # An empty list is no answer: datanommer records one for every message
        # it has no schema for, where fedmsg.meta (and so the live path) may know.
        if type(recorded) is list and recorded and all(type(name) is str for name in recorded):
            return _bounded(set(recorded), message, field)
        if named is SILENT:
            # Its own schema named nobody when it was sent: fedmsg.meta, written for fedmsg's bodies, is not
            # asked about a body of that schema (bugzilla's processor fails on today's bug objects).
            return ()
        (processor, reads_users, reads_packages), config = self._processor(message.envelope)
        if not (reads_users if field == "users" else reads_packages):
            return ()
        method = processor.usernames if field == "users" else processor.packages
        try:
            found = method(message.envelope, **config)
        except (KeyError, NotImplementedError):
            # KeyError: a message without the field a processor expects; fedmsg.meta's own
            # msg2usernames/msg2packages answer "none" there, and datagrepper's records agree.
            # NotImplementedError: a processor of several topics declines those its method does not
            # cover (koschei's packages() for collection.state.change). Neither is poison: an error
            # would log one line for every such message.
            return ()
        except Exception as error:  # the processors are third-party code, and raise on some real messages
            raise MetaError(
                f"fedmsg.meta could not read the {field} of {message.topic}: {_described(error)}"
            ) from error
        return _bounded(
            {name for name in islice(found, MAX_NAMES + 1) if isinstance(name, str) and name}, message, field
        )


def _described(error: Exception) -> str:
    """An error for one log line: its repr may quote the message at length, or fail (a value nested too deep)."""
    try:
        text = repr(error)
    except Exception:
        text = type(error).__name__
    return text if len(text) <= 200 else f"{text[:200]}..."


def _bounded(names: AbstractSet[str], message: Message, field: str) -> tuple[str, ...]:
    """The names, sorted; more than :data:`MAX_NAMES` is refused (the bus chooses how many)."""
    if len(names) > MAX_NAMES:
        raise MetaError(f"{message.msg_id} names more than {MAX_NAMES} {field}")
    return tuple(sorted(names))
