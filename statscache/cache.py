"""The in-memory cache between the consumer thread and the flusher: one small entry per message."""

from __future__ import annotations

from collections import deque
from typing import Any

#: What the cache keeps of a message: its msg_id, its event time, and what it
#: contributes to each plugin family (indexed like Pipeline's families). One
#: tuple of plain values: the envelope is not kept, so memory follows the flush
#: interval rather than message sizes, and the garbage collector can untrack it.
Entry = tuple[str, float, tuple[Any, ...]]


class MessageCache:
    """Entries of the messages received since the last flush, by ``msg_id``.

    The consumer thread appends to a deque and the flusher pops from its
    other end: both are atomic, so no entry can slip between them and the
    hot path takes no lock. Copies of one message are merged when drained.
    """

    def __init__(self) -> None:
        self._arrivals: deque[Entry] = deque()
        # Owned by the flusher's thread: what a failed flush put back.
        self._held: dict[str, Entry] = {}
        self._drained = 0
        #: Copies merged away on drain because the message was already there.
        self.duplicates = 0

    def add(self, entry: Entry) -> None:
        """Cache a message's entry (consumer thread)."""
        self._arrivals.append(entry)

    def drain(self) -> dict[str, Entry]:
        """Take every cached entry, one per ``msg_id`` (the first copy wins), leaving the cache empty."""
        entries, self._held = self._held, {}
        arrivals = self._arrivals
        before = len(entries)
        popped = 0
        while True:
            try:
                entry = arrivals.popleft()
            except IndexError:
                break
            popped += 1
            entries.setdefault(entry[0], entry)
        self._drained += popped
        self.duplicates += popped - (len(entries) - before)
        return entries

    def restore(self, entries: dict[str, Entry]) -> None:
        """Put back entries whose flush failed; they come first in the next drain."""
        self._held = {**entries, **self._held}

    @property
    def cached(self) -> int:
        """Entries ever added (copies included); exact for a single adding thread, close otherwise."""
        return self._drained + len(self._arrivals)

    def __len__(self) -> int:
        return len(self._arrivals) + len(self._held)
