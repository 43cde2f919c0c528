"""Two kinds of plugin that are not windowed: each user's all-time activity, and the newest message of each key.

* :class:`ActivityPlugin` counts, for all time, the distinct messages naming
  each user, per subject (a topic, a category), with when the user was first
  and last seen there. The ledger hands each message to it once, so the counts
  are exact whatever the order of arrival, and first/last are a min and a max.
* :class:`LatestMessagePlugin` keeps the newest message of each key (a topic, a
  category): its time, msg_id and users. Served, each row also has a link to the
  message in datagrepper and its age at the time of the request.
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from datetime import timedelta
from typing import Any, ClassVar

import orjson
from sqlalchemy.orm import Session

from statscache.exceptions import InvalidKey
from statscache.plugins.base import BasePlugin, Batch
from statscache.plugins.kinds import StorableKeys, newest_per, utc
from statscache.plugins.message import Message
from statscache.plugins.models import StatsModel, concrete_model
from statscache.store.upsert import add_activity, replace_if_newer


class _KeyedPlugin(BasePlugin):
    """Shared set-up: a table of the plugin's own made from ``base_model``, and checked key values."""

    base_model: ClassVar[type[StatsModel]]
    #: The columns a message's :meth:`subject` fills, in order: the first is part of the row's key,
    #: the others belong to it (a topic's category).
    subject_columns: ClassVar[tuple[str, ...]]

    def __init__(self, interval: timedelta | None = None) -> None:
        super().__init__(interval)
        self.model = concrete_model(self.base_model, self.table_name)
        self._attributes = operator.attrgetter(*self.subject_columns)
        self._storable = StorableKeys()

    def subject(self, message: Message) -> tuple[str, ...] | None:
        """The values of :attr:`subject_columns` for ``message`` (None: it is left out); of the message alone.

        By default the message's attributes of those names (``topic``, ``category``), left out where the first
        is empty (a topic of fewer than four parts has no category).
        """
        found = self._attributes(message)
        subject = found if type(found) is tuple else (found,)
        return subject if subject[0] else None

    def _checked_users(self, message: Message) -> tuple[str, ...]:
        users = message.users
        storable = self._storable
        for user in users:
            if not storable(user):
                raise InvalidKey("a user is a string of 1 to 255 characters without NUL or lone surrogates")
        return users

    def _checked_subject(self, message: Message) -> tuple[str, ...] | None:
        subject = self.subject(message)
        if subject is None:
            return None
        if type(subject) is not tuple or len(subject) != len(self.subject_columns):
            raise InvalidKey(f"subject() must return a tuple of {len(self.subject_columns)} strings")
        # Only the key must be non-empty: a topic of fewer than four parts has the category "".
        storable = self._storable
        for position, value in enumerate(subject):
            if not storable(value) and not (position and value == ""):
                raise InvalidKey("a subject is strings of at most 255 characters without NUL or lone surrogates")
        return subject


class ActivityPlugin(_KeyedPlugin):
    """All-time count of distinct messages per user and subject, with the first and last time seen.

    Name the :attr:`subject_columns` (and write :meth:`subject` unless they are the message's own
    attributes). A message counts once for each user it names (see :attr:`Message.users`: the configured
    bots and noisy topics are left out).
    """

    # The last-seen time moves at each update: a tally of rows per time would be kept by a trigger on every one.
    tallied = False

    def process(self, message: Message) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
        subject = self._checked_subject(message)
        if subject is None:
            return None
        users = self._checked_users(message)
        return (users, subject) if users else None

    def totals(self, batch: Batch) -> dict[tuple[str, tuple[str, ...]], list[Any]]:
        """(user, subject) -> [messages, first time, last time] of the batch."""
        found: dict[tuple[str, tuple[str, ...]], list[Any]] = {}
        for timestamp, (users, subject) in batch:
            for user in users:
                total = found.get((user, subject))
                if total is None:
                    found[(user, subject)] = [1, timestamp, timestamp]
                else:
                    total[0] += 1
                    total[1] = min(total[1], timestamp)
                    total[2] = max(total[2], timestamp)
        return found

    def update(self, session: Session, batch: Batch) -> None:
        names = self.subject_columns
        rows = [
            {
                "user": user,
                **dict(zip(names, subject, strict=True)),
                "volume": volume,
                "first_seen": utc(first),
                "timestamp": utc(last),
            }
            for (user, subject), (volume, first, last) in self.totals(batch).items()
        ]
        add_activity(session, self.model, ("user", names[0]), rows)


class LatestMessagePlugin(_KeyedPlugin):
    """The newest message of each subject (ties on time go to the larger msg_id); name the
    :attr:`subject_columns` (and write :meth:`subject` unless they are the message's own attributes)."""

    def process(self, message: Message) -> tuple[str, tuple[str, ...], Sequence[str]] | None:
        subject = self._checked_subject(message)
        if subject is None:
            return None
        return message.msg_id, subject, self._checked_users(message)

    def update(self, session: Session, batch: Batch) -> None:
        names = self.subject_columns
        newest = newest_per(batch, lambda contribution: contribution[1][0])
        rows = [
            {
                **dict(zip(names, subject, strict=True)),
                "timestamp": utc(timestamp),
                "msg_id": msg_id,
                "users": orjson.dumps(list(users)).decode(),
            }
            for timestamp, (msg_id, subject, users) in newest.values()
        ]
        replace_if_newer(session, self.model, (names[0],), rows)
