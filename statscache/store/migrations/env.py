"""Alembic's environment: migrate the connection statscache hands over (see :mod:`statscache.store.revisions`)."""

from alembic import context

connection = context.config.attributes["connection"]
# SQLite alters tables by copying them (batch mode): it has no ALTER COLUMN.
context.configure(connection=connection, render_as_batch=connection.dialect.name == "sqlite")
with context.begin_transaction():
    context.run_migrations()
