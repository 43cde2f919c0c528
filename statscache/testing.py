"""Test a plugin without a bus, a hub or a database server.

::

    from statscache.testing import counted, message

    def test_counts_per_environment():
        plugin = VolumeByEnvironment(timedelta(hours=1))
        rows = counted(plugin, [message("org.fedoraproject.stg.bodhi.update.comment", timestamp=3600.0)])
        assert rows == [{"timestamp": 3600, "category": "stg", "volume": 1}]

:func:`message` builds a message as statscache hands it to :meth:`~statscache.plugins.BasePlugin.process`
(checked like any envelope from the bus); :func:`batch` is what ``update`` receives for some messages;
:func:`counted` runs both into a fresh in-memory SQLite database and returns the rows, as
``/api/<ident>`` serves them. Users and packages are read as on Fedora's bus (fedmsg.meta), unless the
envelope records them as datagrepper does.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from statscache.ingest.envelope import parse_envelope
from statscache.ingest.meta import MetaReader
from statscache.plugins import BasePlugin, Batch, Message
from statscache.store import schema

__all__ = ["message", "from_envelope", "batch", "counted"]

#: Reads users and packages as on Fedora's bus; made once, as fedmsg.meta's processors take a while to build.
_NAMES = MetaReader()
_numbers = itertools.count(1)


def message(
    topic: str = "org.fedoraproject.prod.statscache.test",
    msg: Mapping[str, Any] | None = None,
    *,
    timestamp: float = 1_700_000_000.0,
    msg_id: str | None = None,
    users: Iterable[str] | None = None,
    packages: Iterable[str] | None = None,
) -> Message:
    """A message on ``topic`` with body ``msg`` sent at ``timestamp`` (UTC epoch seconds).

    Each call gets a msg_id of its own unless given one (the same msg_id is the same
    message: statscache counts it once). ``users`` and ``packages``, when given, are
    recorded in the envelope as datagrepper records them; otherwise fedmsg.meta reads
    them from the body.
    """
    envelope: dict[str, Any] = {
        "topic": topic,
        "msg": dict(msg or {}),
        "timestamp": timestamp,
        "msg_id": msg_id if msg_id is not None else f"statscache-testing-{next(_numbers)}",
    }
    if users is not None:
        envelope["users"] = list(users)
    if packages is not None:
        envelope["packages"] = list(packages)
    return from_envelope(envelope)


def from_envelope(envelope: Mapping[str, Any] | str | bytes) -> Message:
    """The message of a whole envelope (a dict, or its JSON), as the bus or datagrepper serves it.

    Raises :class:`~statscache.exceptions.MalformedMessage` where statscache would refuse it.
    """
    return parse_envelope(envelope, _NAMES)


def batch(plugin: BasePlugin, messages: Iterable[Message]) -> Batch:
    """What ``plugin.update`` receives when these messages are flushed: each distinct msg_id once
    (its earliest copy), and only those that ``plugin`` accepts and contributes something to."""
    earliest: dict[str, Message] = {}
    for each in messages:
        kept = earliest.get(each.msg_id)
        if kept is None or each.timestamp < kept.timestamp:
            earliest[each.msg_id] = each
    pairs = [(each.timestamp, plugin.process(each)) for each in earliest.values() if plugin.accepts(each.topic)]
    return Batch.of(pair for pair in pairs if pair[1] is not None)


def counted(plugin: BasePlugin, messages: Iterable[Message]) -> list[dict[str, Any]]:
    """The rows of ``plugin``'s table once ``messages`` are flushed into an empty database, as JSON
    (timestamps in UTC epoch seconds), in the table's key order."""
    engine = create_engine("sqlite://")
    try:
        schema.prepare(engine, [plugin])  # as the daemon does: the plugin's table, the tally and its triggers
        with Session(engine) as session, session.begin():
            plugin.update(session, batch(plugin, messages))
        with Session(engine) as session:
            key = plugin.model.__table__.primary_key.columns
            return [row.to_json() for row in session.scalars(select(plugin.model).order_by(*key))]
    finally:
        engine.dispose()
