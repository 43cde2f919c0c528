"""Plugin classes for the loader tests, good and bad."""

import os
import time
from pathlib import Path

from statscache.plugins import CountingPlugin, Event, LatestEventPlugin, VolumePlugin


class ByTopic(CountingPlugin):
    name = "By topic"
    summary = "messages per topic"
    description = "Counts messages per window and topic."

    def keys(self, message):
        return (message.topic,)


class NoDescription(CountingPlugin):
    name = "No description"
    summary = "forgot one"

    def keys(self, message):
        return ()


class BlankSummary(CountingPlugin):
    name = "Blank"
    summary = "   "
    description = "whitespace is not a summary"

    def keys(self, message):
        return ()


class NotAPlugin:
    name = summary = description = "looks right, is not"


class Statuses(LatestEventPlugin):
    name = "Statuses"
    summary = "latest status per category"
    description = "The newest status each category reported."
    link_hosts = frozenset({"x"})

    def event(self, message):
        status = message.msg.get("status")
        return Event(message.category, status, message.msg.get("url")) if status else None


class Exploding(CountingPlugin):
    name = "Exploding"
    summary = "raises on purpose"
    description = "Raises on every message whose msg has 'explode'."

    def keys(self, message):
        if "explode" in message.msg:
            raise RuntimeError("boom")
        return ("ok",)


class SlowToWrite(VolumePlugin):
    """Counts every message; its update announces itself in the file $STATSCACHE_TEST_FLUSHING names, then
    takes its time: a test can kill the process in the middle of a flush's transaction."""

    name = "Slow to write"
    summary = "a flush that takes seconds"
    description = "Counts every message, slowly when $STATSCACHE_TEST_FLUSHING names a file."

    def update(self, session, batch):
        super().update(session, batch)
        marker = os.environ.get("STATSCACHE_TEST_FLUSHING")
        if marker and len(batch):
            Path(marker).write_text("flushing")
            time.sleep(30)
