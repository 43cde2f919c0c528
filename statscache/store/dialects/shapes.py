"""The shapes of what the dialects write in bulk: a count table's batch, the ledger's new records."""

from __future__ import annotations

from typing import NamedTuple


class CountsStatement(NamedTuple):
    """What :meth:`Dialect.add_counts` writes: a count table, its key, and its tally's bucket span."""

    table: str
    has_category: bool
    span: int
    #: Whether the rows it inserts are counted in the tally by this statement (else by a trigger).
    tallies: bool

    @property
    def keys(self) -> str:
        return "timestamp, category" if self.has_category else "timestamp"


#: New ledger records, a list per column: hours, msg_ids, event times, plugin set ids.
LedgerRows = tuple[list[int], list[str], list[float], list[int]]
