"""Dialect-aware "insert or add to" statements (SQLite and PostgreSQL both speak ON CONFLICT)."""

from __future__ import annotations

from typing import Any, Sequence

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from statscache.exceptions import StatscacheError

_INSERTS = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}


def _insert_for(session: Session, model: type) -> Any:
    dialect = session.get_bind().dialect.name
    try:
        return _INSERTS[dialect](model)
    except KeyError:
        raise StatscacheError(f"statscache supports SQLite and PostgreSQL, not {dialect!r}") from None


def add_counts(session: Session, model: type, key_columns: Sequence[str], rows: list[dict[str, Any]]) -> None:
    """Insert count rows, adding ``volume`` to the rows that already exist."""
    if not rows:
        return
    statement = _insert_for(session, model)
    statement = statement.on_conflict_do_update(
        index_elements=list(key_columns),
        set_={"volume": model.volume + statement.excluded.volume},
    )
    session.execute(statement, rows)


def replace_if_newer(session: Session, model: type, key_columns: Sequence[str], rows: list[dict[str, Any]]) -> None:
    """Insert rows, replacing an existing row only with one whose ``timestamp`` is not older."""
    if not rows:
        return
    statement = _insert_for(session, model)
    keys = set(key_columns)
    statement = statement.on_conflict_do_update(
        index_elements=list(key_columns),
        set_={name: statement.excluded[name] for name in rows[0] if name not in keys},
        where=statement.excluded.timestamp >= model.timestamp,
    )
    session.execute(statement, rows)
