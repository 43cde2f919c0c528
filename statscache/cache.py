"""The in-memory cache between the consumer thread and the flusher: one small entry per distinct message."""

from __future__ import annotations

import threading
from typing import Any

#: What the cache keeps of a message: its event time, and what it contributes
#: to each plugin family (indexed like Pipeline.families). The envelope itself
#: is not kept, so memory follows the flush interval, not message sizes.
Entry = tuple[float, tuple[Any, ...]]


class MessageCache:
    """Entries of the messages received since the last flush, by ``msg_id``.

    The consumer thread adds, the flusher drains; the dict is only ever swapped
    whole under the lock, so no message can slip between the two.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[str, Entry] = {}
        #: Messages added, and copies refused because the message was already cached.
        self.added = 0
        self.duplicates = 0

    def add(self, msg_id: str, entry: Entry) -> bool:
        """Cache a message's entry; False (and nothing cached) when a copy is already here."""
        with self._lock:
            if msg_id in self._entries:
                self.duplicates += 1
                return False
            self._entries[msg_id] = entry
            self.added += 1
            return True

    def drain(self) -> dict[str, Entry]:
        """Take every cached entry, leaving the cache empty."""
        with self._lock:
            entries, self._entries = self._entries, {}
        return entries

    def restore(self, entries: dict[str, Entry]) -> None:
        """Put back entries whose flush failed (a copy cached meanwhile is the same message)."""
        with self._lock:
            self._entries.update(entries)

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)
