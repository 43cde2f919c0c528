"""Alembic's migrations of statscache's schema: its own tables, and the built-in plugins' tables.

Run through :mod:`statscache.store.revisions` (``statscache db upgrade``), never
with an ``alembic.ini``: the connection comes from statscache's configuration.

Conventions every revision keeps:

- DDL is written out in the revision (``op``, or tables declared in it), never
  taken from today's models: a revision must do tomorrow what it did today.
- A revision that changes a table skips a table that is not there: a database
  made by an old statscache may lack a table that start-up creates afresh, in
  the layout of the head, once every revision has run.
- The built-in plugins' tables exist in as many windows as the configuration
  names (``volume_1m``, ``volume_1h``...): a revision that changes a kind of
  table changes every table of that kind it finds.
- Start-up creates what is missing (a new plugin's table, an index, the
  tallies' triggers), so revisions only change what exists.
"""
