"""The shape of a count table's write, as the dialects' ``add_counts`` takes it."""

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
