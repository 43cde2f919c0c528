"""Bots and noise the per-user and per-package statistics leave out (``statscache.exclude.*``).

Community statistics count people: an account that is a robot (``bodhi``,
``packit``, ``zuul``...) would top every list, and topics that automation
announces by the thousand (``buildsys.rpm.sign``, ``buildsys.repo.init``...)
drown what people did. The exclusions are applied where a message's users and
packages are read, so every statistic that reads them (volume by user or
package, user activity, pagure contributions by user, third-party plugins)
leaves out the same things, live and from history alike:

* an excluded account is never one of a message's users;
* a message on an excluded topic names no user and no package.

Everything else still counts the message (volume, by category, by topic).
Changing the lists applies from then on; ``statscache rebuild`` applies them
to history.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable

from statscache.plugins.message import Message, NameReader

#: Topics whose verdict is remembered at most (Fedora's bus has a few thousand; topics are at most 255 characters).
MAX_TOPICS = 8192


class Exclusions:
    """The accounts and topic patterns (shell-style: ``*.buildsys.rpm.sign``) to leave out."""

    def __init__(self, users: Iterable[str] = (), topics: Iterable[str] = ()) -> None:
        self.users = frozenset(users)
        self.topics = tuple(topics)
        patterns = "|".join(fnmatch.translate(pattern) for pattern in self.topics)
        self._pattern = re.compile(patterns) if self.topics else None
        self._verdicts: dict[str, bool] = {}

    def __bool__(self) -> bool:
        return bool(self.users or self.topics)

    def excludes_topic(self, topic: str) -> bool:
        if self._pattern is None:
            return False
        verdict = self._verdicts.get(topic)
        if verdict is None:
            if len(self._verdicts) >= MAX_TOPICS:  # topics come from the bus: the memory of them is bounded
                self._verdicts = {}
            verdict = self._verdicts[topic] = self._pattern.match(topic) is not None
        return verdict


class ExcludingReader:
    """A :class:`~statscache.plugins.message.NameReader` that leaves out what ``exclusions`` name."""

    def __init__(self, names: NameReader, exclusions: Exclusions) -> None:
        self.names = names
        self.exclusions = exclusions

    def users(self, message: Message) -> tuple[str, ...]:
        if self.exclusions.excludes_topic(message.topic):
            return ()
        found = self.names.users(message)
        bots = self.exclusions.users
        if bots and not bots.isdisjoint(found):
            return tuple(user for user in found if user not in bots)
        return found

    def packages(self, message: Message) -> tuple[str, ...]:
        if self.exclusions.excludes_topic(message.topic):
            return ()
        return self.names.packages(message)


def excluding(names: NameReader, exclusions: Exclusions) -> NameReader:
    """``names``, leaving out what ``exclusions`` name (``names`` itself when they name nothing)."""
    return ExcludingReader(names, exclusions) if exclusions else names
