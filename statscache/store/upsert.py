"""Insert-or-add-to and insert-or-replace-if-newer statements (each dialect's INSERT ... ON CONFLICT)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import and_, or_
from sqlalchemy.orm import Session

from statscache.store import dialects
from statscache.store.base import Base


def add_counts(session: Session, model: type[Base], key_columns: Sequence[str], rows: list[dict[str, Any]]) -> None:
    """Insert count rows, adding ``volume`` to the rows that already exist."""
    if not rows:
        return
    table = model.__table__
    # The table, not the mapped class: Core executemany skips the ORM's per-row bookkeeping.
    statement = dialects.of(session.get_bind()).insert(table)
    upsert = statement.on_conflict_do_update(
        index_elements=list(key_columns),
        set_={"volume": table.c.volume + statement.excluded.volume},
    )
    session.execute(upsert, rows)


def replace_if_newer(
    session: Session, model: type[Base], key_columns: Sequence[str], rows: list[dict[str, Any]]
) -> None:
    """Insert rows, replacing an existing row only with a newer one.

    Newer means a later ``timestamp``, or the same one and a larger ``msg_id``:
    a total order, so the row that stays never depends on arrival order.
    """
    if not rows:
        return
    table = model.__table__
    dialect = dialects.of(session.get_bind())
    statement = dialect.insert(table)
    keys = set(key_columns)
    # Code-point order, as in Python: the winner of a tie must not depend on what was flushed together.
    new_id = dialect.code_point_order(statement.excluded.msg_id)
    old_id = dialect.code_point_order(table.c.msg_id)
    upsert = statement.on_conflict_do_update(
        index_elements=list(key_columns),
        set_={name: statement.excluded[name] for name in rows[0] if name not in keys},
        where=or_(
            statement.excluded.timestamp > table.c.timestamp,
            and_(statement.excluded.timestamp == table.c.timestamp, new_id >= old_id),
        ),
    )
    session.execute(upsert, rows)
