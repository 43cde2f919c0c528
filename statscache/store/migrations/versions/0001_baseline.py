"""The layout of statscache 0.1.0 (2026-11-30), the first release that records its schema revision.

A database made by an earlier statscache (without ``alembic_version``) is
brought to it: a ledger keyed by the hour of each message and its msg_id (the
layout before the ledger was keyed by msg_id alone) gets an index on msg_id,
which finds every copy of a message whatever its time. Every other table of
0.1.0 was already what earlier releases made, or is created at start.

Revision ID: 0001_baseline
Revises:
"""

from alembic import op
from sqlalchemy import inspect

revision = "0001_baseline"
down_revision = None
branch_labels = None
depends_on = None

LEDGER = "statscache_ledger"
INDEX = "ix_statscache_ledger_msg_id"


def upgrade() -> None:
    found = inspect(op.get_bind())
    if LEDGER not in found.get_table_names():
        return
    key = found.get_pk_constraint(LEDGER)["constrained_columns"]
    indexed = {index["name"] for index in found.get_indexes(LEDGER)}
    if key != ["msg_id"] and INDEX not in indexed:
        op.create_index(INDEX, LEDGER, ["msg_id"])
