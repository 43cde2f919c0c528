"""What each plugin gets of a flush: the decision at the heart of exactly-once, made without the database.

Given the messages drained from the cache, those a failing plugin waits to
write again, who may count which (history fetched for some plugins only),
and what the ledger says each message was counted by already, a plugin is
offered the messages it may count and handed, as its batch, those it has not
counted yet. Once its batch is written, every message it was offered is
recorded as counted by it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from statscache.ingest.cache import Audiences, Entry
from statscache.plugins import BasePlugin, Batch
from statscache.store.ledger import Claims

#: Cache entries by msg_id.
Entries = dict[str, Entry]


@dataclass(slots=True)
class Share:
    """One plugin's part of a flush."""

    plugin: BasePlugin
    #: Where the plugin's contribution sits in each entry (see :class:`~statscache.ingest.cache.Entry`).
    family: int
    #: The messages it may count: recorded in the ledger as counted by it once its batch is written.
    offered: Entries
    #: Of those, the ones it has not counted yet: what its batch holds.
    entries: list[Entry]
    batch: Batch

    @property
    def duplicates(self) -> int:
        """Messages offered that it had counted already (copies from backfill, a replay, a crash)."""
        return len(self.offered) - len(self.entries)


def divide(
    plugins: Sequence[tuple[BasePlugin, int]],
    drained: Entries,
    audiences: Audiences,
    retry: Mapping[BasePlugin, Entries],
    before: Claims,
) -> list[Share]:
    """Each plugin's share, for ``(plugin, family)`` pairs; ``before`` is what the ledger says of these messages."""
    # Entries nobody has counted yet: what most plugins get, one batch per family.
    unseen = [entry for msg_id, entry in drained.items() if msg_id not in before] if before else list(drained.values())
    # Who had counted the drained messages already: a few distinct sets of plugins.
    claims = Counter(idents for msg_id, idents in before.items() if msg_id in drained)
    shared: dict[int, Batch] = {}
    shares = []
    for plugin, family in plugins:
        excluded = {msg_id for msg_id, audience in audiences.items() if plugin.ident not in audience}
        if not excluded and plugin not in retry and all(plugin.ident in idents for idents in claims):
            # The usual case: it may count every drained message, and counted those any plugin did.
            if family not in shared:
                shared[family] = Batch(unseen, family)
            shares.append(Share(plugin, family, drained, unseen, shared[family]))
            continue
        # It has messages to retry, or missed some that others counted (installed later).
        offered = {**drained, **retry.get(plugin, {})}
        for msg_id in excluded:  # history fetched for other plugins only
            offered.pop(msg_id, None)
        entries = [entry for msg_id, entry in offered.items() if plugin.ident not in before.get(msg_id, ())]
        shares.append(Share(plugin, family, offered, entries, Batch(entries, family)))
    return shares
