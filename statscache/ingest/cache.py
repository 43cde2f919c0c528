"""The in-memory cache between the consumer thread and the flusher: one small entry per message."""

from __future__ import annotations

from collections import deque
from typing import Any, NamedTuple


class Entry(NamedTuple):
    """What the cache keeps of a message.

    A tuple of plain values: the envelope is not kept, so memory follows the
    flush interval rather than message sizes, and the garbage collector can
    untrack it.
    """

    msg_id: str
    #: The event time (UTC epoch seconds).
    time: float
    #: What the message contributes to each plugin family (indexed like the pipeline's families).
    contributions: tuple[Any, ...]


#: Which plugins (by ident) may count a message, for the few that not all may:
#: history fetched for some plugins only. Absent: every plugin.
Audiences = dict[str, frozenset[str]]


class MessageCache:
    """Entries of the messages received since the last flush, by ``msg_id``.

    The consumer thread appends to a deque and the flusher pops from its
    other end: both are atomic, so no entry can slip between them and the
    hot path takes no lock. Copies of one message are merged when drained.
    """

    def __init__(self) -> None:
        self._arrivals: deque[Entry] = deque()
        # Entries for some plugins only, beside their audience: a deque of their own
        # keeps the live path free of any check.
        self._restricted: deque[tuple[Entry, frozenset[str]]] = deque()
        # Owned by the flusher's thread: what a failed flush put back.
        self._held: dict[str, Entry] = {}
        self._held_audiences: Audiences = {}
        self._drained = 0
        #: Copies merged away on drain because the message was already there.
        self.duplicates = 0
        #: Live messages cached so far, and the newest event time among them (consumer thread).
        self.live_added = 0
        self.newest_live = 0.0

    def add(self, entry: Entry) -> None:
        """Cache the entry of a message that came live (consumer thread)."""
        self._arrivals.append(entry)
        self.live_added += 1
        if entry.time > self.newest_live:
            self.newest_live = entry.time

    def add_history(self, entry: Entry) -> None:
        """Cache the entry of a message fetched from history, for every plugin."""
        self._arrivals.append(entry)

    def add_for(self, entry: Entry, audience: frozenset[str]) -> None:
        """Cache a message's entry that only the plugins in ``audience`` may count."""
        self._restricted.append((entry, audience))

    def drain(self) -> tuple[dict[str, Entry], Audiences]:
        """Take every cached entry, one per ``msg_id``, leaving the cache empty.

        Of copies of one message, the one with the earliest event time is
        kept (the first to arrive, among equal times): what counts does not
        depend on the order copies reach one flush. A copy arriving after
        its message was written is a duplicate, whatever its time (see
        :mod:`statscache.store.ledger`).

        Also returns the audiences of the entries not every plugin may count:
        copies of one message widen its audience, and a copy for every plugin
        lifts it.
        """
        entries, self._held = self._held, {}
        audiences, self._held_audiences = self._held_audiences, {}
        before = len(entries)
        popped = 0
        restricted = self._restricted
        while True:
            try:
                entry, audience = restricted.popleft()
            except IndexError:
                break
            popped += 1
            msg_id = entry.msg_id
            kept = entries.get(msg_id)
            if kept is None:
                entries[msg_id] = entry
                audiences[msg_id] = audience
                continue
            if entry.time < kept.time:
                entries[msg_id] = entry
            if msg_id in audiences:
                audiences[msg_id] |= audience
            # else: a copy for every plugin is there already
        arrivals = self._arrivals
        while True:
            try:
                entry = arrivals.popleft()
            except IndexError:
                break
            popped += 1
            msg_id = entry.msg_id
            kept = entries.setdefault(msg_id, entry)
            if kept is not entry and entry.time < kept.time:
                entries[msg_id] = entry
            if audiences:
                audiences.pop(msg_id, None)  # a copy for every plugin lifts any restriction
        self._drained += popped
        self.duplicates += popped - (len(entries) - before)
        return entries, audiences

    def restore(self, entries: dict[str, Entry], audiences: Audiences) -> None:
        """Put back entries whose flush failed; they come first in the next drain."""
        self._held = {**entries, **self._held}
        self._held_audiences = {**audiences, **self._held_audiences}

    @property
    def cached(self) -> int:
        """Entries ever added (copies included); exact for a single adding thread, close otherwise."""
        return self._drained + len(self._arrivals) + len(self._restricted)

    def __len__(self) -> int:
        return len(self._arrivals) + len(self._restricted) + len(self._held)
