"""One bus message as a plugin sees it (what :func:`statscache.ingest.envelope.parse_envelope` makes)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, NamedTuple, Protocol


class Message(NamedTuple):
    """A validated fedmsg envelope.

    ``timestamp`` is the event time in UTC epoch seconds (the envelope's own
    ``timestamp``, not the time statscache received it), cut to the whole
    second: datagrepper serves no more than that, and a message must count
    the same whether it came live or through backfill.
    """

    msg_id: str
    topic: str
    timestamp: float
    msg: dict[str, Any]
    envelope: Mapping[str, Any]
    #: The topic's fourth dot-part (``org.fedoraproject.prod.CATEGORY...``), or "".
    category: str
    #: What reads the users and packages it names: the pipeline's (see :mod:`statscache.ingest.meta`).
    names: NameReader
    #: Where the users and packages are kept once read (None: read at each ask). Reading them runs
    #: fedmsg.meta's processor or a schema over the body; several plugin families ask for each message.
    memo: dict[str, Any] | None = None

    @property
    def datetime(self) -> datetime:
        return datetime.fromtimestamp(self.timestamp, tz=UTC)

    @property
    def users(self) -> tuple[str, ...]:
        """The users the message names (see :mod:`statscache.ingest.meta`)."""
        return self._named("users")

    @property
    def packages(self) -> tuple[str, ...]:
        """The packages the message names (see :mod:`statscache.ingest.meta`)."""
        return self._named("packages")

    def _named(self, field: str) -> tuple[str, ...]:
        read = getattr(self.names, field)  # the reader's users or packages
        memo = self.memo
        if memo is None:
            answer: tuple[str, ...] = read(self)
            return answer
        found: Any = memo.get(field)
        if found is None:
            try:
                found = read(self)
            except Exception as error:
                found = error
            memo[field] = found
        if type(found) is tuple:
            return found
        # The reader failed on this body: it fails the same for every family that asks (a fresh traceback each).
        raise found.with_traceback(None)


class NameReader(Protocol):
    """Reads who and what a message is about (FAS usernames, package names), sorted, without duplicates."""

    def users(self, message: Message) -> tuple[str, ...]: ...

    def packages(self, message: Message) -> tuple[str, ...]: ...
