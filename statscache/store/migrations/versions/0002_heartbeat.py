"""Heartbeats: each daemon's last committed flush, for ``/healthz/ready`` (statscache 0.2.0).

Revision ID: 0002_heartbeat
Revises: 0001_baseline
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_heartbeat"
down_revision = "0001_baseline"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if "statscache_heartbeat" in sa.inspect(op.get_bind()).get_table_names():
        return
    op.create_table(
        "statscache_heartbeat",
        sa.Column("daemon", sa.String(), primary_key=True),
        sa.Column("plugins", sa.Text(), nullable=False),
        sa.Column("started", sa.Float(), nullable=False),
        sa.Column("flushed", sa.Float(), nullable=False),
        sa.Column("live_until", sa.Float(), nullable=False),
    )
