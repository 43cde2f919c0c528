"""Day, week and month sums of the count tables, for rollups and top lists; and the settings the statistics
were counted with (statscache 0.3.0).

The tables are made empty; the daemon computes the sums of each table that keeps
them at its next start (:func:`statscache.store.levels.install`). A statscache
before this revision would write counts without their sums: it refuses the
database once upgraded.

Revision ID: 0003_levels
Revises: 0002_heartbeat
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_levels"
down_revision = "0002_heartbeat"
branch_labels = None
depends_on = None


def upgrade() -> None:
    present = sa.inspect(op.get_bind()).get_table_names()
    if "statscache_levels" not in present:
        op.create_table(
            "statscache_levels",
            sa.Column("table_name", sa.String(), primary_key=True),
            sa.Column("level", sa.String(), primary_key=True),
            sa.Column("period", sa.BigInteger(), primary_key=True, autoincrement=False),
            sa.Column("category", sa.String(), primary_key=True),
            sa.Column("volume", sa.BigInteger(), nullable=False),
        )
        op.create_index("ix_statscache_levels_ranked", "statscache_levels", ["table_name", "level", "period", "volume"])
    if "statscache_levels_kept" not in present:
        op.create_table("statscache_levels_kept", sa.Column("table_name", sa.String(), primary_key=True))
    if "statscache_counted_with" not in present:
        op.create_table(
            "statscache_counted_with",
            sa.Column("name", sa.String(), primary_key=True),
            sa.Column("value", sa.Text(), nullable=False),
        )
