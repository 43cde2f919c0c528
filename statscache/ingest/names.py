"""A message's users and packages, read once however many plugins ask.

Reading them runs fedmsg.meta's processor (or a schema) over the body: tens of
microseconds. Per-user and per-package statistics, user activity and the
latest messages all ask, one family after another, for the same message; each
thread remembers the answers for the message it is handing out, errors
included (a processor that fails on a body fails the same way for every asker).
"""

from __future__ import annotations

import threading
from typing import Any

from statscache.plugins.message import Message, NameReader


class RememberedNames:
    """A :class:`~statscache.plugins.message.NameReader` that asks ``names`` once per message and thread."""

    def __init__(self, names: NameReader) -> None:
        self.names = names
        self._memo = threading.local()

    def users(self, message: Message) -> tuple[str, ...]:
        return self._read(message, "users")

    def packages(self, message: Message) -> tuple[str, ...]:
        return self._read(message, "packages")

    def _read(self, message: Message, field: str) -> tuple[str, ...]:
        memo = self._memo
        if getattr(memo, "message", None) is not message:
            memo.message = message
            memo.answers = {}
        answers: dict[str, Any] = memo.answers
        if field not in answers:
            try:
                answers[field] = getattr(self.names, field)(message)
            except Exception as error:
                answers[field] = error
        answer = answers[field]
        if isinstance(answer, Exception):
            # A fresh traceback each time: the same error raised again must not grow the first one's.
            raise answer.with_traceback(None)
        found: tuple[str, ...] = answer
        return found
