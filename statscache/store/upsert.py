"""Dialect-aware "insert or add to" statements (SQLite and PostgreSQL both speak ON CONFLICT)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import and_, or_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from statscache.exceptions import StatscacheError
from statscache.store.base import Base

_INSERTS = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}


def _insert_for(session: Session, model: type[Base]) -> Any:
    dialect = session.get_bind().dialect.name
    try:
        # The table, not the mapped class: Core executemany skips the ORM's per-row bookkeeping.
        return _INSERTS[dialect](model.__table__)
    except KeyError:
        raise StatscacheError(f"statscache supports SQLite and PostgreSQL, not {dialect!r}") from None


def add_counts(session: Session, model: type[Base], key_columns: Sequence[str], rows: list[dict[str, Any]]) -> None:
    """Insert count rows, adding ``volume`` to the rows that already exist."""
    if not rows:
        return
    statement = _insert_for(session, model)
    statement = statement.on_conflict_do_update(
        index_elements=list(key_columns),
        set_={"volume": statement.table.c.volume + statement.excluded.volume},
    )
    session.execute(statement, rows)


def replace_if_newer(
    session: Session, model: type[Base], key_columns: Sequence[str], rows: list[dict[str, Any]]
) -> None:
    """Insert rows, replacing an existing row only with a newer one.

    Newer means a later ``timestamp``, or the same one and a larger ``msg_id``:
    a total order, so the row that stays never depends on arrival order.
    """
    if not rows:
        return
    statement = _insert_for(session, model)
    keys = set(key_columns)
    new_id, old_id = statement.excluded.msg_id, statement.table.c.msg_id
    if session.get_bind().dialect.name == "postgresql":
        # Code-point order, as in Python and SQLite: a locale's collation would let
        # the winner of a tie depend on whether two events were flushed together.
        new_id, old_id = new_id.collate("C"), old_id.collate("C")
    statement = statement.on_conflict_do_update(
        index_elements=list(key_columns),
        set_={name: statement.excluded[name] for name in rows[0] if name not in keys},
        where=or_(
            statement.excluded.timestamp > statement.table.c.timestamp,
            and_(statement.excluded.timestamp == statement.table.c.timestamp, new_id >= old_id),
        ),
    )
    session.execute(statement, rows)
