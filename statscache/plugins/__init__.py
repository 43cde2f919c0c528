"""The plugin API.

A plugin says *what* to count; statscache owns the threads, the clock, the
database session and the flush. The life of a message:

1. on the consumer thread, statscache checks the envelope and has each plugin
   class :meth:`~BasePlugin.process` it into a small contribution (once per
   class: ``volume-1m``, ``-1h`` and ``-1d`` share it), then caches those
   under the message's ``msg_id``; a copy of a cached message is dropped;
2. every ``statscache.producer.frequency`` the flusher swaps the cache out
   under its lock, asks the ledger which of those messages each plugin has
   already counted, and hands each plugin the others'
   ``(timestamp, contribution)`` pairs: :meth:`~BasePlugin.update` writes them,
   inside the transaction that also records them in the ledger. So a message
   counts once per plugin, across restarts too;
3. if a plugin's update fails, its savepoint is rolled back and its messages
   wait for the next flush; if the transaction fails, every message goes back
   into the cache. Nothing is dropped.

Messages fetched from datagrepper to fill a gap (backfill, :mod:`statscache.history.backfill`)
take the same path, from a thread of their own: a plugin cannot tell them apart.

Most plugins subclass :class:`CountingPlugin` (count per window and key),
:class:`VolumePlugin` (count per window), :class:`LatestEventPlugin` (latest
event per category), :class:`ActivityPlugin` (each user's all-time count per
subject), :class:`LatestMessagePlugin` (the newest message per subject) or
:class:`MilestonePlugin` (the newest start, success and failure of each cell of
a board), and write one method of the message alone.
"""

from statscache.exceptions import InvalidKey
from statscache.plugins.activity import ActivityPlugin, LatestMessagePlugin
from statscache.plugins.base import BasePlugin, Batch
from statscache.plugins.kinds import (
    MAX_KEY_LENGTH,
    MAX_KEYS,
    MAX_STATUS_LENGTH,
    CountingPlugin,
    Event,
    LatestEventPlugin,
    VolumePlugin,
)
from statscache.plugins.message import Message
from statscache.plugins.milestones import FAILED, STARTED, SUCCEEDED, Milestone, MilestonePlugin, board_group

__all__ = [
    "Batch",
    "BasePlugin",
    "CountingPlugin",
    "VolumePlugin",
    "LatestEventPlugin",
    "ActivityPlugin",
    "LatestMessagePlugin",
    "MilestonePlugin",
    "Event",
    "Milestone",
    "board_group",
    "STARTED",
    "SUCCEEDED",
    "FAILED",
    "Message",
    "InvalidKey",
    "MAX_KEY_LENGTH",
    "MAX_KEYS",
    "MAX_STATUS_LENGTH",
]
