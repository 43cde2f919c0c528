"""The release-engineering board keeps each cell's newest start, success and failure (statscache 0.4.0).

``releng_dashboard`` held the newest event of each category, without saying
whether it was a start or an end: its rows cannot become the new ones. The
table is dropped, with its row tally, and with it everything that says the
plugin has counted messages (its coverage, its mark, and its name in the
ledger's records), so that the daemon makes the new table at its next start
and backfills it from history as far back as the plugin wants (90 days).

Revision ID: 0004_releng_milestones
Revises: 0003_levels
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_releng_milestones"
down_revision = "0003_levels"
branch_labels = None
depends_on = None

TABLE = "releng_dashboard"
IDENT = "releng-dashboard"
FIND_SET = sa.text("SELECT id FROM statscache_plugin_set WHERE idents = :idents")


def upgrade() -> None:
    bind = op.get_bind()
    inspector = sa.inspect(bind)
    present = inspector.get_table_names()
    if TABLE not in present or "phase" in {column["name"] for column in inspector.get_columns(TABLE)}:
        return
    op.drop_table(TABLE)  # its triggers go with it
    if bind.dialect.name == "postgresql":  # the function its tally triggers called
        bind.execute(sa.text(f"DROP FUNCTION IF EXISTS {TABLE}_tally()"))
    if "statscache_tally" in present:
        bind.execute(sa.text("DELETE FROM statscache_tally WHERE table_name = :table"), {"table": TABLE})
    for table in ("statscache_coverage", "statscache_failed_stretch", "statscache_plugin_state"):
        if table in present:
            bind.execute(sa.text(f"DELETE FROM {table} WHERE ident = :ident"), {"ident": IDENT})
    if "statscache_plugin_set" in present:
        _leave_ledger(bind)


def _leave_ledger(bind: sa.Connection) -> None:
    """Take the plugin out of every set of idents the ledger's records name (sets are newline-separated,
    sorted): its messages are then uncounted for it alone."""
    sets = bind.execute(sa.text("SELECT id, idents FROM statscache_plugin_set")).all()
    for set_id, text in sets:
        idents = set(text.split("\n")) if text else set()
        if IDENT not in idents:
            continue
        rest = "\n".join(sorted(idents - {IDENT}))
        other = bind.execute(FIND_SET, {"idents": rest}).scalar()
        if other is None:
            bind.execute(sa.text("INSERT INTO statscache_plugin_set (idents) VALUES (:idents)"), {"idents": rest})
            other = bind.execute(FIND_SET, {"idents": rest}).scalar_one()
        bind.execute(
            sa.text("UPDATE statscache_ledger SET plugin_set_id = :other WHERE plugin_set_id = :old"),
            {"other": other, "old": set_id},
        )
